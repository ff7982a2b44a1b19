"""Turn-taking: backchannels, interruptions and turn switches between two parties.

Definitions (thresholds are settings in :mod:`audio_features.config`):

* **Speech** of a party is its activity timeline: its own channel's speech in
  stereo (crosstalk gate), its diarized speech in mono. **Overlap** is where
  both parties' speech intersect (``Timeline`` arithmetic from pyannote.core).
* **Utterance:** a turn of words (:mod:`audio_features.turns`) with its edges
  moved to the party's speech onsets and offsets, which are more precise than
  Whisper's word times. Speech with no words is an utterance too: a short
  burst (an untranscribed "mm"), or a longer stretch spoken over the other
  party, whose words Whisper lost to the other voice (mono calls).
* **Backchannel:** a listener response that does not take the floor. Two
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
    guesses too. Unsure words that are listener tokens and nothing else
    ("Yeah," heard at 0.19 for a drawn-out "mm hmm") are the exception:
    Whisper's doubt there is over which token it was, not over whether it
    was one. A hum that Whisper spells in letters ("M -M -H -M -N", a
    drawn-out "mm hmm") is another: the letters are the evidence,
    however unsure Whisper was and however long the hum, and so is a hum
    with listener tokens or articles guessed around it ("Well, the mm
    -hmm."; an article carries no content of its own). So, too, does
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
* **Stretch of talk:** a party's speech joined across its own pauses shorter
  than ``interruption_pause_s``.
* **Interruption:** party B starts a substantive utterance at time *t* (B was
  not already talking: a B stretch does not run into *t*) while party A holds
  the floor: an A stretch began before *t* and is still going at *t*, so B did
  not wait for a pause of ``interruption_pause_s``; and A's speech overlaps
  B's utterance for at least ``interruption_min_overlap_s``. Starting inside
  a longer pause is turn-taking, and so is a *terminal overlap*: B coming in
  on A's last word (A starts no word after *t*) for less than
  ``terminal_overlap_s``. It is *successful* when A's stretch ends
  within ``interruption_success_s`` after *t* (A was silenced);
  ``interrupted_words_after`` counts A's words that start after *t* in that
  stretch.
* **Turn switch:** consecutive substantive utterances (by start time) of
  different parties. Its gap is the second's start minus the first's end
  (negative when they overlap). The agent's **patience** is the gap when the
  agent takes the floor after the customer stops, over switches with a gap of
  zero or more.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from pyannote.core import Annotation, Segment, Timeline

from audio_features.config import Settings
from audio_features.transcription import Word, heard
from audio_features.turns import Turn

__all__ = [
    "BACKCHANNEL_LEXICON",
    "BACKCHANNEL_PHRASES",
    "CLOSING_PHRASES",
    "Backchannel",
    "Interruption",
    "TurnSwitch",
    "TurnTaking",
    "Utterance",
    "analyse_turn_taking",
    "is_closing",
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
#: Function words an echo may carry besides the repeated ones ("A 2019." after "it's a 2019").
ECHO_FUNCTION_WORDS = ARTICLES | frozenset("it it's is to of in on my your i you we and".split())
#: A word is the other party's voice heard through this channel when they said the same word starting
#: within this long of it, s (about the spread of Whisper's word onsets on one voice).
BLEED_WORD_S = 0.3
#: ... and an utterance whose words are at least this share of such copies carries no words of its own
#: (stereo crosstalk that Whisper wrote down: "I'd like to take my" on the agent's channel under the
#: customer's "I'd like to update my", where the agent said "right").
BLEED_SHARE = 0.5
#: Speech right after the other party asked a question (this long after, or less, s) answers it: a turn.
ANSWER_WINDOW_S = 2.0
#: Utterances with words shorter than this are alignment artefacts (Whisper's zero-length words), s.
MIN_WORDED_S = 0.05
_PUNCT = re.compile(r"[^\w'-]+")
#: A hummed token: letters of m, h, n, u only ("mm", "hmm", "mhm", "m", "h", "n").
_HUM = re.compile(r"^[mhnu]+$")
#: Onsets and offsets of speech are moved to a word's edge only within this distance, s.
SNAP_S = 0.35
#: Bursts of wordless speech shorter than this are ignored (clicks, breaths), s.
MIN_VOCALISATION_S = 0.15


@dataclass(frozen=True)
class Utterance:
    """A party's utterance; ``words`` is empty for untranscribed vocalisations."""

    speaker: str
    start: float
    end: float
    words: list[Word]
    backchannel: bool = False

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Backchannel:
    """A listener response: who said it, when, and what (may be empty)."""

    speaker: str
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Interruption:
    """A cut-in (see the module docstring).

    Attributes:
        start: When the interrupting utterance began, s.
        end: When the overlap ended, s.
        by: The party who cut in.
        interrupted: The party who held the floor.
        overlap_s: Time both spoke, within the interrupting utterance, s.
        interrupted_words_after: Words the interrupted party began after ``start``.
        successful: The interrupted party stopped within ``interruption_success_s``.
        text_by: What the interrupting party said.
        text_interrupted: What the interrupted party was saying around ``start``.
    """

    start: float
    end: float
    by: str
    interrupted: str
    overlap_s: float
    interrupted_words_after: int
    successful: bool
    text_by: str
    text_interrupted: str


