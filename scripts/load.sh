# Sourced by the load scripts (bench.sh, faults.sh, soak.sh): wrk, installed when it
# is missing, and `binary`, the release build of `healthz`.

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

cargo build --release -q -p healthz-cli
binary=$(realpath "${CARGO_TARGET_DIR:-target}")/release/healthz
