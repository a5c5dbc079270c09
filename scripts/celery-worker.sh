#!/usr/bin/env bash
# Real Celery 5 workers (Python) for the CeleryBackend tests, on loopback brokers only.
#
#   scripts/celery-worker.sh install
#   scripts/celery-worker.sh start  [amqp|amqps|redis|rediss] [--name NAME] [--queues Q1,Q2] [--namespace NS]
#   scripts/celery-worker.sh stop   [amqp|amqps|redis|rediss] [--name NAME]
#   scripts/celery-worker.sh status [amqp|amqps|redis|rediss] [--name NAME] [--namespace NS]
#   scripts/celery-worker.sh fg     [amqp|amqps|redis|rediss] [--name NAME] [--queues Q1,Q2] [--namespace NS]
#
# install  Creates the virtualenv (HEALTHZ_CELERY_VENV, default
#          ~/.cache/healthz/celery-venv) from tests/celery/requirements.txt, again
#          only when that file changes. `start` installs too, when needed.
# start    Starts a detached worker, node name NAME@localhost (default NAME:
#          healthz-<broker>), consuming the given queues (default: Celery's
#          default queue) with Celery's control_exchange set to NS (default: celery).
#          Returns once the worker answers `celery inspect ping`. A worker of that
#          name that is already running is left alone.
# stop     Stops the worker of that name that this script started (its pid file), and
#          nothing else.
# status   Whether that worker runs, and its answer to `celery inspect ping`.
# fg       Runs the worker in the foreground, to see why it does not start.
#
# Brokers: HEALTHZ_TEST_CELERY_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672//),
# HEALTHZ_TEST_CELERY_AMQPS_URL (default amqps://guest:guest@127.0.0.1:5671//, RabbitMQ
# with TLS, verified with the CA of scripts/tls-certs.sh in HEALTHZ_TLS_DIR),
# HEALTHZ_TEST_CELERY_REDIS_URL (default redis://127.0.0.1:6379/5) and, Redis over TLS,
# HEALTHZ_TEST_CELERY_REDISS_URL (default the instance redis-tls of scripts/services.sh,
# rediss://127.0.0.1:6380/5, trusting the test CA of scripts/tls-certs.sh); the broker
# defaults to amqp. Pid files and logs go to HEALTHZ_CELERY_RUN_DIR (default
# /tmp/healthz-celery). Exits 0 when done, 1 on failure (naming what is missing),
# 2 on a usage error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP_DIR="$ROOT/tests/celery"
REQUIREMENTS="$APP_DIR/requirements.txt"
VENV="${HEALTHZ_CELERY_VENV:-$HOME/.cache/healthz/celery-venv}"
RUN_DIR="${HEALTHZ_CELERY_RUN_DIR:-/tmp/healthz-celery}"
START_WAIT_SECONDS="${HEALTHZ_CELERY_START_WAIT:-60}"

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

fail() {
    echo "celery-worker.sh: $*" >&2
    exit 1
}

command="${1:-}"
[[ -n "$command" ]] || usage
shift
broker=amqp
if [[ "${1:-}" == amqp || "${1:-}" == amqps || "${1:-}" == redis || "${1:-}" == rediss ]]; then
    broker=$1
    shift
fi
name="" queues="" namespace=celery
while (($#)); do
    case "$1" in
    --name) name="${2:?--name needs a value}"; shift 2 ;;
    --queues) queues="${2:?--queues needs a value}"; shift 2 ;;
    --namespace) namespace="${2:?--namespace needs a value}"; shift 2 ;;
    *) usage ;;
    esac
done
name="${name:-healthz-$broker}"
[[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || fail "invalid worker name '$name'"
node="$name@localhost"
pidfile="$RUN_DIR/$name.pid"
logfile="$RUN_DIR/$name.log"

case "$broker" in
amqp) broker_url="${HEALTHZ_TEST_CELERY_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672//}" ;;
amqps) broker_url="${HEALTHZ_TEST_CELERY_AMQPS_URL:-amqps://guest:guest@127.0.0.1:5671//}" ;;
redis) broker_url="${HEALTHZ_TEST_CELERY_REDIS_URL:-redis://127.0.0.1:6379/5}" ;;
rediss)
    ca="${HEALTHZ_TLS_DIR:-$HOME/.cache/healthz/tls}/ca.pem"
    broker_url="${HEALTHZ_TEST_CELERY_REDISS_URL:-rediss://127.0.0.1:6380/5?ssl_cert_reqs=required&ssl_ca_certs=$ca}"
    ;;