@dataclass(frozen=True)
class TurnSwitch:
    """The floor passing from one party to the other; ``gap_s`` < 0 for overlapping switches."""

    from_speaker: str
    to_speaker: str
    at: float
    gap_s: float


@dataclass
class TurnTaking:
    """Everything :func:`analyse_turn_taking` found."""

    utterances: list[Utterance]
    backchannels: list[Backchannel]
    interruptions: list[Interruption]
    switches: list[TurnSwitch]
    speech: dict[str, Timeline] = field(default_factory=dict)

    @property
    def substantive(self) -> list[Utterance]:
        """Utterances that take or hold the floor (backchannels left out), in time order."""
        return [u for u in self.utterances if not u.backchannel]


def _normalise(text: str) -> str:
    return _PUNCT.sub(" ", text.lower()).strip()


def _listener_token(token: str) -> bool:
    return token in BACKCHANNEL_LEXICON or token.replace("-", "") in BACKCHANNEL_LEXICON


def _is_backchannel_text(words: list[Word], max_units: int, echo: set[str] = frozenset()) -> bool:
    """The lexical test: at most ``max_units`` listener tokens, listener phrases or echoes (module docstring)."""
    if not words:
        return True
    text = " " + " ".join(_normalise(w.text) for w in words) + " "
    units = 0
    for phrase in BACKCHANNEL_PHRASES:
        while f" {phrase} " in text:
            text = text.replace(f" {phrase} ", " ", 1)
            units += 1
    tokens = _hums_as_one(text.split())
    if units + len(tokens) == 0 or units + len(tokens) > max_units:
        return False
    return all(_listener_token(t) or t in echo for t in tokens)


def _is_hum(tokens: list[str], max_units: int) -> bool:
    """A hum ("M -M -H -M -N", "mm-hmm"), alone or with listener tokens and articles around it.

    Whisper writes hum letters only for a hum. Around one it guesses: "Well, the mm -hmm." for a
    drawn-out "mm hmm" (corpus tune_013, heard at 0.1-0.35). An article carries no content of its
    own, and the listener tokens are what a listener says; neither makes the hum a turn.
    """
    units = [t for t in _hums_as_one(tokens) if t not in ARTICLES]
    return "hmm" in units and len(units) <= max_units and all(_listener_token(t) for t in units)


def _hums_as_one(tokens: list[str]) -> list[str]:
    """A run of hummed letters is one vocalisation: Whisper spells a long 'mm hmm' as "M -M -H -N -N."."""
    out: list[str] = []
    run: list[str] = []
    for t in [*tokens, ""]:
        if t and _HUM.match(t.replace("-", "")):
            run.append(t.replace("-", ""))
            continue
        if run:
            out += ["hmm"] if any(c in "mn" for c in "".join(run)) else run
            run = []
        if t:
            out.append(t)
    return out


def is_closing(words: list[Word]) -> bool:
    """Whether an utterance is a closing: thanks and farewells, at most ``CLOSING_OTHER_WORDS`` other words."""
    text = " ".join(_normalise(w.text) for w in words)
    if not _CLOSING.search(text):
        return False
    rest = [t for t in _CLOSING.sub(" ", text).split() if not _listener_token(t)]
    return len(rest) <= CLOSING_OTHER_WORDS


