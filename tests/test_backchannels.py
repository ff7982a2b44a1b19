"""Backchannels and closings on hand-built timelines: listener tokens, phrases and echoes, hums, words Whisper
heard unsurely, crosstalk written down, and farewells over the other party (issue 14's classes 1 and 2)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pyannote.core import Annotation, Segment
from turns_kit import LONG, SETTINGS, activity, analyse, turn

from audio_features.backchannels import is_closing
from audio_features.transcription import Word
from audio_features.turn_taking import analyse_turn_taking
from audio_features.turns import Turn


def test_a_drawn_out_listener_token_is_a_backchannel_not_a_cut_in():
    """Class 1: 'mm-hmm' held for 1.3 s under the customer's talk; no duration bound decides it."""
    customer = turn("customer", 0.0, LONG)
    mm = Turn("agent", 1.5, 2.8, "mm-hmm", [Word(1.5, 2.8, "mm-hmm", 0.9)])
    tt = analyse([customer, mm])
    assert [(b.speaker, b.text) for b in tt.backchannels] == [("agent", "mm-hmm")]
    assert tt.interruptions == []
    # Near miss: the same token going straight on into words of its own is a cut-in.
    words = [Word(1.5, 2.8, "mm-hmm", 0.9), *turn("agent", 2.9, "so what is the new address").words]
    reply = Turn("agent", 1.5, words[-1].end, "mm-hmm so what is the new address", words)
    tt = analyse([customer, reply])
    assert tt.backchannels == [] and [i.by for i in tt.interruptions] == ["agent"]


def test_a_cut_in_that_opens_with_a_listener_token_is_one_interruption():
    """Class 2: 'Okay,' then 'and what's the reference on the letter' while the customer is mid-sentence.

    Whisper splits the two where the customer's words fall between them; the token is the cut-in's start.
    """
    customer = turn("customer", 0.0, LONG)
    okay = turn("agent", 1.5, "okay")
    rest = turn("agent", 1.95, "and what's the reference on the letter")
    tt = analyse([customer, okay, rest])
    assert tt.backchannels == []
    assert [(i.by, i.start) for i in tt.interruptions] == [("agent", 1.5)]
    assert tt.interruptions[0].text_by.startswith("okay and what's the reference")


def test_a_true_listener_token_beside_it_stays_a_backchannel():
    """Near miss of class 2: 'okay' alone over the customer's talk, and 'okay' that takes the floor after a pause."""
    customer = turn("customer", 0.0, LONG)  # words until 4.45 s
    tt = analyse([customer, turn("agent", 1.5, "okay"), turn("agent", 5.2, "okay let me check that for you")])
    assert [(b.speaker, b.start) for b in tt.backchannels] == [("agent", 1.5)]
    assert tt.interruptions == []


def test_listener_phrases_and_echoes_are_backchannels():
    """'No problem, no problem.' and 'A 2019.' (repeating what the caller just said) while the caller talks on."""
    customer = turn("customer", 0.0, "sorry I'm really bad at car stuff and it says 2019 and I bought it from you all")
    tt = analyse(
        [customer, turn("agent", 1.8, "no problem no problem", step=0.2), turn("agent", 3.6, "a 2019", step=0.2)]
    )
    assert [b.text for b in tt.backchannels] == ["no problem no problem", "a 2019"]
    assert tt.interruptions == []
    # A repeat of words the caller never said is no echo.
    tt = analyse([customer, turn("agent", 3.6, "a 2018", step=0.2)])
    assert tt.backchannels == [] and len(tt.interruptions) == 1


@pytest.mark.parametrize(
    "probabilities",
    [(0.34, 0.85, 0.62), (0.46, 0.87, 0.60)],
    ids=["intel-mkl", "amd-epyc-onednn"],
)
def test_words_whisper_was_unsure_of_carry_no_lexical_evidence(probabilities):
    """A listener's 'yeah' under the caller's voice, heard as 'I can. Yes.' at low probability, is a backchannel.

    The probabilities are Whisper's for listening_agent_8k_mulaw.wav's 'yeah' on two CPUs CI has run on.
    """
    customer = turn("customer", 0.0, LONG)
    p = probabilities
    words = [Word(1.5, 1.6, "I", p[0]), Word(1.6, 1.72, "can.", p[1]), Word(1.72, 2.05, "Yes.", p[2])]
    unsure = Turn("agent", 1.5, 2.05, "I can. Yes.", words)
    tt = analyse([customer, unsure])
    assert [b.text for b in tt.backchannels] == ["I can. Yes."] and tt.interruptions == []
    sure = Turn("agent", 1.5, 2.05, "I can. Yes.", [replace(w, probability=0.95) for w in words])
    assert len(analyse([customer, sure]).interruptions) == 1


