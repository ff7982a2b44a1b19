"""A readable text summary of a report (``callscope analyze --format text``)."""

from __future__ import annotations

__all__ = ["format_text"]


def _clock(t: float) -> str:
    minutes, seconds = divmod(t, 60)
    return f"{int(minutes):02d}:{seconds:04.1f}"


def format_text(report: dict) -> str:
    """Render a v1 report (as built by :func:`workers.report.build_report`)."""
    call = report["call"]
    src = call["source"]
    lines = [f"callscope report: {src['file']}"]
    language = call["language"] or "unknown"
    if call["language_probability"] is not None:
        language += f" ({call['language_probability']:.2f})"
    lines.append(
        f"  {call['duration_s']:.1f} s, {call['mode']} ({src['codec']}, {call['sample_rate']} Hz, "
        f"{call['channels']} ch), language {language}"
    )
    a = report["agent_assignment"]
    agent = next((s["source"] for s in report["speakers"] if s["role"] == "agent"), "none")
    lines.append(f"  agent: {agent} (rule {a['rule']}, confidence {a['confidence']:.2f}: {a['evidence']})")
    lines.append("  speech: " + ", ".join(f"{s['role']} {s['speech_s']:.1f} s" for s in report["speakers"]))
    lines.append("")
    lines.append("Transcript")
    if not report["turns"]:
        lines.append("  (no speech)")
    for t in report["turns"]:
        lines.append(f"  [{_clock(t['start'])} - {_clock(t['end'])}] {t['speaker'].upper():8s} {t['text']}")
    if report["notes"]:
        lines.append("")
        lines.append("Notes")
        lines.extend(f"  - {n}" for n in report["notes"])
    tm = report["timings"]
    stages = ", ".join(f"{k[:-2]} {v:.2f} s" for k, v in tm.items() if k.endswith("_s") and k != "total_s")
    lines.append("")
    lines.append(f"Timings: {stages}; total {tm['total_s']:.2f} s (real-time factor {tm['real_time_factor']:.3f})")
    return "\n".join(lines) + "\n"
