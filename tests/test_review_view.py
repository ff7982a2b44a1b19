"""The review page's data (service/review.py): downsampling of the timeline, markers and tiles."""

from __future__ import annotations

import json

from analysis.report_model import Report
from service.review import MAX_TIMELINE_POINTS, downsample, markers, review_view, tiles


def test_downsample_keeps_short_series_and_averages_long_ones():
    t = [float(i) for i in range(10)]
    assert downsample(t, list(t), 20) == (t, t)
    times, values = downsample(t, [1.0, 3.0, None, None, 5.0, None, 2.0, 2.0, None, 4.0], 5)
    assert times == [0.5, 2.5, 4.5, 6.5, 8.5]
    # None is left out of a bucket's mean, and a bucket of None stays a gap.
    assert values == [2.0, None, 5.0, 2.0, 4.0]


def _hour_report() -> Report:
    """A one-hour call's report, complete as the model requires, with the events the page marks."""
    n = 3600
    t = [float(i) for i in range(n)]
    party = {
        "baseline": {"pitch_hz": 123.0, "level_dbfs": -20.0, "rate_wpm": 150, "until_s": 1800.0},
        "pitch_hz": [120.0 + (i % 7) for i in range(n)],
        "pitch_st": [0.0] * n,
        "loudness_db": [0.0] * n,
        "rate_wpm": [150.0] * n,
        "speaking": [i % 10 < 6 for i in range(n)],
    }
    verdict = {"score": 1.0, "reasons": ["ok"], "evidence": [], "thresholds": {}}
    two = {"agent": 0, "customer": 0}
    return Report.model_validate(
        {
            "schema_version": "1.4",
            "call": {
                "source": {"file": "hour.wav", "container": "wav", "codec": "pcm_s16le", "size_bytes": 1},
                "duration_s": float(n),
                "sample_rate": 8000,
                "channels": 2,
                "analysis_sample_rate": 16000,
                "mode": "stereo",
                "has_speech": True,
                "language": "en",
                "language_probability": 1.0,
                "models": [],
            },
            "speakers": [],
            "agent_assignment": {"rule": "agent_channel", "confidence": 1.0, "evidence": "set"},
            "tone_timeline": {"resolution_s": 1.0, "t": t, "parties": {"agent": party, "customer": dict(party)}},
            "turns": [
                {
                    "speaker": "agent",
                    "start": 0.5,
                    "end": 2.0,
                    "text": "Hello there",
                    "rate_wpm": None,
                    "syllables_per_s": None,
                    "words": [
                        {"start": 0.5, "end": 1.0, "text": "Hello", "probability": 0.9},
                        {"start": 1.0, "end": 2.0, "text": "there", "probability": 0.9},
                    ],
                },
            ],
            "metrics": {
                "talk_time_s": {"agent": 1800.0, "customer": 600.0},
                "talk_ratio": 0.75,
                "silence_s": 6.0,
                "longest_silence": {"start": 10.0, "end": 16.0, "duration_s": 6.0},
                "longest_monologue": {k: {"duration_s": 1.0, "start": 0.0} for k in two},
                "turns": two,
                "turn_switches": 0,
                "switches_per_minute": 4.2,
                "interruptions": {
                    "agent": {"count": 3, "duration_s": 3.0},
                    "customer": {"count": 1, "duration_s": 1.0},
                },
                "backchannels": two,
                "patience_s": {"mean": 0.8, "median": 0.8},
            },
            "interruptions": [
                {
                    "start": 20.0,
                    "end": 21.0,
                    "by": "agent",
                    "interrupted": "customer",
                    "overlap_s": 1.0,
                    "interrupted_words_after": 0,
                    "successful": True,
                    "evidence": [],
                },
            ],
            "backchannels": [{"start": 5.0, "end": 5.3, "speaker": "customer", "text": "mm-hmm"}],
            "silences": [{"start": 10.0, "end": 16.0, "duration_s": 6.0}],
            "feeling_moments": [
                {
                    "start": 30.0,
                    "end": 33.0,
                    "text": "I'm worried",
                    "emotion": "worry",
                    "confidence": 0.8,
                    "cues": ["semantic"],
                    "episode": 0,
                    "acknowledged": False,
                    "reply": None,
                    "delay_s": None,
                    "credit": 0.0,
                }
            ],
            "arousal_events": [
                {
                    "start": 40.0,
                    "end": 45.0,
                    "speaker": "agent",
                    "aroused_s": 5.0,
                    "loudness_db": 7.0,
                    "pitch_st": None,
                    "rate_pct": None,
                    "cues": ["loudness"],
                    "text": "",
                }
            ],
            "verdicts": {
                "listened_without_interrupting": {"result": "failed", **verdict},
                "stayed_calm": {"result": "passed", **verdict},
                "acknowledged_feelings": {"result": "failed", **verdict},
            },
            "notes": [],
            "timings": {
                "decode_s": 0,
                "measure_s": 0,
                "empathy_s": 0,
                "judge_s": 0,
                "total_s": 0,
                "real_time_factor": 0,
            },
        }
    )


def test_an_hour_long_call_is_sent_compactly():
    view = review_view({"id": "x"}, _hour_report())
    timeline = view["timeline"]
    assert len(timeline["t"]) <= MAX_TIMELINE_POINTS
    for party in ("agent", "customer"):
        for series in ("pitch_hz", "loudness_db", "rate_wpm"):
            assert len(timeline["parties"][party][series]) == len(timeline["t"])
    # Values only while the party speaks: pitch averages stay within the party's own range.
    assert all(v is None or 120 <= v <= 126 for v in timeline["parties"]["agent"]["pitch_hz"])
    assert len(json.dumps(view)) < 120_000
    # Each word is a clickable span.
    assert view["turns"][0]["words"] == [[0.5, 1.0, "Hello"], [1.0, 2.0, "there"]]


def test_markers_say_who_did_what_in_time_order():
    found = markers(_hour_report())
    assert [m.kind for m in found] == ["backchannel", "silence", "interruption", "feeling", "arousal"]
    cut_in = found[2]
    assert cut_in.speaker == "agent" and cut_in.label == "agent interrupted customer (customer stopped)"
    assert found[1].speaker is None


def test_tiles_give_rates_over_the_call_length():
    shown = {t.title: t.value for t in tiles(_hour_report())}
    assert shown["Agent talk share"] == "75 %"
    assert shown["Agent interruptions"] == "3 (0.5 per 10 min)"
    assert shown["Agent patience"] == "0.8 s"
    assert shown["Longest silence"] == "6.0 s"


def test_a_call_without_report_is_not_ready():
    assert review_view({"id": "x", "status": "processing"}, None) == {
        "call": {"id": "x", "status": "processing"},
        "ready": False,
    }