@pytest.mark.parametrize(
    "closing",
    ["thank you for calling have a great day", "okay thank you and have a good day", "you are very welcome goodbye"],
)
def test_a_closing_over_the_customer_finishing_is_not_a_cut_in(closing):
    """The real bank calls: the agent's farewell overlaps the caller's 'no, that was going to be it'."""
    customer = turn("customer", 0.0, "no that was going to be it")  # 0.00-1.75
    agent = turn("agent", 0.9, closing)
    tt = analyse([customer, agent])
    assert tt.interruptions == []
    assert is_closing(agent.words)
    assert not is_closing(turn("agent", 0.9, "sorry I need the postcode thank you").words)


@pytest.mark.parametrize(
    "heard",
    [
        "Thank you for trolling. Have a great May.",
        "Thanks for holding, have a lovely weekday.",
        # Real bank call hvb_02e41649 mono (8 kHz), on an Intel Xeon: "have" heard as "for".
        "Thank you very much. Thank you for going out for a great day.",
    ],
)
def test_a_closing_misheard_in_its_last_word_is_still_a_closing(heard):
    """8 kHz stereo (corpus tune_000 polite): Whisper heard the agent's "Thank you for calling, have a great
    day" as "Thank you for trolling. Have a great May."; the closing then counted as a cut-in on the
    customer's "thanks". The formulas keep their shape when one word in them is misheard."""
    assert is_closing(turn("agent", 0.9, heard).words)
    customer = turn("customer", 0.0, "no that's all for today thanks")
    assert analyse([customer, turn("agent", 0.9, heard)]).interruptions == []
    for not_a_closing in (
        "have a great deal of trouble with this account",
        "thank you for the postcode and the date",
        "I had a great deal of trouble getting through to you",
    ):
        assert not is_closing(turn("agent", 0.9, not_a_closing).words)


def test_the_other_partys_words_heard_through_the_channel_are_not_the_agents():
    """Stereo crosstalk that Whisper wrote down on the agent's channel: the agent said "right" (0.3 s of
    their own speech) while the customer said "I'd like to update my address". The copies of the
    customer's words are not the agent's, so the agent's speech is judged without them: a backchannel."""
    customer = turn("customer", 0.0, LONG)
    bleed = [Word(w.start + 0.05, w.end + 0.05, w.text, 0.9) for w in customer.words[4:8]]
    agent = Turn("agent", bleed[0].start, bleed[-1].end, " ".join(w.text for w in bleed), bleed)
    ann = activity([customer])
    ann[Segment(bleed[1].start, bleed[1].start + 0.3), 99] = "agent"
    tt = analyse_turn_taking([customer, agent], ann, SETTINGS)
    assert tt.interruptions == []
    assert [b.speaker for b in tt.backchannels] == ["agent"]


def test_an_agent_saying_the_same_words_later_is_their_own():
    """The same words a second after the customer are the agent's own: a cut-in over the customer."""
    customer = turn("customer", 0.0, LONG)
    said = [Word(w.start + 1.0, w.end + 1.0, w.text, 0.9) for w in customer.words[4:9]]
    agent = Turn("agent", said[0].start, said[-1].end, " ".join(w.text for w in said), said)
    tt = analyse_turn_taking([customer, agent], activity([customer, agent]), SETTINGS)
    assert [i.by for i in tt.interruptions] == ["agent"]


def test_a_long_murmur_on_its_own_channel_is_no_cut_in_but_lost_words_in_a_mix_are():
    """A drawn-out "mm hmm" of 1.3 s that Whisper left untranscribed. In stereo each party has their own
    transcript, so no other voice hid its words: a murmur. In mono the other voice may have: a turn."""
    customer = turn("customer", 0.0, LONG)
    ann = activity([customer], extra=[("agent", 2.0, 3.3)])
    stereo = analyse_turn_taking([customer], ann, SETTINGS, own_transcripts=True)
    mono = analyse_turn_taking([customer], ann, SETTINGS)
    assert stereo.interruptions == []
    assert [i.by for i in mono.interruptions] == ["agent"]


def test_a_drawn_out_hum_heard_unsurely_is_still_a_backchannel():
    """Corpus tune_001 stereo: the agent's drawn-out "mm hmm" (1.4 s) over the customer, written by Whisper
    as "M -M -H -M -N" with a geometric-mean probability of 0.65 (these are its word probabilities). Spelled
    hums are what Whisper writes for a hum, whatever its confidence, so the letters are the evidence; before,
    the unsure words were judged by their duration, and 1.4 s made a hum a cut-in."""
    customer = turn("customer", 0.0, LONG)
    letters = [("M", 0.334), ("-M", 0.627), ("-H", 0.938), ("-M", 0.796), ("-N", 0.74)]
    words = [Word(1.5 + 0.28 * i, 1.78 + 0.28 * i, t, p) for i, (t, p) in enumerate(letters)]
    hum = Turn("agent", words[0].start, words[-1].end, " ".join(t for t, _ in letters), words)
    tt = analyse([customer, hum])
    assert tt.interruptions == [] and len(tt.backchannels) == 1
    # A real word heard as unsurely and as long is no evidence of listening: it is judged by its duration.
    unsure = [replace(w, text=t) for w, t in zip(words, "so what do we do".split(), strict=False)]
    assert len(analyse([customer, Turn("agent", 1.5, unsure[-1].end, "so what do we do", unsure)]).interruptions) == 1


