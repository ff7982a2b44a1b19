"""The JSON report, schema v1, built from a :class:`CallAnalysis` in one place.

Times are in seconds, rounded to milliseconds (as pyannote's ``serialize``
does). The schema lives in ``workers/schema/report-v1.schema.json`` and is
documented in ``docs/report-schema.md``. Fields that later stages add
(``metrics``, ``interruptions``, ``tone_timeline``, ``verdicts``) are absent
until those stages exist: a report never carries a placeholder.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources
from pathlib import Path

from workers.pipeline import CallAnalysis

__all__ = ["SCHEMA_VERSION", "build_report", "load_schema"]

SCHEMA_VERSION = "1.0"


def _ms(t: float) -> float:
    return round(float(t), 3)


def build_report(analysis: CallAnalysis) -> dict:
    """The report as plain JSON-ready data."""
    audio = analysis.audio
    total = analysis.timings.get("total_s", sum(analysis.timings.values()))
    return {
        "schema_version": SCHEMA_VERSION,
        "call": {
            "source": {
                "file": Path(analysis.path).name,
                "container": audio.container,
                "codec": audio.codec,
                "size_bytes": audio.size_bytes,
            },
            "duration_s": _ms(audio.duration_s),
            "sample_rate": audio.source_sample_rate,
            "channels": audio.source_channels,
            "analysis_sample_rate": audio.sample_rate,
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
                "words": [
                    {"start": _ms(w.start), "end": _ms(w.end), "text": w.text, "probability": round(w.probability, 3)}
                    for w in t.words
                ],
            }
            for t in analysis.turns
        ],
        "notes": list(analysis.notes),
        "timings": {
            **{k: round(v, 3) for k, v in analysis.timings.items()},
            "real_time_factor": round(total / max(audio.duration_s, 1e-9), 4),
        },
    }


def load_schema() -> dict:
    """The JSON Schema of report v1."""
    text = resources.files("workers").joinpath("schema/report-v1.schema.json").read_text()
    return json.loads(text)
