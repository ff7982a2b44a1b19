"""The analysis pipeline: one recording in, one :class:`CallAnalysis` out.

Data flows one way, each stage taking only the previous stages' output:

1. **decode** (:mod:`audio_features.decode`): the file, once, to 16 kHz.
2. **separate**: who spoke when. Stereo: per-channel activity with the
   crosstalk gate (:mod:`audio_features.activity`). Mono: pyannote
   diarization (:mod:`audio_features.diarization`). Diarization runs before
   transcription: running faster-whisper first made diarization in the same
   process 1.5-2x slower (RECIPES.md).
3. **transcribe** (:mod:`audio_features.transcription`): stereo, each channel
   on its own, over its own party's speech only (so the other party's bleed
   is not transcribed twice); mono, the track once, over the diarized speech.
4. **attribute**: words to speakers, speakers to roles, words to turns
   (:mod:`audio_features.turns`, :mod:`audio_features.roles`).
5. **measure**: turn-taking, talk metrics, the tone timeline and arousal
   events (:mod:`audio_features.turn_taking`, :mod:`audio_features.talk_metrics`,
   :mod:`audio_features.tone`, :mod:`audio_features.arousal`).
6. **empathy**: the customer's feeling moments and the agent's
   acknowledgements (:mod:`audio_features.empathy`).
7. **judge**: the verdicts, each with its evidence (:mod:`analysis.verdicts`).

:func:`analyze_transcript` runs stages 5 to 7 on turns the user already has:
no audio, so no tone, arousal or "stayed calm".

The report is built from the result in :mod:`analysis.report`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from analysis.verdicts import Verdict
from audio_features.arousal import ArousalSummary
from audio_features.config import Settings
from audio_features.decode import DecodedAudio, decode_file
from audio_features.empathy import Acknowledgement, FeelingMoment
from audio_features.errors import ConfigError
from audio_features.talk_metrics import TalkMetrics
from audio_features.tone import PartyTone
from audio_features.turn_taking import TurnTaking

__all__ = ["CallAnalysis", "ModelInfo", "SpeakerInfo", "analyze_file", "analyze_transcript"]

ProgressHook = Callable[[str, float], None]
CHANNEL_NAMES = ("left", "right")


@dataclass(frozen=True)
class SpeakerInfo:
    """One party of the call.

    Attributes:
        role: ``agent`` or ``customer``.
        source: Where the party's speech came from: ``channel:left`` or
            ``diarization:SPEAKER_00``.
        speech_s: Seconds of detected speech.
        segments: Detected speech regions, (start, end) in s.
    """

    role: str
    source: str
    speech_s: float
    segments: list[tuple[float, float]]


@dataclass(frozen=True)
class ModelInfo:
    """A model used, for the report's provenance."""

    task: str
    name: str
    details: dict[str, object]


@dataclass
class CallAnalysis:
    """Everything the pipeline measured about one call."""

    path: str
    audio: DecodedAudio | None
    mode: str
    speakers: list[SpeakerInfo]
    turns: list
    role_rule: str
    role_confidence: float
    role_evidence: str
    language: str | None
    language_probability: float | None
    models: list[ModelInfo]
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)
    tracks: dict[str, np.ndarray] = field(default_factory=dict)
    turn_taking: TurnTaking | None = None
    metrics: TalkMetrics | None = None
    tone: dict[str, PartyTone] = field(default_factory=dict)
    arousal: dict[str, ArousalSummary] = field(default_factory=dict)
    feelings: list[FeelingMoment] = field(default_factory=list)
    acknowledgements: list[Acknowledgement] = field(default_factory=list)
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    @property
    def has_speech(self) -> bool:
        return bool(self.turns)

    @property
    def duration_s(self) -> float:
        """The recording's length; for a transcript, the end of its last turn (s)."""
        if self.audio is not None:
            return self.audio.duration_s
        return max((t.end for t in self.turns), default=0.0)


def _padded(timeline, pad_s: float, duration_s: float) -> list[tuple[float, float]]:
    """Speech regions widened by ``pad_s`` (so word edges are not clipped), merged, within the call."""
    return [(max(0.0, s.start - pad_s), min(duration_s, s.end + pad_s)) for s in timeline.support(collar=2 * pad_s)]


def _segments(timeline) -> list[tuple[float, float]]:
    return [(round(s.start, 3), round(s.end, 3)) for s in timeline]


def _whisper_info(settings: Settings) -> ModelInfo:
    import ctranslate2
    import faster_whisper

    from audio_features.model_store import whisper_model_path

    return ModelInfo(
        task="transcription",
        name=f"whisper-{settings.whisper_model}" if "/" not in settings.whisper_model else settings.whisper_model,
        details={
            "path": whisper_model_path(settings),
            "faster_whisper": faster_whisper.__version__,
            "ctranslate2": ctranslate2.__version__,
            "compute_type": settings.compute_type,
            "beam_size": settings.beam_size,
            "cpu_threads": settings.cpu_threads,
        },
    )


