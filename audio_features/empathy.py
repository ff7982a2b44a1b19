"""Feeling moments in the customer's turns, and whether the agent acknowledged them.

Both judgements compare sentence embeddings (all-MiniLM-L6-v2 by default,
:func:`audio_features.model_store.sentence_model_path`) with written
exemplar sets in ``audio_features/data/empathy_exemplars.json``. The
**similarity** of a sentence to a set is the mean cosine similarity of its
``TOP_K`` nearest exemplars in that set (a k-nearest-neighbour vote that one
odd exemplar cannot swing).

**Feeling moment.** A customer sentence expresses a feeling when its
similarity to the nearest feeling set (frustration, anger, worry, anxiety,
sadness, disappointment, embarrassment, exhaustion) beats its similarity to
neutral customer talk by ``empathy_feeling_margin``. A feeling word from
:data:`FEELING_WORDS` ("worried", "fed up", "passed away", ...) lowers the
margin needed by ``empathy_lexicon_bonus``, and so does the customer's voice
being aroused at that moment (:mod:`audio_features.arousal`), by
``empathy_arousal_bonus``: the acoustic and the lexical evidence support the
semantic one, and never stand alone. A sentence is scored by its best
clause (split at commas, semicolons, "and", "but"), and clauses of fewer than
``MIN_FEELING_WORDS`` words are left out unless the sentence is one short
clause with a feeling word ("I'm shattered."). A feeling found on meaning
alone must also have been heard clearly: its clause's words must have a
geometric-mean Whisper probability of ``empathy_min_asr_confidence``, since
misheard speech ("I'm on it back.") reads as a feeling too easily. This gate
is applied to each clause before the best one is chosen, so a misheard clause
never hides a clearly heard one beside it. The sentences of one customer turn
that express a feeling form one moment ``{start, end, text, emotion, confidence}``;
``emotion`` is the nearest feeling set of its strongest sentence, and
``confidence`` maps the margin it cleared to 0.5..1.

**Acknowledgement.** An agent sentence acknowledges a feeling when its
similarity to the acknowledging exemplars (naming or validating the feeling
or its cause, sorrow, understanding, reflecting the situation back) beats its
similarity to the non-acknowledging ones (procedural apologies, requests for
details, policy, solutions) by ``empathy_ack_margin``. Each moment is looked
for in the agent's next ``empathy_reply_turns`` substantive turns (at least
``MIN_REPLY_WORDS`` words).

**Delay.** The credit of an acknowledgement is 1 when it starts within
``empathy_prompt_s`` of the end of the feeling, falling linearly to
``LATE_CREDIT`` at ``empathy_late_s`` and staying there: acknowledging only
after a long solution counts less.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from audio_features.config import Settings

if TYPE_CHECKING:
    from audio_features.arousal import ArousalEvent
    from audio_features.turns import Turn

__all__ = [
    "FEELING_WORDS",
    "Acknowledgement",
    "EmpathyModel",
    "FeelingMoment",
    "Sentence",
    "find_acknowledgements",
    "find_feelings",
    "load_empathy_model",
    "sentences",
]

#: Exemplars averaged per set: the similarity of a sentence to a set.
TOP_K = 3
#: Agent turns shorter than this (words) are backchannels, not replies.
MIN_REPLY_WORDS = 3
#: Customer sentences shorter than this (words) carry a feeling only with a feeling word: "Oh!" or
#: "Hi Sarah." sit close to nothing, so their margins are noise.
MIN_FEELING_WORDS = 3
#: Credit of an acknowledgement that comes at or after ``empathy_late_s``.
LATE_CREDIT = 0.7

#: Words and phrases that name a feeling or its usual cause (lower case, matched on word boundaries).
FEELING_WORDS = (
    "frustrated", "frustrating", "fed up", "sick of", "sick and tired", "annoyed", "annoying", "angry", "furious",
    "fuming", "livid", "outrageous", "disgrace", "ridiculous", "joke", "unacceptable", "worried", "worrying", "worry",
    "scared", "terrified", "frightened", "afraid", "anxious", "panicking", "panic", "stressed", "stressful", "nervous",
    "can't sleep", "barely slept", "sad", "heartbroken", "devastated", "passed away", "died", "funeral", "grief",
    "crying", "in tears", "disappointed", "disappointing", "let down", "gutted", "embarrassed", "embarrassing",
    "humiliating", "humiliated", "ashamed", "mortified", "silly", "stupid", "exhausted", "shattered", "worn out",
    "drained", "at the end of my", "beside myself", "upset", "awful", "horrible", "nightmare",
)  # fmt: skip
_FEELING_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in FEELING_WORDS) + r")\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]+[\"')]*$")


@dataclass(frozen=True)
class Sentence:
    """A sentence of one turn, with its time span (s).

    Attributes:
        probabilities: Whisper's probability of each word of ``text`` (split at
            spaces), 0..1; 1 for transcripts given as text.
    """

    speaker: str
    start: float
    end: float
    text: str
    turn: int
    probabilities: tuple[float, ...] = ()

    def heard(self, clause: str) -> float:
        """How surely Whisper heard ``clause`` (a part of ``text``): the geometric mean of its words'
        probabilities, 0..1 (the exponential of the mean log probability, as Whisper scores a hypothesis)."""
        tokens = self.text.split()
        probs = list(self.probabilities)
        if len(probs) == len(tokens):
            at = self.text.find(clause)
            if at >= 0:
                first = len(self.text[:at].split())
                probs = probs[first : first + len(clause.split())] or probs
        if not probs:
            return 1.0
        return float(np.exp(np.mean(np.log(np.clip(probs, 1e-6, 1.0)))))


@dataclass(frozen=True)
class FeelingMoment:
    """Customer sentences of one turn that express a feeling.

    Attributes:
        start, end: From the first to the last feeling sentence, s.
        text: Those sentences.
        emotion: The nearest feeling set of the strongest sentence.
        confidence: 0.5 (just over the bar) to 1.
        cues: What supported it: ``semantic`` always, ``lexicon``, ``arousal``.
        turn: Index of the customer turn.
    """

    start: float
    end: float
    text: str
    emotion: str
    confidence: float
    cues: tuple[str, ...]
    turn: int


@dataclass(frozen=True)
class Acknowledgement:
    """What the agent replied to one feeling moment.

    Attributes:
        moment: The feeling.
        acknowledged: Whether an agent sentence acknowledged it.
        reply: The acknowledging sentence, or else the agent's first reply
            sentence (None when the agent never replied).
        delay_s: From the end of the feeling to the acknowledging sentence, s.
        credit: 0 when not acknowledged; 1 when prompt, down to ``LATE_CREDIT``.
        margin: Similarity to acknowledging minus non-acknowledging exemplars
            of the best reply sentence.
        unclear: When not acknowledged, the first reply sentence that Whisper
            heard below ``empathy_min_asr_confidence`` (geometric-mean word
            probability): an acknowledgement may have been misheard there, so
            a person should listen before relying on the verdict. None when
            acknowledged, or when every reply sentence was heard clearly.
    """

    moment: FeelingMoment
    acknowledged: bool
    reply: Sentence | None
    delay_s: float | None
    credit: float
    margin: float | None
    unclear: Sentence | None = None


def sentences(turns: list[Turn], speaker: str) -> list[Sentence]:
    """Split ``speaker``'s turns into sentences at . ! ? using the words' times."""
    out = []
    for index, turn in enumerate(turns):
        if turn.speaker != speaker:
            continue
        current: list = []
        for word in turn.words:
            current.append(word)
            if _SENTENCE_END.search(word.text.strip()):
                out.append(_sentence(speaker, current, index))
                current = []
        if current:
            out.append(_sentence(speaker, current, index))
    return out


def _sentence(speaker: str, words: list, turn: int) -> Sentence:
    text = " ".join(w.text.strip() for w in words)
    probabilities = tuple(float(w.probability) for w in words)
    return Sentence(speaker, words[0].start, words[-1].end, text, turn, probabilities)


class EmpathyModel:
    """The sentence encoder with its exemplar sets embedded once."""

    def __init__(self, encoder, exemplars: dict) -> None:
        self._encoder = encoder
        self.emotions = list(exemplars["feelings"])
        groups = {**{f"feeling:{e}": exemplars["feelings"][e] for e in self.emotions}}
        groups |= {"neutral": exemplars["neutral"], "ack": exemplars["acknowledging"]}
        groups["not_ack"] = exemplars["not_acknowledging"]
        self._sets = {name: self.embed(texts) for name, texts in groups.items()}

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, shape (n, dim)."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.asarray(self._encoder.encode(texts, batch_size=64, normalize_embeddings=True))

    def similarity(self, embeddings: np.ndarray, name: str) -> np.ndarray:
        """Mean cosine similarity of each row to its ``TOP_K`` nearest exemplars of set ``name``."""
        sims = embeddings @ self._sets[name].T
        k = min(TOP_K, sims.shape[1])
        return np.sort(sims, axis=1)[:, -k:].mean(axis=1)

    def feeling_scores(self, texts: list[str]) -> tuple[list[str], np.ndarray]:
        """Per text: the nearest feeling set, and its margin over neutral talk."""
        emb = self.embed(texts)
        if not len(texts):
            return [], np.zeros(0)
        by_emotion = np.stack([self.similarity(emb, f"feeling:{e}") for e in self.emotions], axis=1)
        best = by_emotion.argmax(axis=1)
        margin = by_emotion.max(axis=1) - self.similarity(emb, "neutral")
        return [self.emotions[i] for i in best], margin

    def ack_margins(self, texts: list[str]) -> np.ndarray:
        """Per text: similarity to acknowledging minus non-acknowledging exemplars."""
        emb = self.embed(texts)
        if not len(texts):
            return np.zeros(0)
        return self.similarity(emb, "ack") - self.similarity(emb, "not_ack")


def _exemplars() -> dict:
    return json.loads(resources.files("audio_features").joinpath("data/empathy_exemplars.json").read_text())


@lru_cache(maxsize=2)
def _cached_model(path: str, threads: int) -> EmpathyModel:
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    return EmpathyModel(SentenceTransformer(path, device="cpu"), _exemplars())


def load_empathy_model(settings: Settings) -> EmpathyModel:
    """The encoder and embedded exemplars, loaded once per process (workers reuse it)."""
    from audio_features.model_store import sentence_model_path

    return _cached_model(sentence_model_path(settings), settings.cpu_threads)


_CLAUSE_BREAK = re.compile(r"[,;:]|\s(?:and|but)\s")


def _clauses(text: str) -> list[str]:
    """The clauses of a sentence worth scoring: those of ``MIN_FEELING_WORDS`` words or more.

    A sentence without a break is its own clause; a short one is kept only with a feeling word.
    """
    parts = [p.strip() for p in _CLAUSE_BREAK.split(text) if p.strip()]
    if len(parts) > 1:
        return [p for p in parts if len(p.split()) >= MIN_FEELING_WORDS]
    if len(text.split()) >= MIN_FEELING_WORDS or _FEELING_RE.search(text):
        return [text]
    return []


def _overlaps(s: Sentence, events: list[ArousalEvent]) -> bool:
    return any(e.start < s.end and s.start < e.end for e in events)


def find_feelings(
    turns: list[Turn], model: EmpathyModel, settings: Settings, arousal: list[ArousalEvent] = ()
) -> list[FeelingMoment]:
    """Feeling moments of the customer (see the module docstring).

    Args:
        turns: The call's turns, in time order.
        model: From :func:`load_empathy_model`.
        settings: The ``empathy_*`` thresholds.
        arousal: The customer's arousal events; empty when tone was not measured.
    """
    said = sentences(turns, "customer")
    # Score each sentence by its most feeling-laden clause: "I moved last month, and nobody answers my emails"
    # carries its feeling in a clause that the facts around it would drown.
    texts, owner = [], []
    for i, sentence in enumerate(said):
        for clause in _clauses(sentence.text):
            texts.append(clause)
            owner.append(i)
    emotions, margins = model.feeling_scores(texts)
    events = list(arousal)
    cues = [
        ("semantic",)
        + (("lexicon",) if _FEELING_RE.search(s.text) else ())
        + (("arousal",) if _overlaps(s, events) else ())
        for s in said
    ]
    best: dict[int, tuple[str, float, str]] = {}
    for i, emotion, margin, clause in zip(owner, emotions, margins, texts, strict=True):
        # Meaning alone, read from words Whisper was unsure of, is likely misheard. The gate applies
        # clause by clause, before the best is chosen, so that a misheard clause does not hide a
        # clearly heard one beside it.
        if cues[i] == ("semantic",) and said[i].heard(clause) < settings.empathy_min_asr_confidence:
            continue
        if i not in best or margin > best[i][1]:
            best[i] = (emotion, float(margin), clause)
    found: dict[int, list[tuple[Sentence, str, float, tuple[str, ...]]]] = {}
    for i, (emotion, margin, _clause) in best.items():
        s = said[i]
        needed = settings.empathy_feeling_margin
        if "lexicon" in cues[i]:
            needed -= settings.empathy_lexicon_bonus
        if "arousal" in cues[i]:
            needed -= settings.empathy_arousal_bonus
        if margin >= needed:
            found.setdefault(s.turn, []).append((s, emotion, margin - needed, cues[i]))
    moments = []
    for turn, items in sorted(found.items()):
        strongest = max(items, key=lambda x: x[2])
        support = tuple(dict.fromkeys(c for item in items for c in item[3]))
        moments.append(
            FeelingMoment(
                start=items[0][0].start,
                end=items[-1][0].end,
                text=" ".join(item[0].text for item in items),
                emotion=strongest[1],
                confidence=round(min(1.0, 0.5 + 5 * strongest[2]), 3),
                cues=support,
                turn=turn,
            )
        )
    return moments


def _credit(delay_s: float, settings: Settings) -> float:
    if delay_s <= settings.empathy_prompt_s:
        return 1.0
    span = max(settings.empathy_late_s - settings.empathy_prompt_s, 1e-9)
    return max(LATE_CREDIT, 1 - (1 - LATE_CREDIT) * (delay_s - settings.empathy_prompt_s) / span)


def find_acknowledgements(
    moments: list[FeelingMoment], turns: list[Turn], model: EmpathyModel, settings: Settings
) -> list[Acknowledgement]:
    """For each feeling moment, the agent's acknowledgement or the reply that was not one."""
    replies = [t for t in sentences(turns, "agent")]
    margins = dict(zip(replies, model.ack_margins([s.text for s in replies]), strict=True))
    substantive = [i for i, t in enumerate(turns) if t.speaker == "agent" and len(t.words) >= MIN_REPLY_WORDS]
    out = []
    for m in moments:
        window = [i for i in substantive if turns[i].start >= m.start][: settings.empathy_reply_turns]
        # Sentences after the feeling, in the agent's next turns (a reply may begin inside the customer's turn).
        candidates = [s for s in replies if s.turn in window and s.end > m.end - 0.5]
        acks = [s for s in candidates if margins[s] >= settings.empathy_ack_margin]
        if acks:
            first = acks[0]
            delay = max(0.0, first.start - m.end)
            out.append(Acknowledgement(m, True, first, delay, _credit(delay, settings), float(margins[first])))
        else:
            best = max(candidates, key=lambda s: margins[s], default=None)
            first = candidates[0] if candidates else None
            unclear = next((s for s in candidates if s.heard(s.text) < settings.empathy_min_asr_confidence), None)
            margin = None if best is None else float(margins[best])
            out.append(Acknowledgement(m, False, first, None, 0.0, margin, unclear))
    return out
