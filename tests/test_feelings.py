"""Feelings in ordinary customer talk, acknowledgements joined by commas, and feeling episodes (issue 14's
classes 3 and 5), with the real sentence model."""

from dataclasses import replace

import pytest
from empathy_kit import SETTINGS, _judge, _judge_turns

from analysis.verdicts import Result
from audio_features.empathy import SHORT_CLAUSE_EXTRA, find_feelings
from audio_features.sentences import feeling_words
from audio_features.transcript_file import turns_from_records

ORDINARY_CUSTOMER_TALK = [
    "Hi, my name is Patricia Brown.",
    "Hi, my name is David Miller, I need to check my account balance.",
    "That was all for today.",
    "No, that'll be all, thank you very much.",
    "My address is zero zero one Main Street, and that's in Forest Ranch, California.",
    "It's seven zero zero two three.",
    "Eleven a.m., please.",
    "Let's do it.",
    "You saved me a trip.",
    "Yeah, it's a 2019, I bought it from you all.",
    "So I'm not like, you know, terrified, I'd just rather get it looked at.",
]


@pytest.mark.models
@pytest.mark.parametrize("text", ORDINARY_CUSTOMER_TALK)
def test_ordinary_customer_talk_is_no_feeling(model, text):
    """Introductions, account details, times, closings and agreement (issue 14: read as frustration before)."""
    turns = turns_from_records([{"speaker": "customer", "start": 0.0, "end": 4.0, "text": text}])
    assert find_feelings(turns, model, SETTINGS) == []


def test_a_negated_feeling_word_is_no_cue():
    assert feeling_words("So I'm not like, you know, terrified.") == ([], ["terrified"])
    assert feeling_words("I'm not happy and I'm worried.") == (["worried"], [])
    assert feeling_words("I'm absolutely fuming.") == (["fuming"], [])


@pytest.mark.models
@pytest.mark.parametrize(
    "reply",
    [
        "I can hear how stressful that is, so I'm going to check the meter readings on your account and send the "
        "figures to the billing team for a review today.",
        "That's a fair worry, anyone would feel the same, so let me pull up the account and check the last three "
        "payments and the direct debit date.",
        "I completely understand why you're upset, I'll need your account number and the date of the last payment, "
        "and then I can raise a ticket with the billing team.",
    ],
)
def test_an_acknowledgement_joined_by_commas_to_the_next_step_is_found(model, reply):
    """Class 3: the recogniser joins the acknowledgement to the solution with a comma; clause by clause finds it.

    Scored as one sentence, the procedural part drowns the acknowledgement (the margin below the bar shows
    the miss issue 14 found)."""
    assert model.ack_margins([reply])[0] < SETTINGS.empathy_ack_margin
    feeling = "The bill has doubled and nobody can tell me why. I'm really worried I can't pay it."
    verdict, [ack] = _judge(
        model,
        [
            {"speaker": "customer", "start": 0.0, "end": 5.0, "text": feeling},
            {"speaker": "agent", "start": 5.5, "end": 12.0, "text": reply},
        ],
    )
    assert ack.acknowledged and verdict.result is Result.PASSED


@pytest.mark.models
def test_a_procedural_apology_joined_by_commas_is_still_no_acknowledgement(model):
    """Near miss of class 3."""
    feeling = "The bill has doubled and nobody can tell me why. I'm really worried I can't pay it."
    reply = "Sorry about that, can I take your postcode, and then I'll check the tariff."
    verdict, [ack] = _judge(
        model,
        [
            {"speaker": "customer", "start": 0.0, "end": 5.0, "text": feeling},
            {"speaker": "agent", "start": 5.5, "end": 9.0, "text": reply},
        ],
    )
    assert not ack.acknowledged and verdict.result is Result.FAILED


FEELING = "My heating has been broken for a week and the engineer didn't turn up. I'm really stressed about it."
HEARD = "I'm so sorry, a week without heating sounds awful, let me sort this out now."


