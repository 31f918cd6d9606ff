#!/usr/bin/env bash
# Switchboard on Docker, the way IT runs it on one host. Installs Debian's Docker engine and
# docker-compose when they are missing, starts dockerd when none answers (and leaves it running),
# builds every image from Debian's packages and the npm registry (no image registry is needed:
# the Debian base is made with debootstrap and cached), and runs docker/compose.yaml.
#   scripts/docker.sh [--env-file <file>] build          build (or refresh) every image
#   scripts/docker.sh [--env-file <file>] up             build, start, wait until every service is healthy
#   scripts/docker.sh [--env-file <file>] down [-v]      stop and remove the containers (-v: and the data)
#   scripts/docker.sh [--env-file <file>] logs|ps|restart|exec|... [args]   any docker-compose command
#   scripts/docker.sh engine | engine-stop               start dockerd / stop the one this script started
#   scripts/docker.sh base                               make sure the Debian base image is there
# The env file (default docker/.env; created from docker/env.example with random secrets when
# missing) holds the secrets, the ports and where the configuration folder is.
source "$(dirname "$0")/lib.sh"

SUITE=bookworm
BASE_IMAGE="debian:$SUITE-slim"
# The base is rebuilt (and every image with it) when it is older than this: Debian's security updates.
BASE_MAX_AGE_DAYS=${SWITCHBOARD_BASE_MAX_AGE_DAYS:-7}
CACHE=${SWITCHBOARD_DOCKER_CACHE:-/var/cache/switchboard-docker}
COMPOSE_FILE="$ROOT/docker/compose.yaml"
ENV_FILE=${SWITCHBOARD_DOCKER_ENV:-$ROOT/docker/.env}
if [ "${1:-}" = --env-file ]; then
  [ -n "${2:-}" ] || die "usage: scripts/docker.sh --env-file <file> <command>"
  ENV_FILE=$(realpath "$2")
  shift 2
fi

ensure_pkg dockerd docker.io docker-compose docker-compose debootstrap debootstrap flock util-linux
# Debian's client matches Debian's engine (20.10), whose classic `docker build` runs BuildKit
# without the buildx plugin that newer clients need for it.
DOCKER=$( [ -x /usr/bin/docker ] && echo /usr/bin/docker || command -v docker )

engine_up() { "$DOCKER" info >/dev/null 2>&1; }

start_engine() {
  engine_up && return 0
  [ "$(id -u)" = 0 ] || die "no Docker engine answers; start dockerd (as root) or run this as root"
  exec 9>/run/switchboard-dockerd.lock
  flock 9
  if ! engine_up; then
    say "starting dockerd (log: $RUN/logs/dockerd.log)"
    # No bridge, no iptables rules: every container uses the host's network, as SIP and RTP need.
    # Its own session, so that stopping whoever started it does not stop the engine.
    setsid dockerd --iptables=false --ip6tables=false --bridge=none </dev/null >"$RUN/logs/dockerd.log" 2>&1 &
    echo $! >"$RUN/dockerd.pid"
    local i
    for ((i = 0; i < 600; i++)); do engine_up && break; sleep 0.1; done
    engine_up || die "dockerd did not answer within 60 s (see $RUN/logs/dockerd.log)"
  fi
  flock -u 9
}

stop_engine() {
  local f="$RUN/dockerd.pid"
  if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && grep -q dockerd "/proc/$(cat "$f")/cmdline"; then
    say "stopping the dockerd this script started (pid $(cat "$f"))"
    kill "$(cat "$f")"
    rm -f "$f"
  else
    say "no dockerd started by this checkout is running: nothing stopped"
  fi
}