def _snap(turn: Turn, speech: Timeline, not_before: float) -> tuple[float, float]:
    """Move a turn's edges to the party's speech onset and offset.

    The start moves to the onset of the first speech region that the first
    word reaches into, but never before the party's previous utterance ended.
    Whisper's word times drift both ways: in an overlap it often times the
    louder voice, so the word starts late (the start moves earlier); after a
    pause it often stretches the first word back over the silence, so the
    word starts early (the start moves later, to where the party's own
    speech begins). When the first word lies over none of the party's
    speech, it was stretched over silence entirely (corpus tune_031: "I"
    timed 0.85 s before the agent spoke), and the start moves to the
    party's first speech inside the turn. The end moves to the nearest
    offset within ``SNAP_S``.
    """
    start, end = turn.start, turn.end
    # A first word Whisper gave no duration still marks where the turn's speech is (10 ms at least).
    first_end = max(turn.words[0].end, turn.start + 0.01) if turn.words else turn.start
    holding = speech.crop(Segment(turn.start, first_end), mode="loose") if turn.words else Timeline()
    if turn.words and not holding:
        # The first word lies over none of the party's speech: Whisper stretched it back over silence
        # entirely, so the turn starts at the party's first speech inside it.
        holding = speech.crop(Segment(turn.start, turn.end), mode="loose")
    if holding:
        start = max(holding[0].start, not_before)
    around = speech.crop(Segment(turn.end - SNAP_S, turn.end + SNAP_S), mode="intersection")
    ends = [s.end for s in around if abs(s.end - turn.end) <= SNAP_S]
    if ends:
        end = min(ends, key=lambda t: abs(t - turn.end))
    return (start, end) if end > start else (turn.start, turn.end)


def _utterances(turns: list[Turn], speech: dict[str, Timeline]) -> list[Utterance]:
    out = []
    last_end: dict[str, float] = {}
    for turn in sorted(turns, key=lambda t: t.start):
        start, end = _snap(turn, speech.get(turn.speaker, Timeline()), last_end.get(turn.speaker, 0.0))
        last_end[turn.speaker] = end
        out.append(Utterance(turn.speaker, start, end, turn.words))
    # Speech with no words at all: a short vocalisation ("mm") Whisper did not write down.
    for party, timeline in speech.items():
        spans = Timeline([Segment(u.start, u.end) for u in out if u.speaker == party])
        for seg in timeline:
            if seg.duration >= MIN_VOCALISATION_S and not spans.crop(seg):
                out.append(Utterance(party, seg.start, seg.end, []))
    return sorted(out, key=lambda u: (u.start, u.end))


def _other(party: str, parties: list[str]) -> str | None:
    return next((p for p in parties if p != party), None)


def _speaks(timeline: Timeline, start: float, end: float) -> bool:
    return end > start and bool(timeline.crop(Segment(start, end)))


def _lexical(u: Utterance, others: list[Word], over: bool, own: Timeline, settings: Settings) -> bool:
    """The lexical test of a backchannel (module docstring); wordless speech by its duration.

    ``over``: the utterance is spoken over the other party's talk, where a repeat of their words is an
    echo; after they stop, repeating them ("Yes, speaking.") confirms or answers. ``own``: the party's
    speech. Within the utterance, it is the duration of an utterance whose words are the other party's
    (:data:`BLEED_SHARE`); its regions that the utterance touches give the duration of words Whisper
    heard unsurely: their times are guesses too, and it splits one unsure stretch into several
    utterances ("How can I help?", "I know." for a 2 s "That will update on its own next month." at
    8 kHz), each short on its own.
    """
    span = Segment(u.start, max(u.end, u.start + 1e-3))
    if u.words and _is_hum(_normalise(u.text).split(), settings.backchannel_max_words):
        return True  # a hum, however unsure Whisper was: the letters are what it writes for one
    if not u.words:
        return u.duration_s <= settings.backchannel_max_s
    if heard(w.probability for w in u.words) < settings.backchannel_min_heard:
        # Listener tokens and nothing else, however unsure: Whisper's doubt is over which token it was
        # (a drawn-out "mm hmm" heard as "Yeah," at 0.19, corpus tune_037). Other unsure words are
        # no evidence either way, and are judged like wordless speech.
        if _is_backchannel_text(u.words, settings.backchannel_max_words):
            return True
        return max(u.duration_s, own.crop(span, mode="loose").duration()) <= settings.backchannel_max_s
    if over and _bleed_share(u.words, others) >= BLEED_SHARE:
        return own.crop(span).duration() <= settings.backchannel_max_s
    said = {_normalise(w.text) for w in others if over and u.start - ECHO_WINDOW_S <= w.start < u.start + 0.5}
    # An echo repeats a content word ("A 2019."); function words may go with it, but never make one ("I").
    content = {t for t in said if t and t not in ECHO_FUNCTION_WORDS}
    tokens = " ".join(_normalise(w.text) for w in u.words).split()
    echo = content | ECHO_FUNCTION_WORDS if content & set(tokens) else frozenset()
    return _is_backchannel_text(u.words, settings.backchannel_max_words, echo)


