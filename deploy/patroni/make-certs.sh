#!/bin/sh
# The HA tier's certificates (docs/high-availability.md, "Certificates and passwords"): one small
# certificate authority for the cluster and a certificate per host, signed by it. Every server of
# the tier (etcd's client and peer ports, PostgreSQL, Patroni's REST API) presents its host's
# certificate, and every client of the tier (Patroni to etcd, an etcd member to its peers, a
# standby to its primary) presents it too and checks the other side's against the CA: nothing
# outside the CA's hosts can talk to etcd, and the standby streams only from the real primary.
#
#   make-certs.sh CA_DIR OUT_DIR OWNER SAN...
#
# CA_DIR keeps the CA (ca.crt, ca.key: kept, made only if missing); OUT_DIR receives ca.crt,
# server.crt and server.key (0600, owned by OWNER when run as root): what one host needs, the
# same file names everywhere. SANs are the names the host is reached by (DNS:pg1, IP:127.0.0.1).
# compose.ha.yaml's `tls` service runs it once per host; `tutorchat-dev topology --ha` once, for
# 127.0.0.1. Across machines, run it on an admin machine and copy each host only its OUT_DIR.
set -eu
[ $# -ge 4 ] || { echo "usage: $0 CA_DIR OUT_DIR OWNER SAN..." >&2; exit 2; }
ca=$1 out=$2 owner=$3
shift 3
sans=$(echo "$@" | tr ' ' ',')
umask 077
mkdir -p "$ca" "$out"
# Kept once made (compose runs this at every `up`): to renew, delete server.crt and run again.
if [ -s "$out/server.crt" ]; then
    exit 0
fi
if [ ! -s "$ca/ca.crt" ]; then
    openssl req -x509 -new -noenc -days 3650 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -subj "/CN=tutorchat HA CA" -keyout "$ca/ca.key" -out "$ca/ca.crt" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
fi
# serverAuth and clientAuth: the same certificate answers on the host's ports and identifies it
# to the others (etcd's peers, Patroni to etcd).
openssl req -x509 -new -noenc -days 825 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -subj "/CN=${1#*:}" \
    -keyout "$out/server.key" -out "$out/server.crt" \
    -addext "subjectAltName=$sans" -addext basicConstraints=critical,CA:FALSE \
    -addext keyUsage=critical,digitalSignature,keyEncipherment \
    -addext extendedKeyUsage=serverAuth,clientAuth 2>/dev/null
cp "$ca/ca.crt" "$out/ca.crt"
chmod 0600 "$out/server.key"
chmod 0644 "$out/server.crt" "$out/ca.crt"
if [ "$(id -u)" = 0 ]; then
    chown "$owner" "$out" "$out/server.key" "$out/server.crt" "$out/ca.crt"
fi
