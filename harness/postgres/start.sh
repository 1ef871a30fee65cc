#!/bin/sh
# A TLS certificate of this container's own; the cluster Debian's package made, started; the user and database
# `playbook`, with the password this container was given (never one baked into the image); then the ready line,
# once, and the server's log. The server is not restarted after the ready line, so a client that waits for it finds
# the server up.
set -eu
: "${PLAYBOOK_DB_PASSWORD:?start the container with PLAYBOOK_DB_PASSWORD}"
make-ssl-cert generate-default-snakeoil --force-overwrite  # this container's own TLS key (postgresql.conf names it)
pg_ctlcluster 15 main start
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<SQL
CREATE USER playbook PASSWORD '$PLAYBOOK_DB_PASSWORD';
CREATE DATABASE playbook OWNER playbook;
SQL
echo "postgres: the playbook database is ready"
exec tail -F /var/log/postgresql/postgresql-15-main.log
