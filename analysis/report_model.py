"""The call report, schema v1, as one typed model: the JSON report, its JSON Schema and its document.

Every reader (the text summary, the review page, the calls list and its CSV) reads these classes,
and ``analysis/schema/report-v1.schema.json`` and ``docs/report-schema.md`` are generated from them
(:mod:`analysis.report_schema`). Times are seconds from the start of the recording, rounded to
milliseconds (as pyannote's ``serialize`` does). Sections a stage adds are absent, not null, when
that stage did not run (no tone from a transcript): a report never carries a placeholder.

**Changing the schema.** ``schema_version`` is ``1.<minor>``. A field added where readers may
ignore it raises the minor number; a field removed, renamed or given another meaning makes
version 2, with its own schema file. Record each change in :data:`HISTORY`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_serializer
from pydantic.json_schema import SkipJsonSchema

from analysis.names import Mode
from analysis.report_sections import (
    ArousalEvent,
    Backchannel,
    FeelingEpisode,
    FeelingMoment,
    Interruption,
    Metrics,
    Span,
    ToneTimeline,
    Verdicts,
    _Model,
)
from audio_features.parties import Role

__all__ = [
    "SCHEMA_VERSION",
    "AgentAssignment",
    "CallInfo",
    "Redaction",
    "Report",
    "Speaker",
    "Timings",
    "Turn",
]

SCHEMA_VERSION = "1.5"
#: What each minor version added (the schema document lists it).
HISTORY = (
    "1.1 added the turn-taking fields (`metrics`, `interruptions`, `backchannels`, `silences`, "
    "`verdicts.listened_without_interrupting`); 1.2 added `tone_timeline`; 1.3 added `arousal_events`, "
    "`metrics.agent_arousal`, `metrics.customer_arousal`, `verdicts.stayed_calm`, the baseline's `until_s`, "
    "each turn's `rate_wpm` and `syllables_per_s`, then `feeling_moments`, `verdicts.acknowledged_feelings`, "
    "`timings.empathy_s` and the `transcript` mode. 1.4 added `feeling_episodes` and each feeling moment's "
    "`episode`; the verdict scores episodes, and a moment's acknowledgement fields are its episode's. In 1.4 "
    "the agent is found from what each party says on stereo calls too (`agent_assignment.rule` "
    "`agent_phrases`, which replaces `opening_phrases`); `agent_channel` now means the channel was set. "
    "1.5 added `redactions`: the sensitive spans taken out of every text of the report (and of the stored "
    "recording), each shown in the texts as `[CARD]`, `[CVV]`, `[EMAIL]` and so on."
)

Seconds = float


class Source(_Model):
    """The input file."""

    file: str = Field(description="File name only, never the full path.")
    container: str = Field(description="FFmpeg container name, e.g. wav, mp3, flac, ogg; json for a transcript.")
    codec: str | None = Field(description="FFmpeg codec name, e.g. pcm_mulaw, mp3float, opus, aac.")
    size_bytes: int = Field(ge=1)


class ModelUsed(_Model):
    """A model a stage used, with its version and settings (provenance)."""

    task: Literal["transcription", "diarization", "sentence_embedding"]
    name: str
    details: dict[str, Any] = Field(description="Versions, paths, compute type, beam size, thresholds.")


class CallInfo(_Model):
    """What was analysed, and how."""

    source: Source
    duration_s: Seconds = Field(gt=0, description="Decoded duration; for a transcript, the end of its last turn.")
    sample_rate: int | None = Field(ge=1, description="The file's own sample rate, Hz.")
    channels: int | None = Field(ge=1, description="The file's own channel count.")
    analysis_sample_rate: Literal[16000] | None = Field(
        description="Rate every audio stage works at, Hz; null for a transcript."
    )
    mode: Mode = Field(
        description="stereo: one party per channel; mono: diarized (also a two-channel file whose channels are "
        "the same mix); transcript: turns given by the user (no audio)."
    )
    has_speech: bool = Field(description="False for silence or noise only.")
    language: str | None = Field(description="Detected (or configured) language.")
    language_probability: float | None = Field(ge=0, le=1)
    models: list[ModelUsed]


class Speaker(_Model):
    """One party of the call."""

    role: Role
    source: str = Field(
        pattern=r"^(channel:(left|right)|diarization:.+|transcript)$",
        description="Where the party's speech came from: a channel, a diarized speaker, or the transcript.",
    )
    speech_s: Seconds = Field(ge=0)
    segments: list[tuple[Annotated[Seconds, Field(ge=0)], Annotated[Seconds, Field(ge=0)]]] = Field(
        description="[start, end] pairs of detected speech."
    )


class AgentAssignment(_Model):
    """How the agent was chosen (a note warns when a setting and the phrases disagree)."""

    rule: Literal[
        "agent_channel", "override", "agent_phrases", "first_speaker", "single_speaker", "none", "transcript"
    ] = Field(
        description="agent_channel or override: set by the user; agent_phrases: found from what each party said; "
        "first_speaker, single_speaker, transcript or none."
    )
    confidence: float = Field(ge=0, le=1)
    evidence: str = Field(description="The phrases found for each party, for a reviewer to check.")


class Word(_Model):
    """A word as Whisper heard it: times in s, and how sure it was (0..1)."""

    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)
    text: str = Field(min_length=1)
    probability: float = Field(ge=0, le=1)


class Turn(_Model):
    """One party's turn; the two parties' turns may overlap (a backchannel over a long explanation is a short
    turn of its own and does not split the explanation)."""

    speaker: Role
    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)
    text: str
    rate_wpm: float | None = Field(
        ge=0,
        description="Articulation rate of the turn, words per minute (audio_features/pace.py); null under 3 words.",
    )
    syllables_per_s: float | None = Field(
        ge=0, description="Syllables per second of articulation time; null when not English."
    )
    words: list[Word] = Field(min_length=1)


class Timings(_Model):
    """Seconds per stage (a transcript has no separate, transcribe or attribute stage), the total, and the
    real-time factor."""

    decode_s: Seconds = Field(ge=0)
    separate_s: Seconds | SkipJsonSchema[None] = Field(default=None, ge=0)
    transcribe_s: Seconds | SkipJsonSchema[None] = Field(default=None, ge=0)
    attribute_s: Seconds | SkipJsonSchema[None] = Field(default=None, ge=0)
    measure_s: Seconds = Field(ge=0)
    empathy_s: Seconds = Field(ge=0)
    judge_s: Seconds = Field(ge=0)
    total_s: Seconds = Field(ge=0)
    real_time_factor: float = Field(ge=0, description="Processing seconds per audio second.")

    @model_serializer(mode="wrap")
    def _absent_stages(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class Redaction(_Model):
    """A sensitive span taken out of the report's texts and the stored recording (analysis/redact.py). Its value
    is never kept: only its kind and time."""

    type: Literal["CARD", "CVV", "EXPIRY", "SORT_CODE", "ACCOUNT", "SSN", "NINO", "PHONE", "EMAIL", "POSTCODE"] = Field(
        description="The kind; the texts show it as [CARD], [CVV] and so on."
    )
    start: Seconds = Field(ge=0)
    end: Seconds = Field(ge=0)
    speaker: Role = Field(description="Who said its first word.")
    luhn_valid: bool | SkipJsonSchema[None] = Field(
        default=None, description="Card numbers only: whether the digits heard pass the Luhn check."
    )

    @model_serializer(mode="wrap")
    def _no_null(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


#: The report's sections that a stage adds: absent, not null, when the stage did not run.
OPTIONAL_SECTIONS = ("tone_timeline", "arousal_events", "feeling_moments", "feeling_episodes", "redactions")


class Report(_Model):
    """One analysed call. Times are seconds from the start of the recording, rounded to milliseconds."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="callscope call report")

    schema_version: str = Field(
        pattern=r"^1\.[0-9]+$", description="1.<minor>: additive changes raise the minor number."
    )
    call: CallInfo
    speakers: list[Speaker]
    agent_assignment: AgentAssignment
    turns: list[Turn]
    metrics: Metrics
    interruptions: list[Interruption]
    backchannels: list[Backchannel]
    silences: list[Span] = Field(description="Silences of at least long_silence_s.")
    verdicts: Verdicts
    tone_timeline: ToneTimeline | SkipJsonSchema[None] = None
    arousal_events: list[ArousalEvent] | SkipJsonSchema[None] = Field(
        default=None,
        description="Sustained stretches above a party's own baseline; definitions in audio_features/arousal.py.",
    )
    feeling_moments: list[FeelingMoment] | SkipJsonSchema[None] = Field(
        default=None,
        description="Customer turns that express a feeling; each carries its episode's acknowledgement; "
        "definitions in audio_features/empathy.py.",
    )
    feeling_episodes: list[FeelingEpisode] | SkipJsonSchema[None] = Field(
        default=None,
        description="The customer's feeling moments grouped into episodes (one trouble each), with the agent's "
        "acknowledgement or the reply that was not one; the verdict scores episodes.",
    )
    redactions: list[Redaction] | SkipJsonSchema[None] = Field(
        default=None,
        description="Sensitive spans taken out (absent when redaction is off: CALLSCOPE_REDACT=0).",
    )
    notes: list[str] = Field(description="Warnings a reviewer should read, e.g. no speech.")
    timings: Timings

    @model_serializer(mode="wrap")
    def _absent_sections(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None or k not in OPTIONAL_SECTIONS}

    def to_json(self) -> dict:
        """The report as JSON-ready data (the form the API serves and the database keeps)."""
        return self.model_dump(mode="json")
