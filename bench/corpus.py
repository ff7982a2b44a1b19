"""The analysis on the synthetic corpus (:mod:`fixtures.corpus`), split by voices heard while tuning or not.

For each call of ``bench/out/corpus/<split>/`` and each version (stereo at
16 kHz and at 8 kHz through a telephone codec, mono at 16 kHz and at 8 kHz
through the codec), prints the agent's
interruptions (detected/labelled), the backchannels that were counted as
interruptions, whether the stereo agent channel was found, and each verdict
against the scenario's expected one. Then, per split and version: the share
of calls on which each verdict is right, whether agent interruptions were
exact on every stereo call, and the backchannels counted as cut-ins.

Run ``make corpus`` first; then ``.venv/bin/python -m bench.corpus``
(``make bench-corpus``). ``--split heldout`` reports only the voices never
used for tuning.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

from audio_features.config import Settings, apply_offline_environment
from fixtures.corpus import OUT_DIR

VERDICTS = ("listened_without_interrupting", "stayed_calm", "acknowledged_feelings")
VERSIONS = {"stereo": "_stereo.wav", "stereo8k": "_stereo_8k.wav", "mono16k": "_mono.wav", "mono8k": "_mono_8k.wav"}
SHORT = {"passed": "pass", "failed": "FAIL", "not_applicable": "n/a"}


def _backchannel_cut_ins(labels: dict, report: dict) -> int:
    """Agent interruptions that start on a labelled agent backchannel (within 0.3 s of its span)."""
    spans = [
        (t["start"], t["end"]) for t, e in _labelled_lines(labels) if t["speaker"] == "agent" and e == "backchannel"
    ]
    return sum(
        1
        for i in report.get("interruptions", [])
        if i["by"] == "agent" and any(a - 0.3 <= i["start"] <= b + 0.3 for a, b in spans)
    )


def _labelled_lines(labels: dict):
    starts = {(e["by"], round(e["at"], 3)): e["type"] for e in labels["events"] if "by" in e}
    for t in labels["turns"]:
        yield t, starts.get((t["speaker"], round(t["start"], 3)))


def score_call(labels: dict, version: str, report: dict) -> dict:
    """One analysis against its labels."""
    agent_cut_ins = sum(1 for e in labels["events"] if e["type"] == "interruption" and e["by"] == "agent")
    found = report["metrics"]["interruptions"]["agent"]["count"] if "metrics" in report else 0
    agent = next((s for s in report["speakers"] if s["role"] == "agent"), None)
    row = {
        "call": labels["name"],
        "split": labels["split"],
        "scenario": labels["scenario"],
        "version": version,
        "agent_cut_ins": (found, agent_cut_ins),
        "backchannels_as_cut_ins": _backchannel_cut_ins(labels, report),
        "agent_side_ok": None
        if not version.startswith("stereo") or agent is None
        else agent["source"] == f"channel:{labels['agent_channel']}",
        "verdicts": {},
        "rtf": report["timings"]["real_time_factor"],
    }
    for v in VERDICTS:
        got = report["verdicts"][v]["result"] if v in report.get("verdicts", {}) else "absent"
        row["verdicts"][v] = (got, labels["expected"][v])
    return row


def _print_row(r: dict) -> None:
    verdicts = " / ".join(
        f"{SHORT.get(g, g)}{'' if g == e else '(' + SHORT.get(e, e) + ')!'}" for g, e in r["verdicts"].values()
    )
    side = {True: "ok", False: "WRONG", None: "-"}[r["agent_side_ok"]]
    found, labelled = r["agent_cut_ins"]
    print(
        f"{r['call']:38s} {r['version']:8s} cut-ins {found}/{labelled} bc-as-cut {r['backchannels_as_cut_ins']} "
        f"side {side:5s} {verdicts}"
    )


def summarise(rows: list[dict]) -> list[str]:
    """Per split and version: verdict accuracy, exact stereo interruptions, backchannels counted as cut-ins."""
    out = []
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["split"], r["version"])].append(r)
    for (split, version), sel in sorted(groups.items()):
        parts = []
        for v in VERDICTS:
            right = sum(1 for r in sel if r["verdicts"][v][0] == r["verdicts"][v][1])
            parts.append(f"{v.split('_')[0]} {right}/{len(sel)} ({right / len(sel):.0%})")
        exact = sum(1 for r in sel if r["agent_cut_ins"][0] == r["agent_cut_ins"][1])
        bc = sum(r["backchannels_as_cut_ins"] for r in sel)
        side = [r["agent_side_ok"] for r in sel if r["agent_side_ok"] is not None]
        line = f"{split:8s} {version:8s} {len(sel):3d} calls: " + ", ".join(parts)
        line += f"; agent cut-ins exact {exact}/{len(sel)}; backchannels counted as cut-ins {bc}"
        if side:
            line += f"; agent side found {sum(side)}/{len(side)}"
        out.append(line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=OUT_DIR)
    parser.add_argument("--split", choices=("tune", "heldout", "all"), default="all")
    parser.add_argument("--versions", default=",".join(VERSIONS))
    parser.add_argument("--scenarios", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument("--json", type=Path, default=OUT_DIR.parent / "corpus.json")
    args = parser.parse_args(argv)

    splits = ("tune", "heldout") if args.split == "all" else (args.split,)
    files = [p for s in splits for p in sorted((args.corpus / s).glob("*.labels.json"))]
    if not files:
        print(f"no corpus in {args.corpus}: run `make corpus` first", file=sys.stderr)
        return 1
    apply_offline_environment()
    warnings.simplefilter("ignore")
    from analysis.pipeline import analyze_file
    from analysis.report import build_report

    settings = Settings.from_env()
    wanted = {s for s in args.scenarios.split(",") if s}
    rows, started = [], time.perf_counter()
    for path in files:
        labels = json.loads(path.read_text())
        if wanted and labels["scenario"] not in wanted:
            continue
        for version in args.versions.split(","):
            audio = path.with_name(labels["name"] + VERSIONS[version])
            row = score_call(labels, version, build_report(analyze_file(audio, settings)).to_json())
            rows.append(row)
            _print_row(row)
            sys.stdout.flush()
    print()
    for line in summarise(rows):
        print(line)
    print(f"\n{len(rows)} analyses in {time.perf_counter() - started:.0f} s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
