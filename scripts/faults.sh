#!/usr/bin/env bash
# A hung backend under load: `healthz serve` with a PostgreSQL check against a
# listener that accepts connections and never answers (its `timeout` is 1 s), and a
# check that needs nothing in another group. 200 clients ask for the hung group while
# 16 others ask for the healthy one, with wrk on loopback.
#
# Passes when every answer of the hung group comes within timeout + 100 ms (the
# runner drops the stuck check; single-flight shares one run between all clients),
# the healthy group's p99 stays in milliseconds, no request fails at the socket level,
# and the server's file descriptors are back to their start afterwards.
#
#   scripts/faults.sh                  10 s of load
#   DURATION=30s scripts/faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-10s}
timeout_ms=1000

# wrk, and the release binary in $binary.
source scripts/load.sh

workdir=$(mktemp -d)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$workdir"' EXIT

# The hung backend: accepts, reads nothing, answers nothing.
python3 - "$workdir/hung.port" <<'PY' &
import socket, sys, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1024)
open(sys.argv[1], "w").write(str(listener.getsockname()[1]))
held = []
while True:
    held.append(listener.accept()[0])
PY
pids+=($!)
for _ in $(seq 50); do [[ -s $workdir/hung.port ]] && break; sleep 0.1; done
hung_port=$(cat "$workdir/hung.port")

cat >"$workdir/health.toml" <<EOF
[server]
bind = "127.0.0.1:0"

[[check]]
kind = "postgres"
url = "postgres://app:secret@127.0.0.1:$hung_port/app"
timeout = "${timeout_ms}ms"
tags = ["hung"]

[[check]]
kind = "memory-cache"
tags = ["fast"]
EOF

(cd "$workdir" && RUST_LOG=warn exec "$binary" serve --bind 127.0.0.1:0 --config health.toml >serve.out 2>serve.err) &
server=$!
pids+=("$server")
for _ in $(seq 100); do
    grep -q listening "$workdir/serve.out" 2>/dev/null && break
    kill -0 "$server" || { cat "$workdir/serve.err" >&2; exit 1; }
    sleep 0.1
done
url=$(grep -o 'http://[^ ]*' "$workdir/serve.out")
fds() { ls "/proc/$server/fd" | wc -l; }
fds_before=$(fds)

# Prints "requests/s p99 max socket-errors" of a wrk run (latencies in ms).
load() {
    wrk -t2 -c"$1" -d"$duration" --latency "$2" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec/ {rps=$2}
        $1=="99%" {p99=ms($2)}
        $1=="Latency" && $2 != "Distribution" {max=ms($4)}
        /Socket errors/ {gsub(/,/, ""); errors=$4+$6+$8+$10}
        END {printf "%s %.1f %.1f %d\n", rps, p99, max, errors}'
}

load 200 "${url}hung/?format=json" >"$workdir/hung.txt" &
hung_load=$!
load 16 "${url}fast/?format=json" >"$workdir/fast.txt"
wait "$hung_load"
read -r hung_rps hung_p99 hung_max hung_errors <"$workdir/hung.txt"
read -r fast_rps fast_p99 fast_max fast_errors <"$workdir/fast.txt"
sleep 2
fds_after=$(fds)

echo "| group | clients | req/s | p99 | max | socket errors |"
echo "|---|---|---|---|---|---|"
echo "| hung (timeout ${timeout_ms} ms) | 200 | $hung_rps | $hung_p99 ms | $hung_max ms | $hung_errors |"
echo "| fast | 16 | $fast_rps | $fast_p99 ms | $fast_max ms | $fast_errors |"
echo "server fds: $fds_before before, $fds_after after"

failed=0
awk -v max="$hung_max" -v limit=$((timeout_ms + 100)) 'BEGIN {exit !(max <= limit)}' \
    || { echo "FAIL: a hung-group answer took ${hung_max} ms, over $((timeout_ms + 100)) ms" >&2; failed=1; }
awk -v p99="$fast_p99" 'BEGIN {exit !(p99 < 50)}' \
    || { echo "FAIL: the fast group's p99 is ${fast_p99} ms" >&2; failed=1; }
[[ $hung_errors -eq 0 && $fast_errors -eq 0 ]] \
    || { echo "FAIL: socket errors" >&2; failed=1; }
[[ $fds_after -le $((fds_before + 2)) ]] \
    || { echo "FAIL: fds grew from $fds_before to $fds_after" >&2; failed=1; }
exit "$failed"
