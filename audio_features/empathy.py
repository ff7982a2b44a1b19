"""Feeling moments and episodes in the customer's turns, and whether the agent acknowledged them.

Both judgements compare sentence embeddings (all-MiniLM-L6-v2 by default,
:func:`audio_features.model_store.sentence_model_path`) with written
exemplar sets in ``audio_features/data/empathy_exemplars.json``. The
**similarity** of a sentence to a set is the mean cosine similarity of its
``TOP_K`` nearest exemplars in that set (a k-nearest-neighbour vote that one
odd exemplar cannot swing).

**Feeling moment.** A customer sentence expresses a feeling when two views
of its meaning agree:

* its similarity to the nearest feeling set (frustration, anger, worry,
  anxiety, sadness, disappointment, embarrassment, exhaustion) beats its
  similarity to neutral customer talk by ``empathy_feeling_margin``; the
  neutral set is a model of ordinary customer talk by kind (greetings,
  introductions, requests, problem reports, account details, times,
  answers, questions, closings, agreement, small talk), so that "Hi, my name
  is Patricia Brown." or "That was all for today." sit nearer it than any
  feeling;
* and a linear probe (logistic regression on the same embeddings, fitted on
  all feeling against all neutral exemplars when the model loads) gives it
  log-odds of at least ``empathy_probe_min``. The nearest-neighbour vote is
  local and the probe global; on the real calls in ``../shared/data/real``
  each alone let through ordinary talk the other rejected.

A feeling word from :data:`FEELING_WORDS` ("worried", "fed up", "passed
away", ...) lowers the margin needed by ``empathy_lexicon_bonus``, and so does
the customer's voice being aroused at that moment (:mod:`audio_features.arousal`),
by ``empathy_arousal_bonus``: the acoustic and the lexical evidence support
the semantic one, and never stand alone. A feeling word is not a cue when a
negation comes up to ``NEGATION_WINDOW`` words before it ("I'm not, you know,
terrified"), the window VADER uses (Hutto & Gilbert, ICWSM 2014), and a
clause whose only feeling word is negated is not scored at all. A sentence is
scored by its best clause (split at commas, semicolons, "and", "but"), and
clauses of fewer than ``MIN_FEELING_WORDS`` words are left out unless the
sentence is one short clause with a feeling word ("I'm shattered."). A
feeling found on meaning alone must also have been heard clearly: its
clause's words must have a geometric-mean Whisper probability of
``empathy_min_asr_confidence``, since misheard speech ("I'm on it back.")
reads as a feeling too easily. The sentences of one customer turn that
express a feeling form one moment; ``emotion`` is the nearest feeling set of
its strongest sentence, and ``confidence`` maps the margin it cleared to
0.5..1.

**Feeling episode.** The customer's moments about one trouble form an
episode, and the verdict scores episodes, not sentences: a customer who is
heard and then adds "Thanks. I just need it sorted this time." has not voiced
a second feeling. A moment joins the open episode when it starts within
``empathy_episode_gap_s`` of the episode's last moment and either the agent
has not yet acknowledged the episode (the customer going on about the same
trouble) or it brings no feeling word of its own (a follow-up to being
heard). A moment with its own feeling word after an acknowledgement ("And
now I'm terrified the pipes will freeze.") opens a new episode, and so does
any moment after a longer gap. This follows the view of an emotion as an
episode with a start and an end, not a state of each sentence (Scherer,
Social Science Information 2005), and the QA practice of asking whether
empathy was *required* and then whether it was given (Calabrio's automated
QM).

An episode is **clear** when it rests on more than one cue: a feeling word
or an aroused voice besides the meaning, two or more feeling sentences, or a
meaning alone that clears its bar by ``empathy_clear_margin``. An episode that
is not clear and was not acknowledged is reported but not scored: one weak
cue must not fail an agent.

**Acknowledgement.** An agent sentence acknowledges a feeling when one of
its clauses (or the whole sentence) is nearer the acknowledging exemplars
(naming or validating the feeling or its cause, sorrow, understanding,
reflecting the situation back) than the non-acknowledging ones (procedural
apologies, requests for details, policy, solutions) by
``empathy_ack_margin``. Clause by clause, as feelings are, because the
recogniser joins with a comma what it splits elsewhere: "I can hear how
stressful that is, anyone would be, let me look into why it changed"
acknowledges in its first clause. An episode's acknowledgement is looked for
in the agent's next ``empathy_reply_turns`` substantive turns (at least
``MIN_REPLY_WORDS`` words) after each of its moments.

**Delay.** The credit of an acknowledgement is 1 when it starts within
``empathy_prompt_s`` of the end of the episode's first moment, falling
linearly to ``LATE_CREDIT`` at ``empathy_late_s`` and staying there:
acknowledging only after a long solution counts less.
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
from audio_features.transcription import heard

if TYPE_CHECKING:
    from audio_features.arousal import ArousalEvent
    from audio_features.turns import Turn

__all__ = [
    "FEELING_WORDS",
    "Acknowledgement",
    "EmpathyModel",
    "FeelingEpisode",
    "FeelingMoment",
    "Sentence",
    "feeling_words",
    "find_acknowledgements",
    "find_feelings",
    "load_empathy_model",
    "neutral_exemplars",
    "sentences",
]

#: Exemplars averaged per set: the similarity of a sentence to a set. 5 (was 3 with a third of the
#: exemplars): chosen with the thresholds on the development set and the car-repair calls.
TOP_K = 5
#: Agent turns shorter than this (words) are backchannels, not replies.
MIN_REPLY_WORDS = 3
#: Customer sentences shorter than this (words) carry a feeling only with a feeling word: "Oh!" or
#: "Hi Sarah." sit close to nothing, so their margins are noise.
MIN_FEELING_WORDS = 3
#: A clause read on meaning alone (no feeling word) shorter than this many words must clear its bar by
#: ``SHORT_CLAUSE_EXTRA`` more: the embedding of a short fragment ("We do have", "and that's in Forest
#: Ranch,") sits near everything and its margin is mostly noise, while short feelings ("Nobody ever
#: calls back.") clear it by far. On the development set and the car-repair calls, ordinary 3-4 word
#: fragments stayed under a margin of 0 and short feeling clauses above it.
MIN_SEMANTIC_WORDS = 5
SHORT_CLAUSE_EXTRA = 0.05
#: Credit of an acknowledgement that comes at or after ``empathy_late_s``.
LATE_CREDIT = 0.7
#: Inverse regularisation of the linear probe (scikit-learn's ``C``); 4 fits the exemplars without
#: memorising them (on the development set, 1 and 16 gave the same verdicts within one exchange).
PROBE_C = 4.0
#: A negation this many words or fewer before a feeling word cancels it (VADER's window), fillers not counted.
NEGATION_WINDOW = 3
#: Fillers skipped when counting that window: "I'm not like, you know, terrified" is negated.
_FILLERS = frozenset("like you know um uh er erm kind sort of really just i mean well so actually".split())

#: Words and phrases that name a feeling or its usual cause (lower case, matched on word boundaries).
FEELING_WORDS = (
    "frustrated", "frustrating", "fed up", "sick of", "sick and tired", "annoyed", "annoying", "angry", "furious",
    "fuming", "livid", "outrageous", "disgrace", "ridiculous", "joke", "unacceptable", "worried", "worrying", "worry",
    "scared", "terrified", "frightened", "afraid", "anxious", "panicking", "panic", "stressed", "stressful", "nervous",
    "can't sleep", "barely slept", "sad", "heartbroken", "devastated", "passed away", "died", "funeral", "grief",
    "crying", "in tears", "disappointed", "disappointing", "let down", "gutted", "embarrassed", "embarrassing",
    "humiliating", "humiliated", "ashamed", "mortified", "silly", "stupid", "exhausted", "shattered", "worn out",
    "drained", "at the end of my", "beside myself", "upset", "awful", "horrible", "nightmare",
    # Idioms of the same feelings, as callers say them.
    "at my wits' end", "can't cope", "had enough", "running on empty", "running on fumes", "losing my mind",
    "pulling my hair out", "heartbreaking", "breaks my heart", "going round in circles", "the last straw",
    "not good enough", "can't take any more",
)  # fmt: skip
_FEELING_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in FEELING_WORDS) + r")\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(not|no|never|nothing|without|isn't|wasn't|aren't|i'm not|don't|didn't|n't)\b|n't\b")
_SENTENCE_END = re.compile(r"[.!?]+[\"')]*$")


def feeling_words(text: str) -> tuple[list[str], list[str]]:
    """The feeling words of ``text``: (those that count, those cancelled by a negation before them)."""
    counted, negated = [], []
    for m in _FEELING_RE.finditer(text):
        before = [w for w in re.findall(r"[\w']+", text[: m.start()].lower()) if w not in _FILLERS]
        (negated if _NEGATION.search(" ".join(before[-NEGATION_WINDOW:])) else counted).append(m.group(0).lower())
    return counted, negated


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
        return heard(probs)


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
        margin: How far the strongest sentence cleared its bar (cosine).
        sentences: How many sentences of the turn express the feeling.
    """

    start: float
    end: float
    text: str
    emotion: str
    confidence: float
    cues: tuple[str, ...]
    turn: int
    margin: float = 0.0
    sentences: int = 1


