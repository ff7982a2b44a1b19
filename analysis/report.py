"""The call report, built from a :class:`~analysis.stages.CallAnalysis` in one place.

The report's shape is :class:`analysis.report_model.Report`; this module only fills it in,
rounding every time to milliseconds (as pyannote's ``serialize`` does) and every measure to the
digits it carries. It measures nothing: what it shows, the stages measured.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from importlib import resources

from analysis import report_model as rm
from analysis import report_sections as rs
from analysis.report_model import SCHEMA_VERSION, Report
from analysis.stages import CallAnalysis

__all__ = ["SCHEMA_VERSION", "Report", "build_report", "load_schema"]


def _ms(t: float) -> float:
    return round(float(t), 3)


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(float(x), digits)


def _opt_ms(x: float | None) -> float | None:
    return None if x is None else _ms(x)


def build_report(analysis: CallAnalysis) -> Report:
    """The report of one analysis."""
    src, attribution = analysis.source, analysis.attribution
    total = analysis.timings.get("total_s", sum(analysis.timings.values()))
    sections = {**_tone(analysis), **_arousal_events(analysis), **_feelings(analysis)}
    return Report(
        schema_version=SCHEMA_VERSION,
        call=rm.CallInfo(
            source=rm.Source(file=src.file, container=src.container, codec=src.codec, size_bytes=src.size_bytes),
            duration_s=_ms(src.duration_s),
            sample_rate=src.sample_rate,
            channels=src.channels,
            analysis_sample_rate=src.analysis_sample_rate,
            mode=analysis.mode,
            has_speech=analysis.has_speech,
            language=analysis.language,
            language_probability=_round(analysis.language_probability, 3),
            models=[rm.ModelUsed(**asdict(m)) for m in analysis.models],
        ),
        speakers=[
            rm.Speaker(
                role=s.role,
                source=s.source,
                speech_s=_ms(s.speech_s),
                segments=[(_ms(a), _ms(b)) for a, b in s.segments],
            )
            for s in attribution.speakers
        ],
        agent_assignment=rm.AgentAssignment(
            rule=attribution.rule, confidence=round(attribution.confidence, 2), evidence=attribution.evidence
        ),
        turns=[
            rm.Turn(
                speaker=t.speaker,
                start=_ms(t.start),
                end=_ms(t.end),
                text=t.text,
                rate_wpm=_round(rate, 0),
                syllables_per_s=_round(syllables, 2),
                words=[
                    rm.Word(start=_ms(w.start), end=_ms(w.end), text=w.text, probability=round(w.probability, 3))
                    for w in t.words
                ],
            )
            for t, (rate, syllables) in zip(attribution.turns, analysis.measures.turn_rates, strict=True)
        ],
        **_turn_taking(analysis),
        **sections,
        notes=list(analysis.notes),
        timings=rm.Timings(
            **{k: round(v, 3) for k, v in analysis.timings.items()},
            real_time_factor=round(total / max(analysis.duration_s, 1e-9), 4),
        ),
    )


def _per_party(parties, make):
    return {p: make(m) for p, m in parties.items()}


def _evidence(start: float, end: float, speaker: str, text: str) -> rs.Evidence:
    return rs.Evidence(start=_ms(start), end=_ms(end), speaker=speaker, text=text)


def _verdict(v) -> rs.Verdict:
    return rs.Verdict(
        result=v.result,
        score=v.score,
        reasons=list(v.reasons),
        evidence=[_evidence(e.start, e.end, e.speaker, e.text) for e in v.evidence],
        thresholds=dict(v.thresholds),
    )


def _turn_taking(analysis: CallAnalysis) -> dict:
    """``metrics`` (with each party's arousal summary), ``interruptions``, ``backchannels``, ``silences`` and
    ``verdicts``."""
    m, tt = analysis.measures.talk, analysis.measures.turn_taking
    longest = m.longest_silence
    arousal = {
        f"{party}_arousal": rs.Arousal(
            events=len(a.events),
            aroused_s=_ms(a.aroused_s),
            share_of_speech=round(a.share, 3),
            peak_loudness_db=_round(a.peak_loudness_db, 1),
            peak_pitch_st=_round(a.peak_pitch_st, 2),
            peak_rate_pct=_round(a.peak_rate_pct, 0),
        )
        for party, a in analysis.measures.arousal.items()
    }
    metrics = rs.Metrics(
        talk_time_s=_per_party(m.parties, lambda pm: _ms(pm.talk_time_s)),
        talk_ratio=_round(m.talk_ratio, 3),
        silence_s=_ms(m.silence_s),
        longest_silence=None
        if longest is None
        else rs.Span(start=_ms(longest.start), end=_ms(longest.end), duration_s=_ms(longest.duration_s)),
        longest_monologue=_per_party(
            m.parties,
            lambda pm: {"duration_s": _ms(pm.longest_monologue_s), "start": _opt_ms(pm.longest_monologue_start)},
        ),
        turns=_per_party(m.parties, lambda pm: pm.turns),
        turn_switches=m.turn_switches,
        switches_per_minute=round(m.switches_per_minute, 2),
        interruptions=_per_party(
            m.parties, lambda pm: {"count": pm.interruptions, "duration_s": _ms(pm.interruption_s)}
        ),
        backchannels=_per_party(m.parties, lambda pm: pm.backchannels),
        patience_s=rs.Patience(mean=_opt_ms(m.patience_mean_s), median=_opt_ms(m.patience_median_s)),
        **arousal,
    )
    return {
        "metrics": metrics,
        "interruptions": [
            rs.Interruption(
                start=_ms(i.start),
                end=_ms(i.end),
                by=i.by,
                interrupted=i.interrupted,
                overlap_s=_ms(i.overlap_s),
                interrupted_words_after=i.interrupted_words_after,
                successful=bool(i.successful),
                evidence=[
                    _evidence(i.start, i.end, i.interrupted, i.text_interrupted),
                    _evidence(i.start, i.end, i.by, i.text_by),
                ],
            )
            for i in tt.interruptions
        ],
        "backchannels": [
            rs.Backchannel(start=_ms(b.start), end=_ms(b.end), speaker=b.speaker, text=b.text) for b in tt.backchannels
        ],
        "silences": [
            rs.Span(start=_ms(s.start), end=_ms(s.end), duration_s=_ms(s.duration_s)) for s in m.long_silences
        ],
        "verdicts": rs.Verdicts(**{str(name): _verdict(v) for name, v in analysis.judgement.verdicts.items()}),
    }


def _series(values, digits: int) -> list:
    return [None if not math.isfinite(v) else round(float(v), digits) for v in values]


def _tone(analysis: CallAnalysis) -> dict:
    tone = analysis.measures.tone
    if not tone:
        return {}
    parties = {
        party: rs.PartyTone(
            baseline=rs.Baseline(
                pitch_hz=_round(t.baseline_pitch_hz, 1),
                level_dbfs=_round(t.baseline_level_dbfs, 1),
                rate_wpm=None if t.baseline_rate_wpm is None else round(t.baseline_rate_wpm),
                until_s=_opt_ms(t.baseline_until),
            ),
            pitch_hz=_series(t.pitch_hz, 1),
            pitch_st=_series(t.pitch_st, 2),
            loudness_db=_series(t.loudness_db, 1),
            rate_wpm=_series(t.rate_wpm, 0),
            speaking=[bool(x) for x in t.speaking],
        )
        for party, t in tone.items()
    }
    times = next(iter(tone.values())).times
    resolution = round(float(times[1] - times[0]), 3) if times.size > 1 else None
    return {"tone_timeline": rs.ToneTimeline(resolution_s=resolution, t=_series(times, 3), parties=parties)}


def _arousal_events(analysis: CallAnalysis) -> dict:
    arousal = analysis.measures.arousal
    if not arousal:
        return {}
    events = sorted((e for a in arousal.values() for e in a.events), key=lambda e: e.start)
    return {
        "arousal_events": [
            rs.ArousalEvent(
                speaker=e.speaker,
                start=_ms(e.start),
                end=_ms(e.end),
                aroused_s=_ms(e.aroused_s),
                loudness_db=_round(e.loudness_db, 1),
                pitch_st=_round(e.pitch_st, 2),
                rate_pct=_round(e.rate_pct, 0),
                cues=list(e.cues),
                text=e.text,
            )
            for e in events
        ]
    }


def _reply(r) -> rs.Reply | None:
    return None if r is None else rs.Reply(start=_ms(r.start), end=_ms(r.end), text=r.text)


def _feelings(analysis: CallAnalysis) -> dict:
    """``feeling_moments`` (each with its episode's acknowledgement) and ``feeling_episodes``."""
    if analysis.empathy.model is None:
        return {}
    moments, episodes = [], []
    for k, a in enumerate(analysis.empathy.acknowledgements):
        e = a.episode
        outcome = {
            "acknowledged": a.acknowledged,
            "reply": _reply(a.reply),
            "delay_s": _opt_ms(a.delay_s),
            "credit": round(a.credit, 3),
        }
        first = len(moments)
        for m in e.moments:
            moments.append(
                rs.FeelingMoment(
                    start=_ms(m.start),
                    end=_ms(m.end),
                    text=m.text,
                    emotion=m.emotion,
                    confidence=round(m.confidence, 3),
                    cues=list(m.cues),
                    episode=k,
                    **outcome,
                )
            )
        episodes.append(
            rs.FeelingEpisode(
                start=_ms(e.start),
                end=_ms(e.end),
                emotion=e.emotion,
                moments=list(range(first, len(moments))),
                clear=e.clear,
                scored=a.scored,
                **outcome,
            )
        )
    return {"feeling_moments": moments, "feeling_episodes": episodes}


def load_schema() -> dict:
    """The JSON Schema of report v1 (generated from :class:`Report`: :mod:`analysis.report_schema`)."""
    text = resources.files("analysis").joinpath("schema/report-v1.schema.json").read_text()
    return json.loads(text)
