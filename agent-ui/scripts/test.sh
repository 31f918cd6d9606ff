#!/usr/bin/env bash
# `npm test -w agent-ui`: the component specs (Vitest in headless Chromium) and then the
# end-to-end tests (mocha + playwright-core driving Debian's Chromium against a real server).
# scripts/test.sh reads one mocha-style summary per suite, so this ends with the combined
# "N passing" / "N failing" of both parts.
set -uo pipefail
cd "$(dirname "$0")/.."
export CHROME_BIN=${CHROME_BIN:-$(command -v chromium)}
export NO_COLOR=1 FORCE_COLOR=0
[ -n "$CHROME_BIN" ] || { echo "chromium is not installed (apt-get install chromium)" >&2; exit 1; }
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== component specs (Vitest, headless Chromium)"
ng test --no-watch 2>&1 | tee "$logs/unit.log"
unit_rc=${PIPESTATUS[0]}
summary=$(grep -E '^ +Tests +' "$logs/unit.log" | tail -1)
unit_pass=$(grep -Eo '[0-9]+ passed' <<<"$summary" | grep -Eo '[0-9]+' || echo 0)
unit_fail=$(grep -Eo '[0-9]+ failed' <<<"$summary" | grep -Eo '[0-9]+' || echo 0)
# A build error or crash leaves no summary: count it as a failure rather than as nothing.
if [ "$unit_rc" != 0 ] && [ "$unit_fail" = 0 ]; then unit_fail=1; fi

echo "== end-to-end (mocha, playwright-core, real server)"
# The e2e drives the production build the server serves; build it from the current sources.
# The e2e files run with Node's type stripping, which checks nothing: the compiler does.
if ! { ng build >"$logs/build.log" 2>&1 && tsc -p e2e >>"$logs/build.log" 2>&1; }; then
  cat "$logs/build.log"
  echo "  $unit_pass passing"
  echo "  $((unit_fail + 1)) failing"
  exit 1
fi
mocha 2>&1 | tee "$logs/e2e.log"
e2e_rc=${PIPESTATUS[0]}
e2e_pass=$(grep -Eo '^ *[0-9]+ passing' "$logs/e2e.log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
e2e_fail=$(grep -Eo '^ *[0-9]+ failing' "$logs/e2e.log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
if [ "$e2e_rc" != 0 ] && [ "$e2e_fail" = 0 ]; then e2e_fail=1; fi

echo
echo "agent-ui: specs $unit_pass passed, $unit_fail failed; e2e $e2e_pass passed, $e2e_fail failed"
echo "  $((unit_pass + e2e_pass)) passing"
failing=$((unit_fail + e2e_fail))
if [ "$failing" != 0 ]; then
  echo "  $failing failing"
  exit 1
fi