@dataclass(frozen=True)
class FeelingEpisode:
    """The customer's feeling moments about one trouble (see the module docstring).

    Attributes:
        moments: In time order.
        clear: Rests on more than one cue (module docstring); an unclear
            episode that was not acknowledged is not scored.
    """

    moments: tuple[FeelingMoment, ...]
    clear: bool

    @property
    def start(self) -> float:
        return self.moments[0].start

    @property
    def end(self) -> float:
        return self.moments[-1].end

    @property
    def emotion(self) -> str:
        return max(self.moments, key=lambda m: m.confidence).emotion

    @property
    def text(self) -> str:
        return " ".join(m.text for m in self.moments)


@dataclass(frozen=True)
class Acknowledgement:
    """What the agent replied to one feeling episode.

    Attributes:
        episode: The feeling episode.
        acknowledged: Whether an agent sentence acknowledged it.
        reply: The acknowledging sentence, or else the agent's first reply
            sentence (None when the agent never replied).
        delay_s: From the end of the episode's first moment to the
            acknowledging sentence, s.
        credit: 0 when not acknowledged; 1 when prompt, down to ``LATE_CREDIT``.
        margin: Similarity to acknowledging minus non-acknowledging exemplars
            of the best reply clause.
        unclear: When not acknowledged, the first reply sentence that Whisper
            heard below ``empathy_min_asr_confidence`` (geometric-mean word
            probability): an acknowledgement may have been misheard there, so
            a person should listen before relying on the verdict. None when
            acknowledged, or when every reply sentence was heard clearly.
    """

    episode: FeelingEpisode
    acknowledged: bool
    reply: Sentence | None
    delay_s: float | None
    credit: float
    margin: float | None
    unclear: Sentence | None = None

    @property
    def scored(self) -> bool:
        """Whether the verdict counts this episode: clear, or acknowledged."""
        return self.episode.clear or self.acknowledged


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