def test_a_hum_spelled_with_another_letter_is_still_a_hum():
    """corpus6 tune_037 stereo: the agent's 1.4 s "mm hmm" (speech 8.8-10.21 s) over the customer, written as
    "M -M -H -M -E -N" at these probabilities (0.65 as a whole). Whisper spells a hum with a hyphen before each
    letter; an "E" among them is its spelling too. Before, the "E" ended the hum, and the unsure words were
    judged by their 1.4 s: a cut-in. Near miss: letters that do not start with a hummed one are no hum."""
    customer = turn("customer", 5.66, LONG + " and the direct debit kept the same", step=0.4)
    letters = [("M", 0.41), ("-M", 0.58), ("-H", 0.89), ("-M", 0.91), ("-E", 0.59), ("-N", 0.68)]
    words = [Word(8.8 + 0.235 * i, 9.035 + 0.235 * i, t, p) for i, (t, p) in enumerate(letters)]
    hum = Turn("agent", 8.8, words[-1].end, " ".join(t for t, _ in letters), words)
    tt = analyse_turn_taking([customer, hum], activity([customer], [("agent", 8.8, 10.21)]), SETTINGS)
    assert tt.interruptions == [] and len(tt.backchannels) == 1
    spelled = [replace(w, text=t) for w, t in zip(words, ["B", "-S", "-E", "-M", "-E", "-N"], strict=True)]
    turns = [customer, Turn("agent", 8.8, words[-1].end, "B -S -E -M -E -N", spelled)]
    assert len(analyse_turn_taking(turns, activity([customer], [("agent", 8.8, 10.21)]), SETTINGS).interruptions) == 1


def test_unsure_words_are_as_long_as_the_speech_they_sit_in():
    """interrupting_agent 8 kHz stereo on an AMD EPYC CPU: the agent's 2 s "That will update on its own next
    month." over the customer came out of Whisper as "How can I help?" (0.67 s) and "I know." (0.58 s),
    heard at 0.62 and 0.27 (these probabilities). Each, judged by its own word times, was short enough to be
    a backchannel; the agent's speech region under them is 2 s, so it is a cut-in."""
    customer = turn("customer", 0.0, LONG)
    a = [
        Word(1.5, 1.7, "How", 0.655),
        Word(1.7, 1.9, "can", 0.795),
        Word(1.9, 2.0, "I", 0.95),
        Word(2.0, 2.17, "help?", 0.344),
    ]
    b = [Word(2.39, 2.6, "I", 0.513), Word(2.6, 2.97, "know.", 0.146)]
    turns = [customer, Turn("agent", 1.5, 2.17, "How can I help?", a), Turn("agent", 2.39, 2.97, "I know.", b)]
    tt = analyse_turn_taking(turns, activity([customer], [("agent", 1.55, 3.5)]), SETTINGS)
    assert len(tt.interruptions) == 1 and tt.backchannels == []
    # The same unsure words over 0.4 s of the agent's speech: a listener's guessed-at "yeah".
    short = analyse_turn_taking(turns[:2], activity([customer], [("agent", 1.6, 2.0)]), SETTINGS)
    assert short.interruptions == [] and len(short.backchannels) == 1


def test_a_hum_with_a_guessed_lead_in_is_still_a_backchannel():
    """Corpus tune_013 stereo: the agent's drawn-out "mm hmm" (0.85 s, 1.16 s of the agent's speech) over the
    customer came out of Whisper as "Well, the mm -hmm." (these word probabilities). Whisper guesses words
    around a hum; the hum letters are the evidence, and an article carries no content. Before, only an
    utterance that was nothing but hum letters passed, so this was judged by its duration: a cut-in."""
    customer = turn("customer", 5.0, LONG)  # 5.0-9.5 s, through the hum
    said = [("Well,", 7.67, 7.74, 0.095), ("the", 7.74, 7.9, 0.338), ("mm", 7.9, 8.2, 0.35), ("-hmm.", 8.2, 8.8, 0.18)]
    words = [Word(a, b, t, p) for t, a, b, p in said]
    hum = Turn("agent", 7.67, 8.8, "Well, the mm -hmm.", words)
    tt = analyse_turn_taking([customer, hum], activity([customer], [("agent", 7.67, 8.83)]), SETTINGS)
    assert tt.interruptions == [] and len(tt.backchannels) == 1
    # Near miss: a content word beside the hum ("the meter, mm-hmm") makes it speech to judge as before.
    meter = [words[0], replace(words[1], text="meter"), *words[2:]]
    turns = [customer, Turn("agent", 7.67, 8.8, "Well, meter mm -hmm.", meter)]
    assert len(analyse_turn_taking(turns, activity([customer], [("agent", 7.67, 8.83)]), SETTINGS).interruptions) == 1


