"""Stages 2 to 4 for a recording: separate the speakers, transcribe them, and attribute words to roles.

* **Stereo** (one party per channel): each channel's own speech from Silero VAD and the crosstalk
  gate (:mod:`audio_features.activity`); each channel transcribed on its own, over its own party's
  speech only, so the other party's bleed is not transcribed twice; the language is detected on
  the channel with more speech (and the other channel too, when one window leaves it unsure).
* **Mono**: pyannote diarization (:mod:`audio_features.diarization`), which runs before
  transcription (running faster-whisper first made diarization in the same process 1.5-2x slower,
  RECIPES.md); the track transcribed once, over the diarized speech; each word to the speaker
  whose overlap-free speech covers it most.

Either way the agent is found from what each label says (:mod:`audio_features.roles`), or set.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from analysis.names import Mode
from analysis.stages import Attribution, ModelInfo, Separation, SpeakerInfo, Transcription
from audio_features.config import ModelSettings, Settings
from audio_features.decode import DecodedAudio

__all__ = [
    "CHANNEL_NAMES",
    "attribute",
    "separate_mono",
    "separate_stereo",
    "transcribe_mono",
    "transcribe_stereo",
]

CHANNEL_NAMES = ("left", "right")
#: The one track of a mono call, as :class:`Transcription` names it.
MIX = "mix"
#: Below this confidence, a detected agent gets a note asking the reviewer to check it.
ROLE_CHECK_CONFIDENCE = 0.7

Progress = Callable[[float], None]


def _padded(timeline, pad_s: float, duration_s: float) -> list[tuple[float, float]]:
    """Speech regions widened by ``pad_s`` (so word edges are not clipped), merged, within the call."""
    return [(max(0.0, s.start - pad_s), min(duration_s, s.end + pad_s)) for s in timeline.support(collar=2 * pad_s)]


def _segments(timeline) -> list[tuple[float, float]]:
    return [(round(s.start, 3), round(s.end, 3)) for s in timeline]


def separate_stereo(audio: DecodedAudio, settings: Settings) -> Separation:
    """Each channel's own speech (:func:`audio_features.activity.stereo_activity`)."""
    from audio_features.activity import stereo_activity

    activity = stereo_activity(audio.samples, audio.sample_rate, settings.separation)
    return Separation(
        mode=Mode.STEREO,
        speech={name: activity[i].speech for i, name in enumerate(CHANNEL_NAMES)},
        tracks={name: audio.samples[i] for i, name in enumerate(CHANNEL_NAMES)},
    )


def separate_mono(mono: np.ndarray, settings: Settings, progress: Progress) -> Separation:
    """Diarized speakers of one track, overlaps included (:func:`audio_features.diarization.diarize`)."""
    from importlib.metadata import version

    from audio_features.diarization import diarize, diarize_apart
    from audio_features.model_store import campplus_checkpoint, segmentation_checkpoint

    apart = settings.separation.diarization_process == "own"
    diarization = (diarize_apart if apart else diarize)(mono, settings, progress=progress)

    labels = sorted(diarization.speakers.labels())
    model = ModelInfo(
        task="diarization",
        name="pyannote segmentation-3.0 + CAM++",
        details={
            "pyannote_audio": version("pyannote.audio"),
            "process": settings.separation.diarization_process,
            "segmentation": str(segmentation_checkpoint(settings.models)),
            "embedding": str(campplus_checkpoint(settings.models)),
            "segmentation_step": settings.separation.diarization_step,
            "clustering": "agglomerative (centroid)",
            "clustering_threshold": settings.separation.clustering_threshold,
            "num_speakers": settings.separation.num_speakers,
        },
    )
    return Separation(
        mode=Mode.MONO,
        speech={label: diarization.speakers.label_timeline(label) for label in labels},
        tracks={MIX: mono},
        exclusive=diarization.exclusive,
        models=(model,),
    )


def whisper_info(settings: ModelSettings) -> ModelInfo:
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


