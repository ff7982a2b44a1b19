"""Verdicts about the agent, each judged from measurements and shown with its evidence.

``listened_without_interrupting`` (policy settings in :mod:`audio_features.config`):

* ``not_applicable`` when the customer said nothing substantive.
* ``failed`` when the agent interrupted the customer more than
  ``listening_max_interruptions_per_10min`` times per 10 minutes (calls
  shorter than 5 minutes counted over 5 minutes), or, with
  ``listening_fail_on_silencing``, when any agent interruption made the
  customer stop mid-sentence.
* ``passed`` otherwise. The customer interrupting the agent never counts
  against the agent.

Score: ``1 - 0.5 * rate / limit - 0.25 * silencing``, clipped to 0..1, where
``rate`` is agent interruptions per 10 minutes and ``silencing`` the number
that silenced the customer. No interruptions score 1; reaching the limit
costs half the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from audio_features.config import Settings

if TYPE_CHECKING:  # keep this module light: the text summary imports it
    from audio_features.talk_metrics import TalkMetrics
    from audio_features.turn_taking import TurnTaking

__all__ = ["Evidence", "Result", "Verdict", "clock", "listened_without_interrupting"]

#: Calls shorter than this are counted over this long when rating interruptions, min.
MIN_RATE_WINDOW_MIN = 5.0


class Result(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Evidence:
    """A moment a reviewer can jump to: who said what, when (s)."""

    start: float
    end: float
    speaker: str
    text: str


@dataclass(frozen=True)
class Verdict:
    result: Result
    score: float | None
    reasons: list[str]
    evidence: list[Evidence] = field(default_factory=list)
    thresholds: dict[str, object] = field(default_factory=dict)


def clock(t: float) -> str:
    """A call time as mm:ss.s, the way reviewers and the text summary write it."""
    minutes, seconds = divmod(t, 60)
    return f"{int(minutes):02d}:{seconds:04.1f}"


def listened_without_interrupting(
    taking: TurnTaking, metrics: TalkMetrics, duration_s: float, settings: Settings
) -> Verdict:
    """Judge whether the agent let the customer speak (see the module docstring)."""
    thresholds = {
        "max_interruptions_per_10min": settings.listening_max_interruptions_per_10min,
        "fail_on_silencing": settings.listening_fail_on_silencing,
        "interruption_pause_s": settings.interruption_pause_s,
        "interruption_min_overlap_s": settings.interruption_min_overlap_s,
        "terminal_overlap_s": settings.terminal_overlap_s,
        "interruption_success_s": settings.interruption_success_s,
        "backchannel_max_s": settings.backchannel_max_s,
        "min_rate_window_min": MIN_RATE_WINDOW_MIN,
    }
    if metrics.parties["customer"].turns == 0:
        return Verdict(Result.NOT_APPLICABLE, None, ["The customer said nothing substantive."], [], thresholds)

    by_agent = [i for i in taking.interruptions if i.by == "agent"]
    by_customer = [i for i in taking.interruptions if i.by == "customer"]
    silencing = [i for i in by_agent if i.successful]
    window_min = max(duration_s / 60, MIN_RATE_WINDOW_MIN)
    rate = len(by_agent) * 10 / window_min
    limit = settings.listening_max_interruptions_per_10min
    failed = rate > limit or (settings.listening_fail_on_silencing and bool(silencing))
    score = max(0.0, min(1.0, 1 - 0.5 * rate / limit - 0.25 * len(silencing))) if limit > 0 else float(not by_agent)

    reasons = []
    if by_agent:
        reasons.append(
            f"The agent cut in on the customer {len(by_agent)} time(s): {rate:.1f} per 10 minutes "
            f"(limit {limit:g}{', counted over 5 minutes' if duration_s / 60 < MIN_RATE_WINDOW_MIN else ''})."
        )
    else:
        reasons.append("The agent never cut in while the customer held the floor.")
    for i in silencing:
        reasons.append(
            f"At {clock(i.start)} the agent cut in and the customer stopped mid-sentence "
            f"({i.overlap_s:.1f} s of overlap)."
        )
    backchannels = metrics.parties["agent"].backchannels
    if backchannels:
        reasons.append(
            f"The agent gave {backchannels} backchannel(s) while listening; these never count as interruptions."
        )
    if by_customer:
        reasons.append(
            f"The customer cut in on the agent {len(by_customer)} time(s); that does not count against the agent."
        )

    evidence = []
    for i in by_agent:
        evidence.append(Evidence(i.start, i.end, "customer", i.text_interrupted))
        evidence.append(Evidence(i.start, i.end, "agent", i.text_by))
    return Verdict(Result.FAILED if failed else Result.PASSED, round(score, 3), reasons, evidence, thresholds)
