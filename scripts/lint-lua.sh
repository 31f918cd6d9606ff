#!/usr/bin/env bash
# Syntax check of the Lua that Redis runs (Redis embeds Lua 5.1): each file alone, and each
# script as Redis gets it (the shared prelude, then the script). Part of `npm run lint`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LUAC=$(command -v luac5.1 || true)
[ -n "$LUAC" ] || { echo "luac5.1 missing: install Debian's lua5.1 (scripts/services.sh tools does)" >&2; exit 1; }
status=0
while IFS= read -r -d '' f; do
  "$LUAC" -p "$f" || status=1
  dir=$(dirname "$f")
  if [ "$(basename "$f")" != prelude.lua ] && [ -f "$dir/prelude.lua" ]; then
    { cat "$dir/prelude.lua"; echo 'init(ARGV)'; cat "$f"; } | "$LUAC" -p - || { echo "  in $f after prelude.lua" >&2; status=1; }
  fi
done < <(find "$ROOT/server/src" -name '*.lua' -print0)
exit $status
