"""The real recorded calls of ../shared/data/real (skipped when the folder is absent): issue 14's acceptance.

Bank calls (HarperValleyBank, role-played by people over a telephone line,
agent on the right channel): routine and polite by their human transcripts,
so each, in stereo and as a mono mix, with the agent channel left for
callscope to find, must get "listened without interrupting: passed", "stayed
calm: passed" and "acknowledged feelings: not_applicable", with the agent
found, and the mean DER over the four at most 0.10 in stereo and 0.15 in mono
(collar 0.25 s; the issue reported its "before" figures as such means). On no
real call may a self-introduction, an account detail or a closing be a
feeling moment. Scoring: :mod:`bench.reference`; figures: ``make bench-real``
and bench/RESULTS.md.
"""

from __future__ import annotations

import re

import pytest

from bench.reference import REAL_DATA, agent_found, der, real_calls

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.models,
    pytest.mark.skipif(not REAL_DATA.is_dir(), reason=f"{REAL_DATA} is absent (real recorded calls)"),
]

CALLS = real_calls()
BANK = [c for c in CALLS if c.kind == "bank"]
DER_BOUND = {"stereo": 0.10, "mono": 0.15}
#: No single bank call may be far off: its reference times come from the platform's segmenter, which
#: starts turns up to 0.5 s late, so one call may exceed the mean's bound, but not by much.
DER_ONE_CALL = {"stereo": 0.15, "mono": 0.20}
#: Self-introductions, account details (numbers, addresses, spellings) and closings.
ORDINARY = re.compile(
    r"\b(my name is|my name's|this is|speaking|account number|zip|postcode|address|street|a\.? ?m\.?|p\.? ?m\.?|"
    r"that's all|that was all|that'll be all|that's it|thank you|thanks|bye|have a (good|great|nice))\b|\d",
    re.IGNORECASE,
)


def _cases(calls):
    return [pytest.param(c, mode, id=f"{c.name}-{mode}") for c in calls for mode in c.files]


@pytest.mark.parametrize(("call", "mode"), _cases(BANK))
def test_bank_calls_are_judged_as_a_person_reads_them(analyze, call, mode):
    report = analyze(call.files[mode])
    verdicts = {name: v["result"] for name, v in report["verdicts"].items()}
    assert verdicts == {
        "listened_without_interrupting": "passed",
        "stayed_calm": "passed",
        "acknowledged_feelings": "not_applicable",
    }, report["verdicts"]
    assert report["feeling_moments"] == []
    assert report["arousal_events"] == []


@pytest.mark.parametrize(("call", "mode"), _cases(BANK))
def test_bank_calls_find_the_agent_and_who_spoke_when(analyze, call, mode):
    report = analyze(call.files[mode])
    assert agent_found(call, report), report["agent_assignment"]
    if mode == "stereo":
        assert report["agent_assignment"]["rule"] == "agent_phrases"
        assert report["agent_assignment"]["confidence"] >= 0.8
    error = der(call, report)
    print(f"{call.name} {mode}: DER {error:.3f}")
    assert error <= DER_ONE_CALL[mode]


@pytest.mark.parametrize("mode", ["stereo", "mono"])
def test_bank_calls_mean_der(analyze, mode):
    errors = [der(c, analyze(c.files[mode])) for c in BANK]
    mean = sum(errors) / len(errors)
    print(f"bank calls, {mode}: DER {', '.join(f'{e:.3f}' for e in errors)}, mean {mean:.3f}")
    assert len(errors) == 4 and mean <= DER_BOUND[mode]


@pytest.mark.parametrize(("call", "mode"), _cases(CALLS))
def test_no_introduction_account_detail_or_closing_is_a_feeling(analyze, call, mode):
    report = analyze(call.files[mode])
    for moment in report["feeling_moments"]:
        assert not ORDINARY.search(moment["text"]), moment


def test_a_set_agent_channel_that_the_words_contradict_is_flagged(analyze):
    """The bank calls put the agent on the right; set to left, the report says so (and the setting still wins)."""
    call = BANK[0]
    report = analyze(call.stereo, agent_channel="left")
    assert report["agent_assignment"]["rule"] == "agent_channel"
    agent = next(s for s in report["speakers"] if s["role"] == "agent")
    assert agent["source"] == "channel:left"
    assert any("--agent-channel right" in n for n in report["notes"]), report["notes"]
