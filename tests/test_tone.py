"""Pace on hand-built words; the tone timeline on fixture calls (real pipeline)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import CALLS, labels

from audio_features.pace import articulation_rate_wpm, rate_timeline
from audio_features.transcription import Word


def _words(n: int, start: float = 0.0, word_s: float = 0.3, gap_s: float = 0.1) -> list[Word]:
    return [Word(start + i * (word_s + gap_s), start + i * (word_s + gap_s) + word_s, "w", 1.0) for i in range(n)]


def test_articulation_rate():
    # 10 words, each 0.3 s with 0.1 s between: 9 x 0.4 s + 0.3 s = 3.9 s -> 153.8 wpm.
    assert articulation_rate_wpm(_words(10)) == pytest.approx(60 * 10 / 3.9)


def test_pauses_are_left_out():
    words = _words(5) + _words(5, start=10.0)  # a 8.3 s pause in the middle
    assert articulation_rate_wpm(words) == pytest.approx(60 * 10 / (2 * 1.9))


def test_too_few_words_have_no_rate():
    assert articulation_rate_wpm(_words(2)) is None
    rates = rate_timeline(_words(10), np.array([2.0, 30.0]), window_s=10.0)
    assert rates[0] == pytest.approx(60 * 10 / 3.9)
    assert math.isnan(rates[1])


@pytest.mark.models
@pytest.mark.parametrize("suffix", ["_stereo.flac", "_8k_mulaw.wav", "_mono.flac"])
def test_tone_timeline_on_a_fixture(analyze, suffix):
    report = analyze(CALLS / f"listening_agent{suffix}")
    tt = report["tone_timeline"]
    duration = report["call"]["duration_s"]
    assert tt["resolution_s"] == 1.0
    assert len(tt["t"]) == math.ceil(duration)
    agent, customer = tt["parties"]["agent"], tt["parties"]["customer"]
    for series in ("pitch_hz", "pitch_st", "loudness_db", "rate_wpm", "speaking"):
        assert len(agent[series]) == len(customer[series]) == len(tt["t"])
    # The agent's voice (espeak en-us+f3, pitch 65) sits well above the customer's (en-gb+m3, pitch 30).
    assert agent["baseline"]["pitch_hz"] > 1.6 * customer["baseline"]["pitch_hz"]
    assert 60 <= customer["baseline"]["pitch_hz"] <= 500
    # Speaking flags follow the script: bins inside a long line are flagged for that party only.
    turns = labels("listening_agent")["turns"]
    for t in turns:
        if t["end"] - t["start"] < 3:
            continue
        inside = [i for i, c in enumerate(tt["t"]) if t["start"] + 0.6 < c < t["end"] - 0.6]
        other = customer if t["speaker"] == "agent" else agent
        own = agent if t["speaker"] == "agent" else customer
        assert np.mean([own["speaking"][i] for i in inside]) >= 0.7
        assert np.mean([other["speaking"][i] for i in inside]) <= 0.3
    # Relative measures centre on the party's own baseline.
    spoken = [x for x, s in zip(agent["loudness_db"], agent["speaking"], strict=True) if s and x is not None]
    assert abs(np.median(spoken)) < 3
    rates = [x for x in customer["rate_wpm"] if x is not None]
    assert rates and 100 < np.median(rates) < 400


def _tone_track(spans: list[tuple[float, float]], f0: float, duration_s: float, rate: int = 16000) -> np.ndarray:
    t = np.arange(int(duration_s * rate)) / rate
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)).astype(np.float32) * 0.1
    mask = np.zeros(t.shape, dtype=bool)
    for a, b in spans:
        mask[(t >= a) & (t < b)] = True
    return np.where(mask, x, 0.0).astype(np.float32)


def test_stereo_speech_in_overlap_is_the_party_s_own():
    """Class 4 (issue 14): on its own channel, a party talking over the other is still speaking.

    The agent talks for 12 s, 6 of them over the customer. In stereo the agent's speaking time is 12 s
    (so "stayed calm" has its 10 s); on one shared mono track, the overlap holds both voices and is left out.
    """
    from pyannote.core import Segment, Timeline

    from audio_features.tone import tone_timelines

    duration = 14.0
    agent = _tone_track([(0.0, 12.0)], 200.0, duration)
    customer = _tone_track([(4.0, 10.0)], 120.0, duration)
    speech = {"agent": Timeline([Segment(0.0, 12.0)]), "customer": Timeline([Segment(4.0, 10.0)])}
    kwargs = dict(sample_rate=16000, duration_s=duration, resolution_s=1.0, pace_window_s=10.0)
    stereo = tone_timelines({"agent": agent, "customer": customer}, speech, {}, **kwargs)
    assert int(stereo["agent"].speaking.sum()) == 12
    assert int(stereo["customer"].speaking.sum()) == 6
    mix = agent + customer
    mono = tone_timelines({"agent": mix, "customer": mix}, speech, {}, **kwargs)
    assert int(mono["agent"].speaking.sum()) == 6
    assert int(mono["customer"].speaking.sum()) == 0
