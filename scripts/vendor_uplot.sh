#!/usr/bin/env bash
# Re-vendor uPlot (the web pages' charting library) from the npm registry and check it.
#
#   bash scripts/vendor_uplot.sh      # (make vendor)
#
# `npm pack` fetches the published tarball; its sha512 must match the registry's
# integrity string pinned below, and the copied files are the ones committed
# under service/static/vendor/uplot/ (see VENDOR.md there).
set -euo pipefail
VERSION=1.6.32
INTEGRITY="sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw=="
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/service/static/vendor/uplot"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack "uplot@$VERSION" --silent >/dev/null
GOT="sha512-$(openssl dgst -sha512 -binary "uplot-$VERSION.tgz" | base64 -w0)"
if [[ "$GOT" != "$INTEGRITY" ]]; then
    echo "uplot-$VERSION.tgz: integrity $GOT does not match the pinned $INTEGRITY" >&2
    exit 1
fi
tar xzf "uplot-$VERSION.tgz"
cp package/dist/uPlot.iife.min.js package/dist/uPlot.min.css package/LICENSE "$DEST/"
echo "uPlot $VERSION vendored into $DEST"
