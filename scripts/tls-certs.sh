#!/usr/bin/env bash
# Makes the certificates the TLS tests use, with openssl, into one directory (made
# once; run again with --force to remake them):
#
#   ca.pem ca.key                a private CA, "healthz test CA"
#   server.pem server.key        for localhost, 127.0.0.1 and ::1, signed by the CA
#   other-host.pem other-host.key  for other-host.invalid only (a host name mismatch)
#   expired.pem expired.key      for localhost, expired since 2020 (signed by the CA)
#   client.pem client.key        a client certificate (mutual TLS), signed by the CA
#   server-chain.pem             server.pem followed by ca.pem
#
# Keys are unencrypted PKCS#8 and readable by the services (which may run as another
# user): they are test keys for loopback servers, never secrets.
#
#   scripts/tls-certs.sh [DIR] [--force]   DIR defaults to $HEALTHZ_TLS_DIR or
#                                          ~/.cache/healthz/tls; prints DIR
set -euo pipefail

dir="${HEALTHZ_TLS_DIR:-$HOME/.cache/healthz/tls}"
force=false
for arg in "$@"; do
    case "$arg" in
    --force) force=true ;;
    *) dir="$arg" ;;
    esac
done

if [[ -f "$dir/client.pem" && "$force" == false ]]; then
    echo "$dir"
    exit 0
fi
mkdir -p "$dir"
cd "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# The CA: ten years, so that the tests outlive any machine.
key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=healthz test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.pem 2>/dev/null

# sign NAME SUBJECT EXTENSIONS [START END]: a certificate signed by the CA; START and END
# (YYMMDDHHMMSSZ) set its validity through `openssl ca`, which can date it in the past.
sign() {
    local name=$1 subject=$2 extensions=$3
    key "$name.key"
    openssl req -new -key "$name.key" -subj "$subject" -out "$work/$name.csr" 2>/dev/null
    printf '%s\n' "$extensions" >"$work/$name.ext"
    if [[ $# -eq 5 ]]; then
        mkdir -p "$work/ca/new"
        : >"$work/ca/index.txt"
        cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
database = $work/ca/index.txt
new_certs_dir = $work/ca/new
serial = $work/ca/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
EOF
        openssl rand -hex 8 >"$work/ca/serial"
        openssl ca -batch -config "$work/ca.cnf" -cert ca.pem -keyfile ca.key \
            -startdate "$4" -enddate "$5" -extfile "$work/$name.ext" \
            -in "$work/$name.csr" -out "$name.pem" -notext 2>/dev/null
    else
        openssl x509 -req -in "$work/$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 3650 -sha256 -extfile "$work/$name.ext" -out "$name.pem" 2>/dev/null
    fi
}

server_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth"

sign server "/CN=localhost" "$server_ext
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
sign other-host "/CN=other-host.invalid" "$server_ext
subjectAltName=DNS:other-host.invalid"
sign expired "/CN=localhost" "$server_ext
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" 200101000000Z 200201000000Z
sign client "/CN=healthz-client" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

cat server.pem ca.pem >server-chain.pem
chmod 644 ./*.pem ./*.key
rm -f ca.srl
echo "$dir"