@pytest.mark.parametrize(
    ("heard_as", "probability", "speech"),
    [("Yeah,", 0.19, (9.344, 10.464)), ("Yeah.", 0.10, (9.824, 11.04))],
    ids=["tune_037", "tune_025"],
)
def test_a_drawn_out_hum_heard_unsurely_as_a_listener_token_is_a_backchannel(heard_as, probability, speech):
    """Corpus tune_037 and tune_025, stereo 8 kHz: the agent's drawn-out "mm hmm" (1.12 s and 1.22 s of the
    agent's speech) over the customer came out of Whisper as one "Yeah" heard at 0.19 and 0.10. Unsure words
    were judged by the length of the speech under them, and over 1 s made a listener token a cut-in. What
    Whisper wrote is a listener token and nothing else: its doubt is over which token, and the words are the
    evidence, as for a spelled hum. Near miss: unsure words of six syllables over 1.3 s are a turn (before the
    murmur rule the near miss was "Yeah meter", judged by its length; three syllables are a murmur now)."""
    customer = turn("customer", 6.0, LONG + " and the direct debit kept the same", step=0.4)
    a, b = speech
    words = [Word(a + 0.07, a + 0.5, heard_as, probability)]
    hum = Turn("agent", words[0].start, words[0].end, heard_as, words)
    tt = analyse_turn_taking([customer, hum], activity([customer], [("agent", a, b)]), SETTINGS)
    assert tt.interruptions == [] and [bc.speaker for bc in tt.backchannels] == ["agent"]
    # Over 1.3 s of the agent's speech, unsure words with more syllables than a murmur are a turn.
    said = [("Yeah,", 0.07, 0.3), ("the", 0.3, 0.45), ("meter", 0.45, 0.8), ("reading", 0.8, 1.2)]
    content = [Word(a + s, a + e, t, probability) for t, s, e in said]
    turns = [customer, Turn("agent", a + 0.07, a + 1.2, "Yeah, the meter reading", content)]
    ann = activity([customer], [("agent", a, a + 1.3)])
    assert len(analyse_turn_taking(turns, ann, SETTINGS).interruptions) == 1


@pytest.mark.parametrize("speech_s", [1.056, 1.6])
def test_a_drawn_out_hum_guessed_as_a_few_unsure_words_is_a_murmur(speech_s):
    """Corpus tune_025 stereo (16 and 8 kHz, 4-per-scenario corpus): the agent's "mm hmm" (1.12 s) over the
    customer came out of Whisper as "Amen," (0.133) and "then." (0.702), over 1.056 s of the agent's
    speech. Unsure words are no lexical evidence, and were judged by that length: over 1 s, a cut-in; and
    "then.", heard just over backchannel_min_heard, was a word after a listener token, which opens a turn.
    Three syllables over the other party's talk, heard unsurely as a whole, are a murmur, however drawn out
    (murmur_max_syllables). Near miss: the same length holding an unsure six-syllable sentence, split by
    Whisper into two utterances (each short), is a cut-in."""
    said = "I moved to a new flat at the start of the month and I need the account moved across and the final"
    customer = turn("customer", 5.5, said + " reading taken at the old address", step=0.4)  # no "then" to echo
    words = [Word(9.448, 9.768, "Amen,", 0.133), Word(10.208, 10.308, "then.", 0.702)]
    turns = [
        customer,
        Turn("agent", 9.448, 9.768, "Amen,", words[:1]),
        Turn("agent", 10.208, 10.308, "then.", words[1:]),
    ]
    regions = Annotation()
    regions[Segment(5.856, 15.52), 0] = "customer"  # the customer's and the agent's speech, as measured
    regions[Segment(9.408, 9.408 + speech_s), 1] = "agent"
    tt = analyse_turn_taking(turns, regions, SETTINGS)
    assert tt.interruptions == [] and [b.speaker for b in tt.backchannels] == ["agent"]
    longer = [Word(9.448, 9.768, "Amen,", 0.133), Word(9.8, 9.9, "the", 0.3), Word(9.9, 10.1, "meter", 0.3)]
    more = [Word(10.208, 10.308, "then.", 0.302), Word(10.31, 10.4, "reading", 0.3)]
    split = [
        customer,
        Turn("agent", 9.448, 10.1, "Amen, the meter", longer),
        Turn("agent", 10.208, 10.4, "then. reading", more),
    ]
    tt = analyse_turn_taking(split, activity([customer], [("agent", 9.408, 9.408 + speech_s)]), SETTINGS)
    assert len(tt.interruptions) == 1


