"""Every setting and threshold of the analysis, in groups, each handed only to the stage it governs.

* :class:`ModelSettings`: models and transcription (decode, transcribe, and every model's weights);
* :class:`SeparationSettings`: who spoke when (stereo activity, mono diarization, the agent's channel);
* :mod:`audio_features.thresholds`: turn-taking, tone and arousal, empathy, and the verdict policy.

Each setting is read from an environment variable, ``CALLSCOPE_<NAME>`` (one reader for the whole
project: :mod:`audio_features.environment`), and has a documented default with its source, written
beside it. Values are validated as they are read; a bad one exits 2 (``bad_setting``) with a plain
message. The README's configuration table is this file and :mod:`audio_features.thresholds`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from audio_features.environment import apply_offline_environment, default_cpu_threads, read_environment, validated
from audio_features.groups import Group as _Group
from audio_features.thresholds import (
    EmpathySettings,
    RedactionSettings,
    ToneSettings,
    TurnTakingSettings,
    VerdictSettings,
)

__all__ = [
    "ModelSettings",
    "SeparationSettings",
    "Settings",
    "apply_offline_environment",
    "default_cpu_threads",
]

#: The compute types CTranslate2 knows (this CPU offers int8, int8_float32 and float32).
COMPUTE_TYPES = ("int8", "int8_float32", "float32", "int8_float16", "float16", "default", "auto")


class ModelSettings(_Group):
    """Models and transcription: which weights, how Whisper decodes, and the input limit."""

    whisper_model: str = "base"
    """``base`` (bundled, multilingual, default), ``tiny.en`` (bundled, English only, about 2x faster), a local
    CTranslate2 model directory, or a Hugging Face hub name when online."""
    compute_type: str = "int8"
    """CTranslate2 compute type. ``int8`` is the fastest on CPUs; this CPU also offers ``int8_float32`` and
    ``float32``."""
    beam_size: int = Field(5, ge=1)
    """Whisper beam width. 5 lowers 8 kHz word error rate from 16 % to 11 % at 1.1x the time of greedy decoding
    (RECIPES.md)."""
    batch_size: int = Field(4, ge=1)
    """30-second windows Whisper decodes at once (faster-whisper's ``BatchedInferencePipeline``); 1 decodes them
    one after another. Batching halved transcription time of a 5-minute call on 2 cores, with the same words
    (bench/RESULTS.md). 4 (8 before): the same words as 8 on a 5-minute stereo call and two real calls, 0-8 %
    more transcription time on 2 cores, and 190 MB less at peak (a 5-minute stereo analysis 962 MB against
    1154 MB; mono 1851 against 2082 MB; bench/RESULTS.md, 2026-12-07 session 4)."""
    whisper_vad: bool = True
    """Whether faster-whisper's own Silero VAD (threshold 0.5) scans the speech regions again before decoding.
    Off, Whisper decodes the regions this project found (per channel, or diarization) as they are, grouped into
    its 30 s windows. On the redaction set off finds more (139 of 188 sensitive values against 128: at 8 kHz the
    second pass kept 0.9 s of a customer's 7 s reply, and a card number's 16 digits were never written), but on
    the real calls it read worse (bank mono WER 0.242 against 0.219; 5 feeling moments on the car-repair stereo
    calls against 1), so it stays on (bench/RESULTS.md, 2026-12-07 session 4)."""
    cpu_threads: int = Field(0, ge=0)
    """Threads for CTranslate2 and torch. Default: every core this process may use."""
    language: str = ""
    """ISO code such as ``en``, or empty to detect it once per call."""
    language_sure_probability: float = Field(0.8, gt=0, le=1)
    """Detection: a call's language is taken from its first 30 s window of speech when Whisper gives it this
    probability or more; below it, more windows are heard (the other channel's first, then later ones) and their
    evidence is combined (:func:`audio_features.transcription.detect_language`). 0.8: on the real calls of
    ``../shared/data/real`` every first window of each channel scored 0.88-1.00 for English; on 8 kHz synthetic
    voices of the corpus's tuning split 0.35-0.96, and one window of agent speech at 0.52 Welsh against 0.35
    English made the whole call Welsh."""
    language_detection_windows: int = Field(3, ge=1)
    """Most 30 s windows heard to detect the language (each is one encoder pass)."""
    max_duration_s: float = Field(3 * 3600.0, gt=0)
    """Longest recording accepted, s. Default 3 h; longer files are refused before they are decoded in full."""
    cache_dir: str = ""
    """Where joined and extracted model weights live."""
    segmentation_model: str = ""
    """pyannote segmentation checkpoint (file or directory holding ``pytorch_model.bin``); empty for the bundled
    segmentation-3.0."""
    embedding_model: str = ""
    """CAM++ state dict file; empty for the bundled one."""
    sentence_model: str = ""
    """Sentence-embedding model of the empathy stage: empty for the bundled all-MiniLM-L6-v2, a local sentence-
    transformers directory, or a Hugging Face hub name when online."""
    sentence_encoder: Literal["numpy", "torch"] = "numpy"
    """What runs it: ``numpy`` (:mod:`audio_features.bert_numpy`, for a mean-pooled BERT such as the bundled
    model; others fall back to torch) or ``torch`` (sentence-transformers). The same embeddings to about 1e-6;
    numpy keeps PyTorch out of a stereo analysis, which needs no other torch model (bench/RESULTS.md)."""

    @field_validator("compute_type")
    @classmethod
    def _known_compute_type(cls, value: str) -> str:
        if value not in COMPUTE_TYPES:
            raise ValueError(f"{value!r} is not a CTranslate2 compute type")
        return value

    @field_validator("cpu_threads")
    @classmethod
    def _every_core_by_default(cls, value: int) -> int:
        return value or default_cpu_threads()

    @field_validator("cache_dir")
    @classmethod
    def _user_cache_by_default(cls, value: str) -> str:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return value or str(Path(base) / "callscope")

    @property
    def models_dir(self) -> Path:
        return Path(self.cache_dir) / "models"


class SeparationSettings(_Group):
    """Who spoke when: stereo activity and the crosstalk gate, mono diarization, and the agent's channel."""

    num_speakers: int = Field(2, ge=1)
    """Speakers expected in a mono recording."""
    diarization_step: float = Field(0.2, gt=0, le=1)
    """Segmentation window step as a fraction of the 10 s window. 0.2 (2 s): measured here, DER on the fixtures
    and on conversation_30s was within 1 point of pyannote's default 0.1 (1 s) and of 0.05, at a half and a
    quarter of the embedding work, which is most of diarization's time (bench/RESULTS.md)."""
    clustering_threshold: float = 0.7
    """Agglomerative (centroid) clustering threshold on cosine distance. 0.7 is the value measured with CAM++ in
    RECIPES.md; pyannote's speaker-diarization-3.1 uses 0.7046 with its WeSpeaker embeddings."""
    agent_channel: Literal["auto", "left", "right"] = "auto"
    """``auto`` (default): the stereo channel whose words sound like the agent's is the agent
    (:mod:`audio_features.roles`); ``left`` or ``right`` sets it, and a note warns when the words point firmly
    at the other channel. Recorders differ: the real bank calls in ``../shared/data/real`` put the agent on the
    right, the car-repair calls on the left."""
    vad_threshold: float = Field(0.25, gt=0, lt=1)
    """Stereo: Silero VAD speech probability at which a frame of a channel becomes a candidate for speech (with
    Silero's hysteresis of 0.15 below it; :mod:`audio_features.vad`). Silero's own default is 0.5. 0.25: chosen
    on two real bank calls (hvb_0002, hvb_010e) and the fixture calls, where 0.5 missed the soft onsets and ends
    of telephone speech (stereo DER 0.068 and 0.067 against 0.040 and 0.021 at 0.25); on the held-out real calls
    it gave 0.052 and 0.089 (bank), 0.087 and 0.175 (car repair) against 0.099, 0.128, 0.169 and 0.268 at 0.5
    (bench/RESULTS.md). Silero's hysteresis and the floor margin below keep it off noise."""
    vad_floor_margin_db: float = 12.0
    """... and the frame must be this far above its channel's noise floor (10th percentile of its frame levels,
    digital silence left out), dB. 12 dB: the 10-15 dB range that energy detectors commonly use; it only stops
    Silero's hysteresis from carrying speech into the quiet gaps where the crosstalk gate has nothing to
    compare."""
    crosstalk_margin_db: float = 6.0
    """A candidate frame is the channel's own speech only when it is this far above the level that bleed from
    the other channel would explain. Bleed is measured per call (the level difference while only the other party
    talks); 6 dB keeps overlaps, where both parties are near their own level, and rejects bleed at -10 to -20
    dB."""
    vad_min_speech_s: float = Field(0.12, ge=0)
    """Shorter bursts are dropped (clicks, breaths)."""
    vad_min_silence_s: float = Field(0.3, ge=0)
    """Shorter gaps inside speech are bridged."""
    vad_pad_s: float = Field(0.3, ge=0)
    """Speech regions are widened by this much on each side before transcription, so that word onsets are not
    clipped. 0.3 s: on the real bank calls 0.1 s clipped first words ("Hi, my name is" heard as "Linda Garcia"),
    speaker-attributed WER 0.131 against 0.104 at 0.3 s and 0.123 at 0.5 s."""
    mirrored_channels_db: float = -30.0
    """A "stereo" file whose channels differ by less than this (difference energy relative to the signal, dB)
    carries one mix twice and is analysed as mono."""
    diarization_process: Literal["same", "own"] = "same"
    """Mono: where diarization runs. ``same``: in the analysing process, which keeps the models loaded for the
    next call (the worker, which preloads them). ``own``: in a process of its own that exits when done, so
    PyTorch and pyannote (about 1 GB) are never resident beside Whisper: a one-off ``callscope analyze`` uses
    it unless this is set (issue 19: a 5-minute mono analysis peaked at 1.78 GB in one process)."""


@dataclass(frozen=True, init=False)
class Settings:
    """All the groups. Build with :meth:`from_env`; change fields by their own names with
    ``dataclasses.replace(settings, beam_size=1)`` (or ``Settings(beam_size=1)`` from the defaults).

    A stage is handed its group (``settings.turn_taking``); a setting is also readable by its own
    name on the whole (``settings.beam_size``), for tools and tests that hold the whole.
    """

    models: ModelSettings
    separation: SeparationSettings
    turn_taking: TurnTakingSettings
    tone: ToneSettings
    empathy: EmpathySettings
    verdicts: VerdictSettings
    redaction: RedactionSettings

    def __init__(
        self,
        models: ModelSettings | None = None,
        separation: SeparationSettings | None = None,
        turn_taking: TurnTakingSettings | None = None,
        tone: ToneSettings | None = None,
        empathy: EmpathySettings | None = None,
        verdicts: VerdictSettings | None = None,
        redaction: RedactionSettings | None = None,
        **changes: object,
    ):
        given = {"models": models, "separation": separation, "turn_taking": turn_taking, "tone": tone}
        given |= {"empathy": empathy, "verdicts": verdicts, "redaction": redaction}
        unknown = set(changes) - set(self.field_names())
        if unknown:
            raise TypeError(f"no such setting: {', '.join(sorted(unknown))}")
        for f in _groups():
            group = given[f.name] or f.type_class()
            mine = {k: v for k, v in changes.items() if k in f.type_class.model_fields}
            if mine:
                group = validated(f.type_class, {**group.model_dump(), **mine})
            object.__setattr__(self, f.name, group)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``CALLSCOPE_*`` variables; keyword overrides (from CLI flags) win, and None ones are ignored."""
        return cls(**{f.name: read_environment(f.type_class, environ, overrides) for f in _groups()})

    @classmethod
    def field_names(cls) -> list[str]:
        """Every setting's name, group by group."""
        return [name for f in _groups() for name in f.type_class.model_fields]

    def __getattr__(self, name: str):
        for f in _groups():
            group = object.__getattribute__(self, f.name)
            if name in f.type_class.model_fields or isinstance(getattr(type(group), name, None), property):
                return getattr(group, name)
        raise AttributeError(f"no setting {name!r}")


@dataclass(frozen=True)
class _GroupField:
    name: str
    type_class: type


def _groups() -> list[_GroupField]:
    types = {
        "models": ModelSettings,
        "separation": SeparationSettings,
        "turn_taking": TurnTakingSettings,
        "tone": ToneSettings,
        "empathy": EmpathySettings,
        "verdicts": VerdictSettings,
        "redaction": RedactionSettings,
    }
    return [_GroupField(f.name, types[f.name]) for f in fields(Settings)]
