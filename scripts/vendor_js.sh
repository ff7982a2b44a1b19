#!/usr/bin/env bash
# Re-vendor the JavaScript packages callscope ships or tests with, from the npm registry, and check them.
#
#   bash scripts/vendor_js.sh      # (make vendor)
#
# `npm pack` fetches each published tarball; its sha512 must match the registry's integrity
# string pinned below before its files are copied over the committed ones.
#   uPlot:    the charts of the web pages        -> service/static/vendor/uplot/ (VENDOR.md there)
#   axe-core: accessibility checks in the e2e tests -> tests/vendor/axe-core/ (VENDOR.md there)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

vendor() {  # name version integrity destination files...
    local name=$1 version=$2 integrity=$3 dest=$4
    shift 4
    (cd "$WORK" && npm pack "$name@$version" --silent >/dev/null)
    local tarball="$WORK/$name-$version.tgz"
    local got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
    if [[ "$got" != "$integrity" ]]; then
        echo "$name-$version.tgz: integrity $got does not match the pinned $integrity" >&2
        exit 1
    fi
    rm -rf "$WORK/package" && tar xzf "$tarball" -C "$WORK"
    mkdir -p "$dest"
    for f in "$@"; do cp "$WORK/package/$f" "$dest/"; done
    echo "$name $version vendored into $dest"
}

vendor uplot 1.6.32 \
    "sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==" \
    "$ROOT/service/static/vendor/uplot" dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE
vendor axe-core 4.14.1 \
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==" \
    "$ROOT/tests/vendor/axe-core" axe.min.js LICENSE LICENSE-3RD-PARTY.txt