def neutral_exemplars(exemplars: dict) -> list[str]:
    """The neutral customer sentences, flattened from their kinds (greetings, requests, closings, ...)."""
    neutral = exemplars["neutral"]
    return [s for group in neutral.values() for s in group] if isinstance(neutral, dict) else list(neutral)


class EmpathyModel:
    """The sentence encoder with its exemplar sets embedded once, and the feeling probe fitted on them."""

    def __init__(self, encoder, exemplars: dict) -> None:
        from sklearn.linear_model import LogisticRegression

        self._encoder = encoder
        self.emotions = list(exemplars["feelings"])
        groups = {**{f"feeling:{e}": exemplars["feelings"][e] for e in self.emotions}}
        groups |= {"neutral": neutral_exemplars(exemplars), "ack": exemplars["acknowledging"]}
        groups["not_ack"] = exemplars["not_acknowledging"]
        self._sets = {name: self.embed(texts) for name, texts in groups.items()}
        feeling = np.vstack([self._sets[f"feeling:{e}"] for e in self.emotions])
        neutral = self._sets["neutral"]
        labels = np.r_[np.ones(len(feeling)), np.zeros(len(neutral))]
        self._probe = LogisticRegression(C=PROBE_C, class_weight="balanced", max_iter=2000)
        self._probe.fit(np.vstack([feeling, neutral]), labels)

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

    def feeling_scores(self, texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Per text: the nearest feeling set, its margin over neutral talk, and the probe's log-odds."""
        if not len(texts):
            return [], np.zeros(0), np.zeros(0)
        emb = self.embed(texts)
        by_emotion = np.stack([self.similarity(emb, f"feeling:{e}") for e in self.emotions], axis=1)
        best = by_emotion.argmax(axis=1)
        margin = by_emotion.max(axis=1) - self.similarity(emb, "neutral")
        return [self.emotions[i] for i in best], margin, self._probe.decision_function(emb)

    def ack_margins(self, texts: list[str]) -> np.ndarray:
        """Per text: similarity to acknowledging minus non-acknowledging exemplars."""
        if not len(texts):
            return np.zeros(0)
        emb = self.embed(texts)
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
    # carries its feeling in a clause that the facts around it would drown. A sentence whose only feeling
    # words are negated ("I'm not, you know, terrified") is not scored.
    texts, owner = [], []
    for i, sentence in enumerate(said):
        counted, negated = feeling_words(sentence.text)
        if negated and not counted:
            continue
        for clause in _clauses(sentence.text):
            texts.append(clause)
            owner.append(i)
    emotions, margins, probes = model.feeling_scores(texts)
    events = list(arousal)
    cues = [
        ("semantic",)
        + (("lexicon",) if feeling_words(s.text)[0] else ())
        + (("arousal",) if _overlaps(s, events) else ())
        for s in said
    ]
    # Each clause's margin over the bar it must clear; a sentence is its best clause.
    best: dict[int, tuple[str, float]] = {}
    for i, emotion, margin, probe, clause in zip(owner, emotions, margins, probes, texts, strict=True):
        if probe < settings.empathy_probe_min:
            continue
        needed = settings.empathy_feeling_margin
        if "lexicon" in cues[i]:
            needed -= settings.empathy_lexicon_bonus
        if "arousal" in cues[i]:
            needed -= settings.empathy_arousal_bonus
        if not feeling_words(clause)[0] and len(clause.split()) < MIN_SEMANTIC_WORDS:
            needed += SHORT_CLAUSE_EXTRA
        # Meaning alone, read from words Whisper was unsure of, is likely misheard. The gate applies
        # clause by clause, before the best is chosen, so that a misheard clause does not hide a
        # clearly heard one beside it.
        if cues[i] == ("semantic",) and said[i].heard(clause) < settings.empathy_min_asr_confidence:
            continue
        if i not in best or margin - needed > best[i][1]:
            best[i] = (emotion, float(margin - needed))
    found: dict[int, list[tuple[Sentence, str, float, tuple[str, ...]]]] = {}
    for i, (emotion, excess) in best.items():
        if excess >= 0:
            found.setdefault(said[i].turn, []).append((said[i], emotion, excess, cues[i]))
    moments = []
    for turn, items in sorted(found.items()):
        items.sort(key=lambda x: x[0].start)
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
                margin=round(strongest[2], 4),
                sentences=len(items),
            )
        )
    return moments


