#!/usr/bin/env bash
# Fuzzes every parser that reads outside input (the targets in fuzz/, one per parser)
# with cargo fuzz, starting from the seeds in fuzz/corpus/. Needs nightly Rust; without
# it, runs the same properties under proptest instead, and says so. Exits non-zero on
# the first crash or broken property; libFuzzer prints the input and leaves it in
# fuzz/artifacts/<target>/, to be turned into a regression test (fuzz/README.md).
#
#   scripts/fuzz.sh                    each target for 8 s: about a minute in all
#   scripts/fuzz.sh --long             each target for 10 minutes
#   scripts/fuzz.sh --time SECONDS     each target for SECONDS
#   scripts/fuzz.sh [--…] TARGET…      only these targets (`cargo fuzz list` names them)
#
# FUZZ_TARGET_DIR (default ~/.cache/healthz/target-fuzz) holds the fuzz build, apart
# from the normal one: it is built with another toolchain and other flags. FUZZ_SEED
# (default 1) seeds libFuzzer, so that a run explores the same inputs first each time.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=8
targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --long) seconds=600 ;;
        --time) seconds="$2"; shift ;;
        -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1") ;;
    esac
    shift
done

if ! cargo +nightly --version >/dev/null 2>&1; then
    # The targets call the same functions (healthz::fuzzing, healthz_cli::fuzzing) as
    # these tests; proptest only generates the inputs instead of evolving them.
    echo "==> no nightly Rust, so no cargo fuzz: running the fuzz targets' properties under proptest instead"
    cases=$((seconds * 100))
    PROPTEST_CASES="$cases" cargo test -q -p healthz --lib --all-features fuzzing::
    PROPTEST_CASES="$cases" cargo test -q -p healthz-cli --lib fuzzing::
    exit 0
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi

# No sanitizer: both crates forbid `unsafe`, and AddressSanitizer would halve the runs
# a minute buys. Debug assertions on, so that an overflow is a crash.
build_flags=(--sanitizer none --debug-assertions
    --target-dir "${FUZZ_TARGET_DIR:-$HOME/.cache/healthz/target-fuzz}")

echo "==> building the fuzz targets"
start=$(date +%s)
cargo +nightly fuzz build "${build_flags[@]}"
echo "built in $(($(date +%s) - start)) s"

if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
# New inputs go to a scratch corpus: the committed seeds change only by hand.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in "${targets[@]}"; do
    echo "==> fuzzing $target for ${seconds} s"
    mkdir -p "$scratch/$target"
    log="$scratch/$target.log"
    if ! cargo +nightly fuzz run "${build_flags[@]}" "$target" \
        "$scratch/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -seed="${FUZZ_SEED:-1}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 >"$log" 2>&1; then
        # Everything but libFuzzer's progress lines: the panic, the input, the command
        # that reproduces it.
        grep -v -E '^#[0-9]+' "$log" | tail -n 60 >&2
        echo "fuzz.sh: $target failed; its input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$log" |
        sed 's/^stat::/    /'
done
