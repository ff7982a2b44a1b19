#!/usr/bin/env bash
# Install the speech synthesisers and sox for the synthetic corpus (fixtures/corpus.py, `make corpus`):
# espeak-ng, flite, festival with two diphone voices and one HTS voice, all from Debian's packages.
set -euo pipefail
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v flite >/dev/null 2>&1 || need+=(flite)
command -v text2wave >/dev/null 2>&1 || need+=(festival)
[[ -d /usr/share/festival/voices/english/kal_diphone ]] || need+=(festvox-kallpc16k)
[[ -d /usr/share/festival/voices/english/ked_diphone ]] || need+=(festvox-kdlpc16k)
[[ -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts ]] || need+=(festvox-us-slt-hts)
command -v sox >/dev/null 2>&1 || need+=(sox libsox-fmt-all)
if [[ ${#need[@]} -eq 0 ]]; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "missing ${need[*]} and this user cannot install packages: run 'apt-get install ${need[*]}' as root" >&2
    exit 1
fi
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
