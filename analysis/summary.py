"""A readable text summary of a report (``callscope analyze --format text``), read from the report model."""

from __future__ import annotations

from analysis.report_model import Report
from analysis.verdicts import clock
from audio_features.parties import Role

__all__ = ["format_text"]


def _turn_taking(report: Report) -> list[str]:
    m = report.metrics
    out = ["", "Turn-taking"]
    ratio = f"{m.talk_ratio * 100:.0f} % agent" if m.talk_ratio is not None else "no talk"
    out.append(f"  talk time: agent {m.talk_time_s.agent:.1f} s, customer {m.talk_time_s.customer:.1f} s ({ratio})")
    longest = m.longest_silence
    longest_text = f", longest {longest.duration_s:.1f} s at {clock(longest.start)}" if longest else ""
    out.append(f"  silence: {m.silence_s:.1f} s{longest_text}")
    mono = m.longest_monologue
    out.append(f"  longest monologue: agent {mono.agent.duration_s:.1f} s, customer {mono.customer.duration_s:.1f} s")
    out.append(
        f"  turns: agent {m.turns.agent}, customer {m.turns.customer}; {m.switches_per_minute:.1f} switches per minute"
    )
    cuts = m.interruptions
    out.append(
        f"  interruptions: agent {cuts.agent.count} ({cuts.agent.duration_s:.1f} s), "
        f"customer {cuts.customer.count} ({cuts.customer.duration_s:.1f} s)"
    )
    out.append(f"  backchannels: agent {m.backchannels.agent}, customer {m.backchannels.customer}")
    if m.patience_s.mean is not None:
        out.append(
            f"  agent patience (gap after the customer stops): mean {m.patience_s.mean:.2f} s, "
            f"median {m.patience_s.median:.2f} s"
        )
    for i in report.interruptions:
        outcome = "stopped" if i.successful else "kept talking"
        out.append(
            f"  [{clock(i.start)}] {i.by} cut in on {i.interrupted} ({i.overlap_s:.1f} s overlap; "
            f"{i.interrupted} {outcome})"
        )
    for s in report.silences:
        out.append(f"  [{clock(s.start)}] silence of {s.duration_s:.1f} s")
    return out


def _verdicts(report: Report) -> list[str]:
    out = ["", "Verdicts"]
    for name, v in report.verdicts:
        if v is None:
            continue
        score = "" if v.score is None else f" (score {v.score:.2f})"
        out.append(f"  {name.replace('_', ' ')}: {v.result.upper()}{score}")
        out.extend(f"    - {r}" for r in v.reasons)
        for e in v.evidence:
            out.append(f'      [{clock(e.start)}] {e.speaker.upper():8s} "{e.text}"')
    return out


def _tone(report: Report) -> list[str]:
    out = ["", "Tone (each party's baseline: medians over the first part of their speech, per"]
    out[-1] += " CALLSCOPE_TONE_BASELINE_FRACTION; per-second timeline in the JSON report)"
    for party, tone in report.tone_timeline.parties.items():
        b = tone.baseline
        pitch = f"{b.pitch_hz:.0f} Hz" if b.pitch_hz is not None else "n/a"
        level = f"{b.level_dbfs:.1f} dBFS" if b.level_dbfs is not None else "n/a"
        rate = f"{b.rate_wpm:.0f} wpm" if b.rate_wpm is not None else "n/a"
        until = f" (baseline to {clock(b.until_s)})" if b.until_s is not None else ""
        out.append(f"  {party}: pitch {pitch}, level {level}, articulation rate {rate}{until}")
    for party, a in (("agent", report.metrics.agent_arousal), ("customer", report.metrics.customer_arousal)):
        if a is not None:
            out.append(
                f"  {party} arousal: {a.events} event(s), {a.aroused_s:.0f} s "
                f"({a.share_of_speech * 100:.0f} % of their speech)"
            )
    for e in report.arousal_events or []:
        deltas = ", ".join(
            f"{value:+g} {unit}"
            for value, unit in ((e.loudness_db, "dB"), (e.pitch_st, "st"), (e.rate_pct, "% rate"))
            if value is not None
        )
        out.append(
            f'  [{clock(e.start)} - {clock(e.end)}] {e.speaker} aroused ({" + ".join(e.cues)}): {deltas}: "{e.text}"'
        )
    return out


def _feelings(report: Report) -> list[str]:
    out = ["", "Feelings (customer) and acknowledgements (agent)"]
    if not report.feeling_moments:
        out.append("  (the customer expressed no feeling)")
    for e in report.feeling_episodes or []:
        for f in (report.feeling_moments[i] for i in e.moments):
            out.append(f'  [{clock(f.start)}] {f.emotion} ({f.confidence:.2f}; {" + ".join(f.cues)}): "{f.text}"')
        reply = e.reply
        if not e.scored:
            out.append("    a possible feeling on one weak cue, not acknowledged: not scored")
        elif e.acknowledged:
            out.append(f'    acknowledged at {clock(reply.start)} (credit {e.credit:.2f}): "{reply.text}"')
        elif reply is not None:
            out.append(f'    not acknowledged; the agent said at {clock(reply.start)}: "{reply.text}"')
        else:
            out.append("    the agent did not reply")
    return out


def format_text(report: Report) -> str:
    """Render a v1 report (as built by :func:`analysis.report.build_report`)."""
    call, src = report.call, report.call.source
    lines = [f"callscope report: {src.file}"]
    language = call.language or "unknown"
    if call.language_probability is not None:
        language += f" ({call.language_probability:.2f})"
    lines.append(
        f"  {call.duration_s:.1f} s, {call.mode} ({src.codec}, {call.sample_rate} Hz, "
        f"{call.channels} ch), language {language}"
    )
    a = report.agent_assignment
    agent = next((s.source for s in report.speakers if s.role == Role.AGENT), "none")
    lines.append(f"  agent: {agent} (rule {a.rule}, confidence {a.confidence:.2f}: {a.evidence})")
    lines.append("  speech: " + ", ".join(f"{s.role} {s.speech_s:.1f} s" for s in report.speakers))
    lines += ["", "Transcript"]
    if not report.turns:
        lines.append("  (no speech)")
    for t in report.turns:
        lines.append(f"  [{clock(t.start)} - {clock(t.end)}] {t.speaker.upper():8s} {t.text}")
    lines += _turn_taking(report)
    if report.tone_timeline is not None:
        lines += _tone(report)
    if report.feeling_moments is not None:
        lines += _feelings(report)
    lines += _verdicts(report)
    if report.notes:
        lines += ["", "Notes"]
        lines.extend(f"  - {n}" for n in report.notes)
    tm = report.timings
    stages = ", ".join(
        f"{k[:-2]} {v:.2f} s"
        for k, v in tm.model_dump().items()
        if v is not None and k.endswith("_s") and k != "total_s"
    )
    lines.append("")
    lines.append(f"Timings: {stages}; total {tm.total_s:.2f} s (real-time factor {tm.real_time_factor:.3f})")
    return "\n".join(lines) + "\n"
