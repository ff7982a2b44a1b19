"""A readable text summary of a report (``callscope analyze --format text``)."""

from __future__ import annotations

from analysis.verdicts import clock

__all__ = ["format_text"]


def _turn_taking(report: dict) -> list[str]:
    m = report["metrics"]
    out = ["", "Turn-taking"]
    talk = m["talk_time_s"]
    ratio = f"{m['talk_ratio'] * 100:.0f} % agent" if m["talk_ratio"] is not None else "no talk"
    out.append(f"  talk time: agent {talk['agent']:.1f} s, customer {talk['customer']:.1f} s ({ratio})")
    longest = m["longest_silence"]
    longest_text = f", longest {longest['duration_s']:.1f} s at {clock(longest['start'])}" if longest else ""
    out.append(f"  silence: {m['silence_s']:.1f} s{longest_text}")
    mono = m["longest_monologue"]
    out.append(
        f"  longest monologue: agent {mono['agent']['duration_s']:.1f} s, "
        f"customer {mono['customer']['duration_s']:.1f} s"
    )
    out.append(
        f"  turns: agent {m['turns']['agent']}, customer {m['turns']['customer']}; "
        f"{m['switches_per_minute']:.1f} switches per minute"
    )
    cuts = m["interruptions"]
    out.append(
        f"  interruptions: agent {cuts['agent']['count']} ({cuts['agent']['duration_s']:.1f} s), "
        f"customer {cuts['customer']['count']} ({cuts['customer']['duration_s']:.1f} s)"
    )
    out.append(f"  backchannels: agent {m['backchannels']['agent']}, customer {m['backchannels']['customer']}")
    patience = m["patience_s"]
    if patience["mean"] is not None:
        out.append(
            f"  agent patience (gap after the customer stops): mean {patience['mean']:.2f} s, "
            f"median {patience['median']:.2f} s"
        )
    for i in report["interruptions"]:
        outcome = "stopped" if i["successful"] else "kept talking"
        out.append(
            f"  [{clock(i['start'])}] {i['by']} cut in on {i['interrupted']} ({i['overlap_s']:.1f} s overlap; "
            f"{i['interrupted']} {outcome})"
        )
    for s in report["silences"]:
        out.append(f"  [{clock(s['start'])}] silence of {s['duration_s']:.1f} s")
    return out


def _verdicts(report: dict) -> list[str]:
    out = ["", "Verdicts"]
    for name, v in report["verdicts"].items():
        score = "" if v["score"] is None else f" (score {v['score']:.2f})"
        out.append(f"  {name.replace('_', ' ')}: {v['result'].upper()}{score}")
        out.extend(f"    - {r}" for r in v["reasons"])
        for e in v["evidence"]:
            out.append(f'      [{clock(e["start"])}] {e["speaker"].upper():8s} "{e["text"]}"')
    return out


def format_text(report: dict) -> str:
    """Render a v1 report (as built by :func:`analysis.report.build_report`)."""
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
        lines.append(f"  [{clock(t['start'])} - {clock(t['end'])}] {t['speaker'].upper():8s} {t['text']}")
    if "metrics" in report:
        lines += _turn_taking(report)
    if "tone_timeline" in report:
        lines += [
            "",
            "Tone (baselines over the first half of each party's speech; per-second timeline in the JSON report)",
        ]
        for party, tone in report["tone_timeline"]["parties"].items():
            b = tone["baseline"]
            pitch = f"{b['pitch_hz']:.0f} Hz" if b["pitch_hz"] is not None else "n/a"
            level = f"{b['level_dbfs']:.1f} dBFS" if b["level_dbfs"] is not None else "n/a"
            rate = f"{b['rate_wpm']:.0f} wpm" if b["rate_wpm"] is not None else "n/a"
            lines.append(f"  {party}: pitch {pitch}, level {level}, articulation rate {rate}")
        for party in ("agent", "customer"):
            a = report.get("metrics", {}).get(f"{party}_arousal")
            if a is not None:
                lines.append(
                    f"  {party} arousal: {a['events']} event(s), {a['aroused_s']:.0f} s "
                    f"({a['share_of_speech'] * 100:.0f} % of their speech)"
                )
        for e in report.get("arousal_events", []):
            deltas = ", ".join(
                f"{e[k]:+g} {unit}"
                for k, unit in (("loudness_db", "dB"), ("pitch_st", "st"), ("rate_pct", "% rate"))
                if e[k] is not None
            )
            lines.append(
                f"  [{clock(e['start'])} - {clock(e['end'])}] {e['speaker']} aroused ({' + '.join(e['cues'])}): "
                f'{deltas}: "{e["text"]}"'
            )
    if "feeling_moments" in report:
        lines += ["", "Feelings (customer) and acknowledgements (agent)"]
        if not report["feeling_moments"]:
            lines.append("  (the customer expressed no feeling)")
        moments = report["feeling_moments"]
        for e in report.get("feeling_episodes", []):
            for i in e["moments"]:
                f = moments[i]
                lines.append(
                    f"  [{clock(f['start'])}] {f['emotion']} ({f['confidence']:.2f}; {' + '.join(f['cues'])}): "
                    f'"{f["text"]}"'
                )
            reply = e["reply"]
            if not e["scored"]:
                lines.append("    a possible feeling on one weak cue, not acknowledged: not scored")
            elif e["acknowledged"]:
                lines.append(
                    f'    acknowledged at {clock(reply["start"])} (credit {e["credit"]:.2f}): "{reply["text"]}"'
                )
            elif reply is not None:
                lines.append(f'    not acknowledged; the agent said at {clock(reply["start"])}: "{reply["text"]}"')
            else:
                lines.append("    the agent did not reply")
    if "verdicts" in report:
        lines += _verdicts(report)
    if report["notes"]:
        lines.append("")
        lines.append("Notes")
        lines.extend(f"  - {n}" for n in report["notes"])
    tm = report["timings"]
    stages = ", ".join(f"{k[:-2]} {v:.2f} s" for k, v in tm.items() if k.endswith("_s") and k != "total_s")
    lines.append("")
    lines.append(f"Timings: {stages}; total {tm['total_s']:.2f} s (real-time factor {tm['real_time_factor']:.3f})")
    return "\n".join(lines) + "\n"