class _Stages:
    """Times each stage and forwards progress as (stage, overall fraction 0..1)."""

    WEIGHTS: ClassVar[dict[str, float]] = {
        "decode": 0.05,
        "separate": 0.3,
        "transcribe": 0.55,
        "attribute": 0.02,
        "measure": 0.04,
        "empathy": 0.03,
        "judge": 0.01,
    }

    def __init__(self, hook: ProgressHook | None):
        self.hook = hook
        self.timings: dict[str, float] = {}
        self._done = 0.0

    @contextmanager
    def stage(self, name: str) -> Iterator[Callable[[float], None]]:
        """Time the block; yields a callback taking the stage's own fraction done."""
        weight, done = self.WEIGHTS[name], self._done

        def progress(fraction: float) -> None:
            if self.hook is not None:
                self.hook(name, min(1.0, done + weight * fraction))

        progress(0.0)
        start = time.perf_counter()
        yield progress
        self.timings[f"{name}_s"] = time.perf_counter() - start
        self._done = done + weight


def analyze_file(
    path: str | Path,
    settings: Settings,
    *,
    agent_speaker: str | None = None,
    progress: ProgressHook | None = None,
) -> CallAnalysis:
    """Analyse one recording.

    Args:
        path: The recording.
        settings: Models, thresholds and the agent channel.
        agent_speaker: Mono only: the diarization label of the agent,
            overriding the rule in :mod:`audio_features.roles`.
        progress: Called with (stage name, overall fraction 0..1).

    Raises:
        AudioError: the file is refused (see :mod:`audio_features.decode`).
        ModelError: weights missing or corrupt.
    """
    started = time.perf_counter()
    stages = _Stages(progress)
    with stages.stage("decode"):
        audio = decode_file(path, max_duration_s=settings.max_duration_s)
    notes: list[str] = []
    from audio_features.activity import channels_are_mirrored

    if audio.channels == 2 and channels_are_mirrored(audio.samples, threshold_db=settings.mirrored_channels_db):
        notes.append("The two channels carry the same audio, so the call was analysed as mono (diarized).")
        mono = audio.samples.mean(axis=0)
        analysis = _analyze_mono(path, audio, mono, settings, stages, agent_speaker, notes)
    elif audio.channels == 2:
        if agent_speaker is not None:
            raise ConfigError("--agent-speaker applies to mono calls; use --agent-channel for stereo")
        analysis = _analyze_stereo(path, audio, settings, stages, notes)
    else:
        analysis = _analyze_mono(path, audio, audio.samples[0], settings, stages, agent_speaker, notes)
    if not analysis.turns:
        analysis.notes.append("No speech was detected in this recording.")
    _measure_and_judge(analysis, settings, stages)
    analysis.timings["total_s"] = time.perf_counter() - started
    return analysis


def analyze_transcript(
    path: str | Path,
    settings: Settings,
    *,
    agent_label: str = "agent",
    progress: ProgressHook | None = None,
) -> CallAnalysis:
    """Analyse turns the user already has (:mod:`audio_features.transcript_file`).

    Yields turn-taking where the turns' times allow, the empathy stage and
    the verdicts that rest on text and timing; tone is absent, not faked.

    Raises:
        BadTranscript: the file is not a list of turns.
    """
    from audio_features.transcript_file import load_transcript

    started = time.perf_counter()
    stages = _Stages(progress)
    with stages.stage("decode"):
        turns = load_transcript(path, agent_label)
    analysis = CallAnalysis(
        path=str(path),
        audio=None,
        mode="transcript",
        speakers=[],
        turns=turns,
        role_rule="transcript",
        role_confidence=1.0,
        role_evidence=f"the transcript labels the agent {agent_label!r}",
        language=settings.language or None,
        language_probability=None,
        models=[],
        timings=stages.timings,
        notes=["Analysed from a transcript: tone, arousal and the verdict 'stayed calm' need the audio."],
    )
    for role in ("agent", "customer"):
        own = [t for t in turns if t.speaker == role]
        analysis.speakers.append(
            SpeakerInfo(
                role=role,
                source="transcript",
                speech_s=round(sum(t.end - t.start for t in own), 3),
                segments=[(round(t.start, 3), round(t.end, 3)) for t in own],
            )
        )
    _measure_and_judge(analysis, settings, stages)
    analysis.timings["total_s"] = time.perf_counter() - started
    return analysis


