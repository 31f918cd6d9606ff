#!/usr/bin/env bash
# Installs (apt) and starts, on 127.0.0.1, every service Switchboard needs that is not already
# running: MariaDB, Redis, Prosody, rtpengine. Idempotent: run it as often as you like.
#   scripts/services.sh [start|stop|status]     (uses $SWITCHBOARD_CONFIG_DIR or ./config)
#   scripts/services.sh tools                    also installs the test peers (sipp, baresip, kamailio, chromium)
#   scripts/services.sh xmpp-cert <dir>          puts Prosody's client certificate into <dir> (Docker)
source "$(dirname "$0")/lib.sh"
ensure_node_modules
[ -f "$ROOT/server/dist/cli.js" ] || build
settings=$(cli services env) || die "the configuration is not valid (see above)"
eval "$settings"

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_mariadb() {
  if tcp_open "$SB_DB_HOST" "$SB_DB_PORT"; then
    say "MariaDB answers on $SB_DB_HOST:$SB_DB_PORT"
  else
    ensure_pkg mariadbd mariadb-server mariadb mariadb-client
    local data="$RUN/mariadb"
    if [ ! -d "$data/mysql" ]; then
      say "initialising MariaDB in $data"
      mkdir -p "$data"
      mariadb-install-db --no-defaults --datadir="$data" --user=root --auth-root-authentication-method=normal \
        --skip-test-db >"$RUN/logs/mariadb-install.log" 2>&1 || die "mariadb-install-db failed (see $RUN/logs/mariadb-install.log)"
    fi
    say "starting MariaDB on $SB_DB_HOST:$SB_DB_PORT"
    nohup mariadbd --no-defaults --user=root --datadir="$data" --socket="$RUN/mariadb.sock" --port="$SB_DB_PORT" \
      --bind-address="$SB_DB_HOST" --skip-name-resolve --pid-file="$RUN/mariadb.pid" \
      >"$RUN/logs/mariadb.log" 2>&1 &
    wait_tcp "$SB_DB_HOST" "$SB_DB_PORT" 60 MariaDB
  fi
  # The application's own user, allowed on its database and on test databases named after it.
  local sql="CREATE USER IF NOT EXISTS '$SB_DB_USER'@'127.0.0.1' IDENTIFIED BY '$SB_DB_PASSWORD';
    CREATE USER IF NOT EXISTS '$SB_DB_USER'@'localhost' IDENTIFIED BY '$SB_DB_PASSWORD';
    ALTER USER '$SB_DB_USER'@'127.0.0.1' IDENTIFIED BY '$SB_DB_PASSWORD';
    ALTER USER '$SB_DB_USER'@'localhost' IDENTIFIED BY '$SB_DB_PASSWORD';
    GRANT ALL PRIVILEGES ON \`${SB_DB_NAME//_/\\_}%\`.* TO '$SB_DB_USER'@'127.0.0.1';
    GRANT ALL PRIVILEGES ON \`${SB_DB_NAME//_/\\_}%\`.* TO '$SB_DB_USER'@'localhost';
    CREATE DATABASE IF NOT EXISTS \`$SB_DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  if [ "$SB_DB_USER" != root ]; then
    if ! MYSQL_PWD="${SWITCHBOARD_DB_ROOT_PASSWORD:-}" mariadb --protocol=tcp -h "$SB_DB_HOST" -P "$SB_DB_PORT" -u root -e "$sql" 2>"$RUN/logs/mariadb-setup.log"; then
      # Debian's own server: root authenticates over the socket.
      mariadb -u root -e "$sql" 2>>"$RUN/logs/mariadb-setup.log" \
        || die "cannot create the database user $SB_DB_USER (set SWITCHBOARD_DB_ROOT_PASSWORD, see $RUN/logs/mariadb-setup.log)"
    fi
  fi
}

start_redis() {
  if tcp_open "$SB_REDIS_HOST" "$SB_REDIS_PORT"; then say "Redis answers on $SB_REDIS_HOST:$SB_REDIS_PORT"; return; fi
  ensure_pkg redis-server redis-server
  say "starting Redis on $SB_REDIS_HOST:$SB_REDIS_PORT"
  mkdir -p "$RUN/redis"
  # BullMQ jobs must survive a restart and never be evicted.
  redis-server --bind "$SB_REDIS_HOST" --port "$SB_REDIS_PORT" --dir "$RUN/redis" --appendonly yes \
    --maxmemory-policy noeviction --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$RUN/logs/redis.log" \
    || die "redis-server failed (see $RUN/logs/redis.log)"
  wait_tcp "$SB_REDIS_HOST" "$SB_REDIS_PORT" 20 Redis
}

# The client port's certificate when xmpp.tls is not set: self-signed for the domain and its
# components, generated once into <dir> and kept until it nears its end or the domains change.
# Agents' XMPP clients ask to trust it once (its fingerprint: openssl x509 -noout -fingerprint -sha256 -in <crt>).
ensure_xmpp_cert() { # dir
  local dir=$1 crt="$1/$SB_XMPP_DOMAIN.crt" key="$1/$SB_XMPP_DOMAIN.key" san="DNS:$SB_XMPP_DOMAIN,DNS:$SB_XMPP_MUC_DOMAIN"
  [ -z "$SB_XMPP_UPLOAD_DOMAIN" ] || san+=",DNS:$SB_XMPP_UPLOAD_DOMAIN"
  ensure_pkg openssl openssl
  if [ -f "$crt" ] && [ -f "$key" ] && openssl x509 -in "$crt" -noout -checkend 2592000 >/dev/null 2>&1 \
    && [ "$(openssl x509 -in "$crt" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ')" = "$san" ]; then
    return 0
  fi
  say "generating a self-signed certificate for $SB_XMPP_DOMAIN in $dir (xmpp.tls sets your own)"
  mkdir -p "$dir"
  # 825 days: the longest validity Apple's clients accept for a server certificate.
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$SB_XMPP_DOMAIN" -addext "subjectAltName=$san" \
    -keyout "$key.new" -out "$crt.new") >"$RUN/logs/openssl.log" 2>&1 || die "openssl could not create the certificate (see $RUN/logs/openssl.log)"
  chmod 644 "$crt.new"
  mv -f "$key.new" "$key" && mv -f "$crt.new" "$crt"
}

# Seconds since a file changed, and since a process started.
age_of() { echo $(($(date +%s) - $(stat -c %Y "$1"))); }
uptime_of() { ps -o etimes= -p "$1" | tr -d ' '; }

start_prosody() {
  ensure_pkg prosody prosody ss iproute2
  local dir="$RUN/prosody" cfg pid="" other="" f
  [ -n "$SB_XMPP_TLS_CERT" ] || ensure_xmpp_cert "$dir/certs"
  cfg=$(cli services prosody-config "$dir")
  # Probed on the component port: it always listens on xmpp.host, the client port may not.
  if tcp_open "$SB_XMPP_HOST" "$SB_XMPP_COMPONENT_PORT"; then
    # Already running: ours, or one started by another checkout of Switchboard on this machine
    # (same generated configuration). Register the service account in the running one's store.
    pid=$(ss -Hltnp "sport = :$SB_XMPP_COMPONENT_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    other=$( [ -n "$pid" ] && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -m1 'prosody.cfg.lua$' || true)
    [ -n "$other" ] || die "port $SB_XMPP_COMPONENT_PORT is taken by a program that is not Switchboard's Prosody (switchboard.yaml: xmpp.componentPort)"
    if [ "$other" = "$cfg" ]; then
      # Ours: a configuration or certificate newer than the process needs a restart to apply
      # (ports, interfaces and TLS are read at start only).
      for f in "$cfg" "${SB_XMPP_TLS_CERT:-$dir/certs/$SB_XMPP_DOMAIN.crt}"; do
        if [ "$(age_of "$f")" -lt "$(uptime_of "$pid")" ]; then
          say "restarting Prosody: $f changed since it started"
          kill "$pid"
          local i
          for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
          kill -0 "$pid" 2>/dev/null && die "Prosody (pid $pid) did not stop"
          break
        fi
      done
    else
      # Another checkout's: tests here trust the certificate it offers, so keep a copy of it, with
      # its key (private Prosodys started here, e.g. bench/chat's, offer the same pair).
      local theirs theirs_key
      theirs=$(grep -o '^ssl = { certificate = "[^"]*"' "$other" | cut -d'"' -f2 || true)
      theirs_key=$(grep -o '^ssl = { certificate = "[^"]*"; key = "[^"]*"' "$other" | cut -d'"' -f4 || true)
      if [ -z "$SB_XMPP_TLS_CERT" ] && [ -n "$theirs" ] && [ -f "$theirs" ] && [ -n "$theirs_key" ] && [ -r "$theirs_key" ]; then
        mkdir -p "$dir/certs" && (umask 077 && cp -f "$theirs_key" "$dir/certs/$SB_XMPP_DOMAIN.key") && cp -f "$theirs" "$dir/certs/$SB_XMPP_DOMAIN.crt"
      fi
    fi
  fi
  if tcp_open "$SB_XMPP_HOST" "$SB_XMPP_COMPONENT_PORT"; then
    say "Prosody answers on $SB_XMPP_HOST:$SB_XMPP_COMPONENT_PORT ($other)"
    cfg=$other
  else
    say "starting Prosody: clients on $SB_XMPP_CLIENT_HOST:$SB_XMPP_PORT (TLS required), components on $SB_XMPP_HOST:$SB_XMPP_COMPONENT_PORT"
    nohup prosody --config "$cfg" -F >"$RUN/logs/prosody.out" 2>&1 &
    wait_tcp "$SB_XMPP_HOST" "$SB_XMPP_COMPONENT_PORT" 30 Prosody
  fi
  prosodyctl --config "$cfg" register "$SB_XMPP_USER" "$SB_XMPP_DOMAIN" "$SB_XMPP_PASSWORD" >/dev/null 2>&1 \
    || die "cannot register the XMPP service account $SB_XMPP_USER@$SB_XMPP_DOMAIN"
}

rtpengine_ping() { "$NODE" -e '
  const { Client } = require(process.argv[1] + "/node_modules/rtpengine-client");
  const c = new Client({ timeout: 500 });
  c.ping(+process.argv[3], process.argv[2]).then((r) => { c.close(); process.exit(r.result === "pong" ? 0 : 1); }, () => { c.close(); process.exit(1); });
' "$ROOT" "$SB_RTPENGINE_HOST" "$SB_RTPENGINE_PORT" 2>/dev/null; }

start_rtpengine() {
  ensure_pkg rtpengine rtpengine-daemon
  if rtpengine_ping; then say "rtpengine answers on $SB_RTPENGINE_HOST:$SB_RTPENGINE_PORT"; return; fi
  say "starting rtpengine (ng $SB_RTPENGINE_HOST:$SB_RTPENGINE_PORT, media $SB_RTPENGINE_PORT_MIN-$SB_RTPENGINE_PORT_MAX)"
  # Userspace forwarding only (--table=-1): no kernel module is needed or loaded.
  nohup rtpengine --config-file=none --foreground --log-stderr --table=-1 --interface="$SB_RTPENGINE_HOST" \
    --listen-ng="$SB_RTPENGINE_HOST:$SB_RTPENGINE_PORT" --port-min="$SB_RTPENGINE_PORT_MIN" --port-max="$SB_RTPENGINE_PORT_MAX" \
    --pidfile="$RUN/rtpengine.pid" >"$RUN/logs/rtpengine.log" 2>&1 &
  local i
  for ((i = 0; i < 50; i++)); do rtpengine_ping && return 0; sleep 0.2; done
  die "rtpengine did not answer on $SB_RTPENGINE_HOST:$SB_RTPENGINE_PORT (see $RUN/logs/rtpengine.log)"
}

# PDF transcripts are written in DejaVu Sans, with Droid Sans Fallback for Chinese, Japanese and Korean.
ensure_fonts() {
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && [ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] && return 0
  [ "$(id -u)" = 0 ] || { say "fonts-dejavu-core or fonts-droid-fallback missing: transcripts cover fewer scripts"; return 0; }
  say "installing fonts-dejavu-core fonts-droid-fallback"
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq >"$RUN/logs/apt.log" 2>&1 || true; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-dejavu-core fonts-droid-fallback >>"$RUN/logs/apt.log" 2>&1 \
    || die "apt-get install fonts-dejavu-core fonts-droid-fallback failed (see $RUN/logs/apt.log)"
}

stop_own() { # only what these scripts started
  local f
  for f in "$RUN/prosody/prosody.pid" "$RUN/rtpengine.pid" "$RUN/redis.pid" "$RUN/mariadb.pid"; do
    pid_alive "$f" && { say "stopping $(basename "$f" .pid)"; kill "$(cat "$f")"; }
  done
  return 0
}

case "${1:-start}" in
  start) start_mariadb; start_redis; start_prosody; start_rtpengine; ensure_fonts; say "services ready" ;;
  tools)
    ensure_pkg sipp sip-tester baresip baresip kamailio kamailio chromium chromium openssl openssl wfuzz wfuzz pdftotext poppler-utils
    say "test tools ready" ;;
  stop) stop_own ;;
  xmpp-cert) # <dir>: the client port's certificate for a Prosody elsewhere (docker/compose.yaml)
    [ -n "${2:-}" ] || die "usage: scripts/services.sh xmpp-cert <dir>"
    if [ -n "$SB_XMPP_TLS_CERT" ]; then
      mkdir -p "$2" && cp -f "$SB_XMPP_TLS_CERT" "$2/$SB_XMPP_DOMAIN.crt" && cp -f "$SB_XMPP_TLS_KEY" "$2/$SB_XMPP_DOMAIN.key"
    else
      ensure_xmpp_cert "$2"
    fi
    # Prosody's container reads it as its own user, not as the owner of these files.
    chmod 640 "$2/$SB_XMPP_DOMAIN.key"
    say "certificate for $SB_XMPP_DOMAIN in $2" ;;
  status)
    tcp_open "$SB_DB_HOST" "$SB_DB_PORT" && echo "mariadb: up" || echo "mariadb: down"
    tcp_open "$SB_REDIS_HOST" "$SB_REDIS_PORT" && echo "redis: up" || echo "redis: down"
    tcp_open "$SB_XMPP_HOST" "$SB_XMPP_COMPONENT_PORT" && echo "prosody: up" || echo "prosody: down"
    rtpengine_ping && echo "rtpengine: up" || echo "rtpengine: down" ;;
  *) die "usage: scripts/services.sh [start|stop|status|tools|xmpp-cert <dir>]" ;;
esac
