#!/usr/bin/env bash
# Proves that every cargo feature of the library builds alone (what `cargo hack check
# --each-feature` does, without installing it): no feature, then each one by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

features=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
package = next(p for p in json.load(sys.stdin)["packages"] if p["name"] == "healthz")
print(" ".join(sorted(f for f in package["features"] if f not in ("default", "full"))))
')

echo "no features"
cargo check -q -p healthz --no-default-features --lib
for feature in $features; do
    echo "feature $feature"
    cargo check -q -p healthz --no-default-features --features "$feature" --lib
done
