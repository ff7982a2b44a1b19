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

``stayed_calm`` (arousal as defined in :mod:`audio_features.arousal`):

* ``not_applicable`` when the agent speaks less than ``calm_min_speech_s``
  (their speech regions, ``talk_time_s``): too little to set a baseline. Not
  the tone timeline's speaking bins, which count a second only when the party
  speaks for half of it: an agent with 12.5 s of short lines ("right", "Okay,
  let me look at that for you.") filled 9 of them (corpus5 heldout_026).
* ``failed`` when the agent's sustained arousal events hold
  ``calm_max_aroused_s`` of speech or more.
* ``passed`` otherwise, whatever the customer does: the customer's arousal is
  reported (``metrics.customer_arousal``), and an agent event that follows a
  customer event within ``calm_reply_window_s`` is called out as a reply to an
  upset customer.

Score: ``1 - 0.5 * aroused_s / calm_max_aroused_s``, clipped to 0..1: no
arousal scores 1, reaching the limit scores 0.5 and fails.

``acknowledged_feelings`` (feeling episodes and acknowledgements as defined in
:mod:`audio_features.empathy`):

* ``not_applicable`` when the customer expressed no feeling, or only
  possible ones: episodes on one weak cue that the agent did not acknowledge
  are reported but not scored.
* Score: the mean credit over the scored feeling episodes (0 for one not
  acknowledged, 1 for one acknowledged promptly, down to 0.7 when late).
* ``passed`` when the score reaches ``empathy_pass_score``, else ``failed``.
* A feeling judged not acknowledged, where one of the agent's reply sentences
  was heard unclearly (geometric-mean word probability below
  ``empathy_min_asr_confidence``), says so in its reason and quotes that
  sentence: the acknowledgement may be in the words Whisper misheard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from analysis.names import Result
from audio_features.config import Settings
from audio_features.parties import Role

if TYPE_CHECKING:  # keep this module light: the text summary imports it
    from audio_features.acknowledgements import Acknowledgement
    from audio_features.arousal import ArousalEvent, ArousalSummary
    from audio_features.talk_metrics import TalkMetrics
    from audio_features.turn_taking import TurnTaking

__all__ = [
    "Evidence",
    "Result",
    "Verdict",
    "acknowledged_feelings",
    "clock",
    "describe_arousal",
    "listened_without_interrupting",
    "stayed_calm",
]

#: Calls shorter than this are counted over this long when rating interruptions, min.
MIN_RATE_WINDOW_MIN = 5.0


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
    if metrics.parties[Role.CUSTOMER].turns == 0:
        return Verdict(Result.NOT_APPLICABLE, None, ["The customer said nothing substantive."], [], thresholds)

    by_agent = [i for i in taking.interruptions if i.by == Role.AGENT]
    by_customer = [i for i in taking.interruptions if i.by == Role.CUSTOMER]
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
    backchannels = metrics.parties[Role.AGENT].backchannels
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
        evidence.append(Evidence(i.start, i.end, Role.CUSTOMER, i.text_interrupted))
        evidence.append(Evidence(i.start, i.end, Role.AGENT, i.text_by))
    return Verdict(Result.FAILED if failed else Result.PASSED, round(score, 3), reasons, evidence, thresholds)


def describe_arousal(event: ArousalEvent) -> str:
    """The measured deltas of an arousal event, as a reviewer reads them."""
    parts = []
    if event.loudness_db is not None:
        parts.append(f"{event.loudness_db:+.1f} dB")
    if event.pitch_st is not None:
        parts.append(f"{event.pitch_st:+.1f} st")
    if event.rate_pct is not None:
        parts.append(f"{event.rate_pct:+.0f} % rate")
    return ", ".join(parts) + f" over baseline ({' + '.join(event.cues) or 'mixed cues'})"


def stayed_calm(
    agent: ArousalSummary, customer: ArousalSummary | None, settings: Settings, talk_s: float | None = None
) -> Verdict:
    """Judge whether the agent's voice stayed near their own baseline (see the module docstring).

    ``talk_s``: the agent's speech, s (:class:`~audio_features.talk_metrics.PartyMetrics`); without it, the
    speaking bins of their tone timeline."""
    thresholds = {
        "max_aroused_s": settings.calm_max_aroused_s,
        "min_speech_s": settings.calm_min_speech_s,
        "loudness_db": settings.arousal_loudness_db,
        "pitch_st": settings.arousal_pitch_st,
        "rate_pct": settings.arousal_rate_pct,
        "min_cues": settings.arousal_min_cues,
        "require_loudness": settings.arousal_require_loudness,
        "min_event_s": settings.arousal_min_s,
        "baseline_fraction": settings.tone_baseline_fraction,
    }
    spoke_s = agent.speech_s if talk_s is None else talk_s
    if spoke_s < settings.calm_min_speech_s:
        return Verdict(
            Result.NOT_APPLICABLE,
            None,
            [
                f"The agent spoke for {spoke_s:.0f} s, less than the {settings.calm_min_speech_s:g} s "
                "needed to set a baseline."
            ],
            [],
            thresholds,
        )
    limit = settings.calm_max_aroused_s
    failed = agent.aroused_s >= limit
    score = max(0.0, min(1.0, 1 - 0.5 * agent.aroused_s / limit)) if limit > 0 else float(not agent.events)
    customer_events = customer.events if customer else []

    reasons, evidence = [], []
    if agent.events:
        reasons.append(
            f"The agent's voice rose above their baseline for {agent.aroused_s:.0f} s of speech in "
            f"{len(agent.events)} sustained stretch(es) (limit {limit:g} s)."
        )
    else:
        reasons.append("The agent stayed near their own baseline of loudness, pitch and pace throughout.")
    for e in agent.events:
        upset = [c for c in customer_events if c.start <= e.start <= c.end + settings.calm_reply_window_s]
        reply = f", replying to the customer's raised voice at {clock(upset[-1].start)}" if upset else ""
        reasons.append(f"{clock(e.start)}-{clock(e.end)}: {describe_arousal(e)}{reply}.")
        if upset:
            c = upset[-1]
            evidence.append(Evidence(c.start, c.end, Role.CUSTOMER, c.text))
        evidence.append(Evidence(e.start, e.end, Role.AGENT, e.text))
    if customer_events:
        verb = "while the agent stayed calm" if not agent.events else "too"
        reasons.append(
            f"The customer was aroused for {customer.aroused_s:.0f} s in {len(customer_events)} stretch(es) {verb}."
        )
    return Verdict(Result.FAILED if failed else Result.PASSED, round(score, 3), reasons, evidence, thresholds)


def acknowledged_feelings(acks: list[Acknowledgement], settings: Settings) -> Verdict:
    """Judge whether the agent acknowledged the customer's feelings (see the module docstring)."""
    thresholds = {
        "pass_score": settings.empathy_pass_score,
        "feeling_margin": settings.empathy_feeling_margin,
        "probe_min": settings.empathy_probe_min,
        "clear_margin": settings.empathy_clear_margin,
        "clear_probe": settings.empathy_clear_probe,
        "episode_gap_s": settings.empathy_episode_gap_s,
        "ack_margin": settings.empathy_ack_margin,
        "reply_turns": settings.empathy_reply_turns,
        "prompt_s": settings.empathy_prompt_s,
        "late_s": settings.empathy_late_s,
    }
    if not acks:
        return Verdict(Result.NOT_APPLICABLE, None, ["The customer expressed no feeling."], [], thresholds)
    scored = [a for a in acks if a.scored]
    weak = [a for a in acks if not a.scored]
    weak_reasons = [
        f"{clock(a.episode.start)} {a.episode.emotion}: a possible feeling on one weak cue, not acknowledged; "
        "not scored (one cue alone does not fail an agent)."
        for a in weak
    ]
    if not scored:
        reason = f"The customer voiced no clear feeling ({len(weak)} possible, on one weak cue each)."
        evidence = [Evidence(a.episode.start, a.episode.end, Role.CUSTOMER, a.episode.text) for a in weak]
        return Verdict(Result.NOT_APPLICABLE, None, [reason, *weak_reasons], evidence, thresholds)
    score = sum(a.credit for a in scored) / len(scored)
    done = [a for a in scored if a.acknowledged]
    reasons = [f"The agent acknowledged {len(done)} of {len(scored)} feeling episode(s); score {score:.2f}."]
    evidence = []
    for a in scored:
        m = a.episode
        evidence.append(Evidence(m.start, m.end, Role.CUSTOMER, m.text))
        if a.acknowledged:
            late = f", {a.delay_s:.0f} s later (credit {a.credit:.2f})" if a.credit < 1 else ""
            reasons.append(f"{clock(m.start)} {m.emotion}: acknowledged at {clock(a.reply.start)}{late}.")
        elif a.reply is None:
            reasons.append(f"{clock(m.start)} {m.emotion}: the agent did not reply.")
        else:
            reason = f"{clock(m.start)} {m.emotion}: not acknowledged; the agent went on at {clock(a.reply.start)}."
            if a.unclear is not None:
                heard = a.unclear.heard(a.unclear.text)
                reason += (
                    f" The agent's words at {clock(a.unclear.start)} were heard unclearly (mean word probability"
                    f" {heard:.2f}, under {settings.empathy_min_asr_confidence:.2f}):"
                    " listen to them before relying on this."
                )
            reasons.append(reason)
        if a.reply is not None:
            evidence.append(Evidence(a.reply.start, a.reply.end, Role.AGENT, a.reply.text))
        if a.unclear is not None and a.unclear is not a.reply:
            evidence.append(Evidence(a.unclear.start, a.unclear.end, Role.AGENT, a.unclear.text))
    result = Result.PASSED if score >= settings.empathy_pass_score else Result.FAILED
    return Verdict(result, round(score, 3), reasons + weak_reasons, evidence, thresholds)
