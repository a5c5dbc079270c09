# Redis with TLS (redis-server --tls-port, Debian's build links OpenSSL), one instance
# per certificate the TLS tests need: a valid one, one for another host name, an
# expired one, and one that requires a client certificate. Each serves TLS only
# (--port 0) on 127.0.0.1, keeps nothing on disk, and has its own directory under
# ~/.cache/healthz/. Sourced by scripts/services.sh, which provides TLS_DIR, STATE_DIR
# and the helpers; each entry is "NAME PORT START_COMMAND…".

# redis_tls PORT CERT AUTH_CLIENTS: a daemon on 127.0.0.1:PORT serving CERT.pem, asking
# clients for a certificate the CA signed when AUTH_CLIENTS is yes.
redis_tls() {
    local port=$1 cert=$2 auth_clients=$3
    command -v redis-server >/dev/null || apt_install redis-server || return 1
    local dir="$HOME/.cache/healthz/redis-tls-$port"
    mkdir -p "$dir"
    redis-server --daemonize yes --bind 127.0.0.1 --port 0 --tls-port "$port" \
        --tls-cert-file "$TLS_DIR/$cert.pem" --tls-key-file "$TLS_DIR/$cert.key" \
        --tls-ca-cert-file "$TLS_DIR/ca.pem" --tls-auth-clients "$auth_clients" \
        --save "" --appendonly no --dir "$dir" --pidfile "$dir/redis.pid" \
        --logfile "$STATE_DIR/redis-tls-$port.log"
}

EXTRA_SERVICES+=(
    "redis-tls 6380 redis_tls 6380 server no"
    "redis-tls-other-host 6381 redis_tls 6381 other-host no"
    "redis-tls-expired 6382 redis_tls 6382 expired no"
    "redis-mtls 6383 redis_tls 6383 server yes"
)
