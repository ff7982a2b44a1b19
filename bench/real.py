"""The analysis on the real recorded calls of ``../shared/data/real``, scored against their labels.

Prints one row per call and mode (stereo file, mono mix): DER (collar
0.25 s), speaker-attributed WER, whether the agent was found (and the rule
that found them), interruptions and backchannels by party, feeling moments,
arousal events by party, the three verdicts, and the real-time factor of
the analysis. Bank calls are routine and polite by their transcripts, so
their expected verdicts are listened/calm passed and acknowledged
not_applicable; a row that differs says WRONG. With ``--detail``, the
interruptions, feeling moments and arousal events are listed with their
words. Scoring is defined in :mod:`bench.reference`.

Every analysis uses the default settings: the agent channel is left for
callscope to find (pass ``--agent-channel`` to force it, as an operator
could).

Run: ``.venv/bin/python -m bench.real`` (``make bench-real``, also part of
``make bench``). Exits 0 with a note when the folder is absent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

from audio_features.config import Settings, apply_offline_environment
from bench.reference import REAL_DATA, agent_found, attributed_wer, der, real_calls

#: What a person reading the bank calls' transcripts finds: no cut-ins, nobody raising their voice, no feeling.
BANK_EXPECTED = {
    "listened_without_interrupting": "passed",
    "stayed_calm": "passed",
    "acknowledged_feelings": "not_applicable",
}
VERDICTS = tuple(BANK_EXPECTED)
SHORT = {"passed": "pass", "failed": "FAIL", "not_applicable": "n/a"}
OUT = Path(__file__).resolve().parent / "out"


def _fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _row(call, mode: str, report: dict) -> dict:
    m = report.get("metrics", {})
    events = report.get("arousal_events", [])
    verdicts = {v: report["verdicts"][v]["result"] if v in report["verdicts"] else "absent" for v in VERDICTS}
    expected = BANK_EXPECTED if call.kind == "bank" else None
    return {
        "call": call.name,
        "kind": call.kind,
        "mode": mode,
        "duration_s": report["call"]["duration_s"],
        "der": der(call, report),
        "wer": attributed_wer(call, report),
        "agent_ok": agent_found(call, report),
        "agent_rule": report["agent_assignment"]["rule"],
        "agent_confidence": report["agent_assignment"]["confidence"],
        "interruptions": {p: m["interruptions"][p]["count"] for p in ("agent", "customer")} if m else None,
        "backchannels": dict(m["backchannels"]) if m else None,
        "feelings": len(report.get("feeling_moments", [])),
        "arousal": {p: sum(1 for e in events if e["speaker"] == p) for p in ("agent", "customer")},
        "verdicts": verdicts,
        "wrong": [v for v in VERDICTS if expected and verdicts[v] != expected[v]],
        "rtf": report["timings"]["real_time_factor"],
        "speech_s": {s["role"]: s["speech_s"] for s in report["speakers"]},
        "notes": report["notes"],
        "detail": {
            "interruptions": [
                (i["start"], i["by"], i["evidence"][1]["text"], i["evidence"][0]["text"])
                for i in report.get("interruptions", [])
            ],
            "feelings": [
                (f["start"], f["emotion"], f["confidence"], f["text"]) for f in report.get("feeling_moments", [])
            ],
            "arousal": [(e["start"], e["speaker"], e["cues"], e["text"]) for e in events],
        },
    }


def _print_row(r: dict) -> None:
    i, b, a = r["interruptions"] or {}, r["backchannels"] or {}, r["arousal"]
    agent = {True: "ok", False: "WRONG", None: "?"}[r["agent_ok"]]
    verdicts = " / ".join(SHORT.get(r["verdicts"][v], r["verdicts"][v]) for v in VERDICTS)
    print(
        f"{r['call']:26s} {r['mode']:6s} {r['duration_s']:6.1f} {_fmt(r['der']):>6s} {_fmt(r['wer']):>6s} "
        f"{agent:>5s} {r['agent_rule'][:18]:18s} {i.get('agent', 0):>3d}/{i.get('customer', 0):<3d} "
        f"{b.get('agent', 0):>3d}/{b.get('customer', 0):<3d} {r['feelings']:>4d} {a['agent']:>3d}/{a['customer']:<3d} "
        f"{verdicts:24s} {r['rtf']:.3f}" + (f"  WRONG: {', '.join(r['wrong'])}" if r["wrong"] else "")
    )


def _print_detail(r: dict) -> None:
    for start, by, said, over in r["detail"]["interruptions"]:
        print(f"    cut-in {start:6.1f} s by {by}: {said!r} over {over!r}")
    for start, emotion, confidence, text in r["detail"]["feelings"]:
        print(f"    feeling {start:6.1f} s {emotion} ({confidence:.2f}): {text!r}")
    for start, speaker, cues, text in r["detail"]["arousal"]:
        print(f"    arousal {start:6.1f} s {speaker} ({'+'.join(cues)}): {text!r}")
    for note in r["notes"]:
        print(f"    note: {note}")


def _summary(rows: list[dict]) -> None:
    print()
    for kind in ("bank", "car_repair", "sales"):
        for mode in ("stereo", "mono"):
            sel = [r for r in rows if r["kind"] == kind and r["mode"] == mode]
            if not sel:
                continue
            ders = [r["der"] for r in sel if r["der"] is not None]
            wers = [r["wer"] for r in sel if r["wer"] is not None]
            agent = sum(1 for r in sel if r["agent_ok"])
            feelings = sum(r["feelings"] for r in sel)
            arousal = sum(r["arousal"]["agent"] + r["arousal"]["customer"] for r in sel)
            right = sum(1 for r in sel for v in VERDICTS if v not in r["wrong"]) if kind == "bank" else None
            print(
                f"{kind:10s} {mode:6s} {len(sel)} calls: mean DER {_fmt(statistics.mean(ders) if ders else None)}, "
                f"mean WER {_fmt(statistics.mean(wers) if wers else None)}, agent found {agent}/{len(sel)}, "
                f"feeling moments {feelings}, arousal events {arousal}, "
                + (f"verdicts right {right}/{3 * len(sel)}, " if right is not None else "")
                + f"mean RTF {statistics.mean(r['rtf'] for r in sel):.3f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default="", help="comma-separated name prefixes (default: every call)")
    parser.add_argument("--modes", default="stereo,mono", help="stereo, mono or both")
    parser.add_argument("--agent-channel", choices=("left", "right"), help="force the stereo agent channel")
    parser.add_argument("--detail", action="store_true", help="list interruptions, feelings and arousal events")
    parser.add_argument("--json", type=Path, default=OUT / "real.json", help="where to write the rows")
    parser.add_argument("--reports", type=Path, help="also write each report here, as <call>.<mode>.json")
    args = parser.parse_args(argv)

    calls = real_calls()
    if not calls:
        print(f"{REAL_DATA} is absent: no real calls to benchmark.")
        return 0
    apply_offline_environment()
    warnings.simplefilter("ignore")
    from analysis.pipeline import analyze_file
    from analysis.report import build_report

    prefixes = [p for p in args.calls.split(",") if p]
    modes = [m for m in args.modes.split(",") if m]
    overrides = {"agent_channel": args.agent_channel} if args.agent_channel else {}
    settings = Settings.from_env(**overrides)
    print(
        f"{'call':26s} {'mode':6s} {'dur s':>6s} {'DER':>6s} {'WER':>6s} {'agent':>5s} {'rule':18s} "
        f"{'cut-ins':>7s} {'bc':>7s} {'feel':>4s} {'arousal':>7s} {'listened / calm / acknowledged':24s} RTF"
    )
    print(
        f"{'':26s} {'':6s} {'':6s} {'':6s} {'':6s} {'':5s} {'':18s} {'ag/cu':>7s} {'ag/cu':>7s} {'':4s} {'ag/cu':>7s}"
    )
    rows = []
    started = time.perf_counter()
    for call in calls:
        if prefixes and not any(call.name.startswith(p) for p in prefixes):
            continue
        for mode, path in call.files.items():
            if mode not in modes:
                continue
            report = build_report(analyze_file(path, settings)).to_json()
            if args.reports:
                args.reports.mkdir(parents=True, exist_ok=True)
                (args.reports / f"{call.name}.{mode}.json").write_text(json.dumps(report, indent=1))
            row = _row(call, mode, report)
            rows.append(row)
            _print_row(row)
            if args.detail:
                _print_detail(row)
            sys.stdout.flush()
    _summary(rows)
    print(f"\n{len(rows)} analyses in {time.perf_counter() - started:.0f} s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
