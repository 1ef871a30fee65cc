#!/bin/sh
# The cluster Debian's package made, started; the user and database `playbook`, with the password this container
# was given (never one baked into the image); then the server in the foreground, logging to stderr.
set -eu
: "${PLAYBOOK_DB_PASSWORD:?start the container with PLAYBOOK_DB_PASSWORD}"
pg_ctlcluster 15 main start
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<SQL
CREATE USER playbook PASSWORD '$PLAYBOOK_DB_PASSWORD';
CREATE DATABASE playbook OWNER playbook;
SQL
pg_ctlcluster 15 main stop
echo "postgres: the playbook database is set up"
exec su postgres -c "exec /usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf"
