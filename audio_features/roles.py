"""Which speaker is the agent.

Stereo: the configured agent channel (default left) is the agent; the
confidence is 1 because it is configuration, but the opening-phrase rule
below is still run, and a report note warns when it points at the other
channel (a recorder wired the other way round).

Mono, in order:

1. **Override.** ``--agent-speaker SPEAKER_01`` (a diarization label) wins.
2. **Opening phrases.** Agents open and identify themselves: "thank you for
   calling", "my name is", "this is ... from", "how can I help", "am I
   speaking with". The phrases are counted in each speaker's first
   ``OPENING_TURNS`` turns. The speaker with more matches is the agent:
   confidence 0.9 when the other has none, 0.7 otherwise.
3. **First speaker.** Otherwise the first to speak is the agent (agents answer
   inbound calls): confidence 0.6.
4. A call with one speaker: that speaker is the agent, confidence 0.5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audio_features.errors import ConfigError
from audio_features.turns import LabelledWord

__all__ = ["OPENING_PHRASES", "RoleAssignment", "assign_mono_roles", "opening_phrase_counts"]

#: Turns of each speaker searched for opening phrases.
OPENING_TURNS = 3
#: Pause that separates turns when counting a speaker's first turns, s.
_TURN_PAUSE_S = 1.0
#: Phrases by which agents open a call or identify themselves (regular expressions on lower-case text).
OPENING_PHRASES = (
    r"thank(s| you) for (calling|contacting|holding)",
    r"\bmy name is\b",
    r"\bthis is \w+(\s\w+)? (from|at|with)\b",
    r"\bcalling from\b",
    r"\bhow (can|may) i (help|assist)",
    r"\bwhat can i do for you\b",
    r"\b(am i|i'm|i am) speaking (with|to)\b",
    r"\bwelcome to\b",
    r"\b(this|the) call (is|may be) recorded\b",
)
_PATTERNS = [re.compile(p) for p in OPENING_PHRASES]

CONFIDENCE = {"override": 1.0, "opening_phrases_unopposed": 0.9, "opening_phrases": 0.7, "first_speaker": 0.6}


@dataclass(frozen=True)
class RoleAssignment:
    """The agent's label and how it was chosen.

    Attributes:
        agent: Label of the agent (``left``/``right`` or ``SPEAKER_xx``).
        roles: Every label mapped to ``agent`` or ``customer``.
        rule: ``agent_channel``, ``override``, ``opening_phrases``,
            ``first_speaker`` or ``single_speaker``.
        confidence: 0..1, per the module docstring.
        evidence: One sentence a reviewer can check.
    """

    agent: str
    roles: dict[str, str]
    rule: str
    confidence: float
    evidence: str


def _first_turns_text(words: list[LabelledWord]) -> dict[str, str]:
    texts: dict[str, list[str]] = {}
    turns: dict[str, int] = {}
    last_end: dict[str, float] = {}
    for lw in sorted(words, key=lambda x: x.word.start):
        label = lw.label
        if label in last_end and lw.word.start - last_end[label] > _TURN_PAUSE_S:
            turns[label] = turns.get(label, 1) + 1
        last_end[label] = lw.word.end
        if turns.get(label, 1) <= OPENING_TURNS:
            texts.setdefault(label, []).append(lw.word.text)
    return {label: " ".join(ws).lower() for label, ws in texts.items()}


def opening_phrase_counts(words: list[LabelledWord]) -> dict[str, int]:
    """Opening-phrase matches in each label's first turns."""
    return {label: sum(bool(p.search(text)) for p in _PATTERNS) for label, text in _first_turns_text(words).items()}


def assign_mono_roles(words: list[LabelledWord], labels: list[str], *, override: str | None = None) -> RoleAssignment:
    """Decide which diarized speaker is the agent (see the module docstring).

    Args:
        words: Words labelled with diarization labels.
        labels: Every diarization label, including speakers without words.
        override: A label chosen by the user.

    Raises:
        ConfigError: ``override`` is not one of ``labels``.
    """
    if override is not None:
        if override not in labels:
            raise ConfigError(f"--agent-speaker {override!r} is not a speaker of this call; choose one of {labels}")
        return _assignment(override, labels, "override", CONFIDENCE["override"], f"set by the user: {override}")
    if len(labels) == 1:
        return _assignment(labels[0], labels, "single_speaker", 0.5, "only one speaker was found")
    counts = opening_phrase_counts(words)
    ranked = sorted(labels, key=lambda lab: counts.get(lab, 0), reverse=True)
    top, second = counts.get(ranked[0], 0), counts.get(ranked[1], 0)
    if top > second:
        rule = "opening_phrases_unopposed" if second == 0 else "opening_phrases"
        return _assignment(
            ranked[0],
            labels,
            "opening_phrases",
            CONFIDENCE[rule],
            f"{ranked[0]} used {top} agent opening phrase(s) in their first turns, {ranked[1]} used {second}",
        )
    first = min(words, key=lambda lw: lw.word.start).label if words else labels[0]
    return _assignment(first, labels, "first_speaker", CONFIDENCE["first_speaker"], f"{first} spoke first")


def _assignment(agent: str, labels: list[str], rule: str, confidence: float, evidence: str) -> RoleAssignment:
    roles = {label: ("agent" if label == agent else "customer") for label in labels}
    return RoleAssignment(agent=agent, roles=roles, rule=rule, confidence=confidence, evidence=evidence)
