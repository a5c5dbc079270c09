#!/usr/bin/env bash
# The whole test suite, on a fresh machine as on a developer's: installs and starts
# what the tests need, then runs the Rust tests (unit, integration, CLI, doc) and the
# browser test of the status page. Exits non-zero when anything fails.
#
#   scripts/test.sh            everything
#   scripts/test.sh FILTER…    passes the filters on to cargo nextest (Rust tests only)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest"
    cargo install --locked cargo-nextest
fi

step "backend services"
scripts/services.sh
# The Celery tests start their own Python workers; install Celery once up front
# rather than inside the first test.
scripts/celery-worker.sh install
# The reference parsers the metrics test feeds both exposition formats to.
scripts/metrics-parser.sh install >/dev/null

step "Rust tests (all features)"
cargo nextest run --workspace --all-features --no-fail-fast "$@"

if [[ $# -gt 0 ]]; then
    exit 0
fi

step "doc tests (README included)"
cargo test --workspace --all-features --doc

step "status page in a real browser"
scripts/browser-test.sh
