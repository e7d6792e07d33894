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

# A virtualenv at $2 with the packages pinned in $3 (a path under the repository), rebuilt when
# that file changes (its hash is kept in the venv); $1 names it in what is printed. Prints the
# venv's python.
python_venv() {
    local what="$1" venv="$2" requirements want root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    requirements="$root/$3"
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [ "$(cat "$venv/.requirements" 2>/dev/null || true)" != "$want" ]; then
        echo "installing $what into $venv" >&2
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            rm -rf "$venv"
            apt_install python3-venv >&2
            python3 -m venv "$venv" >&2 || return 1
        fi
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
            -r "$requirements" >&2 || return 1
        echo "$want" >"$venv/.requirements"
    fi
    echo "$(cd "$venv/bin" && pwd)/python"
}

# The local Web Push service the push-notification tests send to (tests/push/receiver.py): its
# libraries (http-ece, cryptography, PyJWT), pinned in tests/push/requirements.txt. Exports
# PUSH_RECEIVER_PYTHON, the venv's python, which tests/api/helpers/push.rs runs it with.
ensure_push_receiver() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    PUSH_RECEIVER_PYTHON="$(python_venv "the push receiver's libraries" "${PUSH_VENV:-$root/.data/push-venv}" \
        tests/push/requirements.txt)" || return 1
    export PUSH_RECEIVER_PYTHON
}

# The WebSocket client the `/api/v1` socket's tests drive (tests/ws/client.py): Python's
# `websockets`, pinned in tests/ws/requirements.txt. Exports WS_CLIENT_PYTHON, the venv's
# python, which tests/api/helpers/ws.rs runs it with.
ensure_ws_client() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    WS_CLIENT_PYTHON="$(python_venv "the WebSocket test client's library" "${WS_VENV:-$root/.data/ws-venv}" \
        tests/ws/requirements.txt)" || return 1
    export WS_CLIENT_PYTHON
}

# The mail server the email tests send to and read from (Python's aiosmtpd, tests/smtp/),
# pinned in tests/smtp/requirements.txt. Exports SMTP_SERVER_PYTHON, the venv's python, which
# tests/api/helpers/smtp.rs runs it with.
ensure_smtp_server() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    SMTP_SERVER_PYTHON="$(python_venv "the test mail server (aiosmtpd)" "${SMTP_VENV:-$root/.data/smtp-venv}" \
        tests/smtp/requirements.txt)" || return 1
    export SMTP_SERVER_PYTHON
}

# The official socket.io client that the messenger dialect's tests drive from node
# (tests/socketio, its versions pinned by the package-lock), installed again when the lock changes.
ensure_socketio_client() {
    command -v node >/dev/null || apt_install nodejs npm
    npm_ci_once "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/socketio" "the socket.io test client"
}

# `npm ci` in the folder $1 (naming it $2 in what is printed), unless its node_modules was
# installed from the same package-lock.json (whose hash it keeps): `npm ci` removes and
# installs everything again every time (half a minute of the client's, here).
npm_ci_once() {
    local dir="$1" want
    want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$dir/node_modules/.installed-lock" 2>/dev/null || true)" != "$want" ]; then
        echo "installing $2's packages into $dir/node_modules" >&2
        npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error || return 1
        echo "$want" >"$dir/node_modules/.installed-lock"
    fi
}