def test_a_first_word_stretched_back_over_silence_starts_where_the_partys_speech_does():
    """Corpus tune_031 stereo 8 kHz: the agent's reply after the customer's "...another week like this." (their
    speech to 19.33 s) was timed by Whisper from 18.96 s ("I" 18.96-19.19), though the agent's channel holds no
    speech until a 0.13 s blip at 19.26 s and then speech from 19.81 s. Snapping only looked for a speech region
    under the first word, found none and kept Whisper's start: a cut-in of 0.36 s on a reply that came 0.5 s
    after the customer stopped. A first word over none of the party's speech starts at the party's first speech
    inside the turn. Near miss: a reply whose speech really starts under the customer's last words is a cut-in."""
    customer = turn("customer", 16.0, "thanks I just need it sorted this time I can't go another week like this", 0.22)
    said = "I booked the first slot tomorrow morning and I'll call you when they're on the way"
    reply = turn("agent", 18.96, said)
    ann = activity([customer], [("agent", 19.264, 19.392), ("agent", 19.808, reply.end)])
    tt = analyse_turn_taking([customer, reply], ann, SETTINGS)
    assert tt.interruptions == []
    assert [(s.from_speaker, s.to_speaker) for s in tt.switches] == [("customer", "agent")]
    early = activity([customer], [("agent", 18.5, reply.end)])
    assert [i.by for i in analyse_turn_taking([customer, reply], early, SETTINGS).interruptions] == ["agent"]


# corpus8 heldout_013 drawn_out_backchannel, stereo 8 kHz: the agent's drawn-out "mm hmm" (9.71-11.51 s) over
# the customer, as Whisper wrote it on the agent's own channel (these word times and probabilities), and the
# agent's speech region under it.
GUESSED_HUM = [
    ("And", 9.4, 9.84, 0.25), ("then", 9.84, 10.1, 0.8), ("H", 10.1, 10.62, 0.2), ("and", 10.62, 10.92, 0.59),
    ("then", 10.92, 11.34, 0.93),
]  # fmt: skip
HUM_SPEECH = (9.7, 11.68)


@pytest.mark.parametrize(
    ("customer_to", "probability", "cut_in"),
    [(18.0, None, False), (10.3, None, True), (18.0, 0.65, True), (18.0, 0.9, True)],
    ids=["talked-through", "customer-stops", "heard-unsurely", "heard-surely"],
)
def test_guessed_words_that_the_other_party_talks_through_are_a_murmur_on_their_own_channel(
    customer_to, probability, cut_in
):
    """corpus8 drawn_out_backchannel, all four calls at 8 kHz stereo: Whisper filled the agent's drawn-out "mm
    hmm" with four to six syllables of guesses ("And then H and then", heard at 0.47 as a whole; "My name is
    Neymar." at 0.38), which the murmur rule's three syllables did not cover, so each hum was a cut-in while
    the customer talked straight on. On the agent's own channel nothing else could make Whisper unsure, and
    the customer kept the floor: a murmur. Near misses: the customer stopping for it (a cut-in that silenced
    them), and the same words heard unsurely but not guessed (0.65, as corpus8 heldout_033's real cut-in "I
    can change that." that the customer talked through) or surely, are cut-ins; in a mix, where the other
    voice makes words unsure, the guesses are judged as before (by their syllables: a cut-in)."""
    customer = turn("customer", 6.0, LONG + " and the direct debit kept the same", step=0.4)
    customer = Turn("customer", 6.0, customer_to, customer.text, [w for w in customer.words if w.end <= customer_to])
    words = [Word(a, b, t, p if probability is None else probability) for t, a, b, p in GUESSED_HUM]
    hum = Turn("agent", words[0].start, words[-1].end, " ".join(t for t, *_ in GUESSED_HUM), words)
    ann = Annotation()
    ann[Segment(6.0, customer_to), 0] = "customer"
    ann[Segment(*HUM_SPEECH), 1] = "agent"
    stereo = analyse_turn_taking([customer, hum], ann, SETTINGS, own_transcripts=True)
    assert len(stereo.interruptions) == int(cut_in)
    assert len(stereo.backchannels) == int(not cut_in)
    mono = analyse_turn_taking([customer, hum], ann, SETTINGS)
    assert len(mono.interruptions) == 1


def _stereo(turns: list[Turn], regions: list[tuple[str, float, float]]):
    ann = Annotation()
    for track, (speaker, start, end) in enumerate(regions):
        ann[Segment(start, end), track] = speaker
    return analyse_turn_taking(turns, ann, SETTINGS, own_transcripts=True)


