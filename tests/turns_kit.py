"""Hand-built turns and speech timelines (pyannote.core) for the turn-taking tests, with known answers."""

from __future__ import annotations

from pyannote.core import Annotation, Segment

from audio_features.config import Settings
from audio_features.transcription import Word
from audio_features.turn_taking import analyse_turn_taking
from audio_features.turns import Turn

SETTINGS = Settings()


def turn(speaker: str, start: float, text: str, step: float = 0.3) -> Turn:
    words = [Word(start + i * step, start + i * step + 0.25, w, 0.9) for i, w in enumerate(text.split())]
    return Turn(speaker, words[0].start, words[-1].end, text, words)


def activity(turns: list[Turn], extra: list[tuple[str, float, float]] = ()) -> Annotation:
    """Speech regions exactly where the words are (plus wordless ``extra`` regions)."""
    ann = Annotation()
    track = 0
    for t in turns:
        ann[Segment(t.start, t.end), track] = t.speaker
        track += 1
    for speaker, start, end in extra:
        ann[Segment(start, end), track] = speaker
        track += 1
    return ann


def analyse(turns, extra=()):
    return analyse_turn_taking(turns, activity(turns, extra), SETTINGS)


LONG = "so I moved house last month and since then I have been charged twice for everything"
