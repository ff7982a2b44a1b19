"""Turn-taking on fixture calls with labelled events, end to end on the real models.

Stereo: exact counts, and every labelled interruption found with the right
``by``, ``interrupted`` and ``successful``; no backchannel counted as an
interruption. Mono: at most one counting error per call. Every version of every
call gets the expected verdict.
"""

from __future__ import annotations

import pytest
from helpers import CALLS, fixture_cases, labels

CALLS_WITH_VERDICTS = [
    "support_call",
    "callback_call",
    "interrupting_agent",
    "listening_agent",
    "agitated_agent",
    "upset_customer",
]
STEREO = ["_stereo.flac", "_8k_mulaw.wav"]
MONO = ["_mono.flac", "_mono_8k_mulaw.wav"]
#: How far a detected event may be from its label, s (speech onsets versus the script's line starts).
TOLERANCE_S = 0.5


def _events(name: str, kind: str) -> list[dict]:
    return [e for e in labels(name)["events"] if e["type"] == kind]


def _counts(events: list[dict], key: str = "by") -> dict[str, int]:
    return {p: sum(1 for e in events if e[key] == p) for p in ("agent", "customer")}


@pytest.mark.models
@pytest.mark.parametrize("suffix", STEREO)
@pytest.mark.parametrize("name", CALLS_WITH_VERDICTS)
def test_stereo_events_match_labels(analyze, name, suffix):
    report = analyze(CALLS / f"{name}{suffix}")
    expected = _events(name, "interruption")
    found = report["interruptions"]
    assert {p: m["count"] for p, m in report["metrics"]["interruptions"].items()} == _counts(expected)
    for e in expected:
        match = [i for i in found if i["by"] == e["by"] and abs(i["start"] - e["at"]) <= TOLERANCE_S]
        assert len(match) == 1, f"labelled interruption {e} not found in {found}"
        assert match[0]["interrupted"] == e["interrupted"]
        assert match[0]["successful"] == e["successful"]
        assert match[0]["overlap_s"] > 0
        assert {ev["speaker"] for ev in match[0]["evidence"]} == {"agent", "customer"}
    for b in _events(name, "backchannel"):
        assert not [i for i in found if i["by"] == b["by"] and abs(i["start"] - b["at"]) <= TOLERANCE_S]
        assert [
            x for x in report["backchannels"] if x["speaker"] == b["by"] and abs(x["start"] - b["at"]) <= TOLERANCE_S
        ]
    assert report["metrics"]["backchannels"] == _counts(_events(name, "backchannel"))
    for s in _events(name, "silence"):
        assert [x for x in report["silences"] if abs(x["start"] - s["start"]) <= TOLERANCE_S]


KNOWN_MONO_MISSES = {
    ("interrupting_agent", "_mono_8k_mulaw.wav"): "diarization gives 25.8-28.0 s of the agent to the customer, "
    "so a spurious agent cut-in appears and the customer's cut-in at 28.3 s reads as the customer talking on; "
    "the agent's 'right' at 11.3 s is not separated from the customer",
}


@pytest.mark.models
@pytest.mark.parametrize(("name", "suffix"), fixture_cases(CALLS_WITH_VERDICTS, MONO, KNOWN_MONO_MISSES))
def test_mono_at_most_one_error_per_call(analyze, name, suffix):
    """Errors: the differences from the labels in interruptions by each party and backchannels, summed."""
    report = analyze(CALLS / f"{name}{suffix}")
    expected_cuts = _counts(_events(name, "interruption"))
    expected_bc = _counts(_events(name, "backchannel"))
    errors = 0
    for party in ("agent", "customer"):
        errors += abs(report["metrics"]["interruptions"][party]["count"] - expected_cuts[party])
        errors += abs(report["metrics"]["backchannels"][party] - expected_bc[party])
    assert errors <= 1, (report["metrics"]["interruptions"], report["metrics"]["backchannels"])


@pytest.mark.models
@pytest.mark.parametrize("suffix", STEREO + MONO)
@pytest.mark.parametrize("name", CALLS_WITH_VERDICTS)
def test_verdict_listened_without_interrupting(analyze, name, suffix):
    report = analyze(CALLS / f"{name}{suffix}")
    verdict = report["verdicts"]["listened_without_interrupting"]
    assert verdict["result"] == labels(name)["expected"]["listened_without_interrupting"], verdict["reasons"]
    assert verdict["reasons"]
    if verdict["result"] == "failed":
        assert verdict["evidence"]
        assert verdict["score"] < 0.5
    else:
        assert verdict["score"] >= 0.5
    assert verdict["thresholds"]["max_interruptions_per_10min"] > 0


@pytest.mark.models
def test_metrics_on_the_interrupting_call(analyze):
    report = analyze(CALLS / "interrupting_agent_stereo.flac")
    m = report["metrics"]
    silence = _events("interrupting_agent", "silence")[0]
    assert m["longest_silence"]["duration_s"] == pytest.approx(silence["end"] - silence["start"], abs=0.3)
    turns = labels("interrupting_agent")["turns"]
    for party in ("agent", "customer"):
        spoken = sum(t["end"] - t["start"] for t in turns if t["speaker"] == party)
        assert m["talk_time_s"][party] == pytest.approx(spoken, rel=0.1)
    assert 0.3 < m["talk_ratio"] < 0.7
    assert m["patience_s"]["median"] == pytest.approx(0.45, abs=0.25)
    assert m["switches_per_minute"] > 5
