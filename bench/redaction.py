"""Redaction on the redaction set (:mod:`fixtures.redaction`): recall and precision per kind of sensitive
data, at 16 kHz and as 8 kHz μ-law telephone audio, through the whole pipeline (Whisper, then
:mod:`analysis.redact`), split by the voices and scripts used while developing it (*tune*), heard once
and then fixed for (*heldout*, *fresh*, *fresh2*), or never used for it (*fresh3*).

* A labelled span is **found** when a redaction of its kind overlaps it.
* A card number is **covered** when redactions of any kind cover its whole labelled time (to within
  ``EDGE_S`` at each end): a partly redacted card number is a missed one.
* A redaction is **right** when it overlaps a labelled span of its kind; precision is right / all.

    python -m fixtures.redaction          # the set, once (about 30 s)
    python -m bench.redaction [--split heldout] [--json out.json]
    python -m bench.redaction --real      # the real calls' human transcripts (../shared/data/real)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from audio_features.config import Settings, apply_offline_environment

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "bench" / "out" / "redaction"
#: Slack at each end of a labelled span, s: the synthesised value's edges are its trimmed waveform's.
EDGE_S = 0.3
#: The set's splits (:mod:`fixtures.redaction`).
SPLITS = ("tune", "heldout", "fresh", "fresh2", "fresh3")


def _overlaps(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def _covered(label: dict, redactions: list[dict]) -> bool:
    """Whether ``redactions`` cover all of ``label``'s time (within EDGE_S at each end)."""
    t, end = label["start"] + EDGE_S, label["end"] - EDGE_S
    for r in sorted(redactions, key=lambda r: r["start"]):
        if r["start"] <= t + 0.5 and r["end"] > t:  # gaps of under 0.5 s between redactions are words' gaps
            t = r["end"]
    return t >= end


def score(labels: list[dict], redactions: list[dict]) -> dict:
    """Per kind: labelled, found, redacted, right; and for cards, covered."""
    out: dict[str, Counter] = {}
    for label in labels:
        c = out.setdefault(label["type"], Counter())
        c["labelled"] += 1
        c["found"] += any(r["type"] == label["type"] and _overlaps(r, label) for r in redactions)
        if label["type"] == "CARD":
            c["covered"] += _covered(label, redactions)
    for r in redactions:
        c = out.setdefault(r["type"], Counter())
        c["redacted"] += 1
        c["right"] += any(r["type"] == label["type"] and _overlaps(r, label) for label in labels)
    return out


def real_transcripts(folder: Path) -> int:
    """What is found in the real calls' human transcripts (``.txt``: start, end, role, text), each segment's
    words spread evenly over its time. They were recorded without any card numbers; what is found is
    printed for a reader to judge."""
    from audio_features.sensitive import find_sensitive

    class _Word:
        def __init__(self, start: float, end: float, text: str):
            self.start, self.end, self.text = start, end, text

    settings = Settings.from_env().redaction
    for path in sorted(p for p in folder.glob("hvb_*.txt") if "LICENSE" not in p.name):
        words = []
        for line in path.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) < 4 or parts[0].startswith("#"):
                continue
            start, end, tokens = float(parts[0]), float(parts[1]), parts[3].split()
            step = (end - start) / max(1, len(tokens))
            words += [_Word(start + i * step, start + (i + 1) * step, t) for i, t in enumerate(tokens)]
        words.sort(key=lambda w: w.start)
        found = find_sensitive(words, settings)
        shown = [(f.entity.value, round(f.start, 1), " ".join(words[i].text for i in f.words)) for f in found]
        print(f"{path.stem}: {len(words)} words, {len(found)} found {shown}")
    return 0


def _pct(a: int, b: int) -> str:
    return "  n/a" if not b else f"{100 * a / b:5.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--real", action="store_true", help="the real calls' human transcripts instead")
    args = parser.parse_args(argv)
    apply_offline_environment()
    if args.real:
        from bench.reference import REAL_DATA

        if not REAL_DATA.is_dir():
            print(f"no real calls in {REAL_DATA}", file=sys.stderr)
            return 2
        return real_transcripts(REAL_DATA)
    from analysis.pipeline import analyze_file
    from analysis.redact import redact_report
    from analysis.report import build_report

    if not all((args.set / s).is_dir() for s in SPLITS):
        print(f"no redaction set in {args.set}: run `python -m fixtures.redaction` first", file=sys.stderr)
        return 2
    settings = Settings.from_env(agent_channel="left")
    splits = SPLITS if args.split == "all" else (args.split,)
    rows, started = [], time.monotonic()
    for split in splits:
        for version, suffix in (("16k", ".flac"), ("8k", "_8k_mulaw.wav")):
            total: dict[str, Counter] = {}
            redact_s = 0.0
            for label_file in sorted((args.set / split).glob("*.labels.json")):
                labels = json.loads(label_file.read_text())
                audio = label_file.with_name(labels["name"] + suffix)
                report = build_report(analyze_file(audio, settings))
                t = time.perf_counter()
                redacted = redact_report(report, settings.redaction).to_json()
                redact_s += time.perf_counter() - t
                found = redacted.get("redactions", [])
                for kind, c in score(labels["spans"], found).items():
                    total.setdefault(kind, Counter()).update(c)
                missed = [
                    s for s in labels["spans"] if not any(_overlaps(r, s) and r["type"] == s["type"] for r in found)
                ]
                wrong = [
                    r for r in found if not any(_overlaps(r, s) and r["type"] == s["type"] for s in labels["spans"])
                ]
                if missed or wrong:
                    heard = " | ".join(t["text"] for t in report.to_json()["turns"] if t["speaker"] == "customer")
                    print(
                        f"  {labels['name']} {version}: missed {[(m['type'], m['text']) for m in missed]} "
                        f"wrong {[(w['type'], w['start']) for w in wrong]}; heard: {heard[:300]}"
                    )
            print(f"{split:8s} {version}: kind       labelled found  recall  redacted right precision  cards covered")
            all_c = Counter()
            for kind in sorted(total):
                c = total[kind]
                all_c.update(c)
                cover = f"{c['covered']}/{c['labelled']}" if kind == "CARD" else ""
                print(
                    f"{'':13s}{kind:10s} {c['labelled']:8d} {c['found']:5d} {_pct(c['found'], c['labelled'])}% "
                    f"{c['redacted']:8d} {c['right']:5d} {_pct(c['right'], c['redacted'])}%   {cover}"
                )
            print(
                f"{'':13s}{'all':10s} {all_c['labelled']:8d} {all_c['found']:5d} "
                f"{_pct(all_c['found'], all_c['labelled'])}% {all_c['redacted']:8d} {all_c['right']:5d} "
                f"{_pct(all_c['right'], all_c['redacted'])}%   (redaction itself: {redact_s:.3f} s)"
            )
            rows.append(
                {
                    "split": split,
                    "version": version,
                    "kinds": {k: dict(v) for k, v in total.items()},
                    "redact_s": round(redact_s, 3),
                }
            )
    print(f"{time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