@pytest.mark.parametrize("goes_on", [True, False], ids=["goes-on", "token-alone"])
def test_a_listener_token_timed_before_its_speech_still_opens_the_cut_in(goes_on):
    """corpus10 heldout_021, stereo at 16 and 8 kHz: the agent's "Yes, I can change that." over the customer came
    out as "Yes." (heard at 0.19, timed 32.28-32.45 s, before the agent's speech region at 32.58-32.80 s and too
    far from its end to snap to it) and "I can change that." from 33.22 s. By the words' times the token stood
    0.77 s apart, so it was a backchannel, and the rest continued the agent's stretch of talk that the token
    began: no cut-in. By the agent's speech the two are one stretch, which the token opens: one interruption,
    from the token. Near miss: the token alone is a backchannel."""
    customer = turn("customer", 30.5, LONG, step=0.26)
    yes = Turn("agent", 32.28, 32.44, "Yes.", [Word(32.28, 32.44, "Yes.", 0.19)])
    said = [
        ("I", 33.22, 33.5, 0.76),
        ("can", 33.5, 33.8, 0.95),
        ("change", 33.8, 34.2, 0.18),
        ("that.", 34.2, 34.66, 0.81),
    ]
    rest = Turn("agent", 33.22, 34.66, "I can change that.", [Word(a, b, t, p) for t, a, b, p in said])
    regions = [("customer", 30.5, customer.end), ("agent", 32.58, 32.8)]
    if goes_on:
        tt = _stereo([customer, yes, rest], [*regions, ("agent", 33.22, 34.66)])
        assert [(i.by, round(i.start, 2)) for i in tt.interruptions] == [("agent", 32.28)]
        assert tt.interruptions[0].text_by.startswith("Yes.")
        assert tt.backchannels == []
    else:
        tt = _stereo([customer, yes], regions)
        assert tt.interruptions == [] and [b.text for b in tt.backchannels] == ["Yes."]


@pytest.mark.parametrize(
    ("said", "customer_to", "stereo", "found"),
    [
        ("Riot?", None, True, (0, 1)),
        ("Sorry?", None, True, (1, 0)),
        ("Riot?", 12.35, True, (0, 0)),
        ("Riot?", None, False, (1, 0)),
    ],
    ids=["sounds-like-right", "repair-word", "customer-stops", "mono"],
)
def test_one_word_that_sounds_like_a_listener_token_is_one(said, customer_to, stereo, found):
    """corpus10 heldout_009, 16 kHz stereo: the agent's "right" under the customer's talk was heard as "Riot?" at
    0.80, sure enough for neither unsure-word rule and no listener token, so a cut-in while the customer talked
    straight on (13 words after it). It sounds like "right" (Metaphone RT): on the agent's own channel, with
    the customer talking through it, a backchannel. Near misses: a word that asks for a repair ("Sorry?") is a
    cut-in; the customer stopping on it makes it no backchannel (and, on their last word, no cut-in either); in
    a mix (mono) no own channel vouches that the other voice did not make the word: a cut-in.
    ``found``: (interruptions, backchannels)."""
    customer = turn("customer", 7.0, LONG, step=0.45)
    end = customer_to or customer.end
    customer = Turn("customer", 7.0, end, customer.text, [w for w in customer.words if w.end <= end])
    word = Turn("agent", 11.97, 12.42, said, [Word(11.97, 12.42, said, 0.80)])
    ann = Annotation()
    ann[Segment(7.0, end), 0] = "customer"
    ann[Segment(11.97, 12.42), 1] = "agent"
    tt = analyse_turn_taking([customer, word], ann, SETTINGS, own_transcripts=stereo)
    assert (len(tt.interruptions), len(tt.backchannels)) == found


@pytest.mark.parametrize(("said", "cut_in"), [("I can.", True), ("My office.", False)], ids=["auxiliary", "echo"])
def test_repeating_an_auxiliary_verb_is_no_echo(said, cut_in):
    """corpus10 heldout_021 at 8 kHz stereo: the agent's "Yes, I can change that." over the customer's "... can I
    change the delivery address to my office ..." came out as "Yes," (0.20) and "I can." (0.77 and 0.87; Whisper
    lost "change that"). "can" had been said by the customer, so "I can." passed as an echo backchannel, and the
    cut-in was lost. A modal or auxiliary verb is a function word: repeating it answers, it does not echo. Near
    miss: repeating the content word ("My office.") is an echo, a backchannel."""
    customer = turn("customer", 30.5, "okay and can I change the delivery address to my office because I am at work")
    yes = Turn("agent", 32.58, 32.8, "Yes,", [Word(32.58, 32.8, "Yes,", 0.2)])
    first, second = said.split()
    words = [Word(33.22, 33.4, first, 0.77), Word(33.4, 33.57, second, 0.87)]
    rest = Turn("agent", 33.22, 33.57, said, words)
    tt = _stereo(
        [customer, yes, rest], [("customer", 30.5, customer.end), ("agent", 32.58, 32.8), ("agent", 33.22, 34.66)]
    )
    assert len(tt.interruptions) == int(cut_in)
    assert bool(tt.backchannels) == (not cut_in)


