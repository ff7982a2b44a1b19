"""Turn-taking: backchannels, interruptions and turn switches between two parties.

Definitions (thresholds are settings in :mod:`audio_features.config`):

* **Speech** of a party is its activity timeline: its own channel's speech in
  stereo (crosstalk gate), its diarized speech in mono. **Overlap** is where
  both parties' speech intersect (``Timeline`` arithmetic from pyannote.core).
* **Utterance:** a turn of words with its edges moved to the party's speech
  onsets and offsets, or speech with no words (:mod:`audio_features.utterances`).
* **Backchannel:** a listener response that does not take the floor, and
  **closing**: thanks and farewells, never an interruption. Their lexical
  tests are in :mod:`audio_features.backchannels`; here, a backchannel also
  needs the other party to talk within ``backchannel_context_s`` both before
  and after it (they keep talking through it), and the speaker to be a
  listener there: a listener token followed within ``interruption_pause_s``
  by more of the same party's words ("Okay, and what's the reference on the
  letter?"), by their times or within the party's stretch of talk that the
  token belongs to (Whisper's times for unsure words drift), opens a turn, so
  it is that turn's start; one said straight
  after the party's own words ends their turn; and speech right after the
  other party asked a question ("Yes, speaking." after "Am I speaking with
  Mrs Patel?") answers it: a question makes the answer a turn of its own
  (the adjacency pair, Schegloff & Sacks 1973). None of these is a
  backchannel. A backchannel is never an interruption. A party's backchannel
  utterances less than ``interruption_pause_s`` apart are one listener
  response, counted once.
* **Stretch of talk:** a party's speech joined across its own pauses shorter
  than ``interruption_pause_s``.
* **Interruption:** party B starts a substantive utterance at time *t* (B was
  not already talking: a B stretch does not run into *t*) while party A holds
  the floor: an A stretch began before *t* and is still going at *t*, so B did
  not wait for a pause of ``interruption_pause_s``; and B's utterance overlaps
  A's speech for ``interruption_min_overlap_s`` (A's pauses in their stretch
  included when A says words after *t*). With a channel per party (stereo),
  B's own stretches of talk must cover that much of it too: a word Whisper
  wrote on a blip of crosstalk does not start a cut-in.
  A's speech and stretch here include the words A started after *t*, within
  ``interruption_pause_s`` past the end of A's speech regions, that Whisper
  heard surely and that are not B's words heard through A's channel: A going
  on under B's louder voice, where the activity detector stopped (whether A
  was silenced is still judged on A's speech regions). Starting inside a
  longer pause is turn-taking, and so is a *terminal overlap*: B coming in on
  A's last word (A starts no word after *t*, and A's stretch of talk ends less
  than ``terminal_overlap_s`` after *t*), and so is coming in on A's closing
  (A's words from *t* are thanks and farewells: overlap is ordinary in the
  closing sequence, Schegloff & Sacks 1973). It is *successful* when A's stretch
  ends within ``interruption_success_s`` after *t* (A was silenced);
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
from dataclasses import dataclass, field

from pyannote.core import Annotation, Segment, Timeline

from audio_features.backchannels import answers_a_question, is_closing, passes_lexical_test
from audio_features.floor import speaks, stretch_of, stretches, talks_through, went_on
from audio_features.thresholds import TurnTakingSettings
from audio_features.transcription import Word
from audio_features.turns import Turn
from audio_features.utterances import Utterance, utterances_of

__all__ = ["Backchannel", "Interruption", "TurnSwitch", "TurnTaking", "Utterance", "analyse_turn_taking"]
#: Utterances with words shorter than this are alignment artefacts (Whisper's zero-length words), s.
MIN_WORDED_S = 0.05


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


def _other(party: str, parties: list[str]) -> str | None:
    return next((p for p in parties if p != party), None)


def _classify(
    utterances: list[Utterance],
    speech: dict[str, Timeline],
    runs: dict[str, Timeline],
    settings: TurnTakingSettings,
    *,
    own_transcripts: bool = False,
) -> list[Utterance]:
    parties = sorted(speech)
    words = {p: [w for u in utterances if u.speaker == p for w in u.words] for p in parties}
    lexical = []
    for u in utterances:
        other = _other(u.speaker, parties)
        span = Segment(u.start, max(u.end, u.start + 1e-3))
        over = other is not None and speech[other].crop(span).duration() > 0
        held = own_transcripts and over and talks_through(runs[other], span)
        theirs, mine, own = words.get(other, []), words.get(u.speaker, []), speech.get(u.speaker, Timeline())
        lexical.append(passes_lexical_test(u, theirs, over, own, settings, mine, held_through=held))
    pause = settings.interruption_pause_s
    out = []
    for k, u in enumerate(utterances):
        if u.words and u.duration_s < MIN_WORDED_S:
            continue  # words Whisper timed at no duration: an alignment artefact, no speech to speak of
        other = _other(u.speaker, parties)
        context = settings.backchannel_context_s
        own = [(n, v) for n, v in enumerate(utterances) if v.speaker == u.speaker and n != k]
        # A listener token that the same party goes straight on from opens a turn ("Okay, and what's ...");
        # one said straight after the party's own talk ends it. Either way the party holds the floor. Going
        # on is read off the words' times and off the party's stretch of talk, which unsure words' times miss.
        stretch = stretch_of(u, runs[u.speaker], pause)
        goes_on = any(
            not lexical[n]
            and (
                u.end - 0.05 <= v.start <= u.end + pause
                or (stretch is not None and u.start < v.start and stretch.start <= v.start < stretch.end)
            )
            for n, v in own
        )
        went_on = any(u.start - pause <= v.end <= u.start + 0.05 and not lexical[n] for n, v in own)
        listener = (
            other is not None
            and lexical[k]
            and not goes_on
            and not went_on
            and not answers_a_question(u, words.get(other, []))
            and speaks(speech[other], u.start - context, u.start + 0.05)
            and speaks(speech[other], u.end - 0.05, u.end + context)
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


def _interruptions(
    utterances: list[Utterance],
    speech: dict[str, Timeline],
    runs: dict[str, Timeline],
    settings: TurnTakingSettings,
    *,
    own_transcripts: bool,
) -> list[Interruption]:
    parties = sorted(speech)
    pause = settings.interruption_pause_s
    words = {
        p: sorted((w for u in utterances if u.speaker == p for w in u.words), key=lambda w: w.start) for p in parties
    }
    # Each party's substantive talk (backchannels and stray blips of speech left out).
    talk = {p: [u for u in utterances if u.speaker == p and not u.backchannel] for p in parties}
    found = []
    opened: set[tuple[str, Segment]] = set()  # (party, stretch of talk) of each cut-in found
    for u in utterances:
        holder = _other(u.speaker, parties)
        if u.backchannel or holder is None or (u.words and is_closing(u.words, settings.murmur_max_heard)):
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
        own = stretch_of(u, runs[u.speaker], pause) or Segment(t, u.end)
        # One stretch of B's talk opens one cut-in: "I will." timed 0.3 s before B's speech, then "I get my money
        # back." from its start, are one (fixture listening_agent at 8 kHz, on an AMD EPYC's transcript).
        if (u.speaker, own) in opened:
            continue
        # A's words after t that A's speech regions miss (went_on): A going on under B ("... called about it,
        # and", tune_029) is A's talk, though the activity detector ended A's speech where B's louder voice
        # began. Whether A was silenced is still judged on A's speech regions: words past them show that A
        # went on, not for how long (Whisper's last words run on: ",000 ,000" past a cut-off "fourteen").
        silenced = stretch.end - t <= settings.interruption_success_s
        spoken, stretch = went_on(speech[holder], stretch, words[holder], words[u.speaker], t, settings)
        after = [w for w in words[holder] if t <= w.start < stretch.end]
        # B's talk while A holds the floor; A's short pauses count if A says words after t (heldout_017)
        window = Segment(t, min(max(u.end, own.end), stretch.end))
        floor = (stretches(spoken, pause) if after else spoken).crop(window)
        if floor.duration() < settings.interruption_min_overlap_s:
            continue
        # On B's own channel (stereo), B's own talk must be there over A's: a blip of crosstalk that Whisper wrote a
        # word on ("Absolutely." at 0.31 on 0.13 s of the customer's voice, 1 s before the agent spoke, corpus10
        # heldout_039 at 8 kHz) does not make the utterance that it starts a cut-in.
        if own_transcripts and floor.crop(runs[u.speaker]).duration() < settings.interruption_min_overlap_s:
            continue
        overlap = spoken.crop(window) or floor
        # Terminal overlap: B came in on A's last word, anticipating its end (Schegloff 2000). How long
        # A went on is measured to the end of A's stretch, pauses included: A carrying on after a
        # breath with words Whisper did not hear under B's is still A holding the floor.
        if not after and stretch.end - t < settings.terminal_overlap_s:
            continue
        if after and is_closing(
            after, settings.murmur_max_heard
        ):  # A's talk from t is thanks and farewells: the closing, not the floor
            continue
        opened.add((u.speaker, own))
        found.append(
            Interruption(
                start=t,
                end=max(s.end for s in overlap),
                by=u.speaker,
                interrupted=holder,
                overlap_s=float(overlap.duration()),
                interrupted_words_after=len(after),
                successful=bool(silenced),
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
    turns: list[Turn], activity: Annotation, settings: TurnTakingSettings, *, own_transcripts: bool = False
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
    # Each party's stretches of talk (speech bridged over pauses under interruption_pause_s).
    runs = {p: stretches(speech[p], settings.interruption_pause_s) for p in speech}
    utterances = _classify(utterances_of(turns, speech), speech, runs, settings, own_transcripts=own_transcripts)
    taking = TurnTaking(
        utterances=utterances,
        backchannels=_listener_responses(utterances, settings.interruption_pause_s),
        interruptions=_interruptions(utterances, speech, runs, settings, own_transcripts=own_transcripts),
        switches=[],
        speech=speech,
    )
    taking.switches = _switches(taking.substantive)
    return taking
