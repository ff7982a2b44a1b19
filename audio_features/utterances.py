"""Utterances: each party's turns of words with their edges moved to the party's own speech, and their speech
that has no words.

Whisper's word times drift both ways, while the speech regions (a channel's voice activity in stereo,
the diarization in mono) hold a party's onsets and offsets more exactly; so a turn's start moves to the
onset of the speech its first word lies in, and its end to the nearest offset (:func:`_snap`). Speech
with no words is an utterance too: a short burst (an untranscribed "mm"), or a longer stretch spoken
over the other party, whose words Whisper lost to the other voice (mono calls).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyannote.core import Segment, Timeline

from audio_features.transcription import Word
from audio_features.turns import Turn

__all__ = ["MIN_VOCALISATION_S", "SNAP_S", "Utterance", "utterances_of"]

#: Onsets and offsets of speech are moved to a word's edge only within this distance, s.
SNAP_S = 0.35
#: Bursts of wordless speech shorter than this are ignored (clicks, breaths), s.
MIN_VOCALISATION_S = 0.15


@dataclass(frozen=True)
class Utterance:
    """A party's utterance; ``words`` is empty for untranscribed vocalisations."""

    speaker: str
    start: float
    end: float
    words: list[Word]
    backchannel: bool = False

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def duration_s(self) -> float:
        return self.end - self.start


def _snap(turn: Turn, speech: Timeline, not_before: float) -> tuple[float, float]:
    """Move a turn's edges to the party's speech onset and offset.

    The start moves to the onset of the first speech region that the first
    word reaches into, but never before the party's previous utterance ended.
    Whisper's word times drift both ways: in an overlap it often times the
    louder voice, so the word starts late (the start moves earlier); after a
    pause it often stretches the first word back over the silence, so the
    word starts early (the start moves later, to where the party's own
    speech begins). When the first word lies over none of the party's
    speech, it was stretched over silence entirely (corpus tune_031: "I"
    timed 0.85 s before the agent spoke), and the start moves to the
    party's first speech inside the turn. The end moves to the nearest
    offset within ``SNAP_S``.
    """
    start, end = turn.start, turn.end
    # A first word Whisper gave no duration still marks where the turn's speech is (10 ms at least).
    first_end = max(turn.words[0].end, turn.start + 0.01) if turn.words else turn.start
    holding = speech.crop(Segment(turn.start, first_end), mode="loose") if turn.words else Timeline()
    if turn.words and not holding:
        # The first word lies over none of the party's speech: Whisper stretched it back over silence
        # entirely, so the turn starts at the party's first speech inside it.
        holding = speech.crop(Segment(turn.start, turn.end), mode="loose")
    if holding:
        start = max(holding[0].start, not_before)
    around = speech.crop(Segment(turn.end - SNAP_S, turn.end + SNAP_S), mode="intersection")
    ends = [s.end for s in around if abs(s.end - turn.end) <= SNAP_S]
    if ends:
        end = min(ends, key=lambda t: abs(t - turn.end))
    return (start, end) if end > start else (turn.start, turn.end)


def utterances_of(turns: list[Turn], speech: dict[str, Timeline]) -> list[Utterance]:
    out = []
    last_end: dict[str, float] = {}
    for turn in sorted(turns, key=lambda t: t.start):
        start, end = _snap(turn, speech.get(turn.speaker, Timeline()), last_end.get(turn.speaker, 0.0))
        last_end[turn.speaker] = end
        out.append(Utterance(turn.speaker, start, end, turn.words))
    # Speech with no words at all: a short vocalisation ("mm") Whisper did not write down.
    for party, timeline in speech.items():
        spans = Timeline([Segment(u.start, u.end) for u in out if u.speaker == party])
        for seg in timeline:
            if seg.duration >= MIN_VOCALISATION_S and not spans.crop(seg):
                out.append(Utterance(party, seg.start, seg.end, []))
    return sorted(out, key=lambda u: (u.start, u.end))
