#!/usr/bin/env bash
# The JSON report of every fixture call, timings left out, one file per call, through the command line
# (`callscope analyze`): a refactor that must not change behaviour is checked with
#   bash scripts/fixture_reports.sh /tmp/before   # on the old commit
#   bash scripts/fixture_reports.sh /tmp/after    # on the new one
#   diff -r /tmp/before /tmp/after                # no output: byte-identical apart from timings
# Timings (seconds per stage, real-time factor) differ from run to run; everything else is deterministic
# on one machine.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/fixture_reports.sh OUT_DIR}
# The command that analyses; override to run an older checkout's code, e.g.
# CALLSCOPE="/path/to/main/.venv/bin/python -m service.cli" from that checkout.
read -r -a callscope <<< "${CALLSCOPE:-.venv/bin/callscope}"
mkdir -p "$out"
for f in fixtures/calls/*.flac fixtures/calls/*.wav; do
  name=$(basename "$f")
  "${callscope[@]}" analyze "$f" --no-progress \
    | python3 -c 'import json, sys; r = json.load(sys.stdin); r.pop("timings", None); print(json.dumps(r, indent=1))' \
    > "$out/$name.json"
  echo "$out/$name.json"
done
# The same calls given as transcripts (their labelled turns): the text-only path of the pipeline.
for f in fixtures/calls/*.labels.json; do
  name=$(basename "$f" .labels.json)
  turns="$out/$name.turns.json"
  python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["turns"]))' "$f" > "$turns"
  "${callscope[@]}" analyze --transcript "$turns" --no-progress \
    | python3 -c 'import json, sys; r = json.load(sys.stdin); r.pop("timings", None); print(json.dumps(r, indent=1))' \
    > "$out/$name.transcript.json"
  rm "$turns"
  echo "$out/$name.transcript.json"
done
