# The brokers with TLS: NATS instances that require TLS (one per certificate the TLS
# tests need, and one that requires a client certificate), and a second Mosquitto with
# one TLS listener per certificate in one process. The plain NATS (4222) and Mosquitto
# (1883) are left as they are. Sourced by scripts/services.sh, which provides TLS_DIR,
# STATE_DIR and the helpers; each entry is "NAME PORT START_COMMAND…".

# nats_tls PORT CERT [OPTIONS…]: nats-server on 127.0.0.1:PORT serving CERT.pem, which
# requires TLS of every client; its pid file and log are in STATE_DIR.
nats_tls() {
    local port=$1 cert=$2
    shift 2
    command -v nats-server >/dev/null || apt_install nats-server || return 1
    # nats-server does not detach by itself.
    nohup nats-server -a 127.0.0.1 -p "$port" \
        -P "$STATE_DIR/nats-tls-$port.pid" -l "$STATE_DIR/nats-tls-$port.log" \
        --tls --tlscert "$TLS_DIR/$cert.pem" --tlskey "$TLS_DIR/$cert.key" \
        --tlscacert "$TLS_DIR/ca.pem" "$@" >/dev/null 2>&1 </dev/null &
}

# mosquitto_tls: one mosquitto with a TLS listener per test certificate, from a config
# file of its own in STATE_DIR.
mosquitto_tls() {
    command -v mosquitto >/dev/null || apt_install mosquitto || return 1
    local config="$STATE_DIR/mosquitto-tls.conf"
    # Started as root, mosquitto runs as its own user, which cannot reach files under a
    # home directory: it stays root here, a loopback-only test broker.
    cat >"$config" <<EOF
user root
pid_file $STATE_DIR/mosquitto-tls.pid
log_dest file $STATE_DIR/mosquitto-tls.log
persistence false
allow_anonymous true

# The valid server certificate.
listener 8883 127.0.0.1
certfile $TLS_DIR/server.pem
keyfile $TLS_DIR/server.key

# A certificate for other-host.invalid only.
listener 8884 127.0.0.1
certfile $TLS_DIR/other-host.pem
keyfile $TLS_DIR/other-host.key

# An expired certificate.
listener 8885 127.0.0.1
certfile $TLS_DIR/expired.pem
keyfile $TLS_DIR/expired.key

# Mutual TLS: the client must present a certificate the test CA signed.
listener 8886 127.0.0.1
certfile $TLS_DIR/server.pem
keyfile $TLS_DIR/server.key
cafile $TLS_DIR/ca.pem
require_certificate true
EOF
    mosquitto -d -c "$config"
}

EXTRA_SERVICES+=(
    "nats-tls 4223 nats_tls 4223 server"
    "nats-tls-other-host 4224 nats_tls 4224 other-host"
    "nats-tls-expired 4225 nats_tls 4225 expired"
    # --tlsverify: the client must present a certificate the CA signed.
    "nats-mtls 4226 nats_tls 4226 server --tlsverify"
    # One process serves every listener; the first one's port says whether it runs.
    "mosquitto-tls 8883 mosquitto_tls"
)
