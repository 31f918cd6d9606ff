#!/bin/bash
# Initialises the data directory on the first start; on every start (before it accepts
# connections, through --init-file) makes sure Switchboard's database and user exist with the
# password from the env file, so changing it there and restarting is enough.
set -euo pipefail
port=${SWITCHBOARD_DB_PORT:-3306} name=${SWITCHBOARD_DB_NAME:-switchboard} user=${SWITCHBOARD_DB_USER:-switchboard}
password=${SWITCHBOARD_DB_PASSWORD:?set SWITCHBOARD_DB_PASSWORD in the env file}
for v in "$name" "$user"; do
  [[ $v =~ ^[A-Za-z0-9_]{1,64}$ ]] || { echo "mariadb: '$v' is not a valid database or user name (letters, digits, _)" >&2; exit 1; }
done
if [ ! -d /var/lib/mysql/mysql ]; then
  echo "mariadb: initialising the data directory"
  # root is reachable only through the socket inside this container.
  mariadb-install-db --datadir=/var/lib/mysql --auth-root-authentication-method=socket --skip-test-db >/dev/null
fi
quoted=${password//\\/\\\\}
quoted=${quoted//\'/\\\'}
init=/run/mysqld/init.sql
(umask 077 && : >"$init")
for h in 127.0.0.1 localhost; do
  cat >>"$init" <<SQL
CREATE USER IF NOT EXISTS '$user'@'$h' IDENTIFIED BY '$quoted';
ALTER USER '$user'@'$h' IDENTIFIED BY '$quoted';
GRANT ALL PRIVILEGES ON \`$name\`.* TO '$user'@'$h';
SQL
done
echo "CREATE DATABASE IF NOT EXISTS \`$name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;" >>"$init"
exec mariadbd --datadir=/var/lib/mysql --socket=/run/mysqld/mysqld.sock --bind-address=127.0.0.1 --port="$port" \
  --skip-name-resolve --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --init-file="$init" "$@"
