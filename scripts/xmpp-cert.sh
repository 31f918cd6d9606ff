#!/usr/bin/env bash
# Prosody's client-port certificate when the configuration names none (xmpp.tls): self-signed for
# the XMPP domain and its components, made once and kept until it nears its end or the domains
# change. Used by scripts/services.sh and by the Prosody image. Agents' XMPP clients ask to trust
# it once (its fingerprint: openssl x509 -noout -fingerprint -sha256 -in <crt>).
#   scripts/xmpp-cert.sh <crt> <key> <domain> [<component domain>...]
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: xmpp-cert.sh <crt> <key> <domain> [<component domain>...]" >&2; exit 2; }
crt=$1 key=$2 domain=$3
shift 2
san=$(printf 'DNS:%s,' "$@")
san=${san%,}
if [ -f "$crt" ] && [ -f "$key" ] && openssl x509 -in "$crt" -noout -checkend 2592000 >/dev/null 2>&1 \
  && [ "$(openssl x509 -in "$crt" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ')" = "$san" ]; then
  exit 0
fi
echo "generating a self-signed certificate for $domain in $(dirname "$crt") (xmpp.tls sets your own)" >&2
mkdir -p "$(dirname "$crt")"
# 825 days: the longest validity Apple's clients accept for a server certificate.
out=$( (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$domain" -addext "subjectAltName=$san" \
  -keyout "$key.new" -out "$crt.new") 2>&1) || { echo "openssl could not create the certificate: $out" >&2; exit 1; }
chmod 644 "$crt.new"
mv -f "$key.new" "$key" && mv -f "$crt.new" "$crt"
