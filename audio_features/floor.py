"""Who holds the floor: a party's stretches of talk, and whether the other talks through a span.

A **stretch of talk** is a party's speech joined across their own pauses shorter than ``interruption_pause_s``
(:mod:`audio_features.turn_taking` defines the rest with it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyannote.core import Segment, Timeline

from audio_features.backchannels import bleed_share
from audio_features.thresholds import TurnTakingSettings
from audio_features.transcription import Word

if TYPE_CHECKING:
    from audio_features.utterances import Utterance

__all__ = ["speaks", "stretch_of", "stretches", "talks_through", "went_on"]


def stretches(timeline: Timeline, pause_s: float) -> Timeline:
    """A party's stretches of talk: speech regions joined across pauses shorter than ``pause_s``."""
    return timeline.support(collar=pause_s)


def speaks(timeline: Timeline, start: float, end: float) -> bool:
    """Whether ``timeline`` holds speech between ``start`` and ``end`` (s)."""
    return end > start and bool(timeline.crop(Segment(start, end)))


def talks_through(runs: Timeline, span: Segment) -> bool:
    """Whether one of the other party's stretches of talk (:func:`stretches`) runs from before ``span`` to after it:
    they talked straight through it."""
    return any(run.start <= span.start and run.end >= span.end for run in runs)


def stretch_of(u: Utterance, runs: Timeline, pause_s: float) -> Segment | None:
    """The party's stretch of talk (:func:`stretches`) that ``u`` belongs to: the one its span touches, else the one
    starting within ``pause_s`` after its end. Whisper's times for words it heard unsurely run early or late ("Yes."
    at 0.19 timed 0.13 s before the speech region of "Yes, I can change that.", corpus10 heldout_021)."""
    return next((r for r in runs if r.start <= u.end and r.end >= u.start), None) or next(
        (r for r in runs if u.end <= r.start <= u.end + pause_s), None
    )


def went_on(
    speech: Timeline, stretch: Segment, words: list[Word], others: list[Word], t: float, settings: TurnTakingSettings
) -> tuple[Timeline, Segment]:
    """A's speech and stretch of talk, with the words A started after ``t`` just past the stretch's end (within
    ``interruption_pause_s`` of it, one after another) that A's speech regions do not hold, when Whisper heard
    them surely (``backchannel_min_heard``) and they are not B's words heard through A's channel."""
    extra, end, sure = [], stretch.end, settings.backchannel_min_heard
    for w in words:
        if max(t, end) <= w.start <= end + settings.interruption_pause_s and w.probability >= sure:
            if bleed_share([w], others) < 0.5:
                extra.append(Segment(w.start, w.end))
                end = max(end, w.end)
    if not extra:
        return speech, stretch
    return Timeline([*speech, *extra]).support(), Segment(stretch.start, end)
