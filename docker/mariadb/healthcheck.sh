#!/bin/bash
# Healthy when Switchboard's user can query its database over TCP, as the server will.
MYSQL_PWD=$SWITCHBOARD_DB_PASSWORD exec mariadb --protocol=tcp -h 127.0.0.1 -P "${SWITCHBOARD_DB_PORT:-3306}" \
  -u "${SWITCHBOARD_DB_USER:-switchboard}" -e 'SELECT 1' "${SWITCHBOARD_DB_NAME:-switchboard}" >/dev/null
