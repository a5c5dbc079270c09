#!/usr/bin/env bash
# Fails when the workspace's declared `rust-version` is lower than the highest
# `rust-version` that any package in Cargo.lock declares: a user on the declared
# toolchain could not build the crate, so the declaration would be untrue.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo metadata --format-version 1 --locked | python3 -c '
import json, sys

metadata = json.load(sys.stdin)
members = set(metadata["workspace_members"])
packages = {p["id"]: p for p in metadata["packages"]}

def version(text):
    return tuple(int(part) for part in text.split("."))

declared = {packages[m]["rust_version"] for m in members}
if len(declared) != 1 or None in declared:
    sys.exit(f"every workspace member must declare the same rust-version, not {sorted(map(str, declared))}")
declared = declared.pop()
needed, name = max(
    (version(p["rust_version"]), p["name"] + " " + p["version"])
    for pid, p in packages.items()
    if pid not in members and p.get("rust_version")
)
needed_text = ".".join(map(str, needed))
if version(declared) < needed:
    sys.exit(f"rust-version is {declared}, but {name} needs {needed_text}: raise [workspace.package] rust-version")
print(f"rust-version {declared} covers every dependency (the highest need is {needed_text}, {name})")
'
