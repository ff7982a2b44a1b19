"""Arousal events and the verdicts "stayed calm" and "acknowledged feelings" on the fixture calls, end to end.

``agitated_agent``: the agent's last three lines are raised (+9 dB, higher,
faster) after the customer gets upset. ``upset_customer``: only the customer's
two middle lines are raised; the agent stays calm. The other calls have calm
agents. Lines spoken in a raised voice carry ``raised_db`` in the labels.
"""

from __future__ import annotations

import subprocess
import sys

import jsonschema
import pytest
from helpers import CALLS, ROOT, fixture_cases, labels

from analysis.report import load_schema

NAMES = ["support_call", "callback_call", "interrupting_agent", "listening_agent", "agitated_agent", "upset_customer"]
VERSIONS = ["_stereo.flac", "_8k_mulaw.wav", "_mono.flac", "_mono_8k_mulaw.wav"]


def _raised(name: str, speaker: str) -> list[dict]:
    return [t for t in labels(name)["turns"] if t["speaker"] == speaker and t.get("raised_db")]


def _overlap(a: dict, b: dict) -> float:
    return max(0.0, min(a["end"], b["end"]) - max(a["start"], b["start"]))


@pytest.mark.models
@pytest.mark.parametrize("suffix", VERSIONS)
@pytest.mark.parametrize("name", NAMES)
def test_verdict_stayed_calm(analyze, name, suffix):
    report = analyze(CALLS / f"{name}{suffix}")
    jsonschema.validate(report, load_schema())
    verdict = report["verdicts"]["stayed_calm"]
    assert verdict["result"] == labels(name)["expected"]["stayed_calm"], verdict["reasons"]
    assert verdict["reasons"]
    if verdict["result"] == "failed":
        assert verdict["score"] <= 0.5
        # The evidence is the agent's raised lines, with the words spoken.
        agent_evidence = [e for e in verdict["evidence"] if e["speaker"] == "agent"]
        assert agent_evidence and all(e["text"] for e in agent_evidence)
        for e in agent_evidence:
            assert any(_overlap(e, t) > 0 for t in _raised(name, "agent"))
    else:
        assert verdict["score"] > 0.5
    assert report["metrics"]["agent_arousal"]["events"] == sum(
        e["speaker"] == "agent" for e in report["arousal_events"]
    )


@pytest.mark.models
@pytest.mark.parametrize("suffix", VERSIONS)
def test_agent_arousal_covers_the_raised_lines(analyze, suffix):
    report = analyze(CALLS / f"agitated_agent{suffix}")
    events = [e for e in report["arousal_events"] if e["speaker"] == "agent"]
    raised = _raised("agitated_agent", "agent")
    spoken = sum(t["end"] - t["start"] for t in raised)
    assert sum(e["aroused_s"] for e in events) >= 0.5 * spoken
    for e in events:
        assert e["loudness_db"] >= 6 and e["pitch_st"] >= 2, e
        assert e["start"] >= raised[0]["start"] - 2, "arousal found before the agent's voice rose"


@pytest.mark.models
@pytest.mark.parametrize("suffix", VERSIONS)
def test_customer_arousal_is_reported_while_the_agent_stays_calm(analyze, suffix):
    report = analyze(CALLS / f"upset_customer{suffix}")
    [event] = [e for e in report["arousal_events"] if e["speaker"] == "customer"]
    raised = _raised("upset_customer", "customer")
    assert all(_overlap(event, t) > 0 for t in raised)
    assert event["loudness_db"] >= 6 and "loudness" in event["cues"]
    assert "ignored" in event["text"]
    customer = report["metrics"]["customer_arousal"]
    assert customer["events"] == 1 and customer["aroused_s"] >= 5
    assert report["metrics"]["agent_arousal"]["events"] == 0


