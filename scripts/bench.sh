#!/usr/bin/env bash
# Benchmarks, each against a baseline measured in the same run, reported as ratios:
#
# 1. criterion (crates/healthz/benches/runner.rs): the runner and a whole
#    endpoint request, next to hand-written equivalents without the machinery.
# 2. A load test of `healthz serve` with wrk on loopback, on the embedded default
#    config: each format next to the server's own `/` redirect, which runs no check.
#
#   scripts/bench.sh                 10 s per wrk case, 2 threads, 16 connections
#   DURATION=30s CONNECTIONS=64 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-10s}
connections=${CONNECTIONS:-16}
threads=${THREADS:-2}

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

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
for group, name in [("runner", "registry"), ("endpoint", "json")]:
    ours, base = mean(group, name), mean(group, "baseline")
    print(f"| {group}/{name} | {ours / 1000:.2f} µs | {base / 1000:.2f} µs | {ours / base:.2f} |")
PY

echo
echo "== wrk"
cargo build --release -q -p healthz-cli
binary=$target_dir/release/healthz

workdir=$(mktemp -d)
out="$workdir/serve.out"
(cd "$workdir" && RUST_LOG=warn exec "$binary" serve --bind 127.0.0.1:0 >"$out" 2>"$workdir/serve.err") &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$workdir"' EXIT
for _ in $(seq 100); do
    kill -0 "$server" 2>/dev/null || { cat "$workdir/serve.err" >&2; exit 1; }
    grep -q listening "$out" 2>/dev/null && break
    sleep 0.1
done
url=$(grep -o 'http://[^ ]*' "$out")
base=${url%/ht/}

# Prints "requests/s p50 p99" of one wrk run.
measure() {
    wrk -t"$threads" -c"$connections" -d"$duration" --latency "$1" \
        | awk '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print rps, p50, p99}'
}

echo "wrk -t$threads -c$connections -d$duration on $(nproc) cores, $(date -u +%FT%TZ)"
read -r base_rps base_p50 base_p99 < <(measure "$base/")
printf '\n| case | req/s | p50 | p99 | ratio to baseline |\n|---|---|---|---|---|\n'
printf '| baseline: `/` (redirect, no check) | %s | %s | %s | 1.00 |\n' "$base_rps" "$base_p50" "$base_p99"
for case in "?format=json" "?format=health%2Bjson" "" "?format=openmetrics"; do
    read -r rps p50 p99 < <(measure "$url$case")
    ratio=$(awk -v a="$rps" -v b="$base_rps" 'BEGIN {printf "%.2f", a / b}')
    printf '| `/ht/%s` | %s | %s | %s | %s |\n' "$case" "$rps" "$p50" "$p99" "$ratio"
done