def _sentence_model_info(settings: Settings) -> ModelInfo:
    from audio_features.model_store import sentence_model_path

    return ModelInfo(
        task="sentence_embedding",
        name="all-MiniLM-L6-v2" if not settings.sentence_model else settings.sentence_model,
        details={
            "path": sentence_model_path(settings),
            "feeling_margin": settings.empathy_feeling_margin,
            "ack_margin": settings.empathy_ack_margin,
        },
    )


def _measure_and_judge(analysis: CallAnalysis, settings: Settings, stages: _Stages) -> None:
    from pyannote.core import Annotation, Segment

    from analysis.verdicts import acknowledged_feelings, listened_without_interrupting, stayed_calm
    from audio_features.arousal import find_arousal
    from audio_features.talk_metrics import talk_metrics
    from audio_features.tone import tone_timelines
    from audio_features.turn_taking import analyse_turn_taking

    with stages.stage("measure"):
        activity = Annotation()
        for track, (role, start, end) in enumerate(
            (s.role, a, b) for s in analysis.speakers for a, b in s.segments if b > a
        ):
            activity[Segment(start, end), track] = role
        analysis.turn_taking = analyse_turn_taking(
            analysis.turns, activity, settings, own_transcripts=analysis.mode == "stereo"
        )
        analysis.metrics = talk_metrics(analysis.turn_taking, analysis.duration_s, settings)
        if analysis.tracks:
            words = {p: [w for t in analysis.turns if t.speaker == p for w in t.words] for p in analysis.tracks}
            analysis.tone = tone_timelines(
                analysis.tracks,
                analysis.turn_taking.speech,
                words,
                sample_rate=analysis.audio.sample_rate,
                duration_s=analysis.audio.duration_s,
                resolution_s=settings.tone_resolution_s,
                pace_window_s=settings.tone_pace_window_s,
                baseline_fraction=settings.tone_baseline_fraction,
            )
            analysis.arousal = {p: find_arousal(p, tone, words[p], settings) for p, tone in analysis.tone.items()}
    with stages.stage("empathy"):
        if any(t.speaker == "customer" for t in analysis.turns):
            from audio_features.empathy import find_acknowledgements, find_feelings, load_empathy_model

            model = load_empathy_model(settings)
            upset = analysis.arousal["customer"].events if "customer" in analysis.arousal else []
            analysis.feelings = find_feelings(analysis.turns, model, settings, upset)
            analysis.acknowledgements = find_acknowledgements(analysis.feelings, analysis.turns, model, settings)
            analysis.models.append(_sentence_model_info(settings))
    with stages.stage("judge"):
        analysis.verdicts["listened_without_interrupting"] = listened_without_interrupting(
            analysis.turn_taking, analysis.metrics, analysis.duration_s, settings
        )
        if analysis.arousal:
            analysis.verdicts["stayed_calm"] = stayed_calm(
                analysis.arousal["agent"], analysis.arousal.get("customer"), settings
            )
        analysis.verdicts["acknowledged_feelings"] = acknowledged_feelings(analysis.acknowledgements, settings)


#: Below this confidence, a detected agent gets a note asking the reviewer to check it.
ROLE_CHECK_CONFIDENCE = 0.7


def _role_notes(assignment, flag: str) -> list[str]:
    """A reviewer's note when a setting and the words disagree, or the agent was found on little evidence."""
    if assignment.warning:
        return [assignment.warning]
    if assignment.confidence < ROLE_CHECK_CONFIDENCE and assignment.rule != "single_speaker":
        return [
            f"The agent ({assignment.agent}) was chosen with low confidence ({assignment.confidence:.2f}, "
            f"rule {assignment.rule}): set {flag} if it is wrong."
        ]
    return []


