"""What each stage of the pipeline returns: frozen dataclasses, each carrying its own model provenance.

The pipeline (:mod:`analysis.pipeline`) composes them in order, each stage taking the earlier ones'
results and nothing else, and never filling one in afterwards:

1. :class:`Separation`: who spoke when, before anyone is named;
2. :class:`Transcription`: what was said, on which track;
3. :class:`Attribution`: words to speakers, speakers to roles, words to turns;
4. :class:`Measures`: turn-taking, talk metrics, tone, arousal and each turn's pace;
5. :class:`Empathy`: the customer's feelings and the agent's acknowledgements;
6. :class:`Judgement`: the verdicts.

:class:`CallAnalysis` holds them all, with what was read from the input (:class:`Source`), the
notes for a reviewer and the seconds each stage took. The report is built from it in one place
(:mod:`analysis.report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from analysis.names import Mode, VerdictName

if TYPE_CHECKING:  # type names only: this module stays light
    import numpy as np
    from pyannote.core import Annotation, Timeline

    from analysis.verdicts import Verdict
    from audio_features.acknowledgements import Acknowledgement
    from audio_features.arousal import ArousalSummary
    from audio_features.empathy import FeelingMoment
    from audio_features.parties import Role
    from audio_features.talk_metrics import TalkMetrics
    from audio_features.tone import PartyTone
    from audio_features.transcription import Word
    from audio_features.turn_taking import TurnTaking
    from audio_features.turns import Turn

__all__ = [
    "Attribution",
    "CallAnalysis",
    "Empathy",
    "Judgement",
    "Measures",
    "ModelInfo",
    "Separation",
    "Source",
    "SpeakerInfo",
    "Transcription",
]


@dataclass(frozen=True)
class ModelInfo:
    """A model a stage used, for the report's provenance."""

    task: str
    name: str
    details: dict[str, object]


@dataclass(frozen=True)
class Source:
    """What the input was.

    Attributes:
        file: The name shown for it (never a path).
        container: FFmpeg's container name; ``json`` for a transcript.
        codec: FFmpeg's codec name; None for a transcript.
        size_bytes: Its size.
        duration_s: Decoded length; for a transcript, the end of its last turn, s.
        sample_rate: The file's own rate, Hz (None for a transcript).
        channels: The file's own channel count (None for a transcript).
        analysis_sample_rate: The rate every audio stage works at, Hz (None for a transcript).
    """

    file: str
    container: str
    codec: str | None
    size_bytes: int
    duration_s: float
    sample_rate: int | None = None
    channels: int | None = None
    analysis_sample_rate: int | None = None


@dataclass(frozen=True)
class Separation:
    """Stage 2: each track label's speech, before anyone is named.

    Attributes:
        mode: Stereo (a label per channel) or mono (a label per diarized speaker).
        speech: Each label's speech, overlaps included, in label order.
        tracks: Each channel's signal (stereo); the one track, as ``mix`` (mono).
        exclusive: Mono: the overlap-free diarization that words are attributed by.
        models: The diarization models used (none in stereo).
    """

    mode: Mode
    speech: dict[str, Timeline]
    tracks: dict[str, np.ndarray]
    exclusive: Annotation | None = None
    models: tuple[ModelInfo, ...] = ()


@dataclass(frozen=True)
class Transcription:
    """Stage 3: the words of each track Whisper heard, in the order the tracks were transcribed.

    Attributes:
        words: By track: ``left``/``right`` in stereo, ``mix`` in mono.
        language: Detected or configured language (None when nothing was heard and none was set).
        language_probability: How sure detection was (None when set, or nothing was heard).
        model: Whisper's provenance.
    """

    words: dict[str, list[Word]]
    language: str | None
    language_probability: float | None
    model: ModelInfo


@dataclass(frozen=True)
class SpeakerInfo:
    """One party of the call.

    Attributes:
        role: Agent or customer.
        source: Where the party's speech came from: ``channel:left``,
            ``diarization:SPEAKER_00`` or ``transcript``.
        speech_s: Seconds of detected speech.
        segments: Detected speech regions, (start, end) in s.
    """

    role: Role
    source: str
    speech_s: float
    segments: list[tuple[float, float]]


@dataclass(frozen=True)
class Attribution:
    """Stage 4: who is the agent, and the turns of each party.

    Attributes:
        speakers: The parties, agent first.
        turns: Word turns, by start time (:mod:`audio_features.turns`).
        rule, confidence, evidence: How the agent was chosen (:mod:`audio_features.roles`).
        tracks: The signal each role's tone is measured on (empty for a transcript).
        notes: What a reviewer should check (a low-confidence agent, more than two speakers).
    """

    speakers: list[SpeakerInfo]
    turns: list[Turn]
    rule: str
    confidence: float
    evidence: str
    tracks: dict[Role, np.ndarray] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measures:
    """Stage 5: turn-taking, talk metrics, tone and arousal (the last two need audio).

    Attributes:
        turn_taking: Backchannels, interruptions and switches.
        talk: Talk metrics per party.
        tone: Each party's tone timeline (empty for a transcript).
        arousal: Each party's arousal events (empty for a transcript).
        turn_rates: Per turn: articulation rate (words per minute) and syllables per second (English).
    """

    turn_taking: TurnTaking
    talk: TalkMetrics
    tone: dict[Role, PartyTone]
    arousal: dict[Role, ArousalSummary]
    turn_rates: list[tuple[float | None, float | None]]


@dataclass(frozen=True)
class Empathy:
    """Stage 6: feeling moments and their acknowledgements; ``model`` is None when the customer said nothing."""

    feelings: list[FeelingMoment] = field(default_factory=list)
    acknowledgements: list[Acknowledgement] = field(default_factory=list)
    model: ModelInfo | None = None


@dataclass(frozen=True)
class Judgement:
    """Stage 7: each verdict, in report order (``stayed_calm`` needs audio)."""

    verdicts: dict[VerdictName, Verdict]


@dataclass(frozen=True)
class CallAnalysis:
    """Everything the pipeline measured about one call, stage by stage."""

    source: Source
    mode: Mode
    attribution: Attribution
    measures: Measures
    empathy: Empathy
    judgement: Judgement
    separation: Separation | None = None
    transcription: Transcription | None = None
    language: str | None = None
    language_probability: float | None = None
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def has_speech(self) -> bool:
        return bool(self.attribution.turns)

    @property
    def duration_s(self) -> float:
        return self.source.duration_s

    @property
    def models(self) -> list[ModelInfo]:
        """Every model used, in the order the stages ran."""
        out = list(self.separation.models) if self.separation else []
        if self.transcription is not None:
            out.append(self.transcription.model)
        if self.empathy.model is not None:
            out.append(self.empathy.model)
        return out
