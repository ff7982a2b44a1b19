"""Speaker-attributed words and turns.

* **Attribution (mono):** a word belongs to the diarized speaker whose
  exclusive (overlap-free) speech covers most of the word's span; a word
  that falls in no speaker's speech goes to the nearest speaker turn.
* **Turn:** a maximal run of one party's words, in time order, that ends at
  a pause longer than ``turn_max_pause_s`` or where the other party starts a
  word inside the pause. So a listener's "mm-hmm" spoken *over* a long
  explanation does not cut the explanation in two; it is a short turn of its
  own, overlapping the other. Turns are listed by start time and may overlap.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from pyannote.core import Annotation, Segment

from audio_features.transcription import Word

__all__ = ["LabelledWord", "Turn", "attribute_words", "build_turns"]


@dataclass(frozen=True)
class LabelledWord:
    """A word and the speaker label it was given (a role or a diarization label)."""

    word: Word
    label: str


@dataclass(frozen=True)
class Turn:
    """One party's turn.

    Attributes:
        speaker: ``agent`` or ``customer``.
        start: Onset of the first word, s.
        end: Offset of the last word, s.
        text: The words joined by spaces.
        words: The words, in order.
    """

    speaker: str
    start: float
    end: float
    text: str
    words: list[Word]


def attribute_words(words: list[Word], exclusive: Annotation) -> list[LabelledWord]:
    """Label each word with the diarized speaker that covers it most.

    Args:
        words: Words of the whole mono track.
        exclusive: Overlap-free diarization (one speaker at a time).

    Returns:
        One labelled word per word with a label; words are dropped only when
        ``exclusive`` is empty (no speaker at all).
    """
    tracks = sorted((seg.start, seg.end, label) for seg, _, label in exclusive.itertracks(yield_label=True))
    if not tracks:
        return []
    starts = [t[0] for t in tracks]
    out = []
    for w in words:
        # Candidates: turns starting before the word ends, nearest first.
        i = bisect.bisect_right(starts, w.end)
        best_label, best_overlap = None, 0.0
        for start, end, label in tracks[max(0, i - 4) : i]:
            overlap = min(end, w.end) - max(start, w.start)
            if overlap > best_overlap:
                best_label, best_overlap = label, overlap
        if best_label is None:
            span = Segment(w.start, max(w.end, w.start + 1e-3))
            nearest = min(tracks, key=lambda t: max(t[0] - span.end, span.start - t[1], 0.0))
            best_label = nearest[2]
        out.append(LabelledWord(w, best_label))
    return out


def build_turns(words: list[LabelledWord], roles: dict[str, str], *, max_pause_s: float) -> list[Turn]:
    """Group labelled words into turns (see the module docstring).

    Args:
        words: Words of every party, any order.
        roles: Maps each label to ``agent`` or ``customer``.
        max_pause_s: Longest pause inside a turn, s.

    Returns:
        Turns sorted by start time.
    """
    ordered = sorted(words, key=lambda lw: (lw.word.start, lw.word.end))
    by_role: dict[str, list[Word]] = {}
    for lw in ordered:
        by_role.setdefault(roles[lw.label], []).append(lw.word)
    onsets = {role: [w.start for w in ws] for role, ws in by_role.items()}

    def others_start_between(role: str, t0: float, t1: float) -> bool:
        for other, starts in onsets.items():
            if other != role and bisect.bisect_right(starts, t0) < bisect.bisect_left(starts, t1):
                return True
        return False

    turns: list[Turn] = []
    for role, ws in by_role.items():
        current = [ws[0]]
        for prev, w in itertools.pairwise(ws):
            if w.start - prev.end > max_pause_s or others_start_between(role, prev.end, w.start):
                turns.append(_turn(role, current))
                current = []
            current.append(w)
        turns.append(_turn(role, current))
    return sorted(turns, key=lambda t: (t.start, t.end))


def _turn(role: str, words: list[Word]) -> Turn:
    return Turn(
        speaker=role, start=words[0].start, end=words[-1].end, text=" ".join(w.text for w in words), words=words
    )
