"""The tone timeline: each party's pitch, loudness and pace, second by second.

Each party is measured on its own speech only. In stereo that is its own
channel wherever the party speaks, overlaps included: the channel is the
party's own voice, with the other party only as faint bleed, so speaking over
the other party is still this party's voice (and still their speech time). In
mono both parties share one track, so a party is measured only where they
speak and the other does not (overlap excluded). Per bin of
``tone_resolution_s``:

* ``pitch_hz``: median F0 of the bin's voiced frames (:mod:`audio_features.pitch`,
  on the track resampled to 8 kHz, the telephone band every call shares);
* ``pitch_st``: the same in semitones relative to the party's baseline F0;
* ``loudness_db``: median level of the bin's voiced frames relative to the
  party's baseline level of voiced speech (:mod:`audio_features.loudness`), so
  channel gain drops out. Voiced frames only, because vocal effort is carried
  by the vowels: the pauses and consonants inside a phrase dragged a bin's
  median down by up to 10 dB, so a raised line read as raised in every other
  second (issue 14);
* ``rate_wpm``: articulation rate over a ``tone_pace_window_s`` window centred
  on the bin (:mod:`audio_features.pace`);
* ``speaking``: whether the party speaks (alone) for at least half the bin.

The **baseline** of a party is the median of each measure over the first
``baseline_fraction`` of that party's own speech (settings
``tone_baseline_fraction``): deviations are against how this speaker sounded
earlier in this call, never against population norms.

Values are None where they cannot be measured (no voiced frame, too few words).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyannote.core import Timeline
from scipy.signal import resample_poly

from audio_features.loudness import frame_levels_db
from audio_features.pace import rate_timeline
from audio_features.pitch import HOP_S, track_pitch
from audio_features.transcription import Word

__all__ = ["PartyTone", "tone_timelines"]

#: Pitch is tracked at this rate, Hz.
PITCH_SAMPLE_RATE = 8000


@dataclass(frozen=True)
class PartyTone:
    """One party's tone timeline and baseline.

    Attributes:
        times: Bin centres, s, shape (n,).
        pitch_hz, pitch_st, loudness_db, rate_wpm: Per bin, NaN where unmeasured.
        speaking: Per bin.
        baseline_pitch_hz: Median F0 over the party's voiced baseline speech, Hz.
        baseline_level_dbfs: Median level of the party's baseline speech, dBFS.
        baseline_rate_wpm: Median of the windowed rate while speaking, over
            the baseline part, wpm.
        baseline_until: When the baseline part ends, s.
    """

    times: np.ndarray
    pitch_hz: np.ndarray
    pitch_st: np.ndarray
    loudness_db: np.ndarray
    rate_wpm: np.ndarray
    speaking: np.ndarray
    baseline_pitch_hz: float | None
    baseline_level_dbfs: float | None
    baseline_rate_wpm: float | None
    baseline_until: float | None = None


def _mask(timeline: Timeline, times: np.ndarray, step_s: float) -> np.ndarray:
    mask = np.zeros(times.shape, dtype=bool)
    for seg in timeline:
        mask[int(np.ceil(seg.start / step_s)) : int(seg.end / step_s) + 1] = True
    return mask[: times.size]


def _bin_median(values: np.ndarray, valid: np.ndarray, frame_bins: np.ndarray, n_bins: int) -> np.ndarray:
    out = np.full(n_bins, np.nan)
    keep = valid & np.isfinite(values)
    if not keep.any():
        return out
    order = np.argsort(frame_bins[keep], kind="stable")
    bins, vals = frame_bins[keep][order], values[keep][order]
    edges = np.flatnonzero(np.diff(bins)) + 1
    for chunk_bins, chunk in zip(np.split(bins, edges), np.split(vals, edges), strict=True):
        if chunk_bins[0] < n_bins:
            out[chunk_bins[0]] = np.median(chunk)
    return out


def _baseline_end(alone: Timeline, fraction: float) -> float:
    """The time by which the party has spoken ``fraction`` of their speech, s."""
    target, spoken = fraction * alone.duration(), 0.0
    for seg in alone:
        if spoken + seg.duration >= target:
            return seg.start + (target - spoken)
        spoken += seg.duration
    return float("inf")


def _median_or_none(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else None


def _early_median(values: np.ndarray, valid: np.ndarray, early: np.ndarray) -> float | None:
    """Median over the valid early values; over all valid values when none is early."""
    found = _median_or_none(values[valid & early])
    return found if found is not None else _median_or_none(values[valid])


def tone_timelines(
    tracks: dict[str, np.ndarray],
    speech: dict[str, Timeline],
    words: dict[str, list[Word]],
    *,
    sample_rate: int,
    duration_s: float,
    resolution_s: float,
    pace_window_s: float,
    baseline_fraction: float = 1.0,
) -> dict[str, PartyTone]:
    """Tone timelines for each party.

    Args:
        tracks: Each party's audio (its channel, or the shared mono track), 16 kHz.
            Parties sharing one array share its pitch analysis, and are
            measured only outside their overlaps.
        speech: Each party's speech regions, s.
        words: Each party's words, in time order.
        sample_rate: Rate of ``tracks``, Hz.
        duration_s: Call length, s.
        resolution_s: Bin length, s.
        pace_window_s: Window of the speaking rate, s.
        baseline_fraction: Share of each party's speech, from their first
            word, that sets their baseline.
    """
    n_bins = max(1, int(np.ceil(duration_s / resolution_s)))
    centres = (np.arange(n_bins) + 0.5) * resolution_s
    analysed: dict[int, tuple] = {}
    out = {}
    for party, track in tracks.items():
        if id(track) not in analysed:
            low = resample_poly(track, PITCH_SAMPLE_RATE, sample_rate) if sample_rate != PITCH_SAMPLE_RATE else track
            pitch = track_pitch(low, sample_rate=PITCH_SAMPLE_RATE)
            hop = int(HOP_S * sample_rate)
            levels = frame_levels_db(track, frame_length=hop)
            analysed[id(track)] = (pitch, levels)
        pitch, levels = analysed[id(track)]
        # On a shared (mono) track the overlap holds both voices; on a party's own channel it holds theirs.
        others = [speech[p] for p in speech if p != party and tracks.get(p) is track]
        own = speech.get(party, Timeline())
        alone = own.extrude(Timeline([s for t in others for s in t]).support()) if others else own

        frame_times = np.arange(levels.size) * HOP_S + HOP_S / 2
        level_mask = _mask(alone, frame_times, HOP_S)
        pitch_mask = _mask(alone, pitch.times, HOP_S) & pitch.voiced[: pitch.times.size]
        # Loudness on the voiced frames (the pitch track's frames, at the same hop).
        voiced = np.zeros(levels.size, dtype=bool)
        n = min(levels.size, pitch.voiced.size)
        voiced[:n] = pitch.voiced[:n]
        loud_mask = level_mask & voiced
        until = _baseline_end(alone, baseline_fraction) if len(alone) else float("inf")
        baseline_level = _early_median(levels, loud_mask, frame_times <= until)
        baseline_pitch = _early_median(pitch.f0_hz, pitch_mask, pitch.times <= until)

        pitch_bins = _bin_median(pitch.f0_hz, pitch_mask, (pitch.times // resolution_s).astype(int), n_bins)
        level_bins = _bin_median(levels, loud_mask, (frame_times // resolution_s).astype(int), n_bins)
        counts = np.bincount((frame_times[level_mask] // resolution_s).astype(int), minlength=n_bins)[:n_bins]
        speaking = counts * HOP_S >= resolution_s / 2
        rate = rate_timeline(words.get(party, []), centres, window_s=pace_window_s)
        rate[~speaking] = np.nan
        out[party] = PartyTone(
            times=centres,
            pitch_hz=pitch_bins,
            pitch_st=12 * np.log2(pitch_bins / baseline_pitch) if baseline_pitch else np.full(n_bins, np.nan),
            loudness_db=level_bins - baseline_level if baseline_level is not None else np.full(n_bins, np.nan),
            rate_wpm=rate,
            speaking=speaking,
            baseline_pitch_hz=baseline_pitch,
            baseline_level_dbfs=baseline_level,
            baseline_rate_wpm=_early_median(rate, speaking, centres <= until),
            baseline_until=None if not np.isfinite(until) else float(until),
        )
    return out
