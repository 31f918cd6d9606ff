#!/bin/bash
# Healthy when Prosody listens on the component port Switchboard connects to.
# shellcheck source=/dev/null
. /etc/prosody/switchboard/xmpp.env
exec listening.sh tcp "$SB_XMPP_COMPONENT_PORT"
