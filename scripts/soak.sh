#!/usr/bin/env bash
# Soak: `healthz serve` on the embedded default config under steady load (wrk on
# loopback, 16 connections) for a bounded time, sampling every 15 s the requests per
# second and p99 of the last 15 s, and the server's RSS and open file descriptors.
# After the warm-up (the first minute, or the first quarter of a shorter run) RSS and
# fds must stay flat: the run fails if either grows by more than 10% (fds: 5) over
# the rest.
#
#   scripts/soak.sh                      10 minutes
#   scripts/soak.sh --duration 2m        shorter, as in CI
#   scripts/soak.sh --config FILE        another config (PostgreSQL + Redis + S3…)
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10m
config=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --duration) duration=$2; shift 2 ;;
        --config) config=$(realpath "$2"); shift 2 ;;
        *) echo "usage: $0 [--duration 10m] [--config FILE]" >&2; exit 2 ;;
    esac
done
case $duration in
    *m) seconds=$(( ${duration%m} * 60 )) ;;
    *s) seconds=${duration%s} ;;
    *) seconds=$duration ;;
esac
interval=15
samples=$(( seconds / interval ))
[[ $samples -ge 2 ]] || { echo "--duration must be at least 30s" >&2; exit 2; }
warmup=$(( samples / 4 < 4 ? samples / 4 : 4 ))
[[ $warmup -ge 1 ]] || warmup=1

# wrk, and the release binary in $binary.
source scripts/load.sh

workdir=$(mktemp -d)
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$workdir"' EXIT

args=(serve --bind 127.0.0.1:0)
[[ -n $config ]] && args+=(--config "$config")
(cd "$workdir" && RUST_LOG=warn exec "$binary" "${args[@]}" >serve.out 2>serve.err) &
server=$!
for _ in $(seq 100); do
    grep -q listening "$workdir/serve.out" 2>/dev/null && break
    kill -0 "$server" || { cat "$workdir/serve.err" >&2; exit 1; }
    sleep 0.1
done
url=$(grep -o 'http://[^ ]*' "$workdir/serve.out")

echo "soak: $duration on ${config:-the embedded default}, $url?format=json, 16 connections"
echo "| t | req/s | p99 | RSS | fds |"
echo "|---|---|---|---|---|"
rss=() fds=()
for i in $(seq "$samples"); do
    line=$(wrk -t2 -c16 -d"${interval}s" --latency "$url?format=json" \
        | awk '/Requests\/sec/ {rps=$2} $1=="99%" {p99=$2} END {print rps, p99}')
    read -r rps p99 <<<"$line"
    kill -0 "$server" || { echo "FAIL: the server died" >&2; cat "$workdir/serve.err" >&2; exit 1; }
    rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")
    fd_count=$(ls "/proc/$server/fd" | wc -l)
    rss+=("$rss_kb") fds+=("$fd_count")
    echo "| $(( i * interval ))s | $rps | $p99 | $(( rss_kb / 1024 )) MiB | $fd_count |"
done

# Flat after the warm-up: the last sample against the first one after it.
base=$warmup last=$(( samples - 1 ))
failed=0
if (( rss[last] > rss[base] * 11 / 10 )); then
    echo "FAIL: RSS grew from ${rss[base]} kB to ${rss[last]} kB after the warm-up" >&2
    failed=1
fi
if (( fds[last] > fds[base] + 5 )); then
    echo "FAIL: fds grew from ${fds[base]} to ${fds[last]} after the warm-up" >&2
    failed=1
fi
[[ $failed -eq 0 ]] && echo "flat after the warm-up: RSS ${rss[base]} → ${rss[last]} kB, fds ${fds[base]} → ${fds[last]}"
exit "$failed"