def _analyze_stereo(path, audio: DecodedAudio, settings: Settings, stages: _Stages, notes: list[str]) -> CallAnalysis:
    from audio_features.activity import stereo_activity
    from audio_features.roles import assign_roles
    from audio_features.transcription import detect_language, speech_audio, transcribe
    from audio_features.turns import LabelledWord, build_turns

    with stages.stage("separate"):
        activity = stereo_activity(audio.samples, audio.sample_rate, settings)

    with stages.stage("transcribe") as progress:
        labelled: list[LabelledWord] = []
        language, probability = settings.language or None, None
        # The channel with more speech first: the language is detected on it (and on the other
        # channel too when one window leaves it unsure), then used for both.
        with_speech = sorted(
            (i for i in (0, 1) if len(activity[i].speech)), key=lambda i: -activity[i].speech.duration()
        )
        regions = {i: _padded(activity[i].speech, settings.vad_pad_s, audio.duration_s) for i in with_speech}
        if language is None and with_speech:
            speech = [speech_audio(audio.samples[i], regions[i]) for i in with_speech]
            language, probability = detect_language(speech, settings)
        for n, i in enumerate(with_speech):
            result = transcribe(
                audio.samples[i],
                settings,
                regions=regions[i],
                language=language,
                progress=lambda f, n=n: progress((n + f) / len(with_speech)),
            )
            labelled += [LabelledWord(w, CHANNEL_NAMES[i]) for w in result.words]

    with stages.stage("attribute"):
        setting = None if settings.agent_channel == "auto" else settings.agent_channel
        assignment = assign_roles(labelled, list(CHANNEL_NAMES), setting=setting, setting_rule="agent_channel")
        notes += _role_notes(assignment, "--agent-channel")
        roles = assignment.roles
        turns = build_turns(labelled, roles, max_pause_s=settings.turn_max_pause_s)
    speakers = [
        SpeakerInfo(
            role=roles[name],
            source=f"channel:{name}",
            speech_s=round(float(activity[i].speech.duration()), 3),
            segments=_segments(activity[i].speech),
        )
        for i, name in enumerate(CHANNEL_NAMES)
    ]
    speakers.sort(key=lambda s: s.role)
    return CallAnalysis(
        path=str(path),
        audio=audio,
        mode="stereo",
        tracks={roles[name]: audio.samples[i] for i, name in enumerate(CHANNEL_NAMES)},
        speakers=speakers,
        turns=turns,
        role_rule=assignment.rule,
        role_confidence=assignment.confidence,
        role_evidence=assignment.evidence,
        language=language,
        language_probability=probability,
        models=[_whisper_info(settings)],
        timings=stages.timings,
        notes=notes,
    )


def _analyze_mono(
    path, audio: DecodedAudio, mono: np.ndarray, settings: Settings, stages: _Stages, agent_speaker, notes
) -> CallAnalysis:
    from audio_features.diarization import diarize
    from audio_features.roles import assign_roles
    from audio_features.transcription import transcribe
    from audio_features.turns import attribute_words, build_turns

    with stages.stage("separate") as progress:
        diarization = diarize(mono, settings, progress=progress)
    with stages.stage("transcribe") as progress:
        speech = diarization.speakers.get_timeline().support()
        transcript = transcribe(
            mono,
            settings,
            regions=_padded(speech, settings.vad_pad_s, audio.duration_s),
            language=settings.language or None,
            progress=progress,
        )
    with stages.stage("attribute"):
        labelled = attribute_words(transcript.words, diarization.exclusive)
        labels = sorted(diarization.speakers.labels())
        assignment = assign_roles(labelled, labels, setting=agent_speaker) if labels else None
        turns = build_turns(labelled, assignment.roles, max_pause_s=settings.turn_max_pause_s) if assignment else []
        if assignment is not None:
            notes += _role_notes(assignment, "--agent-speaker")
    if transcript.words and not labelled:
        notes.append("Speech was transcribed but no speaker was found by diarization; turns are empty.")
    speakers = []
    for label in sorted(diarization.speakers.labels()):
        timeline = diarization.speakers.label_timeline(label)
        speakers.append(
            SpeakerInfo(
                role=assignment.roles[label],
                source=f"diarization:{label}",
                speech_s=round(float(timeline.duration()), 3),
                segments=_segments(timeline),
            )
        )
    speakers.sort(key=lambda s: s.role)
    if len(speakers) > 2:
        notes.append(f"{len(speakers)} speakers were found; every speaker but the agent is reported as customer.")
    import pyannote.audio

    from audio_features.model_store import campplus_checkpoint, segmentation_checkpoint

    diarization_info = ModelInfo(
        task="diarization",
        name="pyannote segmentation-3.0 + CAM++",
        details={
            "pyannote_audio": pyannote.audio.__version__,
            "segmentation": str(segmentation_checkpoint(settings)),
            "embedding": str(campplus_checkpoint(settings)),
            "segmentation_step": settings.diarization_step,
            "clustering": "agglomerative (centroid)",
            "clustering_threshold": settings.clustering_threshold,
            "num_speakers": settings.num_speakers,
        },
    )
    return CallAnalysis(
        path=str(path),
        audio=audio,
        mode="mono",
        tracks={"agent": mono, "customer": mono},
        speakers=speakers,
        turns=turns,
        role_rule=assignment.rule if assignment else "none",
        role_confidence=assignment.confidence if assignment else 0.0,
        role_evidence=assignment.evidence if assignment else "no speaker was found",
        language=transcript.language if transcript.words else (settings.language or None),
        language_probability=transcript.language_probability if transcript.words else None,
        models=[diarization_info, _whisper_info(settings)],
        timings=stages.timings,
        notes=notes,
    )
