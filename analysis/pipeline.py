"""The analysis pipeline: one recording in, one :class:`~analysis.stages.CallAnalysis` out.

Data flows one way, each stage taking only the earlier stages' results (:mod:`analysis.stages`):

1. **decode** (:mod:`audio_features.decode`): the file, once, to 16 kHz.
2. **separate**: who spoke when. Stereo: per-channel activity with the crosstalk gate; mono:
   pyannote diarization, before transcription (:mod:`analysis.separate`).
3. **transcribe**: stereo, each channel over its own party's speech; mono, the track once, over
   the diarized speech.
4. **attribute**: words to speakers, speakers to roles, words to turns.
5. **measure**: turn-taking, talk metrics, each turn's pace, the tone timeline and arousal events
   (:mod:`analysis.measure`).
6. **empathy**: the customer's feeling moments and the agent's acknowledgements.
7. **judge**: the verdicts, each with its evidence (:mod:`analysis.verdicts`).

:func:`analyze_transcript` runs stages 5 to 7 on turns the user already has: no audio, so no tone,
arousal or "stayed calm". The report is built from the result in :mod:`analysis.report`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from analysis.measure import empathize, judge, measure
from analysis.names import Mode
from analysis.stages import Attribution, CallAnalysis, Source, SpeakerInfo
from audio_features.config import Settings
from audio_features.decode import decode_file
from audio_features.errors import ConfigError
from audio_features.memory import release_freed
from audio_features.parties import Role

__all__ = ["ProgressHook", "analyze_file", "analyze_transcript"]

ProgressHook = Callable[[str, float], None]


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
        self._started = time.perf_counter()

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
        release_freed()  # the stage's transient memory, before the next stage's peak (audio_features.memory)
        self.timings[f"{name}_s"] = time.perf_counter() - start
        self._done = done + weight

    def finished(self) -> dict[str, float]:
        """The stage timings and ``total_s``."""
        return {**self.timings, "total_s": time.perf_counter() - self._started}


def analyze_file(
    path: str | Path,
    settings: Settings,
    *,
    agent_speaker: str | None = None,
    name: str | None = None,
    progress: ProgressHook | None = None,
) -> CallAnalysis:
    """Analyse one recording.

    Args:
        path: The recording.
        settings: Models, thresholds and the agent channel.
        agent_speaker: Mono only: the diarization label of the agent,
            overriding the rule in :mod:`audio_features.roles`.
        name: The recording's name in the report (default: the file's own name; never a path).
        progress: Called with (stage name, overall fraction 0..1).

    Raises:
        AudioError: the file is refused (see :mod:`audio_features.decode`).
        ModelError: weights missing or corrupt.
    """
    from analysis import separate as sep
    from audio_features.activity import channels_are_mirrored

    stages = _Stages(progress)
    with stages.stage("decode"):
        audio = decode_file(path, max_duration_s=settings.models.max_duration_s)
    notes: list[str] = []
    stereo = audio.channels == 2
    if stereo and channels_are_mirrored(audio.samples, threshold_db=settings.separation.mirrored_channels_db):
        notes.append("The two channels carry the same audio, so the call was analysed as mono (diarized).")
        stereo = False
    elif stereo and agent_speaker is not None:
        raise ConfigError("--agent-speaker applies to mono calls; use --agent-channel for stereo")
    with stages.stage("separate") as progressed:
        if stereo:
            separation = sep.separate_stereo(audio, settings)
        else:
            mono = audio.samples.mean(axis=0) if audio.channels == 2 else audio.samples[0]
            separation = sep.separate_mono(mono, settings, progressed)
    with stages.stage("transcribe") as progressed:
        if stereo:
            transcription = sep.transcribe_stereo(audio, separation, settings, progressed)
        else:
            transcription = sep.transcribe_mono(audio, separation, settings, progressed)
    with stages.stage("attribute"):
        attribution = sep.attribute(separation, transcription, settings, agent_speaker=agent_speaker)
    notes += attribution.notes
    if not attribution.turns:
        notes.append("No speech was detected in this recording.")
    source = Source(
        file=Path(path).name if name is None else name,
        container=audio.container,
        codec=audio.codec,
        size_bytes=audio.size_bytes,
        duration_s=audio.duration_s,
        sample_rate=audio.source_sample_rate,
        channels=audio.source_channels,
        analysis_sample_rate=audio.sample_rate,
    )
    return _measure_and_judge(
        source,
        separation.mode,
        attribution,
        settings,
        stages,
        language=transcription.language,
        language_probability=transcription.language_probability,
        sample_rate=audio.sample_rate,
        notes=notes,
        separation=separation,
        transcription=transcription,
    )


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

    stages = _Stages(progress)
    with stages.stage("decode"):
        turns = load_transcript(path, agent_label)
    speakers = []
    for role in Role:
        own = [t for t in turns if t.speaker == role]
        segments = [(round(t.start, 3), round(t.end, 3)) for t in own]
        speakers.append(SpeakerInfo(role, "transcript", round(sum(t.end - t.start for t in own), 3), segments))
    attribution = Attribution(
        speakers=speakers,
        turns=turns,
        rule="transcript",
        confidence=1.0,
        evidence=f"the transcript labels the agent {agent_label!r}",
    )
    path = Path(path)
    source = Source(
        file=path.name,
        container="json",
        codec=None,
        size_bytes=path.stat().st_size,
        duration_s=max((t.end for t in turns), default=0.0),
    )
    notes = ["Analysed from a transcript: tone, arousal and the verdict 'stayed calm' need the audio."]
    return _measure_and_judge(
        source, Mode.TRANSCRIPT, attribution, settings, stages, language=settings.models.language or None, notes=notes
    )


def _measure_and_judge(
    source: Source,
    mode: Mode,
    attribution: Attribution,
    settings: Settings,
    stages: _Stages,
    *,
    language: str | None,
    notes: list[str],
    language_probability: float | None = None,
    sample_rate: int = 0,
    separation=None,
    transcription=None,
) -> CallAnalysis:
    """Stages 5 to 7, and the analysis they complete."""
    with stages.stage("measure"):
        measures = measure(
            attribution, mode, settings, language=language, sample_rate=sample_rate, duration_s=source.duration_s
        )
    with stages.stage("empathy"):
        empathy = empathize(attribution, measures, settings)
    with stages.stage("judge"):
        judgement = judge(measures, empathy, source.duration_s, settings)
    return CallAnalysis(
        source=source,
        mode=mode,
        attribution=attribution,
        measures=measures,
        empathy=empathy,
        judgement=judgement,
        separation=separation,
        transcription=transcription,
        language=language,
        language_probability=language_probability,
        notes=tuple(notes),
        timings=stages.finished(),
    )
