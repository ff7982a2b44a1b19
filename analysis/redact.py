"""Redaction of a built report: every sensitive span found in its words (:mod:`audio_features.sensitive`)
is taken out of every text the report holds, and listed, with its kind and time, in ``redactions``.

It runs after the verdicts are made, so they do not change: only the quotes they show do. A span's words
become one word ``[CARD]`` (``[CVV]``, ``[EMAIL]`` ...) with the span's times, and every other text that
quotes them (turn texts, interruption and evidence quotes, feeling moments, acknowledgements, reasons)
has the same words, or any two or more of them in a row, or any one of them holding three or more
written digits, replaced by the same mark. Then a last pass replaces any 12 or more digits in a row
(spaces and dashes allowed) and any email address left in any text. The report never holds the
redacted values, only their kind, time and, for a card number, whether it passed the Luhn check.

A card number the recogniser wrote no words for cannot be found in words: at 8 kHz Whisper drops whole
replies of digits. So when the agent names a card and the customer then speaks, with no card number heard,
the customer's speaking seconds (tone timeline) that none of their words touch are redacted as a card
number too, with a note (``card_unheard_window_s``, ``card_unheard_min_s``).

No NLP library does this: Microsoft Presidio's pattern recognisers (cards with Luhn, emails, phone
numbers, UK NHS and US SSN) read written text, and none reads digits spoken as words or split across a
recogniser's chunks, which is how card numbers reach a transcript; its NER needs a spaCy model that is
not published on PyPI (a GitHub download at run time, which this project never does).
"""

from __future__ import annotations

import math
import re
from typing import Any

from analysis.report_model import Redaction, Report
from audio_features.sensitive import Entity, Finding, asks_for_card, find_sensitive
from audio_features.thresholds import RedactionSettings

__all__ = ["redact_report"]

_WRITTEN_CARD = re.compile(r"\b\d(?:[ -]?\d){11,}\b")
_WRITTEN_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TOKEN = re.compile(r"\S+")
#: An agent turn of at least this many words ends the customer's reply to a card request (a shorter one,
#: "okay", "mm-hmm", is the agent listening while the number is read out).
CARD_REPLY_ENDS_WORDS = 3
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


def _unheard_cards(data: dict, findings: list[Finding], settings: RedactionSettings) -> list[tuple[float, float]]:
    """Spans of the customer's speech after the agent named a card that Whisper wrote no words for, where no
    card number was heard (``card_unheard_window_s``): the customer's speaking seconds of the tone timeline
    that no word of theirs touches, merged, kept when they add up to ``card_unheard_min_s``."""
    timeline = data.get("tone_timeline") or {}
    customer = timeline.get("parties", {}).get("customer")
    if customer is None or settings.card_unheard_window_s <= 0:
        return []
    step = timeline["resolution_s"]
    speaking = customer["speaking"]
    # Which seconds a word of the customer's touches, once for the call (word times are not always in order).
    touched = [False] * len(speaking)
    for turn in data["turns"]:
        for w in turn["words"] if turn["speaker"] == "customer" else ():
            for i in range(max(0, int(w["start"] // step)), min(len(touched), math.ceil(w["end"] / step))):
                touched[i] = True
    cards = [(f.start, f.end) for f in findings if f.entity is Entity.CARD]
    agent = [t for t in data["turns"] if t["speaker"] == "agent"]
    out: list[tuple[float, float]] = []
    for k, turn in enumerate(agent):
        if not asks_for_card(turn["text"]):
            continue
        start = turn["end"]
        later = (t["start"] for t in agent[k + 1 :] if t["start"] > start and len(t["words"]) >= CARD_REPLY_ENDS_WORDS)
        end = min(start + settings.card_unheard_window_s, next(later, math.inf))
        if any(a < end and b > start for a, b in cards):
            continue  # a card number was heard in the reply
        bins = range(math.ceil(start / step - 1e-9), min(len(speaking), math.ceil(end / step - 1e-9)))
        unheard = [(i * step, (i + 1) * step) for i in bins if speaking[i] and not touched[i]]
        if len(unheard) * step < settings.card_unheard_min_s:
            continue
        merged = [list(unheard[0])]
        for a, b in unheard[1:]:
            if a <= merged[-1][1] + 1e-6:
                merged[-1][1] = b
            else:
                merged.append([a, b])
        out += [(a, b) for a, b in merged if not out or a >= out[-1][1]]
    return out


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
    if Entity.CARD.value in settings.redact_entities:
        for start, end in _unheard_cards(data, findings, settings):
            redactions.append(Redaction(type="CARD", start=round(start, 3), end=round(end, 3), speaker="customer"))
            data["notes"].append(
                f"{start:.0f}-{end:.0f} s: the customer spoke after a card was named and no words were heard; "
                "redacted as a card number (CALLSCOPE_CARD_UNHEARD_WINDOW_S=0 turns this off)."
            )
        redactions.sort(key=lambda r: (r.start, r.end))
    data["redactions"] = [r.model_dump(mode="json", exclude_none=True) for r in redactions]
    return Report.model_validate(data)
