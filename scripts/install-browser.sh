#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests of the status page.
#
# Idempotent: does nothing when /usr/bin/chromium is already there, and refreshes the
# package lists only when the package is not known yet (a fresh machine or container).
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi

if ! apt-cache show chromium >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update -qq
fi
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null

if [[ ! -x /usr/bin/chromium ]]; then
    echo "install-browser.sh: chromium was installed but /usr/bin/chromium is missing" >&2
    exit 1
fi
