"""Stereo activity (Silero VAD per channel, then the crosstalk gate) on calls with known answers.

The voices are the fixture calls' espeak-ng speech: each fixture's stereo file
holds ``own + g * other`` on each channel (``g`` = its crosstalk gain), so the
two parties' clean tracks are recovered exactly by inverting that mix, and then
remixed here with any bleed, channel gain and level difference. The labels are
the fixture's own (exact by construction).
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pytest
from helpers import CALLS
from pyannote.core import Annotation, Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate

from audio_features.activity import (
    channels_are_mirrored,
    crosstalk_gate,
    noise_floor_db,
    stereo_activity,
    timeline_from_mask,
)
from audio_features.config import Settings
from audio_features.decode import decode_file
from audio_features.loudness import frame_levels_db
from audio_features.vad import FRAME_S, speech_mask, speech_probabilities

RATE = 16000
NAME = "listening_agent"  # backchannels and an overlap: the hard cases for a gate


@lru_cache(maxsize=1)
def _parties() -> tuple[np.ndarray, list[dict]]:
    """The fixture's two clean party tracks (agent, customer) and its labelled turns."""
    labels = json.loads((CALLS / f"{NAME}.labels.json").read_text())
    g = 10 ** (labels["crosstalk_db"] / 20)
    mixed = decode_file(CALLS / f"{NAME}_stereo.flac", max_duration_s=600).samples.astype(np.float64)
    own = np.linalg.solve(np.array([[1.0, g], [g, 1.0]]), mixed)
    return own.astype(np.float32), labels["turns"]


def _call(bleed_db: float, channel_gain_db: float = 0.0, agent_level_db: float = 0.0, noise_dbfs: float = -65.0):
    """Agent on the left, customer on the right, each bleeding into the other channel at ``bleed_db``."""
    own, _ = _parties()
    own = own.copy()
    own[0] *= 10 ** (agent_level_db / 20)
    bleed = 10 ** (bleed_db / 20)
    noise = 10 ** (noise_dbfs / 20) * np.random.default_rng(0).standard_normal(own.shape).astype(np.float32)
    mixed = np.stack([own[0] + bleed * own[1], own[1] + bleed * own[0]]) + noise
    mixed[0] *= 10 ** (channel_gain_db / 20)
    return mixed


def _reference() -> Annotation:
    ref = Annotation()
    for k, t in enumerate(_parties()[1]):
        ref[Segment(t["start"], t["end"]), k] = t["speaker"]
    return ref


def _der(acts) -> float:
    hyp = Annotation()
    for party, act in zip(("agent", "customer"), acts, strict=True):
        for k, seg in enumerate(act.speech):
            hyp[seg, (party, k)] = party
    return DiarizationErrorRate(collar=0.25, skip_overlap=False)(_reference(), hyp)


def _overlap() -> Segment:
    """The labelled overlap: the customer's 'Will I get the money back?' over the agent."""
    turns = _parties()[1]
    cut = next(t for t in turns if t["speaker"] == "customer" and t["text"].startswith("Will I"))
    agent = next(t for t in turns if t["speaker"] == "agent" and t["start"] < cut["start"] < t["end"])
    return Segment(cut["start"] + 0.1, agent["end"] - 0.1)


@pytest.mark.parametrize("bleed_db", [-10.0, -15.0, -25.0, -45.0])
@pytest.mark.parametrize("channel_gain_db", [0.0, -8.0, 8.0])
@pytest.mark.parametrize("agent_level_db", [0.0, -6.0, 6.0])
def test_crosstalk_is_not_speech(bleed_db, channel_gain_db, agent_level_db):
    acts = stereo_activity(_call(bleed_db, channel_gain_db, agent_level_db), RATE, Settings())
    assert _der(acts) < 0.06
    # The overlap is kept on both channels.
    overlap = _overlap()
    for act in acts:
        assert act.speech.crop(overlap).duration() >= 0.8 * overlap.duration
    if bleed_db > -30:
        # Bleed is measured relative to the source party's own channel, gains included.
        assert acts[0].bleed_db == pytest.approx(bleed_db + channel_gain_db, abs=2.5)
        assert acts[1].bleed_db == pytest.approx(bleed_db - channel_gain_db, abs=2.5)


def test_voice_activity_alone_hears_the_bleed():
    """The reason for the gate: Silero hears the other party's bleed as speech, because it is speech."""
    x = _call(-15.0)
    alone = speech_mask(speech_probabilities(x[0]), threshold=Settings().vad_threshold)
    naive = timeline_from_mask(alone, frame_s=FRAME_S, min_speech_s=0.12, min_silence_s=0.3)
    customer_only = Timeline(
        [Segment(t["start"], t["end"]) for t in _parties()[1] if t["speaker"] == "customer"]
    ).extrude(Timeline([Segment(t["start"] - 0.3, t["end"] + 0.3) for t in _parties()[1] if t["speaker"] == "agent"]))
    assert naive.crop(customer_only).duration() > 0.5 * customer_only.duration()
    gated = stereo_activity(x, RATE, Settings())[0].speech
    assert gated.crop(customer_only).duration() < 0.05 * customer_only.duration()


