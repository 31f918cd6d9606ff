#!/bin/sh
# The compose file's one-shot `setup` service, run before the others start: checks the
# configuration (a bad one stops the deployment here, naming the file and key) and renders
# Prosody's configuration from its xmpp section into the volume Prosody reads, so the
# administrator edits one place.
set -eu
out=/var/lib/switchboard/prosody
node server/dist/cli.js config check
node server/dist/cli.js services prosody-config "$out" --data-dir /var/lib/prosody --cert-dir /etc/prosody/certs >/dev/null
rmdir "$out/data" 2>/dev/null || true
# What Prosody's entrypoint needs: domains, the service account, where its component port is.
node server/dist/cli.js services env | grep -E '^SB_XMPP_(HOST|COMPONENT_PORT|DOMAIN|MUC_DOMAIN|UPLOAD_DOMAIN|USER|PASSWORD|TLS_CERT)=' >"$out/xmpp.env.new"
mv "$out/xmpp.env.new" "$out/xmpp.env"
echo "setup: Prosody's configuration is in the prosody-config volume"
# With sip.engine: drachtio, drachtio-server's configuration (the compose file's drachtio profile).
if node server/dist/cli.js services env | grep -qx "SB_SIP_ENGINE='drachtio'"; then
  node server/dist/cli.js services drachtio-config /var/lib/switchboard/drachtio >/dev/null
  echo "setup: drachtio-server's configuration is in the drachtio-config volume"
fi
