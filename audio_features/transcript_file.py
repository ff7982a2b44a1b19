"""Turns from a transcript the user already has (``callscope analyze --transcript``).

The file is JSON: a list of turns ``{speaker, start, end, text}`` (or an
object with such a list under ``turns``), times in seconds. ``speaker`` is
the agent's label (``agent`` unless ``agent_label`` says otherwise, e.g.
``--agent-speaker A``); every other label is the customer. A file in which
no turn carries the agent's label is refused, unless every turn is the
``customer``'s (a voicemail), so that mislabelled files are not judged.
Telephony platforms that transcribe calls give turns, not words, so each
turn's words get times spread over the turn in proportion to their length in
characters: good enough for sentence spans and reply delays, which is all the
text-based stages use. Nothing acoustic is inferred from them.
"""

from __future__ import annotations

import json
from pathlib import Path

from audio_features.errors import BadTranscript
from audio_features.parties import Role
from audio_features.transcription import Word
from audio_features.turns import Turn

__all__ = ["load_transcript", "turns_from_records"]

#: Longest transcript accepted, in turns (a 3-hour call has a few thousand).
MAX_TURNS = 20000


def _words(text: str, start: float, end: float) -> list[Word]:
    tokens = text.split()
    weights = [len(t) + 1 for t in tokens]
    total, at, words = sum(weights), start, []
    for token, weight in zip(tokens, weights, strict=True):
        span = (end - start) * weight / total
        words.append(Word(at, at + span * 0.9, token, 1.0))
        at += span
    return words


def turns_from_records(records: list, agent_label: str = "agent") -> list[Turn]:
    """Validate turn records and build :class:`Turn` objects, in time order."""
    if not isinstance(records, list) or not records:
        raise BadTranscript("the transcript has no turns: give a JSON list of {speaker, start, end, text} objects")
    if len(records) > MAX_TURNS:
        raise BadTranscript(f"the transcript has {len(records)} turns, more than {MAX_TURNS}: split the call")
    turns = []
    for i, r in enumerate(records):
        where = f"turn {i + 1}"
        if not isinstance(r, dict) or not {"speaker", "start", "end", "text"} <= r.keys():
            raise BadTranscript(f"{where}: each turn needs speaker, start, end and text")
        try:
            start, end = float(r["start"]), float(r["end"])
        except (TypeError, ValueError):
            raise BadTranscript(f"{where}: start and end must be numbers of seconds") from None
        if not 0 <= start <= end:
            raise BadTranscript(f"{where}: start and end must satisfy 0 <= start <= end (got {start}, {end})")
        role = Role.AGENT if str(r["speaker"]) == agent_label else Role.CUSTOMER
        text = str(r["text"]).strip()
        if text:
            turns.append(Turn(role, start, end, text, _words(text, start, end)))
    if not turns:
        raise BadTranscript("every turn of the transcript is empty")
    labels = sorted({str(r["speaker"]) for r in records})
    if not any(t.speaker == Role.AGENT for t in turns) and not set(labels) <= {"customer", "caller"}:
        raise BadTranscript(
            f"no turn has the agent's label {agent_label!r} (labels: {', '.join(labels)}): "
            "name the agent's label with --agent-speaker"
        )
    return sorted(turns, key=lambda t: t.start)


def load_transcript(path: str | Path, agent_label: str = "agent") -> list[Turn]:
    """Read and validate a transcript file."""
    p = Path(path)
    if not p.is_file():
        raise BadTranscript(f"{p}: no such transcript file")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadTranscript(f"{p}: not valid JSON ({e}); give a list of {{speaker, start, end, text}} turns") from None
    records = data.get("turns") if isinstance(data, dict) else data
    return turns_from_records(records, agent_label)