@pytest.mark.models
def test_a_follow_up_after_being_heard_is_the_same_feeling(model):
    """Class 5: 'Thanks. I just need it sorted this time, ...' after an acknowledgement is one episode, not two."""
    records = [
        {"speaker": "customer", "start": 0.0, "end": 5.0, "text": FEELING},
        {"speaker": "agent", "start": 5.5, "end": 9.0, "text": HEARD},
        {
            "speaker": "customer",
            "start": 9.5,
            "end": 12.0,
            "text": "Thanks. I just need it sorted this time, I can't go another week like this.",
        },
        {"speaker": "agent", "start": 12.5, "end": 16.0, "text": "I've booked the first slot tomorrow morning."},
    ]
    turns = turns_from_records(records)
    moments = find_feelings(turns, model, SETTINGS)
    verdict, acks = _judge_turns(model, turns)
    assert len(acks) == 1 and acks[0].acknowledged
    assert len(acks[0].episode.moments) == len(moments)
    assert verdict.result is Result.PASSED and verdict.score == pytest.approx(1.0)


@pytest.mark.models
@pytest.mark.parametrize(
    "said",
    [
        "And now I'm terrified the pipes will freeze.",
        # As Whisper heard it at 8 kHz (corpus5 heldout_044): "tired" names a feeling too.
        "And now I'm very tired, so I'm going to freeze that out.",
    ],
)
def test_a_new_feeling_after_being_heard_is_a_new_episode(model, said):
    """Near miss of class 5: a fear with its own feeling word, ignored, still counts."""
    records = [
        {"speaker": "customer", "start": 0.0, "end": 5.0, "text": FEELING},
        {"speaker": "agent", "start": 5.5, "end": 9.0, "text": HEARD},
        {"speaker": "customer", "start": 9.5, "end": 12.0, "text": said},
        {"speaker": "agent", "start": 12.5, "end": 15.0, "text": "What's the postcode of the property, please?"},
    ]
    verdict, acks = _judge(model, records)
    assert [a.acknowledged for a in acks] == [True, False]
    assert verdict.result is Result.FAILED and verdict.score == pytest.approx(0.5)


@pytest.mark.models
@pytest.mark.parametrize(
    "opening",
    [
        "Hi, my name is Omar Walsh, I just wanted to let you know I'll be sending the media reading by post this "
        "month, because I'm away next week, and I'll be back on the twentieth.",
        "Hi, my name is Omar Walsh, I moved to a new flat at the start of the month, and I need the account moved "
        "across, and the final redding taken at the old address, and the direct edit kept the same.",
    ],
    ids=["corpus6_heldout_018", "corpus6_heldout_001"],
)
def test_an_opening_request_read_as_a_faint_feeling_does_not_fail_an_agent(model, opening):
    """corpus6 heldout_018 brief_agent and heldout_001 (as Whisper wrote them, 16 kHz stereo): a clause of an
    ordinary opening request cleared the feeling bar on meaning alone, by 0.026 and 0.037, and with the clear
    margin alone (0.02) the agent who answered "That's fine." failed "acknowledged feelings" on a call with no
    feeling in it. The probe reads these clauses as ordinary talk (log-odds under 0): one faint cue, reported and
    not scored."""
    records = [
        {"speaker": "customer", "start": 0.0, "end": 9.0, "text": opening},
        {"speaker": "agent", "start": 9.5, "end": 11.0, "text": "That's fine. Thank you."},
    ]
    verdict, acks = _judge(model, records)
    assert verdict.result is Result.NOT_APPLICABLE, [(a.episode.clear, a.scored) for a in acks]


@pytest.mark.models
def test_one_weak_cue_does_not_fail_an_agent(model):
    """An episode on the meaning of one sentence just over the bar, ignored, is reported but not scored."""
    records = [
        {"speaker": "customer", "start": 0.0, "end": 5.0, "text": "It keeps breaking down."},
        {"speaker": "agent", "start": 5.5, "end": 8.0, "text": "Can I have the registration, please?"},
    ]
    turns = turns_from_records(records)
    # A bar that the sentence clears by half the clear margin: over it, on one weak cue.
    _, [margin], _ = model.feeling_scores(["It keeps breaking down."])
    bar = margin - SHORT_CLAUSE_EXTRA - SETTINGS.empathy_clear_margin / 2
    lenient = replace(SETTINGS, empathy_feeling_margin=float(bar))
    moments = find_feelings(turns, model, lenient)
    assert len(moments) == 1 and moments[0].cues == ("semantic",)
    verdict, [ack] = _judge_turns(model, turns, lenient)
    assert not ack.episode.clear and not ack.scored
    assert verdict.result is Result.NOT_APPLICABLE and "one weak cue" in " ".join(verdict.reasons)
    strict = replace(lenient, empathy_clear_margin=-1.0)  # every episode clear: the same reply fails
    assert _judge_turns(model, turns, strict)[0].result is Result.FAILED
