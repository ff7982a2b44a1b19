"""What the call review page shows, computed from a stored report (no analysis code, no heavy imports).

The page gets one compact JSON object (:func:`review_view`), embedded in its
HTML so that it renders after a single request:

* ``timeline``: the tone timeline of both parties (pitch, Hz; loudness, dB
  relative to the party's median level; articulation rate, words per
  minute) on one time axis, s. A report has one point per second
  (``tone_timeline.resolution_s``); longer calls are averaged into at most
  :data:`MAX_TIMELINE_POINTS` buckets, about one per pixel of a wide
  chart, so a 1-hour call sends 1,200 points per series rather than 3,600.
* ``markers``: arousal events, interruptions (who cut off whom),
  backchannels, long silences and feeling moments, each ``{kind, start,
  end, speaker, label}`` with times in s.
* ``turns``: the transcript, with word times for the highlight and seeking.
* ``verdicts`` and ``tiles`` (the key metrics).
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass

from pydantic import ValidationError

from analysis.names import VerdictName
from analysis.report_model import Report
from audio_features.parties import Role

__all__ = ["MAX_TIMELINE_POINTS", "Marker", "Tile", "downsample", "key_figures", "read_report", "review_view"]

log = logging.getLogger("callscope.pages")

#: Most points per timeline series sent to the page: about one per pixel of a
#: 1,200 px chart, more than the eye resolves and few enough for a 1-hour call.
MAX_TIMELINE_POINTS = 1200
SERIES = ("pitch_hz", "loudness_db", "rate_wpm")
KEY_FIGURES = ("agent_talk_share_pct", "agent_interruptions_per_10min", "agent_aroused_pct", "patience_s")
VERDICT_TITLES = {
    VerdictName.CALM: "Stayed calm",
    VerdictName.LISTENED: "Listened without interrupting",
    VerdictName.ACKNOWLEDGED: "Acknowledged feelings",
}


@dataclass(frozen=True)
class Marker:
    """One event on the timeline.

    Attributes:
        kind: ``arousal``, ``interruption``, ``backchannel``, ``silence`` or ``feeling``.
        start: Start, s from the start of the call.
        end: End, s.
        speaker: ``agent``, ``customer`` or None (a silence).
        label: One line that says what happened, for the tooltip and screen readers.
    """

    kind: str
    start: float
    end: float
    speaker: str | None
    label: str


@dataclass(frozen=True)
class Tile:
    """One key metric: a title, the value as shown, and a hint of its definition."""

    title: str
    value: str
    hint: str


def downsample(times: list[float], values: list[float | None], max_points: int) -> tuple[list, list]:
    """Average ``values`` into at most ``max_points`` equal buckets of consecutive points.

    None (no speech, or no pitch) is left out of each bucket's mean; a bucket
    with no value stays None, so gaps in speech stay gaps. Each bucket's time
    is the mean time of its points, s.
    """
    n = len(times)
    if n <= max_points:
        return list(times), list(values)
    size = math.ceil(n / max_points)
    out_t, out_v = [], []
    for i in range(0, n, size):
        chunk_t = times[i : i + size]
        chunk_v = [v for v in values[i : i + size] if v is not None]
        out_t.append(round(sum(chunk_t) / len(chunk_t), 3))
        out_v.append(round(sum(chunk_v) / len(chunk_v), 1) if chunk_v else None)
    return out_t, out_v


def read_report(data: dict | None) -> Report | None:
    """A stored report as the model, or None when there is none, or it is not a v1 report this version reads
    (one made by an older release: the page then links the JSON instead)."""
    if data is None:
        return None
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        log.warning("a stored report does not validate, so the page shows its JSON link only: %s", exc)
        return None


def _timeline(report: Report, max_points: int) -> dict | None:
    tone = report.tone_timeline
    if tone is None or not tone.t:
        return None
    times = tone.t
    parties = {}
    t_out = times
    for party, series in tone.parties.items():
        parties[str(party)] = {"baseline": series.baseline.model_dump(mode="json")}
        for name in SERIES:
            # Only while the party speaks: a pitch or level measured on the other party's bleed is not theirs.
            values = [v if spoke else None for v, spoke in zip(getattr(series, name), series.speaking, strict=False)]
            t_out, parties[str(party)][name] = downsample(times, values, max_points)
    return {"t": t_out, "resolution_s": tone.resolution_s, "parties": parties}


def markers(report: Report) -> list[Marker]:
    """Every event of the report worth a marker, in time order."""
    out: list[Marker] = []
    for e in report.arousal_events or []:
        out.append(Marker("arousal", e.start, e.end, e.speaker, f"{e.speaker} aroused ({', '.join(e.cues)})"))
    for i in report.interruptions:
        how = "stopped" if i.successful else "kept talking"
        label = f"{i.by} interrupted {i.interrupted} ({i.interrupted} {how})"
        out.append(Marker("interruption", i.start, i.end, i.by, label))
    for b in report.backchannels:
        out.append(Marker("backchannel", b.start, b.end, b.speaker, f"{b.speaker} backchannel: {b.text}"))
    for s in report.silences:
        out.append(Marker("silence", s.start, s.end, None, f"silence of {s.duration_s:.1f} s"))
    for f in report.feeling_moments or []:
        said = "acknowledged" if f.acknowledged else "not acknowledged"
        out.append(Marker("feeling", f.start, f.end, Role.CUSTOMER, f"customer {f.emotion} ({said})"))
    return sorted(out, key=lambda m: (m.start, m.kind))


def key_figures(report: Report | None) -> dict:
    """The figures a coach follows across calls, from one report (None where there is no report).

    ``agent_talk_share_pct``: agent talk time over both parties' talk time, %;
    ``agent_interruptions_per_10min``: the agent's cut-ins per 10 minutes of call;
    ``agent_aroused_pct``: the agent's aroused share of their own speech, %;
    ``patience_s``: median gap between the customer stopping and the agent starting, s.
    """
    if report is None:
        return dict.fromkeys(
            ("agent_talk_share_pct", "agent_interruptions_per_10min", "agent_aroused_pct", "patience_s")
        )
    m, duration = report.metrics, report.call.duration_s
    total = m.talk_time_s.agent + m.talk_time_s.customer
    arousal = m.agent_arousal
    return {
        "agent_talk_share_pct": None if not total else round(100 * m.talk_time_s.agent / total, 1),
        "agent_interruptions_per_10min": round(m.interruptions.agent.count * 600 / duration, 2) if duration else None,
        "agent_aroused_pct": None if arousal is None else round(100 * arousal.share_of_speech, 1),
        "patience_s": m.patience_s.median,
    }


def tiles(report: Report) -> list[Tile]:
    """The key metrics as tiles, in the order a QA lead reads them."""
    m, k = report.metrics, key_figures(report)
    per10 = k["agent_interruptions_per_10min"]
    out = [
        Tile(
            "Agent talk share",
            "n/a" if k["agent_talk_share_pct"] is None else f"{k['agent_talk_share_pct']:.0f} %",
            "Agent talk time over both parties' talk time",
        ),
        Tile(
            "Agent interruptions",
            f"{m.interruptions.agent.count}" + ("" if per10 is None else f" ({per10:.1f} per 10 min)"),
            "Substantive cut-ins while the customer held the floor; backchannels excluded",
        ),
        Tile("Customer interruptions", str(m.interruptions.customer.count), "Never counted against the agent"),
        Tile(
            "Agent patience",
            "n/a" if k["patience_s"] is None else f"{k['patience_s']:.1f} s",
            "Median gap between the customer stopping and the agent starting",
        ),
        Tile(
            "Longest silence",
            "none" if not m.longest_silence else f"{m.longest_silence.duration_s:.1f} s",
            "Neither party speaking",
        ),
    ]
    for party, arousal in (("agent", m.agent_arousal), ("customer", m.customer_arousal)):
        if arousal is not None:
            out.append(
                Tile(
                    f"{party.capitalize()} aroused",
                    f"{arousal.aroused_s:.0f} s ({100 * arousal.share_of_speech:.0f} % of speech)",
                    "Time above the party's own baseline on loudness, pitch or pace",
                )
            )
    rate = sorted(t.rate_wpm for t in report.turns if t.speaker == Role.AGENT and t.rate_wpm)
    if rate:
        out.append(Tile("Agent pace", f"{rate[len(rate) // 2]:.0f} wpm", "Median articulation rate of agent turns"))
    out.append(Tile("Turn switches", f"{m.switches_per_minute:.1f} per min", "Changes of the floor"))
    return out


def review_view(call: dict, report: Report | None, max_points: int = MAX_TIMELINE_POINTS) -> dict:
    """Everything the review page draws, for a call summary (``Call.summary()``) and its report."""
    view = {"call": call, "ready": report is not None}
    if report is None:
        return view
    view.update(
        {
            "duration_s": report.call.duration_s,
            "mode": str(report.call.mode),
            "timeline": _timeline(report, max_points),
            "markers": [asdict(m) for m in markers(report)],
            "turns": [
                {
                    "speaker": str(t.speaker),
                    "start": t.start,
                    "end": t.end,
                    "words": [[w.start, w.end, w.text] for w in t.words],
                }
                for t in report.turns
            ],
            "verdicts": [
                {"name": name, "title": VERDICT_TITLES.get(name, name), **v.model_dump(mode="json")}
                for name, v in report.verdicts
                if v is not None
            ],
            "tiles": [asdict(t) for t in tiles(report)],
            "notes": list(report.notes),
        }
    )
    return view
