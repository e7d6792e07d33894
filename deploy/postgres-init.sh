#!/bin/sh
# The database roles of a least-privilege deployment (compose.yaml mounts this into the
# postgres image's /docker-entrypoint-initdb.d, so it runs once, when the data volume is
# created, as POSTGRES_USER; compose.ha.yaml's deploy/patroni/post-bootstrap.sh runs it the same
# way, once, when Patroni bootstraps the cluster, after creating the database):
#   tutorchat_owner    owns the database and its schema; `tutorchat migrate` connects as it
#   tutorchat_app      the group the migrations grant the replicas' rights to (read, append
#                      to the log, complete lessons: sql/V26__baseline.sql)
#   tutorchat_runtime  the replicas' login, a member of tutorchat_app
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner_password="$TUTORCHAT_OWNER_PASSWORD" \
    -v runtime_password="$TUTORCHAT_RUNTIME_PASSWORD" <<'SQL'
CREATE ROLE tutorchat_app NOLOGIN;
CREATE ROLE tutorchat_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE tutorchat_runtime LOGIN PASSWORD :'runtime_password' IN ROLE tutorchat_app;
ALTER DATABASE tutorchat OWNER TO tutorchat_owner;
ALTER SCHEMA public OWNER TO tutorchat_owner;
SQL
