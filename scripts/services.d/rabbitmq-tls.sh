# RabbitMQ with TLS: nodes of their own next to the pre-started one on 5672, one per
# certificate the TLS tests need (a node has one set of TLS options for all its
# listeners): a valid certificate, one for another host name, an expired one, and one
# node that requires a client certificate. Sourced by scripts/services.sh, which
# provides TLS_DIR and the helpers; each entry is "NAME PORT START_COMMAND…".
#
# Each node is started as the user running the script, with its data, logs, config and
# Erlang cookie (its HOME) under ~/.cache/healthz/rabbitmq-tls/NAME, TLS on loopback
# only, no plain listener, and the Erlang distribution on a fixed loopback port. To
# reach one with rabbitmqctl:
#   HOME=~/.cache/healthz/rabbitmq-tls/NAME /usr/lib/rabbitmq/bin/rabbitmqctl -n NAME@localhost status

RABBITMQ_TLS_BASE="$HOME/.cache/healthz/rabbitmq-tls"
# A node boots in about 10 s on an idle machine, several times that on a busy one: each
# start waits this long for its port, beyond the services script's own wait.
RABBITMQ_TLS_WAIT="${HEALTHZ_RABBITMQ_TLS_WAIT:-120}"

# The scripts themselves: Debian's /usr/sbin wrappers would switch to the rabbitmq user,
# who may not reach the node's directories under this user's HOME.
rabbitmq_bin() {
    if [[ -x "/usr/lib/rabbitmq/bin/$1" ]]; then
        echo "/usr/lib/rabbitmq/bin/$1"
    else
        command -v "$1"
    fi
}

# rabbitmq_tls NAME PORT DIST_PORT CERT REQUIRE_CLIENT_CERT: starts the node
# NAME@localhost serving CERT.pem with TLS on 127.0.0.1:PORT; REQUIRE_CLIENT_CERT is
# true or false (RabbitMQ's fail_if_no_peer_cert).
rabbitmq_tls() {
    local name=$1 port=$2 dist_port=$3 cert=$4 require_client_cert=$5
    if [[ -z "$(rabbitmq_bin rabbitmq-server)" ]]; then
        apt_install rabbitmq-server || return 1
    fi
    local base="$RABBITMQ_TLS_BASE/$name"
    mkdir -p "$base/mnesia" "$base/log"
    cat >"$base/rabbitmq.conf" <<EOF
listeners.tcp = none
listeners.ssl.1 = 127.0.0.1:$port
ssl_options.cacertfile = $TLS_DIR/ca.pem
ssl_options.certfile = $TLS_DIR/$cert.pem
ssl_options.keyfile = $TLS_DIR/$cert.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = $require_client_cert
EOF
    # No plugins, and none of the system's rabbitmq-env.conf (which names the
    # pre-started node).
    echo '[].' >"$base/enabled_plugins"
    : >"$base/rabbitmq-env.conf"
    # The node writes its cookie into its own HOME on first start; the inherited
    # ERL_FLAGS keeps the distribution on loopback, as the pre-started node's is.
    env HOME="$base" \
        RABBITMQ_NODENAME="$name@localhost" \
        RABBITMQ_DIST_PORT="$dist_port" \
        RABBITMQ_CONF_ENV_FILE="$base/rabbitmq-env.conf" \
        RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins" \
        RABBITMQ_MNESIA_BASE="$base/mnesia" \
        RABBITMQ_LOG_BASE="$base/log" \
        ERL_EPMD_ADDRESS=127.0.0.1 \
        ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        "$(rabbitmq_bin rabbitmq-server)" -detached || return 1
    local waited=0
    until port_open "$port"; do
        ((waited++ < RABBITMQ_TLS_WAIT)) || return 1
        sleep 1
    done
}

EXTRA_SERVICES+=(
    "rabbitmq-tls 5671 rabbitmq_tls healthz-tls 5671 25671 server false"
    "rabbitmq-tls-other-host 5673 rabbitmq_tls healthz-tls-other-host 5673 25673 other-host false"
    "rabbitmq-tls-expired 5674 rabbitmq_tls healthz-tls-expired 5674 25674 expired false"
    "rabbitmq-mtls 5675 rabbitmq_tls healthz-mtls 5675 25675 server true"
)
