#!/usr/bin/env bash
# Install strace, which tests/test_no_outbound.py uses to record every connect() of the analysis and the
# service (the tests skip without it). From Debian's packages.
set -euo pipefail
command -v strace >/dev/null 2>&1 && exit 0
if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "strace is missing and this user cannot install packages: run 'apt-get install strace' as root" >&2
    exit 1
fi
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq strace >/dev/null
