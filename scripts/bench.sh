#!/usr/bin/env bash
# Benchmarks, each against a baseline measured in the same run, reported as ratios:
#
# 1. criterion (crates/healthz/benches/runner.rs): the runner and a whole
#    endpoint request, next to hand-written equivalents without the machinery.
# 2. A load test of `healthz serve` with wrk on loopback, on the embedded default
#    config: each format next to the server's own `/` redirect, which runs no check.
# 3. Background mode on PostgreSQL, Redis and a storage directory (each check every
#    second): `/ht/` next to the same server's `/`, in alternating pairs of short runs
#    (the median ratio is the result), and what the backends see during the load (the
#    check's statements in pg_stat_activity, Redis INFO commandstats), which follows
#    the schedule, not the request rate. Needs the services (`scripts/services.sh`).
#
#   scripts/bench.sh                 10 s per wrk case, 2 threads, 16 connections
#   DURATION=30s CONNECTIONS=64 scripts/bench.sh
#   ROUNDS=11 PAIR_DURATION=5s scripts/bench.sh    more pairs in background mode
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-10s}
connections=${CONNECTIONS:-16}
threads=${THREADS:-2}

# wrk, and the release binary in $binary.
source scripts/load.sh

target_dir=$(realpath "${CARGO_TARGET_DIR:-target}")

echo "== criterion"
cargo bench -q -p healthz --bench runner -- --noplot 2>&1 | grep -E '^[a-z]+/[a-z]+ +time:' || true
python3 - "$target_dir/criterion" <<'PY'
import json, sys
root = sys.argv[1]
def mean(group, name):
    with open(f"{root}/{group}/{name}/new/estimates.json") as f:
        return json.load(f)["mean"]["point_estimate"]
print("\n| case | mean | baseline | ratio |\n|---|---|---|---|")
for group, name in [("runner", "registry"), ("endpoint", "json"), ("endpoint", "background")]:
    ours, base = mean(group, name), mean(group, "baseline")
    print(f"| {group}/{name} | {ours / 1000:.2f} µs | {base / 1000:.2f} µs | {ours / base:.2f} |")
PY

echo
echo "== wrk"

workdir=$(mktemp -d)
server="" sampler=""
trap 'for pid in $server $sampler; do kill "$pid" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$workdir"' EXIT

# serve [CONFIG]: (re)starts `healthz serve` in the work directory, on the embedded
# default or on CONFIG; sets `url` (the endpoint) and `base` (the server's root).
serve() {
    if [[ -n "$server" ]]; then
        kill "$server" 2>/dev/null
        wait "$server" 2>/dev/null || true
    fi
    local out="$workdir/serve.out" args=(serve --bind 127.0.0.1:0)
    [[ $# -gt 0 ]] && args+=(--config "$1")
    : >"$out"
    (cd "$workdir" && RUST_LOG=warn exec "$binary" "${args[@]}" >"$out" 2>"$workdir/serve.err") &
    server=$!
    for _ in $(seq 100); do
        kill -0 "$server" 2>/dev/null || { cat "$workdir/serve.err" >&2; exit 1; }
        grep -q listening "$out" 2>/dev/null && break
        sleep 0.1
    done
    url=$(grep -o 'http://[^ ]*' "$out")
    base=${url%/ht/}
}

# Prints "requests/s p50 p99" of one wrk run.
measure() {
    wrk -t"$threads" -c"$connections" -d"$duration" --latency "$1" \
        | awk '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print rps, p50, p99}'
}

# ratio A B: A / B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

serve
echo "wrk -t$threads -c$connections -d$duration on $(nproc) cores, $(date -u +%FT%TZ)"
read -r base_rps base_p50 base_p99 < <(measure "$base/")
printf '\n| case | req/s | p50 | p99 | ratio to baseline |\n|---|---|---|---|---|\n'
printf '| baseline: `/` (redirect, no check) | %s | %s | %s | 1.00 |\n' "$base_rps" "$base_p50" "$base_p99"
for case in "?format=json" "?format=health%2Bjson" "" "?format=openmetrics"; do
    read -r rps p50 p99 < <(measure "$url$case")
    printf '| `/ht/%s` | %s | %s | %s | %s |\n' "$case" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")"
done

echo
echo "== background mode: PostgreSQL, Redis and storage, each every second"
pg_url=${HEALTHZ_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
redis_url=${HEALTHZ_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
cat >"$workdir/background.toml" <<TOML
[[check]]
kind = "postgres"
url = "$pg_url"
interval = "1s"

[[check]]
kind = "redis"
url = "$redis_url"
interval = "1s"

[[check]]
kind = "filesystem"
path = "storage"
interval = "1s"
TOML
mkdir -p "$workdir/storage"
serve "$workdir/background.toml"
# The check's PostgreSQL probes and Redis's SETs so far. A backend that is never idle
# for long publishes its pg_stat_database counters only once a minute, so the probes
# are counted where they show at once: the start time of the check's connection's
# last statement in pg_stat_activity, sampled every 0.2 s while the load runs (each
# probe is one statement on the kept connection). Each Redis probe is one SET (in its
# MULTI).
sample_pg_probes() {
    while :; do
        psql "$pg_url" -Atc "SELECT query_start FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND query = 'SELECT 1'"
        sleep 0.2
    done
}
redis_sets() {
    redis-cli -u "$redis_url" INFO commandstats | tr -d '\r' | awk -F'[=,:]' '$1 == "cmdstat_set" {print $3}'
}
sleep 2 # the first round of probes
# The host's noise (a shared 2-core machine, wrk on the same cores) moves a single
# 10 s figure by a third from one minute to the next, so the two routes are measured
# in alternation, in short pairs, and the median of the pairs' ratios is the result.
rounds=${ROUNDS:-9}
pair_duration=${PAIR_DURATION:-3s}
sample_pg_probes >"$workdir/pg-probes" 2>/dev/null &
sampler=$!
redis_before=$(redis_sets) started=$(date +%s.%N)
printf '\n| round | `/` (no check) req/s | `/ht/?format=json`, checks in the background, req/s | p50 | p99 | ratio |\n|---|---|---|---|---|---|\n'
ratios=() total=0
for round in $(seq "$rounds"); do
    read -r base_rps _ _ < <(duration=$pair_duration measure "$base/")
    read -r rps p50 p99 < <(duration=$pair_duration measure "$url?format=json")
    ratios+=("$(ratio "$rps" "$base_rps")")
    total=$(awk -v a="$total" -v b="$rps" 'BEGIN {print a + b}')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$round" "$base_rps" "$rps" "$p50" "$p99" "${ratios[-1]}"
done
redis_after=$(redis_sets) ended=$(date +%s.%N)
kill "$sampler"
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{r[NR] = $1} END {print r[int((NR + 1) / 2)]}')
echo
echo "Median ratio of background mode to the no-check route: $median (of $rounds pairs of ${pair_duration} runs)"
# The distinct start times seen, less the one already there when sampling began.
pg_probes=$(($(sort -u "$workdir/pg-probes" | grep -c .) - 1))
elapsed=$(awk -v a="$started" -v b="$ended" 'BEGIN {print b - a}')
awk -v pg="$pg_probes" -v redis=$((redis_after - redis_before)) -v s="$elapsed" -v rps="$(awk -v t="$total" -v n="$rounds" 'BEGIN {printf "%.0f", t / n}')" 'BEGIN {
    printf "During the load (%.1f s; %s requests/s on /ht/ on average): PostgreSQL %.2f probes/s, Redis %.2f SETs/s (the schedule: 1/s each)\n", s, rps, pg / s, redis / s
}'
