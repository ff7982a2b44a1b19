"""Who spoke when on a stereo call: a voice-activity detector per channel, then a crosstalk gate.

Contact-centre recorders put the agent on one channel and the customer on the
other, but each channel also carries the other party's voice at -10 to -20 dB
(line echo, headset bleed), as well as line noise, breaths and background
sounds. So each channel's speech is found in two steps:

1. **Voice activity.** Silero VAD (:mod:`audio_features.vad`) gives each
   32 ms frame of the channel a speech probability; frames from
   ``vad_threshold`` on, with Silero's hysteresis, are speech to Silero.
   This rejects noise, breaths and clicks, which an energy threshold cannot
   (on the real bank calls, an energy detector heard 53 s of speech on a
   63 s caller channel). A frame is a *candidate* when Silero hears speech
   and the frame is also ``vad_floor_margin_db`` above the channel's noise
   floor (the 10th percentile of its frame levels, digital silence left
   out): Silero's hysteresis carries speech across short quiet gaps, and in
   those gaps the gate below has nothing to compare. Silero does not reject
   the other party's bleed: that is speech too.
2. **Crosstalk gate.** The bleed gain from channel B into channel A is
   measured on this call: the 30th percentile of ``level_A - level_B`` over
   frames where B is a candidate and louder than A. While B talks alone, A
   holds only bleed, so that difference *is* the coupling; the low percentile
   keeps overlaps, where A has its own voice too, from inflating it. A
   candidate frame on A is A's own speech only when A is at least
   ``crosstalk_margin_db`` louder than what the bleed from B explains:
   ``level_A > level_B + bleed_BA + margin``. In an overlap both parties sit
   near their own levels, far above their bleed, so both channels pass.
3. **Edges.** Gaps shorter than ``vad_min_silence_s`` are bridged and bursts
   shorter than ``vad_min_speech_s`` are dropped.

The gate is the "compare the channels" test that RECIPES.md measured at
about 5 % DER on bleeding stereo, against 84 % for a per-channel threshold.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from pyannote.core import Segment, Timeline

from audio_features.config import SeparationSettings
from audio_features.loudness import SILENCE_DBFS, frame_levels_db
from audio_features.vad import FRAME_S, SAMPLE_RATE, speech_mask, speech_probabilities

__all__ = [
    "ChannelActivity",
    "channels_are_mirrored",
    "crosstalk_gate",
    "noise_floor_db",
    "stereo_activity",
    "timeline_from_mask",
]

#: Percentile of a channel's frame levels (digital silence left out) taken as its noise floor.
NOISE_FLOOR_PERCENTILE = 10
#: Percentile of level differences taken as the bleed gain (see step 2).
BLEED_PERCENTILE = 30
#: Frames of the other party's speech needed to measure the bleed; with fewer, it is taken as the lower bound.
BLEED_MIN_FRAMES = 10
#: Bounds on the measured bleed gain, dB: a call with no measurable bleed is
#: treated as -60 dB; a coupling above -3 dB means the channels are one mix.
BLEED_BOUNDS_DB = (-60.0, -3.0)


@dataclass(frozen=True)
class ChannelActivity:
    """Speech found on one channel.

    Attributes:
        speech: Regions where this channel's own party speaks, s.
        noise_floor_db: The channel's noise floor, dBFS (digital silence left out).
        candidate_s: Speech the voice-activity detector found on the channel
            before the crosstalk gate (own speech and bleed), s.
        bleed_db: Measured level of the other party's voice on this channel,
            relative to that party's own channel, dB.
    """

    speech: Timeline
    noise_floor_db: float
    candidate_s: float
    bleed_db: float


def timeline_from_mask(
    mask: np.ndarray, *, frame_s: float, min_speech_s: float, min_silence_s: float, uri: str | None = None
) -> Timeline:
    """Turn a per-frame boolean mask into speech regions.

    Gaps shorter than ``min_silence_s`` are bridged first, then regions
    shorter than ``min_speech_s`` are dropped.
    """
    padded = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    regions = [Segment(s * frame_s, e * frame_s) for s, e in zip(edges[::2], edges[1::2], strict=True)]
    timeline = Timeline(regions, uri=uri).support(collar=min_silence_s)
    return Timeline([s for s in timeline if s.duration >= min_speech_s], uri=uri)


def _bleed_db(own: np.ndarray, other: np.ndarray, other_speaks: np.ndarray) -> float:
    loud = other_speaks & (other > own)
    if loud.sum() < BLEED_MIN_FRAMES:
        return BLEED_BOUNDS_DB[0]
    return float(np.clip(np.percentile(own[loud] - other[loud], BLEED_PERCENTILE), *BLEED_BOUNDS_DB))


def noise_floor_db(levels_db: np.ndarray) -> float:
    """A channel's noise floor: the ``NOISE_FLOOR_PERCENTILE`` of its frame levels above digital silence, dBFS.

    Some recorders gate a channel to digital silence between words; those
    frames say nothing about the line's noise, so they are left out.
    """
    live = levels_db[levels_db > SILENCE_DBFS + 1]
    return float(np.percentile(live, NOISE_FLOOR_PERCENTILE)) if live.size else SILENCE_DBFS


def crosstalk_gate(levels_db: np.ndarray, candidates: np.ndarray, *, margin_db: float) -> tuple[np.ndarray, tuple]:
    """Keep each channel's candidate frames that its own party explains (step 2 of the module docstring).

    Parameters
    ----------
    levels_db : np.ndarray [shape=(2, n)]
        Frame levels of the two channels, dBFS.
    candidates : np.ndarray [shape=(2, n)], bool
        Frames the voice-activity detector marked as speech on each channel.
    margin_db : float
        How far above the explained bleed a frame must be.

    Returns
    -------
    own : np.ndarray [shape=(2, n)], bool
        Frames of each channel's own speech.
    bleed_db : tuple of two floats
        Measured bleed into each channel from the other, dB.
    """
    own = np.zeros_like(candidates, dtype=bool)
    bleeds = []
    for a, b in ((0, 1), (1, 0)):
        bleed = _bleed_db(levels_db[a], levels_db[b], candidates[b])
        own[a] = candidates[a] & (levels_db[a] > levels_db[b] + bleed + margin_db)
        bleeds.append(bleed)
    return own, tuple(bleeds)


def channels_are_mirrored(samples: np.ndarray, *, threshold_db: float) -> bool:
    """True when a two-channel recording carries the same signal twice.

    Compares the energy of the channels' difference with the energy of their
    mean; below ``threshold_db`` the "stereo" file is one mix, duplicated.
    """
    if samples.shape[0] != 2:
        return False
    diff = np.mean(np.square(samples[0] - samples[1], dtype=np.float64))
    mean = np.mean(np.square(0.5 * (samples[0] + samples[1]), dtype=np.float64))
    if mean <= 1e-12:
        return True
    return 10 * np.log10(max(diff, 1e-30) / mean) < threshold_db


def stereo_activity(samples: np.ndarray, sample_rate: int, settings: SeparationSettings) -> tuple[ChannelActivity, ...]:
    """Own-speech regions of each channel of a two-channel call.

    Parameters
    ----------
    samples : np.ndarray [shape=(2, n)]
        The two channels, in [-1, 1].
    sample_rate : int
        Hz; 16000 (the decoder's rate, and Silero's).
    settings : SeparationSettings
        Uses ``vad_threshold``, ``vad_floor_margin_db``, ``crosstalk_margin_db``,
        ``vad_min_speech_s`` and ``vad_min_silence_s``.

    Returns
    -------
    tuple of two ChannelActivity
        In channel order (left, right).
    """
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"stereo_activity: expected {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
    frame = round(FRAME_S * sample_rate)
    # Silero runs single-threaded; the channels are independent, so each gets a thread (and a core).
    # onnxruntime releases the GIL while it runs; the probabilities are the same as run one by one.
    with ThreadPoolExecutor(max_workers=len(samples)) as pool:
        probabilities = list(pool.map(speech_probabilities, samples))
    levels = frame_levels_db(np.pad(samples, ((0, 0), (0, -samples.shape[1] % frame))), frame_length=frame)
    n = min(levels.shape[1], *(p.size for p in probabilities))
    levels = levels[:, :n]
    floors = [noise_floor_db(row) for row in levels]
    candidates = np.stack(
        [
            speech_mask(p[:n], threshold=settings.vad_threshold) & (row > floor + settings.vad_floor_margin_db)
            for p, row, floor in zip(probabilities, levels, floors, strict=True)
        ]
    )
    own, bleeds = crosstalk_gate(levels, candidates, margin_db=settings.crosstalk_margin_db)
    return tuple(
        ChannelActivity(
            speech=timeline_from_mask(
                own[i],
                frame_s=FRAME_S,
                min_speech_s=settings.vad_min_speech_s,
                min_silence_s=settings.vad_min_silence_s,
            ),
            noise_floor_db=floors[i],
            candidate_s=float(candidates[i].sum() * FRAME_S),
            bleed_db=bleeds[i],
        )
        for i in range(2)
    )
