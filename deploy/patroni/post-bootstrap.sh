#!/bin/sh
# Patroni's post_bootstrap (deploy/patroni/patroni.yml): run once, as postgres, on the node that
# has just initialised the cluster, before it takes the leader key. It creates the database,
# then the roles with compose.yaml's own script (deploy/postgres-init.sh), which reads
# TUTORCHAT_OWNER_PASSWORD and TUTORCHAT_RUNTIME_PASSWORD from the environment compose.ha.yaml
# sets. Patroni passes a connection string as $1; the server's socket (trusted for local
# connections, patroni.yml) serves just as well, and the same way for both commands.
set -eu
export PGHOST=/var/run/postgresql
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres -c 'CREATE DATABASE tutorchat'
POSTGRES_USER=postgres POSTGRES_DB=tutorchat exec /usr/local/lib/tutorchat/postgres-init.sh