def transcribe_stereo(audio: DecodedAudio, separation: Separation, settings: Settings, progress: Progress):
    """Each channel over its own speech, the channel with more speech first; the language is detected on it
    (and on the other channel too when one window leaves it unsure), then used for both."""
    from audio_features.memory import release_freed
    from audio_features.transcription import detect_language, speech_audio, transcribe

    speech = separation.speech
    with_speech = sorted((name for name in CHANNEL_NAMES if len(speech[name])), key=lambda n: -speech[n].duration())
    regions = {n: _padded(speech[n], settings.separation.vad_pad_s, audio.duration_s) for n in with_speech}
    language, probability = settings.models.language or None, None
    if language is None and with_speech:
        heard = [speech_audio(separation.tracks[n], regions[n]) for n in with_speech]
        language, probability = detect_language(heard, settings.models)
        release_freed()
    words = {}
    for k, name in enumerate(with_speech):
        result = transcribe(
            separation.tracks[name],
            settings.models,
            regions=regions[name],
            language=language,
            progress=lambda f, k=k: progress((k + f) / len(with_speech)),
        )
        words[name] = result.words
        release_freed()  # one channel's transient memory before the next channel's (audio_features.memory)
    return Transcription(words, language, probability, whisper_info(settings.models))


def transcribe_mono(audio: DecodedAudio, separation: Separation, settings: Settings, progress: Progress):
    """The track once, over the diarized speech."""
    from pyannote.core import Timeline

    from audio_features.transcription import transcribe

    speech = Timeline([s for timeline in separation.speech.values() for s in timeline]).support()
    transcript = transcribe(
        separation.tracks[MIX],
        settings.models,
        regions=_padded(speech, settings.separation.vad_pad_s, audio.duration_s),
        language=settings.models.language or None,
        progress=progress,
    )
    heard = bool(transcript.words)
    return Transcription(
        words={MIX: transcript.words},
        language=transcript.language if heard else (settings.models.language or None),
        language_probability=transcript.language_probability if heard else None,
        model=whisper_info(settings.models),
    )


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


def attribute(
    separation: Separation, transcription: Transcription, settings: Settings, *, agent_speaker: str | None = None
) -> Attribution:
    """Words to labels (mono: by diarization), labels to roles, words to turns."""
    from audio_features.parties import Role
    from audio_features.roles import assign_roles
    from audio_features.turns import LabelledWord, attribute_words, build_turns

    notes: list[str] = []
    if separation.mode == Mode.STEREO:
        labelled = [LabelledWord(w, name) for name, words in transcription.words.items() for w in words]
        setting = None if settings.separation.agent_channel == "auto" else settings.separation.agent_channel
        assignment = assign_roles(labelled, list(CHANNEL_NAMES), setting=setting, setting_rule="agent_channel")
        notes += _role_notes(assignment, "--agent-channel")
    else:
        labelled = attribute_words(transcription.words[MIX], separation.exclusive)
        labels = list(separation.speech)
        assignment = assign_roles(labelled, labels, setting=agent_speaker) if labels else None
        if assignment is not None:
            notes += _role_notes(assignment, "--agent-speaker")
        if transcription.words[MIX] and not labelled:
            notes.append("Speech was transcribed but no speaker was found by diarization; turns are empty.")
    roles = assignment.roles if assignment else {}
    turns = build_turns(labelled, roles, max_pause_s=settings.turn_taking.turn_max_pause_s) if assignment else []
    prefix = "channel" if separation.mode == Mode.STEREO else "diarization"
    speakers = [
        SpeakerInfo(
            role=roles[label],
            source=f"{prefix}:{label}",
            speech_s=round(float(timeline.duration()), 3),
            segments=_segments(timeline),
        )
        for label, timeline in separation.speech.items()
    ]
    speakers.sort(key=lambda s: s.role)
    if len(speakers) > 2:
        notes.append(f"{len(speakers)} speakers were found; every speaker but the agent is reported as customer.")
    return Attribution(
        speakers=speakers,
        turns=turns,
        rule=assignment.rule if assignment else "none",
        confidence=assignment.confidence if assignment else 0.0,
        evidence=assignment.evidence if assignment else "no speaker was found",
        tracks={roles[label]: track for label, track in separation.tracks.items()}
        if separation.mode == Mode.STEREO
        else {role: separation.tracks[MIX] for role in Role},
        notes=tuple(notes),
    )
