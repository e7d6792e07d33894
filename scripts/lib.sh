# Shared set-up for scripts/demo and scripts/test. Sourced, not run.

# Installs Debian packages with apt-get (through sudo when not root).
apt_install() {
    echo "installing $* with apt-get" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    # Another install at the same time (.ci/run's early image build) is waited for, not failed on.
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}

# PostgreSQL's server binaries (initdb, postgres): the private database needs them unless
# DATABASE_URL points at a running server.
ensure_postgres() {
    if [ -n "${DATABASE_URL:-}" ] || [ -n "${PG_BINDIR:-}" ] || command -v initdb >/dev/null 2>&1 \
        || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        return 0
    fi
    apt_install postgresql
}

# nginx, for the fault tests on the production topology (tests/faults) and `tutorchat-dev topology`;
# openssl makes its self-signed certificate, curl talks TLS to it in the tests, libfaketime
# skews a replica's clock.
ensure_nginx() {
    local packages=()
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || packages+=(nginx)
    command -v openssl >/dev/null 2>&1 || packages+=(openssl)
    command -v curl >/dev/null 2>&1 || packages+=(curl)
    # libfaketime: the clock-skew fault test runs one replica under a clock 90 s off.
    ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || packages+=(faketime)
    [ "${#packages[@]}" -eq 0 ] || apt_install "${packages[@]}"
}

# The PDF export: Debian's DejaVu fonts set it (EXPORT_FONT), Symbola draws its emoji
# (EXPORT_FALLBACK_FONT), poppler's pdfinfo, pdftoppm and pdftotext check it in the tests.
# pgBackRest: the restore drill's fault test backs the topology's PostgreSQL up with it.
ensure_pgbackrest() {
    command -v pgbackrest >/dev/null 2>&1 || apt_install pgbackrest
}

# Patroni and etcd, for the HA topology (`tutorchat-dev topology --ha`) and its fault tests.
ensure_ha() {
    local packages=()
    command -v patroni >/dev/null 2>&1 || packages+=(patroni)
    command -v etcd >/dev/null 2>&1 || packages+=(etcd-server)
    [ "${#packages[@]}" -eq 0 ] || apt_install "${packages[@]}"
}

ensure_pdf_tools() {
    local packages=()
    [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core)
    [ -f /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ] || packages+=(fonts-symbola)
    command -v pdftoppm >/dev/null 2>&1 || packages+=(poppler-utils)
    [ "${#packages[@]}" -eq 0 ] || apt_install "${packages[@]}"
}

# moto's server mode: the S3-compatible store the attachment tests run against.
ensure_moto() {
    command -v moto_server >/dev/null 2>&1 && return
    if ! python3 -m pip --version >/dev/null 2>&1; then
        apt_install python3-pip
    fi
    python3 -m pip install --quiet 'moto[server]' 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages 'moto[server]'
    command -v moto_server >/dev/null 2>&1 || export MOTO_SERVER="$(python3 -c 'import sys, os; print(os.path.join(os.path.dirname(sys.executable), "moto_server"))')"
}

# The local Web Push service the push-notification tests send to (tests/push/receiver.py): its
# libraries (http-ece, cryptography, PyJWT), pinned in tests/push/requirements.txt, in a
# virtualenv rebuilt when that file changes (its hash is kept in the venv). Exports
# PUSH_RECEIVER_PYTHON, the venv's python, which tests/api/helpers/push.rs runs it with.
ensure_push_receiver() {
    local root venv requirements want
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    venv="${PUSH_VENV:-$root/.data/push-venv}"
    requirements="$root/tests/push/requirements.txt"
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [ "$(cat "$venv/.requirements" 2>/dev/null || true)" != "$want" ]; then
        echo "installing the push receiver's libraries into $venv" >&2
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            rm -rf "$venv"
            apt_install python3-venv
            python3 -m venv "$venv" || return 1
        fi
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
            -r "$requirements" || return 1
        echo "$want" >"$venv/.requirements"
    fi
    PUSH_RECEIVER_PYTHON="$(cd "$venv/bin" && pwd)/python"
    export PUSH_RECEIVER_PYTHON
}

# The WebSocket client the `/api/v1` socket's tests drive (tests/ws/client.py): Python's
# `websockets`, pinned in tests/ws/requirements.txt, in a virtualenv rebuilt when that file
# changes. Exports WS_CLIENT_PYTHON, the venv's python, which tests/api/helpers/ws.rs runs it with.
ensure_ws_client() {
    local root venv requirements want
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    venv="${WS_VENV:-$root/.data/ws-venv}"
    requirements="$root/tests/ws/requirements.txt"
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [ "$(cat "$venv/.requirements" 2>/dev/null || true)" != "$want" ]; then
        echo "installing the WebSocket test client's library into $venv" >&2
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            rm -rf "$venv"
            apt_install python3-venv
            python3 -m venv "$venv" || return 1
        fi
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
            -r "$requirements" || return 1
        echo "$want" >"$venv/.requirements"
    fi
    WS_CLIENT_PYTHON="$(cd "$venv/bin" && pwd)/python"
    export WS_CLIENT_PYTHON
}

# The official socket.io client that the messenger dialect's tests drive from node
# (tests/socketio, its versions pinned by the package-lock), installed again when the lock changes.
ensure_socketio_client() {
    local dir want
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/socketio"
    command -v node >/dev/null || apt_install nodejs npm
    want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$dir/node_modules/.installed-lock" 2>/dev/null || true)" != "$want" ]; then
        echo "installing the socket.io test client into $dir/node_modules" >&2
        npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error || return 1
        echo "$want" >"$dir/node_modules/.installed-lock"
    fi
}