def _credit(delay_s: float, settings: Settings) -> float:
    if delay_s <= settings.empathy_prompt_s:
        return 1.0
    span = max(settings.empathy_late_s - settings.empathy_prompt_s, 1e-9)
    return max(LATE_CREDIT, 1 - (1 - LATE_CREDIT) * (delay_s - settings.empathy_prompt_s) / span)


def _is_clear(moments: list[FeelingMoment], settings: Settings) -> bool:
    cues = {c for m in moments for c in m.cues}
    return (
        len(cues) > 1
        or sum(m.sentences for m in moments) > 1
        or max(m.margin for m in moments) >= settings.empathy_clear_margin
    )


class _Replies:
    """The agent's sentences, each with its acknowledgement margin (best clause or whole sentence)."""

    def __init__(self, turns: list[Turn], model: EmpathyModel):
        self.turns = turns
        self.said = sentences(turns, "agent")
        parts, owner = [], []
        for i, s in enumerate(self.said):
            for part in dict.fromkeys([s.text, *_clauses(s.text)]):
                parts.append(part)
                owner.append(i)
        margins = model.ack_margins(parts)
        self.margin = [-np.inf] * len(self.said)
        for i, m in zip(owner, margins, strict=True):
            self.margin[i] = max(self.margin[i], float(m))
        self.substantive = [i for i, t in enumerate(turns) if t.speaker == "agent" and len(t.words) >= MIN_REPLY_WORDS]

    def after(self, moment: FeelingMoment, settings: Settings) -> list[int]:
        """Indices of the agent's sentences in their next ``empathy_reply_turns`` turns after ``moment``."""
        window = [i for i in self.substantive if self.turns[i].start >= moment.start][: settings.empathy_reply_turns]
        # A reply may begin inside the customer's turn.
        return [k for k, s in enumerate(self.said) if s.turn in window and s.end > moment.end - 0.5]


