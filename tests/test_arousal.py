"""Arousal events and the verdict "stayed calm" on hand-built tone timelines; syllable counting."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analysis.verdicts import Result, stayed_calm
from audio_features.arousal import find_arousal
from audio_features.config import Settings
from audio_features.pace import count_syllables, syllable_rate
from audio_features.tone import PartyTone
from audio_features.transcription import Word

SETTINGS = Settings()
N = 60  # one minute at 1 s per bin


def _tone(loud=(), pitch=(), rate=(), speaking=None, baseline_rate=180.0) -> PartyTone:
    """A party speaking throughout at baseline, with (start, end, delta) stretches added per measure."""
    times = np.arange(N) + 0.5
    series = {"loud": np.zeros(N), "pitch": np.zeros(N), "rate": np.full(N, baseline_rate)}
    for name, spans in (("loud", loud), ("pitch", pitch)):
        for a, b, delta in spans:
            series[name][a:b] += delta
    for a, b, pct in rate:
        series["rate"][a:b] *= 1 + pct / 100
    talking = np.ones(N, dtype=bool) if speaking is None else speaking
    return PartyTone(
        times=times,
        pitch_hz=120 * 2 ** (series["pitch"] / 12),
        pitch_st=series["pitch"],
        loudness_db=series["loud"],
        rate_wpm=series["rate"],
        speaking=talking,
        baseline_pitch_hz=120.0,
        baseline_level_dbfs=-30.0,
        baseline_rate_wpm=baseline_rate,
    )


def _words(start: float, end: float) -> list[Word]:
    return [Word(t, t + 0.3, f"w{i}", 1.0) for i, t in enumerate(np.arange(start, end, 0.4))]


def test_calm_speaker_has_no_event():
    summary = find_arousal("agent", _tone(), [], SETTINGS)
    assert summary.events == [] and summary.aroused_s == 0
    assert summary.speech_s == N and summary.peak_loudness_db == 0


def test_loud_high_and_fast_stretch_is_one_event_with_its_deltas_and_words():
    tone = _tone(loud=[(30, 40, 9.0)], pitch=[(30, 40, 4.0)], rate=[(30, 40, 30)])
    summary = find_arousal("agent", tone, _words(0, 60), SETTINGS)
    [event] = summary.events
    assert event.start == pytest.approx(30) and event.end == pytest.approx(40)
    assert event.aroused_s == pytest.approx(10)
    assert event.loudness_db == pytest.approx(9) and event.pitch_st == pytest.approx(4)
    assert event.rate_pct == pytest.approx(30)
    assert event.cues == ("loudness", "pitch", "rate")
    assert event.text.startswith("w") and len(event.text.split()) == pytest.approx(10 / 0.4, abs=1)
    assert summary.share == pytest.approx(10 / 60)


def test_one_cue_alone_is_not_arousal():
    """A louder line (a bad connection, a headset moved) without pitch or pace change."""
    assert find_arousal("agent", _tone(loud=[(10, 40, 12.0)]), [], SETTINGS).events == []
    three = replace(SETTINGS, arousal_min_cues=1)
    assert len(find_arousal("agent", _tone(loud=[(10, 40, 12.0)]), [], three).events) == 1


def test_short_flare_up_is_not_sustained():
    tone = _tone(loud=[(20, 22, 9.0)], pitch=[(20, 22, 4.0)])  # 2 s, under arousal_min_s
    assert find_arousal("agent", tone, [], SETTINGS).events == []


def test_one_stressed_second_is_smoothed_away():
    tone = _tone(loud=[(20, 21, 15.0)], pitch=[(20, 21, 6.0)])
    assert find_arousal("agent", tone, [], replace(SETTINGS, arousal_min_s=1.0)).events == []


def test_thresholds_are_inclusive_and_just_below_is_calm():
    loud, pitch = SETTINGS.arousal_loudness_db, SETTINGS.arousal_pitch_st
    at = _tone(loud=[(10, 30, loud)], pitch=[(10, 30, pitch)])
    below = _tone(loud=[(10, 30, loud - 0.1)], pitch=[(10, 30, pitch - 0.1)])
    assert len(find_arousal("agent", at, [], SETTINGS).events) == 1
    assert find_arousal("agent", below, [], SETTINGS).events == []


def test_other_party_talking_does_not_split_an_event_but_calm_speech_does():
    speaking = np.ones(N, dtype=bool)
    speaking[20:30] = False  # the customer answers for 10 s
    tone = _tone(loud=[(10, 20, 9.0), (30, 40, 9.0)], pitch=[(10, 20, 4.0), (30, 40, 4.0)], speaking=speaking)
    [event] = find_arousal("agent", tone, [], SETTINGS).events
    assert event.start < 20 and event.end > 30
    calm_between = _tone(loud=[(10, 20, 9.0), (30, 40, 9.0)], pitch=[(10, 20, 4.0), (30, 40, 4.0)])
    assert len(find_arousal("agent", calm_between, [], SETTINGS).events) == 2


def test_silent_party_has_nothing():
    summary = find_arousal("customer", _tone(speaking=np.zeros(N, dtype=bool)), [], SETTINGS)
    assert summary.events == [] and summary.speech_s == 0 and summary.peak_pitch_st is None


def test_verdict_fails_on_agent_arousal_and_names_the_upset_customer():
    agent = find_arousal("agent", _tone(loud=[(30, 40, 9.0)], pitch=[(30, 40, 4.0)]), _words(30, 40), SETTINGS)
    customer = find_arousal("customer", _tone(loud=[(20, 28, 9.0)], rate=[(20, 28, 40)]), _words(20, 28), SETTINGS)
    verdict = stayed_calm(agent, customer, SETTINGS)
    assert verdict.result is Result.FAILED and verdict.score <= 0.5
    assert any("replying to the customer's raised voice" in r for r in verdict.reasons)
    assert [e.speaker for e in verdict.evidence] == ["customer", "agent"]
    assert verdict.thresholds["loudness_db"] == SETTINGS.arousal_loudness_db


def test_verdict_passes_when_only_the_customer_is_upset():
    agent = find_arousal("agent", _tone(), [], SETTINGS)
    customer = find_arousal("customer", _tone(loud=[(20, 40, 9.0)], pitch=[(20, 40, 4.0)]), [], SETTINGS)
    verdict = stayed_calm(agent, customer, SETTINGS)
    assert verdict.result is Result.PASSED and verdict.score == 1.0
    assert any("while the agent stayed calm" in r for r in verdict.reasons)


def test_verdict_policy_is_a_setting():
    agent = find_arousal("agent", _tone(loud=[(30, 40, 9.0)], pitch=[(30, 40, 4.0)]), [], SETTINGS)
    lenient = replace(SETTINGS, calm_max_aroused_s=20.0)
    assert stayed_calm(agent, None, lenient).result is Result.PASSED
    assert stayed_calm(agent, None, lenient).score < 1


def test_verdict_not_applicable_without_enough_agent_speech():
    speaking = np.zeros(N, dtype=bool)
    speaking[:5] = True
    agent = find_arousal("agent", _tone(speaking=speaking), [], SETTINGS)
    verdict = stayed_calm(agent, None, SETTINGS)
    assert verdict.result is Result.NOT_APPLICABLE and verdict.score is None
    # Speech time is the agent's speech regions when given: short lines fill fewer whole speaking bins.
    assert stayed_calm(agent, None, SETTINGS, talk_s=8.0).result is Result.NOT_APPLICABLE
    assert stayed_calm(agent, None, SETTINGS, talk_s=12.5).result is Result.PASSED


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("the", 1),
        ("calling", 2),
        ("energy", 3),
        ("account", 2),
        ("please", 1),
        ("table", 2),
        ("happy", 2),
        ("reading", 2),
        ("yes", 1),
        ("Northwind,", 2),
        ("you're", 1),
        ("42", 0),
    ],
)
def test_count_syllables(word, syllables):
    assert count_syllables(word) == syllables


def test_syllable_rate_is_english_only():
    words = [Word(i * 0.4, i * 0.4 + 0.3, "calling", 1.0) for i in range(10)]
    assert syllable_rate(words, "en") == pytest.approx(20 / 3.9)
    assert syllable_rate(words, "de") is None
    assert syllable_rate(words[:2], "en") is None
