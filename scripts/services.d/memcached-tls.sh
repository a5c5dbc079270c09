# Memcached with TLS (memcached -Z), one instance per certificate the TLS tests need:
# a valid one, one for another host name, an expired one, and one that requires a
# client certificate. Sourced by scripts/services.sh, which provides TLS_DIR and the
# helpers; each entry is "NAME PORT START_COMMAND…".

# memcached_tls PORT CERT [OPTIONS]: a daemon on 127.0.0.1:PORT serving CERT.pem.
memcached_tls() {
    local port=$1 cert=$2 options=${3:-}
    command -v memcached >/dev/null || apt_install memcached || return 1
    local user=nobody
    id memcache >/dev/null 2>&1 && user=memcache
    memcached -d -u "$user" -l "127.0.0.1:$port" -U 0 -m 16 -Z \
        -o "ssl_chain_cert=$TLS_DIR/$cert.pem,ssl_key=$TLS_DIR/$cert.key${options}"
}

EXTRA_SERVICES+=(
    "memcached-tls 11212 memcached_tls 11212 server"
    "memcached-tls-other-host 11213 memcached_tls 11213 other-host"
    "memcached-tls-expired 11214 memcached_tls 11214 expired"
    # ssl_verify_mode 3: the client must present a certificate the CA signed.
    "memcached-mtls 11215 memcached_tls 11215 server ,ssl_verify_mode=3,ssl_ca_cert=$TLS_DIR/ca.pem"
)
