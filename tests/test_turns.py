"""Word attribution, turn building and the agent rule, on hand-built timelines."""

from __future__ import annotations

import pytest
from pyannote.core import Annotation, Segment

from audio_features.errors import ConfigError
from audio_features.roles import assign_roles, phrase_scores
from audio_features.transcription import Word
from audio_features.turns import LabelledWord, attribute_words, build_turns


def _words(text: str, start: float, step: float = 0.3) -> list[Word]:
    return [Word(start + i * step, start + i * step + 0.25, w, 0.9) for i, w in enumerate(text.split())]


def _labelled(label: str, text: str, start: float) -> list[LabelledWord]:
    return [LabelledWord(w, label) for w in _words(text, start)]


def test_attribution_by_overlap():
    exclusive = Annotation()
    exclusive[Segment(0.0, 2.0)] = "A"
    exclusive[Segment(2.0, 4.0)] = "B"
    words = [Word(0.5, 0.8, "one", 1), Word(1.8, 2.6, "two", 1), Word(1.7, 2.1, "three", 1), Word(5.0, 5.2, "four", 1)]
    labels = [lw.label for lw in attribute_words(words, exclusive)]
    # "two" overlaps B for 0.6 s and A for 0.2 s; "four" is outside any turn: nearest is B.
    assert labels == ["A", "B", "A", "B"]


def test_attribution_without_speakers_is_empty():
    assert attribute_words(_words("hello there", 0.0), Annotation()) == []


def test_backchannel_over_a_long_turn_does_not_split_it():
    words = _labelled("left", "so what I would like to do is check the meter", 0.0)
    words += _labelled("right", "mm-hmm", 1.0)  # spoken over the agent's words
    words += _labelled("right", "okay thank you", 4.0)
    turns = build_turns(words, {"left": "agent", "right": "customer"}, max_pause_s=1.0)
    assert [(t.speaker, t.text) for t in turns] == [
        ("agent", "so what I would like to do is check the meter"),
        ("customer", "mm-hmm"),
        ("customer", "okay thank you"),
    ]


def test_turn_ends_at_a_long_pause_or_when_the_other_party_speaks_in_it():
    words = _labelled("A", "first part", 0.0) + _labelled("A", "second part", 2.0)  # 1.45 s pause
    words += _labelled("A", "third", 2.9)  # 0.35 s pause, but B starts inside it:
    words += [LabelledWord(Word(2.7, 2.8, "yes", 1), "B")]
    turns = build_turns(words, {"A": "agent", "B": "customer"}, max_pause_s=1.0)
    assert [(t.speaker, t.text) for t in turns] == [
        ("agent", "first part"),
        ("agent", "second part"),
        ("customer", "yes"),
        ("agent", "third"),
    ]
    assert turns[0].start == 0.0 and turns[0].end == pytest.approx(0.55)


def test_opening_phrases_pick_the_agent_even_when_the_customer_speaks_first():
    words = _labelled("S0", "hello", 0.0)
    words += _labelled("S1", "hi this is Dan from the clinic am I speaking with Mrs Patel", 1.0)
    words += _labelled("S0", "yes speaking", 6.0)
    assignment = assign_roles(words, ["S0", "S1"])
    assert (assignment.agent, assignment.rule, assignment.confidence) == ("S1", "agent_phrases", 0.8)
    assert assignment.roles == {"S0": "customer", "S1": "agent"}
    assert "'am i speaking with'" in assignment.evidence


def test_only_the_first_turns_count_for_opening_phrases():
    words = _labelled("S0", "thank you for calling my name is Ann", 0.0)
    words += _labelled("S1", "hi", 5.0)
    # S1's late "thank you for calling" is a customer's goodbye, outside their first turns.
    for i, start in enumerate((8.0, 12.0, 16.0)):
        words += _labelled("S1", f"question {i}", start)
    words += _labelled("S1", "thank you for calling", 20.0)
    scores = phrase_scores(words)
    assert scores["S0"].agent == ("thank you for calling",) and scores["S1"].agent == ()


def test_service_phrases_count_anywhere_and_customer_phrases_against():
    """A caller who introduces themselves and says what they need is not the agent, whoever spoke first."""
    words = _labelled("right", "hi my name is Linda Garcia I would like to schedule an appointment", 0.0)
    words += _labelled("left", "sure what day would you like", 5.0)
    words += _labelled("right", "monday please", 8.0)
    words += _labelled("left", "I have scheduled your appointment is there anything else I can help with", 10.0)
    scores = phrase_scores(words)
    assert scores["right"].customer == ("i would like to",) and scores["right"].score == -1
    assert scores["left"].score == 4  # 'i have scheduled', 'your appointment', 'anything else i can help', ...
    assignment = assign_roles(words, ["left", "right"])
    assert (assignment.agent, assignment.rule) == ("left", "agent_phrases")
    assert assignment.confidence == 0.95


def test_a_setting_wins_and_warns_when_the_words_point_firmly_elsewhere():
    words = _labelled("right", "thank you for calling Harper Valley Bank how can I help you today", 0.0)
    words += _labelled("left", "hi I lost my debit card", 5.0)
    words += _labelled("right", "is there anything else I can help you with", 9.0)
    assignment = assign_roles(words, ["left", "right"], setting="left", setting_rule="agent_channel")
    assert (assignment.agent, assignment.rule, assignment.confidence) == ("left", "agent_channel", 1.0)
    assert assignment.warning is not None and "--agent-channel right" in assignment.warning
    # Set to the side the words point at: no warning.
    assert assign_roles(words, ["left", "right"], setting="right", setting_rule="agent_channel").warning is None


def test_first_speaker_when_no_phrase():
    words = _labelled("S1", "hello", 0.5) + _labelled("S0", "hi there", 2.0)
    assignment = assign_roles(words, ["S0", "S1"])
    assert (assignment.agent, assignment.rule, assignment.confidence) == ("S1", "first_speaker", 0.55)


def test_override_and_bad_override():
    words = _labelled("S0", "thank you for calling", 0.0) + _labelled("S1", "hi", 2.0)
    assert assign_roles(words, ["S0", "S1"], setting="S1").agent == "S1"
    with pytest.raises(ConfigError, match="not a speaker of this call"):
        assign_roles(words, ["S0", "S1"], setting="SPEAKER_07")


def test_single_speaker():
    assignment = assign_roles(_labelled("S0", "hello", 0.0), ["S0"])
    assert (assignment.rule, assignment.confidence) == ("single_speaker", 0.5)
