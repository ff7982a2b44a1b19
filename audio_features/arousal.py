"""Arousal events: stretches where a party is clearly above their own baseline.

Works on a party's tone timeline (:mod:`audio_features.tone`), whose values are
already deviations from that party's baseline: loudness in dB, pitch in
semitones, and the speaking rate, which is turned here into a percentage over
the baseline rate. Definitions (each threshold is a setting in
:mod:`audio_features.config`, with its source there):

* A **cue** is one measure over its threshold in a speaking bin, after a
  running median over ``AROUSAL_SMOOTH_BINS`` speaking bins (so that one
  stressed word does not make a cue): ``loudness`` (raised voice,
  ``arousal_loudness_db``), ``pitch`` (``arousal_pitch_st``) and ``rate``
  (speed-up, ``arousal_rate_pct``).
* A bin is **aroused** when at least ``arousal_min_cues`` cues hold together
  (a louder voice alone is often a bad line, a faster one alone often a
  rehearsed phrase) and, with ``arousal_require_loudness``, one of them is
  the raised voice: natural speech reaches high pitch and a fast rate
  together in polite questions and closings, at no more vocal effort.
* Aroused bins form one **event** while the party's calm speech between them
  lasts at most ``arousal_bridge_s`` (the other party talking, or silence,
  does not break an event). An event is kept when it holds at least
  ``arousal_min_s`` of aroused speech: it is *sustained*.

Each event carries the medians of its aroused bins' deltas and the party's
words in it, as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audio_features.thresholds import ToneSettings
from audio_features.tone import PartyTone
from audio_features.transcription import Word

__all__ = ["AROUSAL_SMOOTH_BINS", "CUES", "ArousalEvent", "ArousalSummary", "find_arousal"]

CUES = ("loudness", "pitch", "rate")
#: Running-median length, in speaking bins (3 bins of 1 s: one stressed word does not make a cue).
AROUSAL_SMOOTH_BINS = 3


@dataclass(frozen=True)
class ArousalEvent:
    """A sustained stretch above baseline.

    Attributes:
        speaker: ``agent`` or ``customer``.
        start, end: The first aroused bin's start and the last one's end, s.
        aroused_s: Aroused speech inside it, s (bins times their length).
        loudness_db: Median level over baseline in the aroused bins, dB.
        pitch_st: Median pitch over baseline, semitones.
        rate_pct: Median speaking rate over baseline, %.
        cues: The cues whose median crosses its threshold.
        text: The party's words in the event.
    """

    speaker: str
    start: float
    end: float
    aroused_s: float
    loudness_db: float | None
    pitch_st: float | None
    rate_pct: float | None
    cues: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class ArousalSummary:
    """One party's arousal over the call.

    Attributes:
        events: Sustained events, in time order.
        aroused_s: Aroused speech in events, s.
        speech_s: The party's speaking bins, s.
        peak_loudness_db, peak_pitch_st, peak_rate_pct: The largest smoothed
            deviation over the party's speaking bins (None: never measured).
    """

    events: list[ArousalEvent]
    aroused_s: float
    speech_s: float
    peak_loudness_db: float | None
    peak_pitch_st: float | None
    peak_rate_pct: float | None

    @property
    def share(self) -> float:
        """Fraction of the party's speech inside arousal events."""
        return self.aroused_s / self.speech_s if self.speech_s else 0.0


def _running_median(values: np.ndarray, size: int) -> np.ndarray:
    """Median over ``size`` consecutive entries centred on each, NaN-aware."""
    if values.size == 0:
        return values
    half = size // 2
    padded = np.pad(values, half, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, size)
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(windows).any(axis=1)
    out[ok] = np.nanmedian(windows[ok], axis=1)
    return out


def _peak(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(x.max()) if x.size else None


def _median(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else None


def find_arousal(speaker: str, tone: PartyTone, words: list[Word], settings: ToneSettings) -> ArousalSummary:
    """Arousal events of one party (see the module docstring).

    Args:
        speaker: The party's role, copied into each event.
        tone: The party's tone timeline.
        words: The party's words, in time order (evidence).
        settings: The ``arousal_*`` thresholds.
    """
    step = float(tone.times[1] - tone.times[0]) if tone.times.size > 1 else settings.tone_resolution_s
    speaking = np.flatnonzero(tone.speaking)
    rate_pct = (
        100 * (tone.rate_wpm / tone.baseline_rate_wpm - 1)
        if tone.baseline_rate_wpm
        else np.full(tone.times.shape, np.nan)
    )
    # Smooth over the party's own speaking bins, so that their silences do not dilute the median.
    deltas = {
        "loudness": _running_median(tone.loudness_db[speaking], AROUSAL_SMOOTH_BINS),
        "pitch": _running_median(tone.pitch_st[speaking], AROUSAL_SMOOTH_BINS),
        "rate": _running_median(rate_pct[speaking], AROUSAL_SMOOTH_BINS),
    }
    limits = {
        "loudness": settings.arousal_loudness_db,
        "pitch": settings.arousal_pitch_st,
        "rate": settings.arousal_rate_pct,
    }
    with np.errstate(invalid="ignore"):
        flags = {c: deltas[c] >= limits[c] for c in CUES}
    cue_count = np.sum([flags[c] for c in CUES], axis=0) if speaking.size else np.zeros(0, dtype=int)
    aroused = cue_count >= settings.arousal_min_cues
    if settings.arousal_require_loudness and speaking.size:
        aroused &= flags["loudness"]

    # Group aroused speaking bins; calm speech of at most arousal_bridge_s between them is bridged.
    bridge_bins = round(settings.arousal_bridge_s / step)
    groups: list[list[int]] = []
    calm_run = 0
    for k in range(speaking.size):
        if aroused[k]:
            if groups and calm_run <= bridge_bins:
                groups[-1].append(k)
            else:
                groups.append([k])
            calm_run = 0
        else:
            calm_run += 1

    events = []
    for group in groups:
        if len(group) * step < settings.arousal_min_s:
            continue
        idx = np.array(group)
        medians = {c: _median(deltas[c][idx]) for c in CUES}
        start = float(tone.times[speaking[idx[0]]] - step / 2)
        end = float(tone.times[speaking[idx[-1]]] + step / 2)
        events.append(
            ArousalEvent(
                speaker=speaker,
                start=start,
                end=end,
                aroused_s=len(group) * step,
                loudness_db=medians["loudness"],
                pitch_st=medians["pitch"],
                rate_pct=medians["rate"],
                cues=tuple(c for c in CUES if medians[c] is not None and medians[c] >= limits[c]),
                text=" ".join(w.text for w in words if start <= (w.start + w.end) / 2 <= end),
            )
        )
    return ArousalSummary(
        events=events,
        aroused_s=sum(e.aroused_s for e in events),
        speech_s=speaking.size * step,
        peak_loudness_db=_peak(deltas["loudness"]),
        peak_pitch_st=_peak(deltas["pitch"]),
        peak_rate_pct=_peak(deltas["rate"]),
    )
