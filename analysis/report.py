"""The JSON report, schema v1, built from a :class:`CallAnalysis` in one place.

Times are in seconds, rounded to milliseconds (as pyannote's ``serialize``
does). The schema lives in ``analysis/schema/report-v1.schema.json`` and is
documented in ``docs/report-schema.md``. Fields that later stages add
are absent when their stage did not run (tone from a transcript): a report
never carries a placeholder.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from importlib import resources
from pathlib import Path

from analysis.pipeline import CallAnalysis
from audio_features.pace import articulation_rate_wpm, syllable_rate

__all__ = ["SCHEMA_VERSION", "build_report", "load_schema"]

SCHEMA_VERSION = "1.4"


def _ms(t: float) -> float:
    return round(float(t), 3)


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(float(x), digits)


def build_report(analysis: CallAnalysis) -> dict:
    """The report as plain JSON-ready data."""
    audio = analysis.audio
    total = analysis.timings.get("total_s", sum(analysis.timings.values()))
    return {
        "schema_version": SCHEMA_VERSION,
        "call": {
            "source": {
                "file": Path(analysis.path).name,
                "container": audio.container if audio else "json",
                "codec": audio.codec if audio else None,
                "size_bytes": audio.size_bytes if audio else Path(analysis.path).stat().st_size,
            },
            "duration_s": _ms(analysis.duration_s),
            "sample_rate": audio.source_sample_rate if audio else None,
            "channels": audio.source_channels if audio else None,
            "analysis_sample_rate": audio.sample_rate if audio else None,
            "mode": analysis.mode,
            "has_speech": analysis.has_speech,
            "language": analysis.language,
            "language_probability": None
            if analysis.language_probability is None
            else round(analysis.language_probability, 3),
            "models": [asdict(m) for m in analysis.models],
        },
        "speakers": [
            {
                "role": s.role,
                "source": s.source,
                "speech_s": _ms(s.speech_s),
                "segments": [[_ms(a), _ms(b)] for a, b in s.segments],
            }
            for s in analysis.speakers
        ],
        "agent_assignment": {
            "rule": analysis.role_rule,
            "confidence": round(analysis.role_confidence, 2),
            "evidence": analysis.role_evidence,
        },
        "turns": [
            {
                "speaker": t.speaker,
                "start": _ms(t.start),
                "end": _ms(t.end),
                "text": t.text,
                "rate_wpm": _round(articulation_rate_wpm(t.words), 0),
                "syllables_per_s": _round(syllable_rate(t.words, analysis.language), 2),
                "words": [
                    {"start": _ms(w.start), "end": _ms(w.end), "text": w.text, "probability": round(w.probability, 3)}
                    for w in t.words
                ],
            }
            for t in analysis.turns
        ],
        **_turn_taking(analysis),
        **_tone(analysis),
        **_arousal(analysis),
        **_feelings(analysis),
        "notes": list(analysis.notes),
        "timings": {
            **{k: round(v, 3) for k, v in analysis.timings.items()},
            "real_time_factor": round(total / max(analysis.duration_s, 1e-9), 4),
        },
    }


def _party(metrics, name: str):
    return {p: getattr(m, name) for p, m in metrics.parties.items()}


def _verdict(v) -> dict:
    return {
        "result": v.result.value,
        "score": v.score,
        "reasons": list(v.reasons),
        "evidence": [
            {"start": _ms(e.start), "end": _ms(e.end), "speaker": e.speaker, "text": e.text} for e in v.evidence
        ],
        "thresholds": dict(v.thresholds),
    }


def _turn_taking(analysis: CallAnalysis) -> dict:
    m, tt = analysis.metrics, analysis.turn_taking
    if m is None or tt is None:
        return {}

    def opt(x):
        return None if x is None else _ms(x)

    longest = m.longest_silence
    return {
        "metrics": {
            "talk_time_s": {p: _ms(v) for p, v in _party(m, "talk_time_s").items()},
            "talk_ratio": None if m.talk_ratio is None else round(m.talk_ratio, 3),
            "silence_s": _ms(m.silence_s),
            "longest_silence": None
            if longest is None
            else {"start": _ms(longest.start), "end": _ms(longest.end), "duration_s": _ms(longest.duration_s)},
            "longest_monologue": {
                p: {"duration_s": _ms(pm.longest_monologue_s), "start": opt(pm.longest_monologue_start)}
                for p, pm in m.parties.items()
            },
            "turns": _party(m, "turns"),
            "turn_switches": m.turn_switches,
            "switches_per_minute": round(m.switches_per_minute, 2),
            "interruptions": {
                p: {"count": pm.interruptions, "duration_s": _ms(pm.interruption_s)} for p, pm in m.parties.items()
            },
            "backchannels": _party(m, "backchannels"),
            "patience_s": {"mean": opt(m.patience_mean_s), "median": opt(m.patience_median_s)},
            **_arousal_metrics(analysis),
        },
        "interruptions": [
            {
                "start": _ms(i.start),
                "end": _ms(i.end),
                "by": i.by,
                "interrupted": i.interrupted,
                "overlap_s": _ms(i.overlap_s),
                "interrupted_words_after": i.interrupted_words_after,
                "successful": bool(i.successful),
                "evidence": [
                    {"start": _ms(i.start), "end": _ms(i.end), "speaker": i.interrupted, "text": i.text_interrupted},
                    {"start": _ms(i.start), "end": _ms(i.end), "speaker": i.by, "text": i.text_by},
                ],
            }
            for i in tt.interruptions
        ],
        "backchannels": [
            {"start": _ms(b.start), "end": _ms(b.end), "speaker": b.speaker, "text": b.text} for b in tt.backchannels
        ],
        "silences": [
            {"start": _ms(s.start), "end": _ms(s.end), "duration_s": _ms(s.duration_s)} for s in m.long_silences
        ],
        "verdicts": {name: _verdict(v) for name, v in analysis.verdicts.items()},
    }


def _series(values, digits: int) -> list:
    return [None if not math.isfinite(v) else round(float(v), digits) for v in values]


def _tone(analysis: CallAnalysis) -> dict:
    if not analysis.tone:
        return {}
    parties = {}
    for party, tone in analysis.tone.items():
        parties[party] = {
            "baseline": {
                "pitch_hz": None if tone.baseline_pitch_hz is None else round(tone.baseline_pitch_hz, 1),
                "level_dbfs": None if tone.baseline_level_dbfs is None else round(tone.baseline_level_dbfs, 1),
                "rate_wpm": None if tone.baseline_rate_wpm is None else round(tone.baseline_rate_wpm),
                "until_s": None if tone.baseline_until is None else _ms(tone.baseline_until),
            },
            "pitch_hz": _series(tone.pitch_hz, 1),
            "pitch_st": _series(tone.pitch_st, 2),
            "loudness_db": _series(tone.loudness_db, 1),
            "rate_wpm": _series(tone.rate_wpm, 0),
            "speaking": [bool(x) for x in tone.speaking],
        }
    first = next(iter(analysis.tone.values()))
    return {
        "tone_timeline": {
            "resolution_s": round(float(first.times[1] - first.times[0]), 3) if first.times.size > 1 else None,
            "t": _series(first.times, 3),
            "parties": parties,
        }
    }


def _arousal_event(e) -> dict:
    return {
        "speaker": e.speaker,
        "start": _ms(e.start),
        "end": _ms(e.end),
        "aroused_s": _ms(e.aroused_s),
        "loudness_db": _round(e.loudness_db, 1),
        "pitch_st": _round(e.pitch_st, 2),
        "rate_pct": _round(e.rate_pct, 0),
        "cues": list(e.cues),
        "text": e.text,
    }


def _arousal(analysis: CallAnalysis) -> dict:
    """``arousal_events`` at the top level; each party's summary goes into ``metrics``."""
    if not analysis.arousal:
        return {}
    events = sorted((e for a in analysis.arousal.values() for e in a.events), key=lambda e: e.start)
    return {"arousal_events": [_arousal_event(e) for e in events]}


