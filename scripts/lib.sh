# Shared set-up for scripts/demo and scripts/test. Sourced, not run.

# PostgreSQL's server binaries (initdb, postgres): the private database needs them unless
# DATABASE_URL points at a running server.
ensure_postgres() {
    if [ -n "${DATABASE_URL:-}" ] || [ -n "${PG_BINDIR:-}" ] || command -v initdb >/dev/null 2>&1 \
        || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        return 0
    fi
    echo "PostgreSQL server binaries not found; installing them with apt-get (package postgresql)" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# nginx, for the fault tests on the production topology (tests/faults) and `tutorchat topology`.
ensure_nginx() {
    if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
        return 0
    fi
    echo "nginx not found; installing it with apt-get (package nginx)" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
}
