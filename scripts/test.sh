#!/usr/bin/env bash
# The README's second command: installs what is missing, starts the services, builds, lints and
# runs every test suite against real MariaDB, Redis, Prosody, rtpengine, sipp and Chromium.
# Ends with one line "N passed, N failed".
source "$(dirname "$0")/lib.sh"
ensure_node_modules
build
bash "$ROOT/scripts/services.sh" start
bash "$ROOT/scripts/services.sh" tools

say "lint"
(cd "$ROOT" && npm run --silent lint) || die "lint failed"

passed=0; failed=0; status=0
failures=""
run_suite() { # workspace
  local ws=$1 log="$RUN/logs/test-$1.log"
  grep -q '"test"' "$ROOT/$ws/package.json" || return 0
  say "tests: $ws"
  set +e
  (cd "$ROOT/$ws" && npm test --silent) 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  local p f
  p=$(grep -Eo '^ *[0-9]+ passing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  f=$(grep -Eo '^ *[0-9]+ failing' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  # The failing tests' titles and first lines of error, kept for the last lines of the run: a CI
  # that shows only the tail of the output must still name what failed.
  if [ -n "$f" ] && [ "$f" != 0 ]; then
    failures+="$ws: $(sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n '/^ *[0-9][0-9]* failing/,$p' \
      | grep -E -A5 '^ +[0-9]+\) ' | grep -Ev '^ +at |^--$|^ *$' | head -40)"$'\n'
  fi
  if [ "$rc" != 0 ]; then
    status=1
    [ -n "$f" ] || { echo "suite $ws exited with $rc without a test summary" >&2; failed=$((failed + 1)); }
  fi
}
for ws in ${SWITCHBOARD_TEST_SUITES:-protocol sip server widget agent-ui docker}; do run_suite "$ws"; done
echo
[ -z "$failures" ] || { echo "failing tests:"; printf '%s' "$failures"; echo; }
echo "$passed passed, $failed failed"
exit $status
