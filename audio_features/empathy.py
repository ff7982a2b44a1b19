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

A feeling word from :data:`audio_features.sentences.FEELING_WORDS` ("worried", "fed up", "passed
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
meaning alone that clears its bar by ``empathy_clear_margin`` and that the
probe reads as a feeling (``empathy_clear_probe``). An episode that
is not clear and was not acknowledged is reported but not scored: one weak
cue must not fail an agent.

Whether the agent acknowledged each episode, and the credit, is found by
:mod:`audio_features.acknowledgements`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from audio_features.parties import Role
from audio_features.sentence_model import EmpathyModel
from audio_features.sentences import Sentence, clauses, feeling_words, sentences
from audio_features.thresholds import EmpathySettings

if TYPE_CHECKING:
    from audio_features.arousal import ArousalEvent
    from audio_features.turns import Turn

__all__ = ["FeelingEpisode", "FeelingMoment", "find_feelings", "is_clear"]

#: A clause read on meaning alone (no feeling word) shorter than this many words must clear its bar by
#: ``SHORT_CLAUSE_EXTRA`` more: the embedding of a short fragment ("We do have", "and that's in Forest
#: Ranch,") sits near everything and its margin is mostly noise, while short feelings ("Nobody ever
#: calls back.") clear it by far. On the development set and the car-repair calls, ordinary 3-4 word
#: fragments stayed under a margin of 0 and short feeling clauses above it.
MIN_SEMANTIC_WORDS = 5
SHORT_CLAUSE_EXTRA = 0.05


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
        probe: The linear probe's log-odds of a feeling for the strongest sentence's clause.
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
    probe: float = 0.0


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


def _overlaps(s: Sentence, events: list[ArousalEvent]) -> bool:
    return any(e.start < s.end and s.start < e.end for e in events)


def find_feelings(
    turns: list[Turn], model: EmpathyModel, settings: EmpathySettings, arousal: list[ArousalEvent] = ()
) -> list[FeelingMoment]:
    """Feeling moments of the customer (see the module docstring).

    Args:
        turns: The call's turns, in time order.
        model: From :func:`load_empathy_model`.
        settings: The ``empathy_*`` thresholds.
        arousal: The customer's arousal events; empty when tone was not measured.
    """
    said = sentences(turns, Role.CUSTOMER)
    # Score each sentence by its most feeling-laden clause: "I moved last month, and nobody answers my emails"
    # carries its feeling in a clause that the facts around it would drown. A sentence whose only feeling
    # words are negated ("I'm not, you know, terrified") is not scored.
    texts, owner = [], []
    for i, sentence in enumerate(said):
        counted, negated = feeling_words(sentence.text)
        if negated and not counted:
            continue
        for clause in clauses(sentence.text):
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
    best: dict[int, tuple[str, float, float]] = {}
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
            best[i] = (emotion, float(margin - needed), float(probe))
    found: dict[int, list[tuple[Sentence, str, float, tuple[str, ...], float]]] = {}
    for i, (emotion, excess, probe) in best.items():
        if excess >= 0:
            found.setdefault(said[i].turn, []).append((said[i], emotion, excess, cues[i], probe))
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
                probe=round(strongest[4], 3),
            )
        )
    return moments


def is_clear(moments: list[FeelingMoment], settings: EmpathySettings) -> bool:
    cues = {c for m in moments for c in m.cues}
    return (
        len(cues) > 1
        or sum(m.sentences for m in moments) > 1
        or any(m.margin >= settings.empathy_clear_margin and m.probe >= settings.empathy_clear_probe for m in moments)
    )
