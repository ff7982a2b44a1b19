"""Redaction of a built report: every sensitive span found in its words (:mod:`audio_features.sensitive`)
is taken out of every text the report holds, and listed, with its kind and time, in ``redactions``.

It runs after the verdicts are made, so they do not change: only the quotes they show do. A span's words
become one word ``[CARD]`` (``[CVV]``, ``[EMAIL]`` ...) with the span's times, and every other text that
quotes them (turn texts, interruption and evidence quotes, feeling moments, acknowledgements, reasons)
has the same words, or any two or more of them in a row, or any one of them holding three or more
written digits, replaced by the same mark. Then a last pass replaces any 12 or more digits in a row
(spaces and dashes allowed) and any email address left in any text. The report never holds the
redacted values, only their kind, time and, for a card number, whether it passed the Luhn check.

No NLP library does this: Microsoft Presidio's pattern recognisers (cards with Luhn, emails, phone
numbers, UK NHS and US SSN) read written text, and none reads digits spoken as words or split across a
recogniser's chunks, which is how card numbers reach a transcript; its NER needs a spaCy model that is
not published on PyPI (a GitHub download at run time, which this project never does).
"""

from __future__ import annotations

import re
from typing import Any

from analysis.report_model import Redaction, Report
from audio_features.sensitive import Finding, find_sensitive
from audio_features.thresholds import RedactionSettings

__all__ = ["redact_report"]

_WRITTEN_CARD = re.compile(r"\b\d(?:[ -]?\d){11,}\b")
_WRITTEN_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TOKEN = re.compile(r"\S+")
#: Parts of the report that hold no transcript text (file names, model names, timings).
_SKIP = frozenset({"source", "models", "timings", "thresholds", "redactions", "speakers"})


def _key(token: str) -> str:
    return token.lower().strip(".,?!;:\"'()[]…")


def _mark(finding: Finding) -> str:
    return f"[{finding.entity.value}]"


def _redact_text(text: str, spans: list[tuple[list[str], str]]) -> str:
    """``text`` with every run of a span's words (two or more in a row, or one holding 3+ digits) replaced."""
    tokens = [(m.start(), m.end(), _key(m.group())) for m in _TOKEN.finditer(text)]
    cut: list[tuple[int, int, str]] = []
    i = 0
    while i < len(tokens):
        best, mark = 0, ""
        for keys, label in spans:
            for p, key in enumerate(keys):
                if key != tokens[i][2]:
                    continue
                k = 1
                while i + k < len(tokens) and p + k < len(keys) and keys[p + k] == tokens[i + k][2]:
                    k += 1
                whole = k == len(keys)
                if k > best and (k >= 2 or whole or sum(c.isdigit() for c in key) >= 3):
                    best, mark = k, label
        if best:
            cut.append((tokens[i][0], tokens[i + best - 1][1], mark))
            i += best
        else:
            i += 1
    for start, end, mark in reversed(cut):
        trail = text[end - 1] if text[end - 1] in ".,?!;:" else ""
        text = text[:start] + mark + trail + text[end:]
    text = _WRITTEN_CARD.sub("[CARD]", text)
    return _WRITTEN_EMAIL.sub("[EMAIL]", text)


def _walk(node: Any, spans: list[tuple[list[str], str]]) -> Any:
    if isinstance(node, str):
        return _redact_text(node, spans)
    if isinstance(node, list):
        return [_walk(item, spans) for item in node]
    if isinstance(node, dict):
        return {k: (v if k in _SKIP else _walk(v, spans)) for k, v in node.items()}
    return node


def redact_report(report: Report, settings: RedactionSettings) -> Report:
    """``report`` with its sensitive spans taken out and listed in ``redactions`` (empty when none were
    found); the report as it is when ``settings.redact`` is off."""
    if not settings.redact:
        return report
    data = report.to_json()
    where = [(t, w) for t, turn in enumerate(data["turns"]) for w in range(len(turn["words"]))]
    where.sort(key=lambda tw: (data["turns"][tw[0]]["words"][tw[1]]["start"], tw[0], tw[1]))

    class _W:
        __slots__ = ("end", "start", "text")

        def __init__(self, word: dict):
            self.start, self.end, self.text = word["start"], word["end"], word["text"]

    words = [_W(data["turns"][t]["words"][w]) for t, w in where]
    findings = find_sensitive(words, settings)
    spans = [([_key(words[i].text) for i in f.words], _mark(f)) for f in findings]
    redactions = []
    marked: dict[tuple[int, int], tuple[str, int]] = {}
    for n, f in enumerate(findings):
        first_turn = where[f.words[0]][0]
        redactions.append(
            Redaction(
                type=f.entity.value,
                start=round(f.start, 3),
                end=round(f.end, 3),
                speaker=data["turns"][first_turn]["speaker"],
                luhn_valid=f.luhn_valid,
            )
        )
        for i in f.words:
            marked[where[i]] = (_mark(f), n)
    for t, turn in enumerate(data["turns"]):
        kept: list[dict] = []
        last = None
        for w, word in enumerate(turn["words"]):
            if (t, w) not in marked:
                kept.append(word)
                last = None
                continue
            mark, n = marked[(t, w)]
            if last == n:  # the same span goes on: one word for all of it
                kept[-1]["end"] = word["end"]
                kept[-1]["probability"] = min(kept[-1]["probability"], word["probability"])
                continue
            kept.append({**word, "text": mark})
            last = n
        turn["words"] = kept
    data = _walk(data, spans)
    data["redactions"] = [r.model_dump(mode="json", exclude_none=True) for r in redactions]
    return Report.model_validate(data)
