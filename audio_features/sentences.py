"""The sentences and clauses of a party's turns, with Whisper's word probabilities, and the feeling words in them.

A turn is split into sentences at ``.``, ``!`` and ``?`` (using its words' times), and a sentence into
clauses at commas, semicolons, colons, "and" and "but": the recogniser joins with a comma what it splits
elsewhere, so feelings and acknowledgements are found clause by clause (issue 14, class 3). A feeling word
(:data:`FEELING_WORDS`) counts unless a negation comes at most ``NEGATION_WINDOW`` words before it
("I'm not, you know, terrified"; VADER's window, fillers not counted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audio_features.transcription import heard
from audio_features.turns import Turn

__all__ = ["FEELING_WORDS", "MIN_FEELING_WORDS", "Sentence", "clauses", "feeling_words", "sentences"]

#: Customer sentences shorter than this (words) carry a feeling only with a feeling word: "Oh!" or
#: "Hi Sarah." sit close to nothing, so their margins are noise.
MIN_FEELING_WORDS = 3


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
    "drained", "tired", "at the end of my", "beside myself", "upset", "awful", "horrible", "nightmare",
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


_CLAUSE_BREAK = re.compile(r"[,;:]|\s(?:and|but)\s")


def clauses(text: str) -> list[str]:
    """The clauses of a sentence worth scoring: those of ``MIN_FEELING_WORDS`` words or more.

    A sentence without a break is its own clause; a short one is kept only with a feeling word.
    """
    parts = [p.strip() for p in _CLAUSE_BREAK.split(text) if p.strip()]
    if len(parts) > 1:
        return [p for p in parts if len(p.split()) >= MIN_FEELING_WORDS]
    if len(text.split()) >= MIN_FEELING_WORDS or _FEELING_RE.search(text):
        return [text]
    return []
