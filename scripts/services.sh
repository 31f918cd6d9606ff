#!/usr/bin/env bash
# Installs (apt) and starts, on 127.0.0.1, every service Switchboard needs that is not already
# running: MariaDB, Redis, Prosody, rtpengine, and the local mail server (Postfix + Dovecot) when the
# configuration's smtp:/imap: point at this machine. Idempotent: run it as often as you like.
#   scripts/services.sh [start|stop|status]     (uses $SWITCHBOARD_CONFIG_DIR or ./config)
#   scripts/services.sh tools                    also installs the test peers (sipp, baresip, kamailio, chromium, haproxy, an emoji font)
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
  if tcp_open "$SB_REDIS_HOST" "$SB_REDIS_PORT"; then
    say "Redis answers on $SB_REDIS_HOST:$SB_REDIS_PORT"
    check_redis_durable
    return
  fi
  ensure_pkg redis-server redis-server
  say "starting Redis on $SB_REDIS_HOST:$SB_REDIS_PORT"
  mkdir -p "$RUN/redis"
  # BullMQ jobs must survive a restart and never be evicted.
  redis-server --bind "$SB_REDIS_HOST" --port "$SB_REDIS_PORT" --dir "$RUN/redis" --appendonly yes \
    --maxmemory-policy noeviction --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$RUN/logs/redis.log" \
    || die "redis-server failed (see $RUN/logs/redis.log)"
  wait_tcp "$SB_REDIS_HOST" "$SB_REDIS_PORT" 20 Redis
}

# A Redis we did not start may lose scheduled callbacks (no append-only file) or evict them; the
# server warns too, at every start. CONFIG may be disabled on a managed Redis: then say nothing.
check_redis_durable() {
  command -v redis-cli >/dev/null || return 0
  local aof policy
  aof=$(redis-cli -h "$SB_REDIS_HOST" -p "$SB_REDIS_PORT" config get appendonly 2>/dev/null | sed -n 2p)
  policy=$(redis-cli -h "$SB_REDIS_HOST" -p "$SB_REDIS_PORT" config get maxmemory-policy 2>/dev/null | sed -n 2p)
  if [ -n "$aof" ] && [ "$aof" != yes ]; then say "warning: Redis runs without its append-only file (appendonly $aof): scheduled callbacks are lost if it restarts"; fi
  if [ -n "$policy" ] && [ "$policy" != noeviction ]; then say "warning: Redis may evict keys (maxmemory-policy $policy): set noeviction for jobs"; fi
  return 0
}

# The client port's certificate when xmpp.tls is not set: self-signed, made once into <dir>
# (scripts/xmpp-cert.sh, which the Docker image of Prosody uses too).
ensure_xmpp_cert() { # dir
  ensure_pkg openssl openssl
  bash "$ROOT/scripts/xmpp-cert.sh" "$1/$SB_XMPP_DOMAIN.crt" "$1/$SB_XMPP_DOMAIN.key" "$SB_XMPP_DOMAIN" "$SB_XMPP_MUC_DOMAIN" \
    ${SB_XMPP_UPLOAD_DOMAIN:+"$SB_XMPP_UPLOAD_DOMAIN"} || die "no certificate for Prosody's client port"
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

# The local mail system of the example configuration: Postfix takes Switchboard's mail on
# smtp.host:smtp.port (and anyone's on 127.0.0.1) and hands every message, whatever its domain, to
# Dovecot, whose IMAP on imap.host:imap.port serves the mailboxes (any address, with the imap
# password of the configuration). Nothing leaves the machine: the support mailbox, customers'
# addresses in tests and transcripts all land here. Production points smtp:/imap: at the
# company's servers, and then nothing is started.
mail_conf() { # dir: writes dovecot.conf and postfix/{main,master}.cf for this configuration
  local dir=$1 boxes="$1/boxes"
  mkdir -p "$dir/postfix" "$dir/dovecot" "$dir/dovecot-state" "$dir/spool" "$dir/data" "$boxes"
  # Postfix and Dovecot work as their own users, who must reach their folders in the run directory.
  chmod 755 "$RUN" "$dir" "$dir/spool" "$dir/postfix"
  chown mail:mail "$boxes" && chmod 700 "$boxes" && chown postfix "$dir/data"
  cat >"$dir/dovecot.conf" <<EOF
# Generated by scripts/services.sh from config/switchboard.yaml (imap:); edits are overwritten.
base_dir = $dir/dovecot
state_dir = $dir/dovecot-state
instance_name = switchboard-dovecot
listen = $SB_IMAP_HOST
protocols = imap lmtp
# Loopback only: the configuration's imap.secure is false for this server.
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = $RUN/logs/dovecot.log
mail_location = maildir:~/Maildir
mail_uid = mail
mail_gid = mail
first_valid_uid = $(id -u mail)
last_valid_uid = $(id -u mail)
first_valid_gid = $(id -g mail)
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = static
  args = password=$SB_IMAP_PASSWORD
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$boxes/%Ld/%Ln allow_all_users=yes
}
service imap-login {
  inet_listener imap {
    address = $SB_IMAP_HOST
    port = $SB_IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
    user = postfix
  }
}
protocol lmtp {
  postmaster_address = postmaster@$SB_MAIL_DOMAIN
}
EOF
  cat >"$dir/postfix/main.cf" <<EOF
# Generated by scripts/services.sh from config/switchboard.yaml (smtp:); edits are overwritten.
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $SB_MAIL_DOMAIN
mydestination =
inet_interfaces = $SB_SMTP_HOST
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
# Every domain is delivered to Dovecot: nothing is relayed off the machine.
virtual_mailbox_domains = static:all
virtual_mailbox_maps = static:all
virtual_transport = lmtp:unix:$dir/dovecot/lmtp
local_transport = error:local delivery is not used
relayhost =
alias_maps =
alias_database =
maillog_file_prefixes = $RUN/logs
maillog_file = $RUN/logs/postfix.log
# Above the largest mail the mail channel accepts, so that its own limit is what a sender meets.
message_size_limit = 41943040
biff = no
append_dot_mydomain = no
smtputf8_enable = yes
EOF
  # Debian's service table, with smtpd on the configured address only and nothing chrooted (the
  # delivery socket lives in the run directory).
  awk -v listen="$SB_SMTP_HOST:$SB_SMTP_PORT" '/^smtp +inet/ { print listen "  inet  n  -  n  -  -  smtpd"; next } /^(submission|submissions|smtps) +inet/ { next } { print }' \
    /etc/postfix/master.cf | sed -E 's/^([a-z0-9.:-]+ +[a-z-]+ +[-yn] +[-yn] +)y /\1n /' >"$dir/postfix/master.cf"
}

