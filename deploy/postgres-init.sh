#!/bin/sh
# The database roles of a least-privilege deployment (compose.yaml mounts this into the
# postgres image's /docker-entrypoint-initdb.d, so it runs once, when the data volume is
# created, as POSTGRES_USER; compose.ha.yaml's deploy/patroni/post-bootstrap.sh runs it the same
# way, once, when Patroni bootstraps the cluster, after creating the database):
#   tutorchat_owner    owns the database and its schema; `tutorchat migrate` connects as it
#   tutorchat_app      the group the migrations grant the replicas' rights to (read, append
#                      to the log, complete lessons: sql/V26__baseline.sql)
#   tutorchat_runtime  the replicas' login, a member of tutorchat_app
# psql reads both passwords from its environment (\getenv), never from its arguments: a
# process's arguments are visible to every user of the machine (ps), its environment is not.
set -eu
: "${TUTORCHAT_OWNER_PASSWORD:?set TUTORCHAT_OWNER_PASSWORD}" "${TUTORCHAT_RUNTIME_PASSWORD:?set TUTORCHAT_RUNTIME_PASSWORD}"
export TUTORCHAT_OWNER_PASSWORD TUTORCHAT_RUNTIME_PASSWORD
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv owner_password TUTORCHAT_OWNER_PASSWORD
\getenv runtime_password TUTORCHAT_RUNTIME_PASSWORD
CREATE ROLE tutorchat_app NOLOGIN;
CREATE ROLE tutorchat_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE tutorchat_runtime LOGIN PASSWORD :'runtime_password' IN ROLE tutorchat_app;
ALTER DATABASE tutorchat OWNER TO tutorchat_owner;
ALTER SCHEMA public OWNER TO tutorchat_owner;
SQL
