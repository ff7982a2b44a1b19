"""Shared helpers for the tests: text normalisation for WER, fixture labels."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = ROOT / "fixtures" / "calls"
SHARED_DATA = ROOT.parent / "shared" / "data"

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve "
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _number(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    return " ".join(_UNITS[int(d)] for d in str(n))  # read long numbers digit by digit, as in account numbers


def normalize(text: str) -> str:
    """Lower case, numbers spelled out, punctuation dropped: the usual WER normalisation."""
    text = text.lower().replace("mrs.", "mrs").replace("-", " ")
    text = re.sub(r"\d+", lambda m: f" {_number(int(m.group()))} ", text)
    text = re.sub(r"[^a-z' ]+", " ", text)
    return " ".join(text.split())


def labels(name: str) -> dict:
    return json.loads((CALLS / f"{name}.labels.json").read_text())


def reference_text(name: str, speaker: str | None = None) -> str:
    return " ".join(t["text"] for t in labels(name)["turns"] if speaker in (None, t["speaker"]))


def report_text(report: dict, speaker: str | None = None) -> str:
    return " ".join(t["text"] for t in report["turns"] if speaker in (None, t["speaker"]))
