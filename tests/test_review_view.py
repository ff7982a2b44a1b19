"""The review page's data (service/review.py): downsampling of the timeline, markers and tiles."""

from __future__ import annotations

import json

from service.review import MAX_TIMELINE_POINTS, downsample, markers, review_view, tiles


def test_downsample_keeps_short_series_and_averages_long_ones():
    t = [float(i) for i in range(10)]
    assert downsample(t, list(t), 20) == (t, t)
    times, values = downsample(t, [1.0, 3.0, None, None, 5.0, None, 2.0, 2.0, None, 4.0], 5)
    assert times == [0.5, 2.5, 4.5, 6.5, 8.5]
    # None is left out of a bucket's mean, and a bucket of None stays a gap.
    assert values == [2.0, None, 5.0, 2.0, 4.0]


def _hour_report() -> dict:
    n = 3600
    t = [float(i) for i in range(n)]
    party = {
        "baseline": {},
        "pitch_hz": [120.0 + (i % 7) for i in range(n)],
        "loudness_db": [0.0] * n,
        "rate_wpm": [150.0] * n,
        "speaking": [i % 10 < 6 for i in range(n)],
    }
    return {
        "call": {"duration_s": float(n), "mode": "stereo"},
        "tone_timeline": {"resolution_s": 1.0, "t": t, "parties": {"agent": party, "customer": dict(party)}},
        "turns": [
            {"speaker": "agent", "start": 0.5, "end": 2.0, "text": "Hello there", "words": []},
        ],
        "metrics": {
            "talk_time_s": {"agent": 1800.0, "customer": 600.0},
            "interruptions": {"agent": {"count": 3}, "customer": {"count": 1}},
            "patience_s": {"median": 0.8},
            "longest_silence": {"start": 10.0, "end": 16.0, "duration_s": 6.0},
            "switches_per_minute": 4.2,
        },
        "interruptions": [
            {"start": 20.0, "end": 21.0, "by": "agent", "interrupted": "customer", "successful": True},
        ],
        "backchannels": [{"start": 5.0, "end": 5.3, "speaker": "customer", "text": "mm-hmm"}],
        "silences": [{"start": 10.0, "end": 16.0, "duration_s": 6.0}],
        "feeling_moments": [{"start": 30.0, "end": 33.0, "emotion": "worry", "acknowledged": False}],
        "arousal_events": [{"start": 40.0, "end": 45.0, "speaker": "agent", "cues": ["loudness"]}],
        "verdicts": {"stayed_calm": {"result": "passed", "score": 1.0, "reasons": [], "evidence": []}},
    }


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
    # A word-less turn is still one clickable span.
    assert view["turns"][0]["words"] == [[0.5, 2.0, "Hello there"]]


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