def find_acknowledgements(
    moments: list[FeelingMoment], turns: list[Turn], model: EmpathyModel, settings: Settings
) -> list[Acknowledgement]:
    """Group ``moments`` into episodes and find, for each, the agent's acknowledgement or the reply that was not one.

    See the module docstring for episodes, acknowledgements and credit.
    """
    replies = _Replies(turns, model)
    out: list[Acknowledgement] = []
    group: list[FeelingMoment] = []
    acked: int | None = None  # the acknowledging sentence of the open episode
    seen: list[int] = []

    def close() -> None:
        if not group:
            return
        episode = FeelingEpisode(tuple(group), _is_clear(group, settings))
        if acked is not None:
            reply = replies.said[acked]
            delay = max(0.0, reply.start - group[0].end)
            credit = _credit(delay, settings)
            out.append(Acknowledgement(episode, True, reply, delay, credit, replies.margin[acked]))
            return
        candidates = [replies.said[k] for k in seen]
        best = max(seen, key=lambda k: replies.margin[k], default=None)
        unclear = next((s for s in candidates if s.heard(s.text) < settings.empathy_min_asr_confidence), None)
        margin = None if best is None else replies.margin[best]
        out.append(Acknowledgement(episode, False, candidates[0] if candidates else None, None, 0.0, margin, unclear))

    for m in moments:
        if group:
            follows = m.start - group[-1].end <= settings.empathy_episode_gap_s
            heard = acked is not None and replies.said[acked].start < m.start
            # After being heard, a moment with a feeling word of its own is a new feeling, not a follow-up.
            if not follows or (heard and "lexicon" in m.cues):
                close()
                group, acked, seen = [], None, []
        group.append(m)
        for k in replies.after(m, settings):
            if k not in seen:
                seen.append(k)
        if acked is None:
            acked = next((k for k in seen if replies.margin[k] >= settings.empathy_ack_margin), None)
    close()
    return out