start_mail() {
  [ -n "$SB_SMTP_PORT" ] || { say "no smtp: in the configuration: no local mail server"; return 0; }
  case "$SB_SMTP_HOST" in 127.*|localhost) ;; *) say "smtp: points at $SB_SMTP_HOST: that mail server is used"; return 0 ;; esac
  if tcp_open "$SB_SMTP_HOST" "$SB_SMTP_PORT" && { [ -z "$SB_IMAP_PORT" ] || tcp_open "$SB_IMAP_HOST" "$SB_IMAP_PORT"; }; then
    say "mail server answers on $SB_SMTP_HOST:$SB_SMTP_PORT${SB_IMAP_PORT:+ (IMAP $SB_IMAP_HOST:$SB_IMAP_PORT)}"
    return 0
  fi
  [ -n "$SB_IMAP_PORT" ] || die "smtp: points at this machine but imap: is not set: the local mail server needs both (switchboard.yaml)"
  if ! command -v postfix >/dev/null 2>&1; then
    # Debian's postinst would otherwise write a system-wide configuration for port 25.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
  fi
  ensure_pkg postfix postfix dovecot dovecot-imapd /usr/lib/dovecot/lmtp dovecot-lmtpd script bsdutils
  local dir="$RUN/mail"
  mail_conf "$dir"
  if ! tcp_open "$SB_IMAP_HOST" "$SB_IMAP_PORT"; then
    say "starting Dovecot: IMAP on $SB_IMAP_HOST:$SB_IMAP_PORT"
    dovecot -c "$dir/dovecot.conf" </dev/null >>"$RUN/logs/dovecot.out" 2>&1 || die "dovecot did not start (see $RUN/logs/dovecot.log)"
    wait_tcp "$SB_IMAP_HOST" "$SB_IMAP_PORT" 20 Dovecot
  fi
  if ! tcp_open "$SB_SMTP_HOST" "$SB_SMTP_PORT"; then
    say "starting Postfix: SMTP on $SB_SMTP_HOST:$SB_SMTP_PORT"
    # postfix reports problems to syslog or to a terminal: give it one, so that they reach the log.
    script -qec "postfix -c '$dir/postfix' start" /dev/null >>"$RUN/logs/postfix.out" 2>&1 \
      || die "postfix did not start (see $RUN/logs/postfix.out and $RUN/logs/postfix.log)"
    wait_tcp "$SB_SMTP_HOST" "$SB_SMTP_PORT" 20 Postfix
  fi
}

stop_mail() {
  local dir="$RUN/mail"
  if [ -f "$dir/spool/pid/master.pid" ] && kill -0 "$(tr -d ' ' <"$dir/spool/pid/master.pid")" 2>/dev/null; then
    say "stopping postfix"
    script -qec "postfix -c '$dir/postfix' stop" /dev/null >/dev/null 2>&1 || true
  fi
  pid_alive "$dir/dovecot/master.pid" && { say "stopping dovecot"; kill "$(cat "$dir/dovecot/master.pid")"; }
  return 0
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
  stop_mail
}

case "${1:-start}" in
  start) start_mariadb; start_redis; start_prosody; start_rtpengine; start_mail; ensure_fonts; say "services ready" ;;
  tools)
    ensure_pkg sipp sip-tester baresip baresip kamailio kamailio chromium chromium openssl openssl wfuzz wfuzz pdftotext poppler-utils luac5.1 lua5.1 haproxy haproxy
    # The test browser shows emoji as visitors' browsers do (the bubble, chat lines, screenshots).
    ensure_pkg /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf fonts-noto-color-emoji
    say "test tools ready" ;;
  stop) stop_own ;;
  status)
    tcp_open "$SB_DB_HOST" "$SB_DB_PORT" && echo "mariadb: up" || echo "mariadb: down"
    tcp_open "$SB_REDIS_HOST" "$SB_REDIS_PORT" && echo "redis: up" || echo "redis: down"
    tcp_open "$SB_XMPP_HOST" "$SB_XMPP_COMPONENT_PORT" && echo "prosody: up" || echo "prosody: down"
    rtpengine_ping && echo "rtpengine: up" || echo "rtpengine: down"
    [ -z "$SB_SMTP_PORT" ] || { tcp_open "$SB_SMTP_HOST" "$SB_SMTP_PORT" && echo "smtp: up" || echo "smtp: down"; }
    [ -z "$SB_IMAP_PORT" ] || { tcp_open "$SB_IMAP_HOST" "$SB_IMAP_PORT" && echo "imap: up" || echo "imap: down"; } ;;
  *) die "usage: scripts/services.sh [start|stop|status|tools]" ;;
esac