def test_line_noise_and_breaths_are_not_speech():
    """Noise bursts an energy threshold takes for speech (issue 14: 53 s of 'speech' on a 63 s channel)."""
    x = _call(-45.0, noise_dbfs=-90.0)
    rng = np.random.default_rng(3)
    customer = [t for t in _parties()[1] if t["speaker"] == "customer"]
    speech = Timeline([Segment(t["start"] - 0.3, t["end"] + 0.3) for t in customer]).support()
    gaps = Timeline([Segment(0, x.shape[1] / RATE)]).extrude(speech)
    bursts = Timeline()
    for gap in gaps:
        if gap.duration > 0.7:  # a breath or a click of line noise on the customer's line, at -35 dBFS
            start = gap.start + 0.2
            n = int(0.4 * RATE)
            burst = np.convolve(rng.standard_normal(n), np.ones(8) / 8, mode="same").astype(np.float32)
            i0 = int(start * RATE)
            x[1, i0 : i0 + n] += 10 ** (-35 / 20) * burst / np.sqrt(np.mean(burst**2))
            bursts = bursts.add(Segment(start, start + 0.4))
    assert len(bursts) >= 3
    levels = frame_levels_db(x[1], frame_length=512)
    energy = levels > noise_floor_db(levels) + Settings().vad_floor_margin_db
    by_energy = timeline_from_mask(energy, frame_s=FRAME_S, min_speech_s=0.12, min_silence_s=0.3)
    assert by_energy.crop(bursts).duration() > 0.8 * bursts.duration()
    found = stereo_activity(x, RATE, Settings())[1].speech
    assert found.crop(bursts).duration() < 0.2 * bursts.duration()


def test_a_channel_gated_to_digital_silence_keeps_a_noise_floor():
    """Some recorders gate a channel to digital zero between words: the floor is read from the rest."""
    x = _call(-45.0)
    own = stereo_activity(x, RATE, Settings())
    gated = x.copy()
    for row, act in enumerate(own):
        keep = np.zeros(gated.shape[1], dtype=bool)
        for seg in act.speech.support(collar=0.5):
            keep[int(max(0, seg.start - 0.2) * RATE) : int((seg.end + 0.2) * RATE)] = True
        gated[row, ~keep] = 0.0
    acts = stereo_activity(gated, RATE, Settings())
    assert all(a.noise_floor_db > -100 for a in acts)
    assert _der(acts) < 0.06


def test_the_gate_keeps_overlaps_and_drops_bleed_on_known_levels():
    # Frames: 0-9 A alone, 10-19 both (overlap), 20-29 B alone; bleed -15 dB each way.
    levels = np.full((2, 30), -90.0)
    levels[0, :20] = -20.0
    levels[1, 10:] = -22.0
    levels[1, :10] = -35.0  # A's bleed on B
    levels[0, 20:] = -37.0  # B's bleed on A
    candidates = levels > -60
    own, bleeds = crosstalk_gate(levels, candidates, margin_db=6.0)
    assert own[0].tolist() == [True] * 20 + [False] * 10
    assert own[1].tolist() == [False] * 10 + [True] * 20
    assert bleeds == pytest.approx((-15.0, -15.0))


def test_silence_gives_no_speech():
    x = (10 ** (-70 / 20) * np.random.default_rng(1).standard_normal((2, 5 * RATE))).astype(np.float32)
    acts = stereo_activity(x, RATE, Settings())
    assert all(len(a.speech) == 0 for a in acts)


def test_digital_silence_gives_no_speech():
    acts = stereo_activity(np.zeros((2, 3 * RATE), dtype=np.float32), RATE, Settings())
    assert all(len(a.speech) == 0 for a in acts)


def test_other_sample_rates_are_refused():
    with pytest.raises(ValueError, match="16000 Hz"):
        stereo_activity(np.zeros((2, 8000), dtype=np.float32), 8000, Settings())


def test_timeline_from_mask_bridges_and_drops():
    frame_s = 0.01
    mask = np.zeros(200, dtype=bool)
    mask[10:50] = True  # 0.10-0.50
    mask[60:100] = True  # 0.60-1.00, gap 0.10 s: bridged
    mask[150:155] = True  # 0.05 s burst: dropped
    timeline = timeline_from_mask(mask, frame_s=frame_s, min_speech_s=0.1, min_silence_s=0.2)
    assert timeline == Timeline([Segment(0.1, 1.0)])


def test_speech_mask_hysteresis():
    p = np.array([0.1, 0.3, 0.6, 0.4, 0.3, 0.2, 0.5, 0.1])
    # Speech starts at 0.5 and goes on until the probability falls below 0.35.
    assert speech_mask(p, threshold=0.5).tolist() == [False, False, True, True, False, False, True, False]


def test_mirrored_channels():
    x = np.random.default_rng(0).standard_normal(RATE).astype(np.float32)
    assert channels_are_mirrored(np.stack([x, x]), threshold_db=-30)
    assert channels_are_mirrored(np.stack([x, x * 1.001]), threshold_db=-30)
    assert not channels_are_mirrored(_call(-15.0), threshold_db=-30)
