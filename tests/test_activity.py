"""Stereo activity with the crosstalk gate, on synthetic two-channel calls with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from pyannote.core import Annotation, Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate

from audio_features.activity import channels_are_mirrored, stereo_activity, timeline_from_mask
from audio_features.config import Settings
from audio_features.loudness import frame_levels_db

RATE = 16000
# (party, start s, end s); the 9.0-10.0 s stretch is an overlap (both talk).
SCRIPT = [("agent", 0.5, 3.0), ("customer", 3.4, 6.0), ("agent", 6.5, 10.0), ("customer", 9.0, 12.0)]


def _voice(rng: np.random.Generator, n: int, f0: float) -> np.ndarray:
    """A crude voiced signal: harmonics of f0 with a 4 Hz syllable envelope."""
    t = np.arange(n) / RATE
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t + rng.uniform(0, 6))
    return (0.1 * envelope * x).astype(np.float32)


def _call(bleed_db: float, channel_gain_db: float = 0.0, agent_level_db: float = 0.0, seed: int = 0) -> np.ndarray:
    """Agent on the left, customer on the right, each bleeding into the other channel.

    ``agent_level_db`` makes the agent speak softer or louder than the customer;
    ``channel_gain_db`` is the recorder's gain on the left channel (after the bleed).
    """
    rng = np.random.default_rng(seed)
    n = int(13 * RATE)
    own = np.zeros((2, n), dtype=np.float32)
    for party, start, end in SCRIPT:
        row, f0 = (0, 210.0) if party == "agent" else (1, 120.0)
        i0, i1 = int(start * RATE), int(end * RATE)
        own[row, i0:i1] += _voice(rng, i1 - i0, f0)
    own[0] *= 10 ** (agent_level_db / 20)
    bleed = 10 ** (bleed_db / 20)
    noise = 10 ** (-65 / 20) * rng.standard_normal((2, n)).astype(np.float32)
    mixed = np.stack([own[0] + bleed * own[1], own[1] + bleed * own[0]]) + noise
    mixed[0] *= 10 ** (channel_gain_db / 20)
    return mixed


def _der(acts) -> float:
    ref, hyp = Annotation(), Annotation()
    for party, start, end in SCRIPT:
        ref[Segment(start, end)] = party
    for party, act in zip(("agent", "customer"), acts, strict=True):
        for seg in act.speech:
            hyp[seg] = party
    return DiarizationErrorRate(collar=0.0, skip_overlap=False)(ref, hyp)


@pytest.mark.parametrize("bleed_db", [-10.0, -15.0, -20.0, -40.0])
@pytest.mark.parametrize("channel_gain_db", [0.0, -8.0, 8.0])
@pytest.mark.parametrize("agent_level_db", [0.0, -4.0, 4.0])
def test_crosstalk_is_not_speech(bleed_db, channel_gain_db, agent_level_db):
    acts = stereo_activity(_call(bleed_db, channel_gain_db, agent_level_db), RATE, Settings())
    assert _der(acts) < 0.05
    # The overlap (9-10 s) is kept on both channels.
    for act in acts:
        assert act.speech.crop(Segment(9.1, 9.9)).duration() == pytest.approx(0.8, abs=0.05)
    if bleed_db > -30:
        # Bleed is measured relative to the source party's own channel, gains included.
        assert acts[0].bleed_db == pytest.approx(bleed_db + channel_gain_db, abs=2)
        assert acts[1].bleed_db == pytest.approx(bleed_db - channel_gain_db, abs=2)


def test_threshold_per_channel_alone_would_fail():
    """The reason for the gate: a floor threshold on each channel alone marks the bleed as speech."""
    x = _call(-15.0)
    settings = Settings()
    frame = int(settings.vad_frame_s * RATE)
    levels = frame_levels_db(x, frame_length=frame)
    naive = []
    for row in levels:
        mask = row > np.percentile(row, 10) + settings.vad_floor_margin_db
        naive.append(timeline_from_mask(mask, frame_s=frame / RATE, min_speech_s=0.12, min_silence_s=0.3))
    agent_naive = naive[0].crop(Segment(3.4, 6.0)).duration()
    assert agent_naive > 2.0, "per-channel thresholding hears the customer's bleed on the agent channel"
    gated = stereo_activity(x, RATE, settings)
    assert gated[0].speech.crop(Segment(3.5, 5.9)).duration() == 0


def test_silence_gives_no_speech():
    x = (10 ** (-70 / 20) * np.random.default_rng(1).standard_normal((2, 5 * RATE))).astype(np.float32)
    acts = stereo_activity(x, RATE, Settings())
    assert all(len(a.speech) == 0 for a in acts)


def test_digital_silence_gives_no_speech():
    acts = stereo_activity(np.zeros((2, 3 * RATE), dtype=np.float32), RATE, Settings())
    assert all(len(a.speech) == 0 for a in acts)


def test_timeline_from_mask_bridges_and_drops():
    frame_s = 0.01
    mask = np.zeros(200, dtype=bool)
    mask[10:50] = True  # 0.10-0.50
    mask[60:100] = True  # 0.60-1.00, gap 0.10 s: bridged
    mask[150:155] = True  # 0.05 s burst: dropped
    timeline = timeline_from_mask(mask, frame_s=frame_s, min_speech_s=0.1, min_silence_s=0.2)
    assert timeline == Timeline([Segment(0.1, 1.0)])


def test_mirrored_channels():
    x = np.random.default_rng(0).standard_normal(RATE).astype(np.float32)
    assert channels_are_mirrored(np.stack([x, x]), threshold_db=-30)
    assert channels_are_mirrored(np.stack([x, x * 1.001]), threshold_db=-30)
    assert not channels_are_mirrored(_call(-15.0), threshold_db=-30)
