#!/bin/bash
# A container's health check: healthy when a socket is bound to <port> on the host, read from the
# kernel's socket tables (TCP: listening) rather than by talking to the service, which would log
# every check.   listening.sh tcp|udp <port>
case "$1" in
  tcp) tables=(/proc/net/tcp /proc/net/tcp6) state=0A ;;
  udp) tables=(/proc/net/udp /proc/net/udp6) state=07 ;;
  *) echo "usage: listening.sh tcp|udp <port>" >&2; exit 2 ;;
esac
# Fields: sl local_address rem_address st …; addresses are hex, ports 4 hex digits.
awk -v port="$(printf ':%04X' "$2")" -v state="$state" '$2 ~ port "$" && $4 == state { found = 1 } END { exit !found }' "${tables[@]}"