@pytest.mark.parametrize(
    ("agent_from", "stereo", "cut_in"),
    [(27.23, True, False), (27.6, True, True), (27.23, False, True)],
    ids=["blip", "agent-speaks", "mono"],
)
def test_a_word_written_on_a_blip_of_crosstalk_starts_no_cut_in(agent_from, stereo, cut_in):
    """corpus10 heldout_039 at 8 kHz stereo (AMR, crosstalk -13 dB): 0.13 s of the customer's "That's a relief."
    passed the crosstalk gate on the agent's channel, Whisper wrote "Absolutely." (0.31) on it, and the agent's
    reply 1 s later ("You're welcome. Is there anything else ...") started there: a cut-in, where the agent's
    own speech overlapped the customer's for 0.13 s. On the agent's own channel their speech is known, and it
    must be there over the customer's. Near misses: the agent speaking 0.5 s over the customer's last words is
    a cut-in; in a mix (mono) the agent's speech in an overlap is not measured apart, so it is judged as before."""
    customer = turn("customer", 24.2, "oh good that's a relief", step=0.65)
    said = [("Absolutely.", 27.03, 27.43, 0.31), ("You're", 28.11, 28.47, 0.98), ("welcome.", 28.47, 28.85, 1.0)]
    reply = turn("agent", 29.31, "is there anything else I can help you with today")
    words = [Word(a, b, t, p) for t, a, b, p in said] + reply.words
    agent = Turn("agent", 27.03, reply.end, " ".join(w.text for w in words), words)
    ann = Annotation()
    ann[Segment(24.2, 27.78), 0] = "customer"
    ann[Segment(27.10, agent_from), 1] = "agent"
    ann[Segment(28.29, reply.end), 2] = "agent"
    tt = analyse_turn_taking([customer, agent], ann, SETTINGS, own_transcripts=stereo)
    assert len(tt.interruptions) == int(cut_in)


#: The fixture interrupting_agent at 8 kHz mu-law on an Intel Xeon: the agent's cut-in "That will update on its
#: own next month." that the customer talks straight through, as Whisper heard it (geometric mean 0.47).
GUESSED_CUT_IN = [
    ("How", 44.74, 44.9, 0.67), ("can", 44.9, 45.0, 0.75), ("I", 45.0, 45.1, 0.94), ("help", 45.1, 45.3, 0.62),
    ("you?", 45.3, 45.5, 0.41), ("I", 45.5, 45.6, 0.57), ("will", 45.6, 45.7, 0.08), ("update", 45.7, 46.0, 0.7),
    ("on", 46.0, 46.1, 0.72), ("its", 46.1, 46.2, 0.61), ("own", 46.2, 46.4, 0.83), ("excellent.", 46.4, 46.72, 0.08),
]  # fmt: skip


def test_guessed_words_with_more_syllables_than_a_hum_are_a_cut_in():
    """The murmur rule for guessed words over a party who talks straight through (stereo) stops at
    ``murmur_max_guessed_syllables``: the fixture interrupting_agent's 8 kHz cut-in came out as 12 words, 15
    syllables, at 0.47 on an Intel Xeon (0.5 and more on an AMD EPYC, where the rule did not apply), and
    was taken for a murmur. Near miss: the drawn-out hum's guesses (5 syllables) stay a murmur."""
    customer = turn("customer", 42.3, LONG + " and the direct debit kept the same", step=0.4)
    words = [Word(a, b, t, p) for t, a, b, p in GUESSED_CUT_IN]
    cut_in = Turn("agent", 44.74, 46.72, " ".join(t for t, *_ in GUESSED_CUT_IN), words)
    ann = Annotation()
    ann[Segment(42.3, customer.end), 0] = "customer"
    ann[Segment(44.74, 46.72), 1] = "agent"
    tt = analyse_turn_taking([customer, cut_in], ann, SETTINGS, own_transcripts=True)
    assert [(i.by, i.start) for i in tt.interruptions] == [("agent", 44.74)] and tt.backchannels == []
    hum = Turn(
        "agent", 44.74, 46.72, "And then H and then", [Word(a + 35.34, b + 35.34, t, p) for t, a, b, p in GUESSED_HUM]
    )
    tt = analyse_turn_taking([customer, hum], ann, SETTINGS, own_transcripts=True)
    assert tt.interruptions == [] and len(tt.backchannels) == 1


