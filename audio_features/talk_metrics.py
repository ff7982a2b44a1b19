"""Talk metrics of a two-party call, from its speech timelines and turn-taking.

Definitions:

* **Talk time** of a party: the duration of its speech timeline, s; the
  **talk ratio** is the agent's talk time over both parties' talk time.
* **Silence**: time in the call when neither party speaks, s; the longest
  silence is measured between the first and last speech of the call.
* **Monologue**: a run of one party's substantive utterances with nothing
  substantive from the other party in between and no own pause longer than
  ``monologue_max_pause_s``; its length runs from the first start to the last end.
* **Turns** are substantive utterances (backchannels excluded); **switches
  per minute** counts the floor passing between parties per minute of call.
* **Patience**: the agent's gaps after the customer stops (see
  :mod:`audio_features.turn_taking`), mean and median, s.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from pyannote.core import Segment, Timeline

from audio_features.parties import Role
from audio_features.thresholds import TurnTakingSettings
from audio_features.turn_taking import TurnTaking

__all__ = ["PartyMetrics", "Silence", "TalkMetrics", "talk_metrics"]

PARTIES = (Role.AGENT, Role.CUSTOMER)


@dataclass(frozen=True)
class Silence:
    start: float
    end: float

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class PartyMetrics:
    """Per-party figures (seconds unless named otherwise)."""

    talk_time_s: float
    turns: int
    longest_monologue_s: float
    longest_monologue_start: float | None
    interruptions: int
    interruption_s: float
    backchannels: int


@dataclass(frozen=True)
class TalkMetrics:
    """Call-level talk metrics; ``parties`` is keyed by ``agent``/``customer``."""

    parties: dict[str, PartyMetrics]
    talk_ratio: float | None
    silence_s: float
    longest_silence: Silence | None
    long_silences: list[Silence]
    turn_switches: int
    switches_per_minute: float
    patience_mean_s: float | None
    patience_median_s: float | None


def _longest_monologue(taking: TurnTaking, party: str, max_pause_s: float) -> tuple[float, float | None]:
    best, best_start = 0.0, None
    run_start = run_end = None
    for u in taking.substantive:
        if u.speaker != party:
            run_start = run_end = None
            continue
        if run_start is None or u.start - run_end > max_pause_s:
            run_start, run_end = u.start, u.end
        else:
            run_end = max(run_end, u.end)
        if run_end - run_start > best:
            best, best_start = run_end - run_start, run_start
    return best, best_start


def talk_metrics(taking: TurnTaking, duration_s: float, settings: TurnTakingSettings) -> TalkMetrics:
    """Aggregate turn-taking into the report's ``metrics``.

    Args:
        taking: Output of :func:`audio_features.turn_taking.analyse_turn_taking`.
        duration_s: Length of the call, s.
        settings: Uses ``long_silence_s`` and ``monologue_max_pause_s``.
    """
    speech = {p: taking.speech.get(p, Timeline()) for p in PARTIES}
    union = Timeline([s for p in PARTIES for s in speech[p]]).support()
    silences: list[Silence] = []
    if union:
        inner = union.gaps(support=Segment(union[0].start, union[-1].end))
        silences = [Silence(g.start, g.end) for g in inner]
    parties = {}
    for p in PARTIES:
        monologue, monologue_start = _longest_monologue(taking, p, settings.monologue_max_pause_s)
        cut_ins = [i for i in taking.interruptions if i.by == p]
        parties[p] = PartyMetrics(
            talk_time_s=float(speech[p].duration()),
            turns=sum(1 for u in taking.substantive if u.speaker == p),
            longest_monologue_s=monologue,
            longest_monologue_start=monologue_start,
            interruptions=len(cut_ins),
            interruption_s=sum(i.overlap_s for i in cut_ins),
            backchannels=sum(1 for b in taking.backchannels if b.speaker == p),
        )
    talk = parties[Role.AGENT].talk_time_s + parties[Role.CUSTOMER].talk_time_s
    patience = [s.gap_s for s in taking.switches if s.to_speaker == Role.AGENT and s.gap_s >= 0]
    return TalkMetrics(
        parties=parties,
        talk_ratio=parties[Role.AGENT].talk_time_s / talk if talk > 0 else None,
        silence_s=max(0.0, duration_s - float(union.duration())),
        longest_silence=max(silences, key=lambda s: s.duration_s) if silences else None,
        long_silences=[s for s in silences if s.duration_s >= settings.long_silence_s],
        turn_switches=len(taking.switches),
        switches_per_minute=len(taking.switches) / (duration_s / 60) if duration_s > 0 else 0.0,
        patience_mean_s=statistics.fmean(patience) if patience else None,
        patience_median_s=statistics.median(patience) if patience else None,
    )
