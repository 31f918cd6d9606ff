#!/bin/bash
# Starts Prosody with the configuration the setup service rendered into /etc/prosody/switchboard
# (prosody.cfg.lua, and xmpp.env: domains, service account, component port), logging to the
# container's output. Without xmpp.tls, the client port gets a self-signed certificate, kept in
# the certificates volume.
set -euo pipefail
src=/etc/prosody/switchboard
[ -f "$src/xmpp.env" ] || { echo "prosody: $src/xmpp.env is missing: the setup service renders it" >&2; exit 1; }
# shellcheck source=/dev/null
. "$src/xmpp.env"
cfg=/run/prosody/prosody.cfg.lua
sed -E 's|^log = .*|log = { info = "*console" }|' "$src/prosody.cfg.lua" >"$cfg"
if [ -z "$SB_XMPP_TLS_CERT" ]; then
  xmpp-cert.sh "/etc/prosody/certs/$SB_XMPP_DOMAIN.crt" "/etc/prosody/certs/$SB_XMPP_DOMAIN.key" \
    "$SB_XMPP_DOMAIN" "$SB_XMPP_MUC_DOMAIN" ${SB_XMPP_UPLOAD_DOMAIN:+"$SB_XMPP_UPLOAD_DOMAIN"}
fi
prosodyctl --config "$cfg" register "$SB_XMPP_USER" "$SB_XMPP_DOMAIN" "$SB_XMPP_PASSWORD" >/dev/null
exec prosody --config "$cfg" -F