@pytest.mark.models
def test_calm_calls_have_no_agent_arousal(analyze):
    for name in ("support_call", "callback_call", "interrupting_agent", "listening_agent", "upset_customer"):
        report = analyze(CALLS / f"{name}_stereo.flac")
        assert report["metrics"]["agent_arousal"]["aroused_s"] == 0, name
        # Calm speech stays within a few dB and semitones of its own baseline (question ends reach ~3 st).
        assert report["metrics"]["agent_arousal"]["peak_loudness_db"] < 6
        assert report["metrics"]["agent_arousal"]["peak_pitch_st"] < 4


@pytest.mark.models
def test_text_format_lists_arousal_events(cli_env):
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "analyze", str(CALLS / "agitated_agent_stereo.flac"), "--format", "text"],
        capture_output=True,
        text=True,
        env=cli_env,
        cwd=ROOT,
        check=True,
    )
    out = done.stdout
    assert "agent aroused (loudness + pitch + rate)" in out
    assert "stayed calm: FAILED" in out
    assert "replying to the customer's raised voice" in out
    assert "agent arousal: 1 event(s)" in out


#: The empathy stage judges words, and at 8 kHz the espeak voices come out of Whisper with 10-25 % of their
#: words wrong (see the README). These 8 kHz verdicts are known to be wrong for that reason; the other nine
#: 8 kHz versions are held to their labels like the 16 kHz ones.
KNOWN_8K_EMPATHY_MISSES = {
    ("agitated_agent", "_mono_8k_mulaw.wav"): "diarization gives most of the customer's words to the agent",
    ("interrupting_agent", "_8k_mulaw.wav"): "at 8 kHz the feeling is one clause just over the bar (one weak cue)",
    ("interrupting_agent", "_mono_8k_mulaw.wav"): "at 8 kHz the feeling is one clause just over the bar (one weak cue)",
}


@pytest.mark.models
@pytest.mark.parametrize(("name", "suffix"), fixture_cases(NAMES, VERSIONS, KNOWN_8K_EMPATHY_MISSES))
def test_verdict_acknowledged_feelings(analyze, name, suffix):
    report = analyze(CALLS / f"{name}{suffix}")
    verdict = report["verdicts"]["acknowledged_feelings"]
    assert verdict["result"] == labels(name)["expected"]["acknowledged_feelings"], verdict["reasons"]
    # One customer evidence line per scored feeling episode (issue 14: the verdict scores episodes).
    scored = [e for e in report["feeling_episodes"] if e["scored"]]
    assert len(scored) == sum(1 for e in verdict["evidence"] if e["speaker"] == "customer")
    if verdict["result"] != "not_applicable":
        assert {e["speaker"] for e in verdict["evidence"]} == {"customer", "agent"}
    if name == "upset_customer":
        # The customer's raised voice supports the words.
        assert any("arousal" in m["cues"] for m in report["feeling_moments"])


@pytest.mark.models
def test_raised_replies_with_a_calm_phrase_between_them_are_one_flare_up(analyze):
    """The corpus's tune_041 talks_over, stereo 8 kHz through GSM (kept by ``python -m fixtures.corpus --keep``).

    Issue 14: the agent speaks 6 s at their own level, then answers in a raised voice (+9 dB) three times,
    18.3-21.2 s, 23.1-26.8 s and 29.1-31.8 s. With a half-call baseline the first raised line sat inside the
    baseline, and with a 2 s bridge the calm seconds in the middle reply split the aroused ones into two
    groups of 2 and 3 s, each under the 4 s bar: "stayed calm" passed.
    """
    report = analyze(CALLS / "corpus_tune_041_talks_over_stereo_8k.flac")
    verdict = report["verdicts"]["stayed_calm"]
    assert verdict["result"] == "failed", verdict["reasons"]
    [event] = [e for e in report["arousal_events"] if e["speaker"] == "agent"]
    assert 17.5 <= event["start"] and event["end"] <= 33 and event["aroused_s"] >= 4, event