def _bleed_share(words: list[Word], others: list[Word]) -> float:
    """The share of ``words`` that the other party said too, each starting within ``BLEED_WORD_S`` of it."""
    near = [(_normalise(o.text), o.start) for o in others if words[0].start - 1.0 <= o.start <= words[-1].end + 1.0]
    copies = sum(
        any(text == _normalise(w.text) and abs(start - w.start) <= BLEED_WORD_S for text, start in near) for w in words
    )
    return copies / len(words)


def _answers_a_question(u: Utterance, others: list[Word]) -> bool:
    """Whether the other party's last words before ``u`` asked a question (within ``ANSWER_WINDOW_S``)."""
    before = [w for w in others if w.end <= u.start + 0.1]
    return bool(before) and before[-1].text.rstrip().endswith("?") and u.start - before[-1].end <= ANSWER_WINDOW_S


def _classify(
    utterances: list[Utterance], speech: dict[str, Timeline], settings: Settings, *, own_transcripts: bool = False
) -> list[Utterance]:
    parties = sorted(speech)
    words = {p: [w for u in utterances if u.speaker == p for w in u.words] for p in parties}
    lexical = []
    for u in utterances:
        other = _other(u.speaker, parties)
        span = Segment(u.start, max(u.end, u.start + 1e-3))
        over = other is not None and speech[other].crop(span).duration() > 0
        lexical.append(_lexical(u, words.get(other, []), over, speech.get(u.speaker, Timeline()), settings))
    pause = settings.interruption_pause_s
    out = []
    for k, u in enumerate(utterances):
        if u.words and u.duration_s < MIN_WORDED_S:
            continue  # words Whisper timed at no duration: an alignment artefact, no speech to speak of
        other = _other(u.speaker, parties)
        context = settings.backchannel_context_s
        own = [(n, v) for n, v in enumerate(utterances) if v.speaker == u.speaker and n != k]
        # A listener token that the same party goes straight on from opens a turn ("Okay, and what's ...");
        # one said straight after the party's own talk ends it. Either way the party holds the floor.
        goes_on = any(u.end - 0.05 <= v.start <= u.end + pause and not lexical[n] for n, v in own)
        went_on = any(u.start - pause <= v.end <= u.start + 0.05 and not lexical[n] for n, v in own)
        listener = (
            other is not None
            and lexical[k]
            and not goes_on
            and not went_on
            and not _answers_a_question(u, words.get(other, []))
            and _speaks(speech[other], u.start - context, u.start + 0.05)
            and _speaks(speech[other], u.end - 0.05, u.end + context)
        )
        # Wordless speech that is not a backchannel is kept only when it is longer than one and
        # spoken over the other party: in an overlap Whisper often writes down one voice only (mono).
        # With a transcript per party (stereo) nothing masks a party's words, so it is a murmur.
        # Anything else wordless is noise, breath or laughter.
        overlapped = (
            not u.words
            and not own_transcripts
            and other is not None
            and u.duration_s > settings.backchannel_max_s
            and speech[other].crop(Segment(u.start, u.end)).duration() >= settings.interruption_min_overlap_s
        )
        if listener or u.words or overlapped:
            out.append(Utterance(u.speaker, u.start, u.end, u.words, backchannel=listener))
    return out


def _listener_responses(utterances: list[Utterance], pause_s: float) -> list[Backchannel]:
    """Backchannels, one per listener response: a party's backchannel utterances less than ``pause_s``
    apart are one ("And yes," then "I" is Whisper's two halves of one "yeah")."""
    out: list[Backchannel] = []
    last: dict[str, int] = {}
    for u in utterances:
        if not u.backchannel:
            continue
        k = last.get(u.speaker)
        if k is not None and u.start - out[k].end < pause_s:
            b = out[k]
            out[k] = Backchannel(b.speaker, b.start, max(b.end, u.end), f"{b.text} {u.text}".strip())
        else:
            last[u.speaker] = len(out)
            out.append(Backchannel(u.speaker, u.start, u.end, u.text))
    return out