# A minimal Debian made with debootstrap, shaped like Debian's official slim image (no docs or
# man pages, no recommends, services never started by package scripts), imported under the
# official image's name so the same Dockerfiles build here and against the public registry.
# The root filesystem is cached as a tarball keyed by suite and date, shared by every checkout.
make_base_tarball() { # file
  local dir
  dir=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  say "debootstrap $SUITE into $dir (a few minutes, once per $BASE_MAX_AGE_DAYS days)"
  debootstrap --variant=minbase "$SUITE" "$dir" http://deb.debian.org/debian >"$RUN/logs/debootstrap.log" 2>&1 \
    || { rm -rf "$dir"; die "debootstrap failed (see $RUN/logs/debootstrap.log)"; }
  rm -f "$dir/etc/apt/sources.list"
  cat >"$dir/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$dir/etc/apt/apt.conf.d/docker-no-recommends"
  printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\n' \
    >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim"
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d" && chmod 755 "$dir/usr/sbin/policy-rc.d"
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/usr/share/doc/* "$dir"/usr/share/man/*
  tar --numeric-owner -C "$dir" -cf "$1.part" . && mv "$1.part" "$1"
  rm -rf "$dir"
}

ensure_base() {
  mkdir -p "$CACHE"
  exec 8>"$CACHE/.lock"
  flock 8
  local tar id
  tar=$(find "$CACHE" -maxdepth 1 -name "debian-$SUITE-*.tar" -mtime -"$BASE_MAX_AGE_DAYS" | sort | tail -1)
  if [ -z "$tar" ]; then
    tar="$CACHE/debian-$SUITE-$(date +%Y%m%d).tar"
    make_base_tarball "$tar"
  fi
  # The imported image's id is kept next to the tarball: a different one means another import.
  id=$("$DOCKER" image inspect -f '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)
  if [ -z "$id" ] || [ "$id" != "$(cat "$tar.image" 2>/dev/null)" ]; then
    say "importing $(basename "$tar") as $BASE_IMAGE"
    "$DOCKER" import --change 'CMD ["bash"]' "$tar" "$BASE_IMAGE" >/dev/null || die "docker import failed"
    "$DOCKER" image inspect -f '{{.Id}}' "$BASE_IMAGE" >"$tar.image"
  fi
  find "$CACHE" -maxdepth 1 -name "debian-$SUITE-*.tar*" ! -name "$(basename "$tar")*" -delete
  flock -u 8
}

# A new env file: the example with random secrets (mode 600). Values already set are kept.
ensure_env_file() {
  [ -f "$ENV_FILE" ] && return 0
  say "creating $ENV_FILE from docker/env.example with random secrets (edit SWITCHBOARD_PUBLIC_URL)"
  local line k
  (umask 077 && : >"$ENV_FILE")
  while IFS= read -r line; do
    k=${line%%=*}
    if [[ $line =~ ^SWITCHBOARD_[A-Z_]*PASSWORD=$ ]]; then
      line="$k=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')"
    fi
    printf '%s\n' "$line" >>"$ENV_FILE"
  done <"$ROOT/docker/env.example"
}

compose() {
  [ -f "$ENV_FILE" ] || die "no env file $ENV_FILE (scripts/docker.sh up creates docker/.env)"
  # The env file alone decides: docker-compose would prefer the calling shell's variables (and
  # lib.sh exports the non-Docker checkout's generated admin password).
  local unset=() v
  for v in $(compgen -e); do [[ $v =~ ^(SWITCHBOARD_|COMPOSE_PROJECT_NAME$) ]] && unset+=(-u "$v"); done
  # COMPOSE_DOCKER_CLI_BUILD: docker-compose builds through the docker client, so with BuildKit
  # (cache mounts keep npm's downloads between builds).
  env "${unset[@]}" PATH="$(dirname "$DOCKER"):$PATH" COMPOSE_DOCKER_CLI_BUILD=1 DOCKER_BUILDKIT=1 \
    docker-compose --project-directory "$ROOT/docker" -f "$COMPOSE_FILE" --env-file "$ENV_FILE" "$@"
}

build_images() {
  start_engine
  ensure_base
  # A TLS-inspecting proxy's authorities, for the builds' downloads from the npm registry.
  find "$ROOT/docker/ca-certificates" -name '*.crt' -delete
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/docker/ca-certificates/" 2>/dev/null || true
  say "building the images (log: $RUN/logs/docker-build.log)"
  # The heavy steps run under nice inside the Dockerfiles: dockerd, not this client, runs them.
  if ! compose build >"$RUN/logs/docker-build.log" 2>&1; then
    tail -40 "$RUN/logs/docker-build.log" >&2
    die "the image build failed (see $RUN/logs/docker-build.log)"
  fi
  # Images a rebuild replaced; their layers stay in the build cache, which keeps its most
  # recently used entries up to a size (every source change adds a build of its own).
  "$DOCKER" image prune -f --filter label=org.switchboard.image >/dev/null
  "$DOCKER" builder prune -f --keep-storage "${SWITCHBOARD_BUILD_CACHE_KEEP:-10GB}" >/dev/null
}

# Every container of the project running and healthy (the one-shot setup: exited with 0).
wait_healthy() { # seconds
  local i ids id state bad
  for ((i = 0; i < $1; i++)); do
    ids=$(compose ps -q)
    bad=""
    for id in $ids; do
      state=$("$DOCKER" inspect -f '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
      case "$state" in
        *" running 0 healthy" | *" exited 0 "*) ;;
        *" exited "*) compose logs --tail=40 >&2; die "a container stopped: $state" ;;
        *) bad="$bad ${state%% *}" ;;
      esac
    done
    [ -n "$ids" ] && [ -z "$bad" ] && return 0
    sleep 1
  done
  compose ps >&2
  die "not healthy within $1 s:$bad (scripts/docker.sh logs)"
}

case "${1:-up}" in
  engine) start_engine ;;
  engine-stop) stop_engine ;;
  base) start_engine; ensure_base ;;
  build) ensure_env_file; build_images ;;
  up)
    ensure_env_file
    build_images
    say "starting the containers"
    compose up -d --no-build --remove-orphans
    wait_healthy "${SWITCHBOARD_DOCKER_WAIT:-180}"
    say "every service is healthy: $(grep -E '^SWITCHBOARD_PUBLIC_URL=' "$ENV_FILE" | cut -d= -f2-) (readiness at /ready)" ;;
  wait) start_engine; wait_healthy "${2:-180}" ;;
  *) start_engine; compose "$@" ;;
esac
