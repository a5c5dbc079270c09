#!/usr/bin/env bash
# Starts the backend services the tests talk to, on loopback only, and prints one
# status line per service. Idempotent: a service whose port already answers is left
# alone. Installs what is missing (Memcached from Debian's packages, the S3-compatible
# moto server from PyPI into a virtualenv). Exits non-zero, naming every service it
# could not start.
#
#   scripts/services.sh               all services
#   scripts/services.sh redis s3      only these (names as in the status lines)
#
# Next to the plain services, TLS-enabled instances listen on ports of their own, with
# the certificates of scripts/tls-certs.sh; each file in scripts/services.d/ declares
# some (see memcached-tls.sh for the shape).
#
# Machines of this project's kind start PostgreSQL, MariaDB, Redis, RabbitMQ, Mosquitto
# and NATS before a session; the commands below only restart one that has stopped.
set -uo pipefail

WAIT_SECONDS="${HEALTHZ_SERVICE_WAIT:-30}"
STATE_DIR="${HEALTHZ_SERVICE_DIR:-$HOME/.cache/healthz/services}"
MOTO_VENV="${HEALTHZ_MOTO_VENV:-$HOME/.cache/healthz/moto-venv}"

mkdir -p "$STATE_DIR"
failed=()

# Whether something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Waits up to WAIT_SECONDS for the port to open.
wait_for_port() {
    local port=$1 waited=0
    while ! port_open "$port"; do
        if ((waited >= WAIT_SECONDS * 2)); then
            return 1
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
}

status() { printf '%-26s %-18s %s\n' "$1" "127.0.0.1:$2" "$3"; }

# ensure NAME PORT START_COMMAND…: leaves a running service alone, else starts it and
# waits for its port.
ensure() {
    local name=$1 port=$2
    shift 2
    if port_open "$port"; then
        status "$name" "$port" "running"
        return
    fi
    local log="$STATE_DIR/$name.start.log"
    if ! "$@" >"$log" 2>&1; then
        status "$name" "$port" "FAILED to start (see $log)"
        failed+=("$name")
        return
    fi
    if wait_for_port "$port"; then
        status "$name" "$port" "started"
    else
        status "$name" "$port" "FAILED: port still closed after ${WAIT_SECONDS}s (see $log)"
        failed+=("$name")
    fi
}

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"
}

start_postgres() {
    # shellcheck disable=SC2046 # one cluster version directory
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
}

start_mariadb() {
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
}

start_redis() {
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
}

start_rabbitmq() {
    rabbitmq-server -detached
}

start_mosquitto() {
    mosquitto -d -c /etc/mosquitto/mosquitto.conf
}

start_nats() {
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
        -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
}

start_memcached() {
    if ! command -v memcached >/dev/null; then
        apt_install memcached || return 1
        # The package's own service, if its install started one, listens on the
        # standard port already.
        port_open 11211 && return 0
    fi
    local user=nobody
    id memcache >/dev/null 2>&1 && user=memcache
    # Loopback only, no UDP, 64 MB.
    memcached -d -u "$user" -l 127.0.0.1 -p 11211 -U 0 -m 64
}

start_s3() {
    if [[ ! -x "$MOTO_VENV/bin/moto_server" ]]; then
        python3 -m venv "$MOTO_VENV" || return 1
        "$MOTO_VENV/bin/pip" install --quiet 'moto[server]' || return 1
    fi
    nohup "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p 9000 \
        >"$STATE_DIR/moto.log" 2>&1 </dev/null &
    echo $! >"$STATE_DIR/moto.pid"
}

# An open port is not yet an S3 endpoint: ask for the bucket list.
s3_answers() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:9000/ 2>/dev/null)
    [[ "$code" == 200 ]]
}

# The certificates of the TLS instances.
TLS_DIR=$("$(dirname "$0")/tls-certs.sh")
export TLS_DIR

# Services declared in scripts/services.d/: "NAME PORT START_COMMAND…" each.
EXTRA_SERVICES=()
for file in "$(dirname "$0")"/services.d/*.sh; do
    # shellcheck source=/dev/null
    source "$file"
done

all=(postgres mariadb redis rabbitmq mosquitto nats memcached s3)
for service in "${EXTRA_SERVICES[@]}"; do
    all+=("${service%% *}")
done
wanted=("$@")
((${#wanted[@]})) || wanted=("${all[@]}")

for name in "${wanted[@]}"; do
    case "$name" in
    postgres) ensure postgres 5432 start_postgres ;;
    mariadb) ensure mariadb 3306 start_mariadb ;;
    redis) ensure redis 6379 start_redis ;;
    rabbitmq) ensure rabbitmq 5672 start_rabbitmq ;;
    mosquitto) ensure mosquitto 1883 start_mosquitto ;;
    nats) ensure nats 4222 start_nats ;;
    memcached) ensure memcached 11211 start_memcached ;;
    s3)
        ensure s3 9000 start_s3
        if [[ ! " ${failed[*]} " =~ " s3 " ]] && ! s3_answers; then
            status s3 9000 "FAILED: port open but no S3 answer to GET /"
            failed+=(s3)
        fi
        ;;
    *)
        declared=""
        for service in "${EXTRA_SERVICES[@]}"; do
            [[ "${service%% *}" == "$name" ]] && declared=$service
        done
        if [[ -z "$declared" ]]; then
            echo "unknown service '$name'; known: ${all[*]}" >&2
            exit 2
        fi
        # shellcheck disable=SC2086 # the declaration is words by design
        ensure $declared
        ;;
    esac
done

if ((${#failed[@]})); then
    echo "could not start: ${failed[*]}" >&2
    exit 1
fi
