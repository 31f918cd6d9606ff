# Shared helpers for Switchboard's scripts. Sourced, not run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN="${SWITCHBOARD_RUN_DIR:-$ROOT/.run}"
mkdir -p "$RUN/logs"
NODE="$ROOT/node_modules/.bin/node"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# True when something accepts TCP connections on host:port.
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && exec 3>&- 3<&-; }

wait_tcp() { # host port seconds what
  local i
  for ((i = 0; i < $3 * 10; i++)); do tcp_open "$1" "$2" && return 0; sleep 0.1; done
  die "$4 did not start listening on $1:$2 within $3 s (see $RUN/logs)"
}

APT_UPDATED=0
# Installs Debian packages that are missing; names of commands map to their packages.
ensure_pkg() { # command package [command package ...]; a command may be a file's path (fonts)
  local missing=()
  while (($#)); do { command -v "$1" || [ -e "$1" ]; } >/dev/null 2>&1 || missing+=("$2"); shift 2; done
  ((${#missing[@]})) || return 0
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}: run as root or install them with apt-get"
  say "installing ${missing[*]}"
  # Another install on the machine (a second script, unattended upgrades) holds dpkg's lock for a
  # while: wait for it instead of failing.
  if [ "$APT_UPDATED" = 0 ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq >"$RUN/logs/apt.log" 2>&1 || true; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >>"$RUN/logs/apt.log" 2>&1 \
    || die "apt-get install ${missing[*]} failed (see $RUN/logs/apt.log)"
}

# Node 24 LTS comes from the npm registry (the machine's Node may be older); dependencies from the lockfile.
ensure_node_modules() {
  command -v npm >/dev/null || ensure_pkg npm npm
  if [ ! -x "$NODE" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    say "installing npm dependencies"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  fi
  export PATH="$ROOT/node_modules/.bin:$PATH"
}

build() {
  say "building"
  (cd "$ROOT" && npm run --silent build) || die "build failed"
}

cli() { "$NODE" "$ROOT/server/dist/cli.js" "$@"; }

# Secrets the example configuration reads from the environment, generated once per machine into
# .run/secrets.env (mode 600). Values already in the environment win.
load_secrets() {
  local f="$RUN/secrets.env"
  if [ ! -f "$f" ]; then
    # Only this file is private: a umask left behind would make every later folder unreadable to
    # the services' own users (postfix, dovecot).
    (umask 077 && printf 'SWITCHBOARD_ADMIN_PASSWORD=%s\n' "$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')" >"$f")
  fi
  local line k
  while IFS= read -r line; do
    k=${line%%=*}
    [ -n "${!k:-}" ] || export "$line"
  done <"$f"
}
load_secrets
