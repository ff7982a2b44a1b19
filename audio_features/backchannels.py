"""The lexical tests of turn-taking: what a listener says without taking the floor, and what a closing is.

Definitions (thresholds are settings in :mod:`audio_features.thresholds`):

* **Backchannel (its words):** a listener response that does not take the floor. Two
  tests carry it, and neither is a duration fitted to one voice:

  - *lexical*: at most ``backchannel_max_words`` units, each a listener token
    of :data:`BACKCHANNEL_LEXICON`, a listener phrase of
    :data:`BACKCHANNEL_PHRASES` ("no problem", "I see", "of course"), or an
    echo of a word the other party said in the last ``ECHO_WINDOW_S`` ("A
    2019." after "it's a 2019"). Listener responses are short tokens,
    assessments and repeats (Yngve 1970; Ward & Tsukahara 2000; Clancy et
    al., J. Pragmatics 1996, "reactive tokens"). Speech with no words at all
    (an untranscribed "mm") passes when it lasts at most
    ``backchannel_max_s``, the only place a duration is used: there are no
    words to test. So does speech that Whisper heard unsurely (the geometric
    mean of its word probabilities under ``backchannel_min_heard``): a
    listener's "yeah" under the other party's voice comes out as a guess ("I
    can. Yes."), which is no lexical evidence either way; its duration is
    that of the party's speech regions it touches, as its word times are
    guesses too; but unsure words over the other party's talk with at most
    ``murmur_max_syllables`` syllables in all the speech they touch are a
    murmur however long they last ("Amen, then." for a 1.1 s "mm hmm"): a
    drawn-out token is longer, not more syllables. On a party's own channel (stereo),
    words Whisper *guessed* (heard under ``murmur_max_heard``) that the other party talks straight
    through (one stretch of their talk, pauses under ``interruption_pause_s`` joined, runs from before
    them to after them) are a murmur, up to ``murmur_max_guessed_syllables`` syllables: no second voice in
    the party's own transcript can have made Whisper guess, and the holder kept the floor, so neither the
    words nor their effect claim a turn. So is one word there that is no listener token but sounds like one
    (:data:`LISTENER_SOUNDS`, Metaphone keys): "Riot?" for "right", heard at 0.80, a mishearing Whisper
    was sure of. At 8 kHz Whisper fills a drawn-out "mm hmm" with guesses of four to six
    syllables ("And then H and then", "My name is Neymar." at 0.25-0.47, corpus8 drawn_out_backchannel).
    Words it heard unsurely but not as guesses stay speech ("I can change that." at 0.65, a cut-in the
    customer talked through), and so do guesses that the other party stops for. Unsure words that are listener
    tokens and nothing else ("Yeah," heard at 0.19 for a drawn-out "mm hmm") are the exception:
    Whisper's doubt there is over which token it was, not over whether it
    was one. A hum that Whisper spells in letters ("M -M -H -M -N", a
    drawn-out "mm hmm") is another: the letters are the evidence,
    however unsure Whisper was and however long the hum, and so is a hum
    with listener tokens or articles guessed around it ("Well, the mm
    -hmm."; an article carries no content of its own), or words heard under
    ``murmur_max_heard`` ("I'm a M M H M M ...", "I'm" at 0.47). So, too, does
    speech over the other party whose words are mostly theirs, the same words
    at the same moments (``BLEED_SHARE``, ``BLEED_WORD_S``): in stereo that is
    the other voice heard through the channel and written down by Whisper,
    and the party's own speech in it is what its duration is measured on.
  - *the other party keeps talking through it*: they talk within
    ``backchannel_context_s`` both before and after it.

  And the speaker is a listener there: a listener token followed within
  ``interruption_pause_s`` by more of the same party's words ("Okay, and
  what's the reference on the letter?") opens a turn, so it is that turn's
  start; one said straight after the party's own words ends their turn; and
  speech right after the other party asked a question ("Yes, speaking."
  after "Am I speaking with Mrs Patel?") answers it: a question makes the
  answer a turn of its own (the adjacency pair, Schegloff & Sacks 1973).
  None of these is a backchannel. A backchannel is never an interruption. A
  party's backchannel utterances less than ``interruption_pause_s`` apart are
  one listener response, counted once.
* **Closing:** an utterance made of thanks and farewells ("Thank you for
  calling, have a great day", "you too, bye"), with at most
  ``CLOSING_OTHER_WORDS`` other words. The parties of a closing sequence
  overlap as they exchange farewells (Schegloff & Sacks, Semiotica 1973),
  and coming in with a farewell while the other says "no, that was it" is
  not cutting them off: a closing is never an interruption.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import jellyfish
from pyannote.core import Segment, Timeline

from audio_features.pace import count_syllables
from audio_features.thresholds import TurnTakingSettings
from audio_features.transcription import Word, heard

if TYPE_CHECKING:
    from audio_features.utterances import Utterance

__all__ = [
    "BACKCHANNEL_LEXICON",
    "BACKCHANNEL_PHRASES",
    "CLOSING_PHRASES",
    "answers_a_question",
    "is_closing",
    "is_hum",
    "is_listener_text",
    "normalise",
    "passes_lexical_test",
]

#: Words a listener says without taking the floor (lower case, punctuation removed). Fillers
#: ("and", "so", "well") are here because Whisper often writes them around a listener's
#: "yes"; an utterance still has to be short and spoken over the other party's talk. "i" and
#: "see" stand alone because Whisper splits "I see" across two utterances.
BACKCHANNEL_LEXICON = frozenset(
    """mm mhm mmhmm mm-hmm hmm hm uh-huh uhhuh uh huh um er erm yeah yep yes yup right okay ok alright
    sure i see oh ah aha really exactly true indeed gotcha absolutely totally cool fine great and so well
    perfect wonderful lovely wow""".split()
)
#: Listener phrases: each counts as one unit of a backchannel.
BACKCHANNEL_PHRASES = (
    "no problem", "no worries", "of course", "i see", "got it", "i understand", "that's right", "sure thing",
    "fair enough", "uh huh", "mm hmm", "that makes sense", "oh no", "oh dear", "oh okay", "all right",
    "you're right", "that's true", "that's fine", "that's great",
)  # fmt: skip
#: Thanks and farewells that make up a closing (regular expressions on normalised text).
CLOSING_PHRASES = (
    # Thanks for any "-ing" and a wish for a good anything that ends the utterance keep a formula whose
    # last word Whisper misheard at 8 kHz ("Thank you for trolling. Have a great May."); the wish keeps
    # its shape without its verb ("Thank you for going out for a great day." for "... calling, have a
    # great day", real bank call hvb_02e41649 mono).
    r"thank(s| you)( (so|very) much)?( for (your (time|help|patience)|\w+ing))?",
    r"(you )?(have )?a (good|great|nice|lovely|wonderful) ((day|evening|afternoon|weekend|night|one)\b|\w+$)",
    r"(good)?bye( bye)?", r"take care", r"you too", r"cheers", r"see you", r"talk (to you )?soon",
    r"(you're|you are) (very |most )?welcome", r"my pleasure", r"no problem( at all)?",
)  # fmt: skip
_CLOSING = re.compile(r"\b(" + "|".join(CLOSING_PHRASES) + r")\b")
#: Words besides thanks, farewells and listener tokens that a closing may hold: Whisper often mishears a
#: formula ("And give a call and have a great day").
CLOSING_OTHER_WORDS = 3
#: An echo backchannel repeats a word the other party said this long before it, or less, s.
ECHO_WINDOW_S = 5.0
#: Articles: no content on their own (see :func:`_is_hum`).
ARTICLES = frozenset({"a", "an", "the"})
#: Function words an echo may carry besides the repeated ones ("A 2019." after "it's a 2019"); auxiliary and
#: modal verbs are function words too, so that repeating one is no echo: "I can." after "can I change the
#: address?" answers, it does not echo (corpus10 heldout_021 at 8 kHz, where Whisper lost "change that").
ECHO_FUNCTION_WORDS = ARTICLES | frozenset(
    """it it's is to of in on my your i you we and am are was were be been do does did have has had can could
    will would shall should may might must""".split()
)
#: A word is the other party's voice heard through this channel when they said the same word starting
#: within this long of it, s (about the spread of Whisper's word onsets on one voice).
BLEED_WORD_S = 0.3
#: ... and an utterance whose words are at least this share of such copies carries no words of its own
#: (stereo crosstalk that Whisper wrote down: "I'd like to take my" on the agent's channel under the
#: customer's "I'd like to update my", where the agent said "right").
BLEED_SHARE = 0.5
#: Speech right after the other party asked a question (this long after, or less, s) answers it: a turn.
ANSWER_WINDOW_S = 2.0
#: Fillers of :data:`BACKCHANNEL_LEXICON`: there for what Whisper writes around a listener's token, not tokens
#: a listener says on their own.
FILLERS = frozenset("and so well er erm um uh".split())
#: Words that ask the other party to stop or repeat: a cut-in, however short (their sounds are no listener's).
REPAIR_WORDS = ("sorry", "sir", "what", "wait", "no", "hello", "stop", "hold", "pardon", "excuse")
#: Listener tokens by their sound: Metaphone keys (Philips 1990, as ``jellyfish.metaphone`` computes them) of
#: the tokens less the fillers, of two letters or more (shorter ones, "Y" for "yeah", fit too many words),
#: and less the keys of :data:`REPAIR_WORDS` ("sorry" sounds like "sure" to Metaphone).
LISTENER_SOUNDS = frozenset(k for t in BACKCHANNEL_LEXICON - FILLERS if len(k := jellyfish.metaphone(t)) >= 2) - {
    jellyfish.metaphone(w) for w in REPAIR_WORDS
}
_PUNCT = re.compile(r"[^\w'-]+")
#: A hummed token: letters of m, h, n, u only ("mm", "hmm", "mhm", "m", "h", "n").
_HUM = re.compile(r"^[mhnu]+$")


def normalise(text: str) -> str:
    return _PUNCT.sub(" ", text.lower()).strip()


def listener_token(token: str) -> bool:
    return token in BACKCHANNEL_LEXICON or token.replace("-", "") in BACKCHANNEL_LEXICON


def is_listener_text(words: list[Word], max_units: int, echo: set[str] = frozenset()) -> bool:
    """The lexical test: at most ``max_units`` listener tokens, listener phrases or echoes (module docstring)."""
    if not words:
        return True
    text = " " + " ".join(normalise(w.text) for w in words) + " "
    units = 0
    for phrase in BACKCHANNEL_PHRASES:
        while f" {phrase} " in text:
            text = text.replace(f" {phrase} ", " ", 1)
            units += 1
    tokens = hums_as_one(text.split())
    if units + len(tokens) == 0 or units + len(tokens) > max_units:
        return False
    return all(listener_token(t) or t in echo for t in tokens)


def is_hum(tokens: list[str], max_units: int) -> bool:
    """A hum ("M -M -H -M -N", "mm-hmm"), alone or with listener tokens and articles around it.

    Whisper writes hum letters only for a hum. Around one it guesses: "Well, the mm -hmm." for a
    drawn-out "mm hmm" (corpus tune_013, heard at 0.1-0.35). An article carries no content of its
    own, and the listener tokens are what a listener says; neither makes the hum a turn.
    """
    units = [t for t in hums_as_one(tokens) if t not in ARTICLES]
    return "hmm" in units and len(units) <= max_units and all(listener_token(t) for t in units)


def hums_as_one(tokens: list[str]) -> list[str]:
    """A run of hummed letters is one vocalisation: Whisper spells a long 'mm hmm' as "M -M -H -N -N.". A letter
    it joins to the run with a hyphen is part of the spelling, hummed or not ("M -M -H -M -E -N" for a 1.4 s
    "mm hmm", corpus6 tune_037)."""
    out: list[str] = []
    run: list[str] = []
    for t in [*tokens, ""]:
        spelled = run and t.startswith("-") and len(t) == 2 and t[1].isalpha()
        if t and (_HUM.match(t.replace("-", "")) or spelled):
            run.append(t.replace("-", ""))
            continue
        if run:
            out += ["hmm"] if any(c in "mn" for c in "".join(run)) else run
            run = []
        if t:
            out.append(t)
    return out


def is_closing(words: list[Word], guessed_below: float = 0.0) -> bool:
    """Whether an utterance is a closing: thanks and farewells, at most ``CLOSING_OTHER_WORDS`` other words.

    Other words that Whisper heard under ``guessed_below`` are not counted: at 8 kHz and in a mix it guesses
    at the end of a formula ("Thank you for calling. Send my mail today." for "... have a great day", "Send"
    at 0.15 and "mail" at 0.36, corpus11 heldout_012; "then I'm going to be late" at 0.33-0.70, corpus10
    heldout_024 mono).
    """
    text = " ".join(normalise(w.text) for w in words)
    if not _CLOSING.search(text):
        return False
    rest = [t for t in _CLOSING.sub(" ", text).split() if not listener_token(t)]
    for w in words:  # the formula is matched on every word; the guessed ones are then left out of the rest
        for t in normalise(w.text).split() if w.probability < guessed_below else ():
            if t in rest:
                rest.remove(t)
    return len(rest) <= CLOSING_OTHER_WORDS


def passes_lexical_test(
    u: Utterance,
    others: list[Word],
    over: bool,
    own: Timeline,
    settings: TurnTakingSettings,
    mine: list[Word],
    *,
    held_through: bool = False,
) -> bool:
    """The lexical test of a backchannel (module docstring); wordless speech by its duration.

    ``over``: the utterance is spoken over the other party's talk, where a repeat of their words is an
    echo; after they stop, repeating them ("Yes, speaking.") confirms or answers. ``own``: the party's
    speech. Within the utterance, it is the duration of an utterance whose words are the other party's
    (:data:`BLEED_SHARE`); its regions that the utterance touches give the duration of words Whisper
    heard unsurely: their times are guesses too, and it splits one unsure stretch into several
    utterances ("How can I help?", "I know." for a 2 s "That will update on its own next month." at
    8 kHz), each short on its own. ``mine``: the party's words, for counting the syllables in those regions.
    ``held_through``: the party has a transcript of their own (stereo) and the other party talked straight
    through the utterance; then guessed words are a murmur, up to ``murmur_max_guessed_syllables`` (module docstring).
    """
    span = Segment(u.start, max(u.end, u.start + 1e-3))
    # A hum, however unsure Whisper was: the letters are what it writes for one. Words it only guessed at
    # around them carry nothing ("I'm a M M H M M ..." with "I'm" at 0.47 and "a" at 0.27, corpus11 heldout_013).
    heard_words = [w for w in u.words if w.probability >= settings.murmur_max_heard]
    for said in (u.words,) if len(heard_words) == len(u.words) else (u.words, heard_words):
        if said and is_hum(" ".join(normalise(w.text) for w in said).split(), settings.backchannel_max_words):
            return True
    if not u.words:
        return u.duration_s <= settings.backchannel_max_s
    if over and _murmur(u, span, own, mine, settings):
        return True
    sure = heard(w.probability for w in u.words)
    if sure < settings.backchannel_min_heard:
        guessed = held_through and sure < settings.murmur_max_heard
        if guessed and sum(count_syllables(w.text) for w in u.words) <= settings.murmur_max_guessed_syllables:
            return True  # guesses on the party's own channel, that the other party talked straight through
        # Listener tokens and nothing else, however unsure: Whisper's doubt is over which token it was
        # (a drawn-out "mm hmm" heard as "Yeah," at 0.19, corpus tune_037). Other unsure words are
        # no evidence either way, and are judged like wordless speech.
        if is_listener_text(u.words, settings.backchannel_max_words):
            return True
        return max(u.duration_s, own.crop(span, mode="loose").duration()) <= settings.backchannel_max_s
    if held_through and sounds_like_a_token(u.words):
        return True  # a listener token Whisper wrote as a word that sounds like it, that the other talked through
    if over and bleed_share(u.words, others) >= BLEED_SHARE:
        return own.crop(span).duration() <= settings.backchannel_max_s
    said = {normalise(w.text) for w in others if over and u.start - ECHO_WINDOW_S <= w.start < u.start + 0.5}
    # An echo repeats a content word ("A 2019."); function words may go with it, but never make one ("I").
    content = {t for t in said if t and t not in ECHO_FUNCTION_WORDS}
    tokens = " ".join(normalise(w.text) for w in u.words).split()
    echo = content | ECHO_FUNCTION_WORDS if content & set(tokens) else frozenset()
    return is_listener_text(u.words, settings.backchannel_max_words, echo)


def sounds_like_a_token(words: list[Word]) -> bool:
    """One word that is no listener token but sounds like one (:data:`LISTENER_SOUNDS`): "Riot?" heard at 0.80
    for the agent's "right" under the customer's talk (corpus10 heldout_009). Whisper was sure of a word; the
    sound is what it heard."""
    return len(words) == 1 and jellyfish.metaphone(normalise(words[0].text)) in LISTENER_SOUNDS


def _murmur(u: Utterance, span: Segment, own: Timeline, mine: list[Word], settings: TurnTakingSettings) -> bool:
    """Whether the party's speech that ``u`` touches is a murmur: all of its words, heard unsurely as a whole,
    hold at most ``murmur_max_syllables`` syllables, however long it lasts ("Amen, then." for a 1.1 s "mm hmm",
    corpus tune_025; Whisper split it into "Amen," at 0.13 and "then." at 0.70). The whole stretch is judged,
    so that one unsure sentence split into short utterances is counted whole, and a word of a murmur heard a
    little more surely than the rest does not make a turn of it."""
    region = own.crop(span, mode="loose")
    lo, hi = min([u.start, *(s.start for s in region)]), max([u.end, *(s.end for s in region)])
    said = [w for w in mine if lo <= (w.start + w.end) / 2 <= hi] or u.words
    if not said or heard(w.probability for w in said) >= settings.backchannel_min_heard:
        return False
    return sum(count_syllables(w.text) for w in said) <= settings.murmur_max_syllables


def bleed_share(words: list[Word], others: list[Word]) -> float:
    """The share of ``words`` that the other party said too, each starting within ``BLEED_WORD_S`` of it."""
    near = [(normalise(o.text), o.start) for o in others if words[0].start - 1.0 <= o.start <= words[-1].end + 1.0]
    copies = sum(
        any(text == normalise(w.text) and abs(start - w.start) <= BLEED_WORD_S for text, start in near) for w in words
    )
    return copies / len(words)


def answers_a_question(u: Utterance, others: list[Word]) -> bool:
    """Whether the other party's last words before ``u`` asked a question (within ``ANSWER_WINDOW_S``)."""
    before = [w for w in others if w.end <= u.start + 0.1]
    return bool(before) and before[-1].text.rstrip().endswith("?") and u.start - before[-1].end <= ANSWER_WINDOW_S
