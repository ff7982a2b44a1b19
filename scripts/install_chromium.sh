#!/usr/bin/env bash
# Install Debian's Chromium for the end-to-end tests of the web pages (tests/test_pages_e2e.py).
# Playwright drives this system browser; it cannot download its own here. Called by .ci/run.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "chromium is missing and this user cannot install packages: run 'apt-get install chromium' as root" >&2
    exit 1
fi
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq chromium >/dev/null
command -v chromium