@pytest.mark.parametrize(("lead_in", "backchannel"), [(0.47, True), (0.9, False)], ids=["guessed", "heard"])
def test_a_hum_with_guessed_words_before_it_is_still_a_hum(lead_in, backchannel):
    """corpus11 heldout_013 stereo (GSM, festival voice): the agent's drawn-out "mm hmm" under the customer came out
    as "I'm a M M H M M M ..." (18 words, "I'm" at 0.47, "a" at 0.27, the letters at 0.07-0.86): the guessed
    "I'm" kept it from being a hum, and it was a cut-in. Words Whisper only guessed at (under
    ``murmur_max_heard``) carry nothing; the letters are the evidence. Near miss: the same "I'm" heard surely
    is a word of the agent's own, and the utterance is speech to judge as before."""
    customer = turn("customer", 6.4, LONG + " and the direct debit kept the same", step=0.45)
    letters = [("M", 0.07), ("M", 0.16), ("H", 0.93)] + [("M", p) for p in (0.67, 0.64, 0.35, 0.41, 0.47, 0.6, 0.67)]
    said = [("I'm", lead_in), ("a", 0.27), *letters]
    words = [Word(9.82 + 0.07 * k, 9.82 + 0.07 * (k + 1), t, p) for k, (t, p) in enumerate(said)]
    hum = Turn("agent", words[0].start, words[-1].end, " ".join(t for t, _ in said), words)
    ann = Annotation()
    ann[Segment(6.4, customer.end), 0] = "customer"
    ann[Segment(9.82, 11.17), 1] = "agent"
    tt = analyse_turn_taking([customer, hum], ann, SETTINGS, own_transcripts=True)
    assert (len(tt.backchannels), len(tt.interruptions)) == ((1, 0) if backchannel else (0, 1))


@pytest.mark.parametrize(("send", "mail", "cut_in"), [(0.15, 0.36, False), (0.9, 0.9, True)], ids=["guessed", "heard"])
def test_a_closing_whose_last_words_whisper_guessed_is_still_a_closing(send, mail, cut_in):
    """corpus11 heldout_012 at 8 kHz stereo: the agent's "Thank you for calling, have a great day." over the
    customer's "... thanks" (heard as "And you") came out as "Thank you for calling. Send my mail today."
    ("Send" at 0.15, "mail" at 0.36): four words besides the formula, one more than a closing may hold, so a
    cut-in. Words Whisper only guessed at (under ``murmur_max_heard``) are not counted. Near miss: the same
    words heard surely are the agent's own, and coming in with them is a cut-in."""
    customer = turn("customer", 30.85, "no that's all for today and you", step=0.4)  # "thanks" misheard
    said = [("Thank", 0.93), ("you", 1.0), ("for", 0.98), ("calling.", 0.99), ("Send", send), ("my", 0.94)]
    said += [("mail", mail), ("today.", 0.89)]
    words = [Word(32.9 + 0.25 * k, 33.15 + 0.25 * k, t, p) for k, (t, p) in enumerate(said)]
    agent = Turn("agent", words[0].start, words[-1].end, " ".join(t for t, _ in said), words)
    tt = _stereo([customer, agent], [("customer", 30.85, customer.end), ("agent", 32.9, words[-1].end)])
    assert len(tt.interruptions) == int(cut_in)


@pytest.mark.parametrize("same_stretch", [True, False], ids=["one-stretch", "two-stretches"])
def test_one_stretch_of_talk_opens_one_cut_in(same_stretch):
    """Fixture listening_agent at 8 kHz, stereo, on an AMD EPYC's transcript: the customer's "I want my money back."
    over the agent's "I will lock the card." came out as "I will." (timed 17.59-17.77 s, before the customer's
    speech region from 17.89 s) and "I get her money back." (17.89-19.10 s). The first opens the cut-in; the second
    starts where the customer's speech does, so no stretch of their talk ran into it, and it was counted as a
    second interruption. One stretch of talk opens one cut-in. Near miss: the customer stops and starts again
    after a pause longer than ``interruption_pause_s`` (two stretches): two cut-ins."""
    agent = turn("agent", 15.87, "I am sorry to hear that the card is locked now and a new one is on its way", 0.22)
    will = [Word(17.59, 17.68, "I", 0.66), Word(17.68, 17.77, "will.", 0.96)]
    first = Turn("customer", 17.59, 17.77, "I will.", will)
    words = [("I", 0.26), ("get", 0.35), ("her", 0.45), ("money", 0.86), ("back.", 1.0)]
    start = 17.89 if same_stretch else 19.3
    rest = Turn(
        "customer",
        start,
        start + 1.2,
        "I get her money back.",
        [Word(start + 0.24 * k, start + 0.24 * (k + 1), t, p) for k, (t, p) in enumerate(words)],
    )
    regions = [("agent", 15.87, agent.end), ("customer", 17.89, 19.1)]
    if not same_stretch:
        regions = [("agent", 15.87, agent.end), ("customer", 17.89, 18.3), ("customer", 19.3, 20.5)]
    tt = _stereo([agent, first, rest], regions)
    assert [(i.by, round(i.start, 2)) for i in tt.interruptions] == (
        [("customer", 17.59)] if same_stretch else [("customer", 17.59), ("customer", 19.3)]
    )
