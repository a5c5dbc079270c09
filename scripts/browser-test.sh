#!/usr/bin/env bash
# Runs the browser tests of the status page (tests/browser/) in a headless Chromium.
#
# Installs Chromium when it is missing, installs the pinned playwright-core, builds the
# `status_page` example and runs `node --test tests/browser/` against it. Screenshots
# land in /tmp/status-*.png.
set -euo pipefail

cd "$(dirname "$0")/.."

fail() {
    echo "browser-test.sh: $*" >&2
    exit 1
}

bash scripts/install-browser.sh || fail "could not install Chromium (scripts/install-browser.sh)"
command -v node >/dev/null || fail "node is missing; the tests use Node's test runner (node >= 20)"

(cd tests/browser && npm ci --silent --no-audit --no-fund) ||
    fail "npm ci in tests/browser failed"

cargo build --quiet -p healthz --features axum --example status_page ||
    fail "building the status_page example failed"
target_dir=$(cargo metadata --format-version 1 --no-deps |
    node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).target_directory)')
export STATUS_PAGE_BIN="$target_dir/debug/examples/status_page"

node --test tests/browser/ || fail "the status page failed its browser tests (see above)"
