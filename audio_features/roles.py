"""Which speaker is the agent: from what each speaker says, on stereo and mono calls alike.

Both a stereo channel (``left``/``right``) and a diarized mono speaker
(``SPEAKER_00`` ...) are a *label* with words. The agent is decided in order:

1. **Setting.** ``--agent-channel left|right`` (stereo) or ``--agent-speaker
   SPEAKER_01`` (mono) wins, with confidence 1. The phrase rule below is
   still run, and when it points firmly at the other label (a margin of
   ``FIRM_MARGIN`` or more) the assignment carries a warning: a recorder
   wired the other way round, or a wrong setting.
2. **Agent phrases.** Each label's words are scored:

   * ``+1`` for each of :data:`OPENING_PHRASES` in the label's first
     ``OPENING_TURNS`` turns (agents open and identify themselves: "thank you
     for calling", "this is Harper Valley Bank", "how can I help"), and for
     each occurrence anywhere of :data:`SERVICE_PHRASES` (what agents say
     while serving: "is there anything else I can help you with", "let me
     check", "can I have your", "your account");
   * ``-1`` for each occurrence of :data:`CUSTOMER_PHRASES` (what callers
     say about their own affairs: "I'd like to", "I lost my", "my account").

   Each phrase counts at most ``MAX_COUNT`` times. The label with the
   highest score is the agent when it leads the next by at least 1; the
   confidence grows with the lead: ``min(0.95, 0.5 + 0.15 * lead)``.
   Phrases are common contact-centre script lines (greeting, identification,
   verification, hold, closing), checked against the human transcripts of
   the real bank calls and the fixture calls.
3. **First speaker.** Otherwise the first to speak is the agent (agents
   answer inbound calls): confidence 0.55.
4. A call with one speaker: that speaker is the agent, confidence 0.5.

The evidence names the phrases found for each label, so a reviewer can
check the decision in the transcript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from audio_features.errors import ConfigError
from audio_features.parties import Role
from audio_features.turns import LabelledWord

__all__ = [
    "CUSTOMER_PHRASES",
    "OPENING_PHRASES",
    "SERVICE_PHRASES",
    "PhraseScore",
    "RoleAssignment",
    "assign_roles",
    "phrase_scores",
]

#: Turns of each speaker searched for opening phrases.
OPENING_TURNS = 3
#: Pause that separates turns when counting a speaker's first turns, s.
_TURN_PAUSE_S = 1.0
#: A phrase counts at most this many times per label.
MAX_COUNT = 3
#: A lead this large makes the phrase rule firm enough to warn against a setting.
FIRM_MARGIN = 2

#: Phrases by which agents open a call or identify themselves (regular expressions on lower-case text).
OPENING_PHRASES = (
    r"thank(s| you) for (calling|contacting|holding)",
    r"\bthis is \w+( \w+){0,3} (bank|from|at|with|support|service|services|speaking|department)\b",
    r"\bcalling from\b",
    r"\bhow (can|may|could) i (help|assist)",
    r"\bwhat can i do for you\b",
    r"\b(am i|i'm|i am) speaking (with|to)\b",
    r"\b(welcome to|you've reached|you have reached|you're through to|you are through to)\b",
    r"\b(this|the|your) call (is|may be|will be) recorded\b",
)
#: What agents say while serving the customer, anywhere in the call.
SERVICE_PHRASES = (
    r"\banything else (i|that i|we) can (help|do|assist)",
    r"\b(is there|was there) anything else\b",
    r"\bhave a (great|good|nice|lovely|wonderful) (day|evening|afternoon|weekend)\b",
    r"\blet me (just )?(check|look|see|pull|find|bring|confirm|verify|take|put you|transfer|book|set)\b",
    r"\b(can|could|may) i (have|get|take|grab|confirm) (your|the)\b",
    r"\bwhat (is|was|'s) (your|the) (name|address|account|card|number|postcode|zip|date|reference|make|model)\b",
    r"\bi('ve| have) (scheduled|booked|sent|ordered|updated|processed|cancelled|canceled|blocked|raised|logged)\b",
    r"\b(i'd|i would|i'll|i will) be (happy|glad) to help\b",
    r"\bi can (help you with|look into|check) that\b",
    r"\b(bear with me|thank you for (waiting|your patience))\b",
    r"\byour (account|card|balance|appointment|address|order|booking|payment|refund|details|checkbook|vehicle"
    r"|car|policy|contract|bill|postcode|zip code|date of birth)\b",
)
#: What callers say about their own affairs, anywhere in the call.
CUSTOMER_PHRASES = (
    r"\bi('d| would) like (to|a|an|my|some)\b",
    r"\bi (lost|need a new|want to cancel|want to change)\b",
    r"\bi('m| am) (calling|ringing) (about|because|regarding)\b",
    r"\bcan you (help me|send me|tell me)\b",
    r"\bmy (account|card|balance|appointment|address|order|booking|payment|refund|details|checkbook|vehicle"
    r"|car|policy|contract|bill|postcode|zip code|date of birth)\b",
)
_OPENING = [re.compile(p) for p in OPENING_PHRASES]
_SERVICE = [re.compile(p) for p in SERVICE_PHRASES]
_CUSTOMER = [re.compile(p) for p in CUSTOMER_PHRASES]
_PUNCT = re.compile(r"[^\w' ]+")

CONFIDENCE = {"setting": 1.0, "first_speaker": 0.55, "single_speaker": 0.5}


@dataclass(frozen=True)
class PhraseScore:
    """What a label said that sounds like an agent or a customer.

    Attributes:
        agent: Agent phrases found (opening and service), as heard.
        customer: Customer phrases found, as heard.
    """

    agent: tuple[str, ...] = ()
    customer: tuple[str, ...] = ()

    @property
    def score(self) -> int:
        return len(self.agent) - len(self.customer)


@dataclass(frozen=True)
class RoleAssignment:
    """The agent's label and how it was chosen.

    Attributes:
        agent: Label of the agent (``left``/``right`` or ``SPEAKER_xx``).
        roles: Every label mapped to its :class:`Role`.
        rule: ``agent_channel`` or ``override`` (a setting), ``agent_phrases``,
            ``first_speaker`` or ``single_speaker``.
        confidence: 0..1, per the module docstring.
        evidence: One sentence a reviewer can check.
        scores: Each label's phrases.
        warning: Set when a setting chose the agent and the phrases point
            firmly at another label.
    """

    agent: str
    roles: dict[str, Role]
    rule: str
    confidence: float
    evidence: str
    scores: dict[str, PhraseScore] = field(default_factory=dict)
    warning: str | None = None


def _normalise(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", text.lower().replace("-", " ")).split())


def _texts(words: list[LabelledWord]) -> dict[str, tuple[str, str]]:
    """Per label: (text of its first ``OPENING_TURNS`` turns, text of all its words)."""
    first: dict[str, list[str]] = {}
    every: dict[str, list[str]] = {}
    turns: dict[str, int] = {}
    last_end: dict[str, float] = {}
    for lw in sorted(words, key=lambda x: x.word.start):
        label = lw.label
        if label in last_end and lw.word.start - last_end[label] > _TURN_PAUSE_S:
            turns[label] = turns.get(label, 1) + 1
        last_end[label] = lw.word.end
        every.setdefault(label, []).append(lw.word.text)
        if turns.get(label, 1) <= OPENING_TURNS:
            first.setdefault(label, []).append(lw.word.text)
    return {
        label: (_normalise(" ".join(first.get(label, []))), _normalise(" ".join(ws))) for label, ws in every.items()
    }


def _found(patterns: list[re.Pattern], text: str) -> list[str]:
    out = []
    for p in patterns:
        out += [m.group(0) for m in p.finditer(text)][:MAX_COUNT]
    return out


def phrase_scores(words: list[LabelledWord]) -> dict[str, PhraseScore]:
    """Agent and customer phrases of each label (see the module docstring)."""
    out = {}
    for label, (opening, whole) in _texts(words).items():
        agent = _found(_OPENING, opening) + _found(_SERVICE, whole)
        out[label] = PhraseScore(agent=tuple(agent), customer=tuple(_found(_CUSTOMER, whole)))
    return out


def _describe(label: str, s: PhraseScore) -> str:
    quoted = ", ".join(f"'{p}'" for p in dict.fromkeys(s.agent)) or "no agent phrase"
    said = f"{label}: {quoted}"
    if s.customer:
        said += " against " + ", ".join(f"'{p}'" for p in dict.fromkeys(s.customer))
    return f"{said} (score {s.score:+d})"


def assign_roles(
    words: list[LabelledWord], labels: list[str], *, setting: str | None = None, setting_rule: str = "override"
) -> RoleAssignment:
    """Decide which label is the agent (see the module docstring).

    Args:
        words: Words labelled with channel names or diarization labels.
        labels: Every label, including those without words.
        setting: A label chosen by the user or configuration; None to decide from the words.
        setting_rule: The rule name to report for ``setting``: ``agent_channel`` or ``override``.

    Raises:
        ConfigError: ``setting`` is not one of ``labels``.
    """
    scores = phrase_scores(words)
    for label in labels:
        scores.setdefault(label, PhraseScore())
    ranked = sorted(labels, key=lambda lab: scores[lab].score, reverse=True)
    evidence = "; ".join(_describe(lab, scores[lab]) for lab in ranked)
    lead = scores[ranked[0]].score - scores[ranked[1]].score if len(ranked) > 1 else 0

    if setting is not None:
        if setting not in labels:
            raise ConfigError(f"--agent-speaker {setting!r} is not a speaker of this call; choose one of {labels}")
        warning = None
        if ranked[0] != setting and lead >= FIRM_MARGIN:
            what = "channel" if setting_rule == "agent_channel" else "speaker"
            flag = "--agent-channel" if setting_rule == "agent_channel" else "--agent-speaker"
            warning = (
                f"The agent {what} is set to {setting}, but the {ranked[0]} {what} speaks like the agent "
                f"({evidence}): check the setting ({flag} {ranked[0]}, or leave it unset to detect it)."
            )
        said = f"set to {setting}; the phrases: {evidence}"
        return _assignment(setting, labels, setting_rule, CONFIDENCE["setting"], said, scores, warning)
    if len(labels) == 1:
        return _assignment(labels[0], labels, "single_speaker", CONFIDENCE["single_speaker"], evidence, scores)
    if lead >= 1:
        confidence = min(0.95, 0.5 + 0.15 * lead)
        return _assignment(ranked[0], labels, "agent_phrases", confidence, evidence, scores)
    first = min(words, key=lambda lw: lw.word.start).label if words else labels[0]
    said = f"{first} spoke first; the phrases did not decide ({evidence})"
    return _assignment(first, labels, "first_speaker", CONFIDENCE["first_speaker"], said, scores)


def _assignment(
    agent: str,
    labels: list[str],
    rule: str,
    confidence: float,
    evidence: str,
    scores: dict[str, PhraseScore],
    warning: str | None = None,
) -> RoleAssignment:
    roles = {label: (Role.AGENT if label == agent else Role.CUSTOMER) for label in labels}
    return RoleAssignment(agent, roles, rule, round(confidence, 2), evidence, scores, warning)
