#!/usr/bin/env bash
# The README's first command: installs what is missing (npm dependencies with Node 24, MariaDB,
# Redis, Prosody, rtpengine), starts the services on 127.0.0.1, builds, and runs Switchboard in
# the foreground with the configuration in $SWITCHBOARD_CONFIG_DIR (default: ./config).
source "$(dirname "$0")/lib.sh"
ensure_node_modules
build
bash "$ROOT/scripts/services.sh" start
cli config check >&2
url=$(cli services env | sed -n "s/^SB_HTTP_PORT='\(.*\)'/\1/p")
say "starting Switchboard on port $url — agent desktop at /, API description at /api/openapi.json, readiness at /ready"
say "first login: admin / the SWITCHBOARD_ADMIN_PASSWORD in $RUN/secrets.env (change it under Settings)"
exec "$NODE" "$ROOT/server/dist/cli.js" start