def _reply(r) -> dict | None:
    return None if r is None else {"start": _ms(r.start), "end": _ms(r.end), "text": r.text}


def _feelings(analysis: CallAnalysis) -> dict:
    """``feeling_moments`` (each with its episode's acknowledgement) and ``feeling_episodes``."""
    if not any(m.task == "sentence_embedding" for m in analysis.models):
        return {}
    moments, episodes = [], []
    for k, a in enumerate(analysis.acknowledgements):
        e = a.episode
        first = len(moments)
        for m in e.moments:
            moments.append(
                {
                    "start": _ms(m.start),
                    "end": _ms(m.end),
                    "text": m.text,
                    "emotion": m.emotion,
                    "confidence": round(m.confidence, 3),
                    "cues": list(m.cues),
                    "episode": k,
                    "acknowledged": a.acknowledged,
                    "reply": _reply(a.reply),
                    "delay_s": None if a.delay_s is None else _ms(a.delay_s),
                    "credit": round(a.credit, 3),
                }
            )
        episodes.append(
            {
                "start": _ms(e.start),
                "end": _ms(e.end),
                "emotion": e.emotion,
                "moments": list(range(first, len(moments))),
                "clear": e.clear,
                "scored": a.scored,
                "acknowledged": a.acknowledged,
                "reply": _reply(a.reply),
                "delay_s": None if a.delay_s is None else _ms(a.delay_s),
                "credit": round(a.credit, 3),
            }
        )
    return {"feeling_moments": moments, "feeling_episodes": episodes}


def _arousal_metrics(analysis: CallAnalysis) -> dict:
    out = {}
    for party, a in analysis.arousal.items():
        out[f"{party}_arousal"] = {
            "events": len(a.events),
            "aroused_s": _ms(a.aroused_s),
            "share_of_speech": round(a.share, 3),
            "peak_loudness_db": _round(a.peak_loudness_db, 1),
            "peak_pitch_st": _round(a.peak_pitch_st, 2),
            "peak_rate_pct": _round(a.peak_rate_pct, 0),
        }
    return out


def load_schema() -> dict:
    """The JSON Schema of report v1."""
    text = resources.files("analysis").joinpath("schema/report-v1.schema.json").read_text()
    return json.loads(text)