esac

# The worker and `celery inspect` read the same settings from the environment
# (tests/celery/worker_app.py).
export HEALTHZ_CELERY_BROKER="$broker_url"
export HEALTHZ_CELERY_NAMESPACE="$namespace"
export HEALTHZ_CELERY_QUEUES="$queues"
export HEALTHZ_CELERY_TLS_CA="${HEALTHZ_TLS_DIR:-$HOME/.cache/healthz/tls}/ca.pem"

install() {
    mkdir -p "$(dirname "$VENV")"
    # Tests start workers in parallel: one of them installs, the others wait.
    (
        flock 9
        want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
        if [[ -x "$VENV/bin/celery" && "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" == "$want" ]]; then
            exit 0
        fi
        command -v python3 >/dev/null || fail "python3 is missing (Celery 5 needs Python >= 3.8)"
        echo "installing Celery into $VENV" >&2
        rm -rf "$VENV"
        python3 -m venv "$VENV" || fail "cannot create a virtualenv at $VENV (is python3-venv installed?)"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS" ||
            fail "pip could not install $REQUIREMENTS"
        echo "$want" >"$VENV/.requirements.sha256"
    ) 9>"$VENV.lock"
}

celery() {
    (cd "$APP_DIR" && "$VENV/bin/celery" -A worker_app "$@")
}

# The pid in the pid file, if that process is still our worker.
our_pid() {
    [[ -f "$pidfile" ]] || return 1
    local pid
    pid="$(tr -dc '0-9' <"$pidfile")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    # A recycled pid belongs to someone else: only a worker with our node name counts.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$node" || return 1
    echo "$pid"
}

answers_ping() {
    celery inspect ping --destination "$node" --timeout 1 >/dev/null 2>&1
}

worker_args=(worker --pool solo --without-gossip --without-mingle
    --hostname "$node" --loglevel INFO)

start() {
    install
    mkdir -p "$RUN_DIR"
    if pid="$(our_pid)"; then
        echo "celery worker $node already running (pid $pid)"
        return
    fi
    rm -f "$pidfile"
    celery "${worker_args[@]}" --detach --pidfile "$pidfile" --logfile "$logfile" ||
        fail "celery worker $node did not start, see $logfile"
    local started=$SECONDS
    until answers_ping; do
        # The detached worker writes its pid file a moment after the command returns.
        if ! our_pid >/dev/null && ((SECONDS - started > 2)); then
            tail -n 20 "$logfile" >&2 2>/dev/null || true
            fail "celery worker $node exited (broker $broker at $(redacted_url)?), see $logfile or run: $0 fg $broker --name $name"
        fi
        if ((SECONDS - started >= START_WAIT_SECONDS)); then
            stop >/dev/null 2>&1 || true
            fail "celery worker $node did not answer ping within ${START_WAIT_SECONDS}s (broker $broker at $(redacted_url)), see $logfile"
        fi
        sleep 0.2
    done
    echo "celery worker $node up (pid $(our_pid), broker $broker, queues ${queues:-celery}, namespace $namespace), log $logfile"
}

stop() {
    local pid
    if ! pid="$(our_pid)"; then
        rm -f "$pidfile"
        echo "celery worker $node not running"
        return
    fi
    kill -TERM "$pid"
    for _ in $(seq 1 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        echo "celery worker $node (pid $pid) killed after 20s"
    else
        echo "celery worker $node (pid $pid) stopped"
    fi
    rm -f "$pidfile"
}

status() {
    local pid
    if ! pid="$(our_pid)"; then
        echo "celery worker $node not running"
        return 1
    fi
    echo "celery worker $node running (pid $pid)"
    celery inspect ping --destination "$node" --timeout 2 || true
}

redacted_url() {
    sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$broker_url"
}

case "$command" in
install) install ;;
start) start ;;
stop) stop ;;
fg) install && celery "${worker_args[@]}" ;;
status) status ;;
*) usage ;;
esac