def _words_text(words: list[Word], start: float, end: float) -> str:
    return " ".join(w.text for w in words if w.end > start and w.start < end)


def _runs(timeline: Timeline, pause_s: float) -> Timeline:
    """A party's stretches of talk: speech regions joined across pauses shorter than ``pause_s``."""
    return timeline.support(collar=pause_s)


def _interruptions(utterances: list[Utterance], speech: dict[str, Timeline], settings: Settings) -> list[Interruption]:
    parties = sorted(speech)
    pause = settings.interruption_pause_s
    runs = {p: _runs(speech[p], pause) for p in parties}
    words = {
        p: sorted((w for u in utterances if u.speaker == p for w in u.words), key=lambda w: w.start) for p in parties
    }
    # Each party's substantive talk (backchannels and stray blips of speech left out).
    talk = {p: [u for u in utterances if u.speaker == p and not u.backchannel] for p in parties}
    found = []
    for u in utterances:
        holder = _other(u.speaker, parties)
        if u.backchannel or holder is None or (u.words and is_closing(u.words)):
            continue
        t = u.start
        # B continuing their own talk after a short pause is not starting anything: a stretch of
        # B's talk already runs into t ("Sorry." then "I need the postcode" is one cut-in).
        if any(r.start < t - 0.02 < r.end for r in runs[u.speaker]):
            continue
        # A holds the floor: A's stretch of talk started before t and is still going at t.
        holding = [r for r in runs[holder] if r.start < t < r.end]
        if not holding:
            continue
        stretch = holding[0]
        # If A's stretch itself began while B was talking, A is the one who cut in: B
        # carrying on, or taking back the floor, is not an interruption.
        if any(v.start < stretch.start < v.end for v in talk[u.speaker]):
            continue
        # B's own stretch of talk from t: a cut-in that starts "Sorry, ..." and goes on counts whole.
        own = next((r for r in runs[u.speaker] if r.start <= t + 0.02 < r.end), Segment(t, u.end))
        overlap = speech[holder].crop(Segment(t, min(max(u.end, own.end), stretch.end)))
        if overlap.duration() < settings.interruption_min_overlap_s:
            continue
        after = [w for w in words[holder] if t <= w.start < stretch.end]
        # Terminal overlap: B came in on A's last word, anticipating its end (Schegloff 2000).
        if not after and overlap.duration() < settings.terminal_overlap_s:
            continue
        found.append(
            Interruption(
                start=t,
                end=max(s.end for s in overlap),
                by=u.speaker,
                interrupted=holder,
                overlap_s=float(overlap.duration()),
                interrupted_words_after=len(after),
                successful=bool(stretch.end - t <= settings.interruption_success_s),
                text_by=_words_text(words[u.speaker], t, max(u.end, own.end)),
                text_interrupted=_words_text(words[holder], max(stretch.start, t - 4.0), stretch.end),
            )
        )
    return found


def _switches(substantive: list[Utterance]) -> list[TurnSwitch]:
    switches = []
    for a, b in itertools.pairwise(substantive):
        if a.speaker != b.speaker:
            switches.append(TurnSwitch(a.speaker, b.speaker, b.start, b.start - a.end))
    return switches


def analyse_turn_taking(
    turns: list[Turn], activity: Annotation, settings: Settings, *, own_transcripts: bool = False
) -> TurnTaking:
    """Find backchannels, interruptions and turn switches.

    Args:
        turns: Word turns of both parties (``speaker`` is ``agent`` or ``customer``).
        activity: Speech of each party, labelled ``agent``/``customer``,
            overlaps included.
        settings: The turn-taking thresholds.
        own_transcripts: Each party was transcribed on their own (stereo): wordless
            speech over the other party is then a murmur, never a turn, as no other
            voice in the same transcript can have hidden its words.

    Returns:
        Utterances (classified), backchannels, interruptions and switches.
    """
    speech = {label: activity.label_timeline(label).support() for label in activity.labels()}
    for turn in turns:
        speech.setdefault(turn.speaker, Timeline())
    utterances = _classify(_utterances(turns, speech), speech, settings, own_transcripts=own_transcripts)
    taking = TurnTaking(
        utterances=utterances,
        backchannels=_listener_responses(utterances, settings.interruption_pause_s),
        interruptions=_interruptions(utterances, speech, settings),
        switches=[],
        speech=speech,
    )
    taking.switches = _switches(taking.substantive)
    return taking
