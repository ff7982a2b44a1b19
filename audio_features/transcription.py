"""Speech to words with timestamps: faster-whisper.

When the caller already knows where speech is (the stereo activity detector,
or diarization), only those regions are transcribed: they are cut out,
joined with short silences, run through faster-whisper (whose Silero VAD then
scans only candidate speech, not the whole call; with ``whisper_vad`` off it
does not, and the regions are decoded as they are, grouped into Whisper's 30 s
windows), and the word times are mapped back to the call's clock.

The model is loaded once per process and reused, so an RQ worker pays the
load once (see the README on workers). Segments come from a generator; they
are consumed here, inside the caller's job, so that timeouts and progress
cover the real work (RECIPES.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from audio_features.config import ModelSettings
from audio_features.model_store import whisper_model_path

__all__ = ["Transcript", "Word", "detect_language", "heard", "load_whisper", "speech_audio", "transcribe"]

SAMPLE_RATE = 16000
#: Silence put between cut-out regions, s: long enough that Whisper does not
#: run words of two regions together.
REGION_GAP_S = 0.3


#: Whisper's window, s: the most audio one decoding step hears.
WINDOW_S = 30.0
#: A region longer than a window is cut at its quietest frame of this length, s ...
CUT_FRAME_S = 0.1
#: ... found in this last stretch before the window ends, s.
CUT_SEARCH_S = 5.0


def _quietest(audio: np.ndarray, a: float, b: float) -> float:
    """The start, s, of the ``CUT_FRAME_S`` frame of least energy in ``audio[a:b]`` (s)."""
    frame = int(CUT_FRAME_S * SAMPLE_RATE)
    part = audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)]
    n = len(part) // frame
    if n < 2:
        return b
    energy = np.square(part[: n * frame].astype(np.float64)).reshape(n, frame).sum(axis=1)
    return a + int(np.argmin(energy[1:]) + 1) * CUT_FRAME_S


@dataclass(frozen=True)
class Word:
    """A recognised word.

    Attributes:
        start: Onset, s from the start of the call.
        end: Offset, s.
        text: The word as Whisper wrote it, without surrounding spaces.
        probability: Whisper's token probability for the word, 0..1.
    """

    start: float
    end: float
    text: str
    probability: float


def heard(probabilities) -> float:
    """How surely Whisper heard some words: the geometric mean of their probabilities, 0..1.

    The exponential of the mean log probability, as Whisper scores a hypothesis;
    1 for no words (nothing was misheard).
    """
    probs = np.clip(np.asarray(list(probabilities), dtype=np.float64), 1e-6, 1.0)
    return float(np.exp(np.mean(np.log(probs)))) if probs.size else 1.0


@dataclass(frozen=True)
class Transcript:
    """Words of one audio track, in time order, and the language used."""

    words: list[Word]
    language: str
    language_probability: float


@lru_cache(maxsize=2)
def _load(path: str, compute_type: str, cpu_threads: int):
    from faster_whisper import WhisperModel

    return WhisperModel(path, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads)


def load_whisper(settings: ModelSettings):
    """The process's ``WhisperModel`` for ``settings`` (loaded once, then reused)."""
    return _load(whisper_model_path(settings), settings.compute_type, settings.cpu_threads)


class _RegionClock:
    """Maps times in the joined regions back to times in the original track.

    Whisper sometimes starts or ends a word inside the inserted silence; a
    start there moves to the next region's start, an end to the region's end.
    A word cannot span two regions (they were cut apart), so a word that
    Whisper stretched across the inserted silence is kept in the region
    that holds most of it (:meth:`word`).
    """

    def __init__(self, regions: list[tuple[float, float]]):
        self.regions = regions
        self.joined_starts: list[float] = []
        t = 0.0
        for start, end in regions:
            self.joined_starts.append(t)
            t += (end - start) + REGION_GAP_S

    def _locate(self, t: float) -> tuple[int, float]:
        i = max(0, int(np.searchsorted(self.joined_starts, t, side="right")) - 1)
        return i, t - self.joined_starts[i]

    def start(self, t: float) -> float:
        i, offset = self._locate(t)
        start, end = self.regions[i]
        if start + offset > end and i + 1 < len(self.regions):
            return self.regions[i + 1][0]
        return min(start + offset, end)

    def end(self, t: float) -> float:
        i, offset = self._locate(t)
        start, end = self.regions[i]
        return min(start + offset, end)

    def clips(self, joined: np.ndarray) -> list[tuple[float, float]]:
        """Whisper's windows over the joined regions, (start, end) in joined s: whole regions, one after
        another, while they fit in ``WINDOW_S``; a longer region is cut at its quietest ``CUT_FRAME_S``
        in the last ``CUT_SEARCH_S`` before the window ends."""
        out: list[tuple[float, float]] = []
        for (start, end), at in zip(self.regions, self.joined_starts, strict=True):
            a, b = at, at + (end - start)
            while b - a > WINDOW_S:
                cut = _quietest(joined, a + WINDOW_S - CUT_SEARCH_S, a + WINDOW_S)
                out.append((a, cut))
                a = cut
            if out and b - out[-1][0] <= WINDOW_S:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        return out

    def word(self, t0: float, t1: float) -> tuple[float, float]:
        """A word's (start, end) on the original track, from its times in the joined regions."""
        first, last = self._locate(t0)[0], self._locate(max(t0, t1))[0]
        if first != last:
            # The part of the word inside each region it touches, in joined time.
            inside = []
            for i in range(first, last + 1):
                lo = self.joined_starts[i]
                hi = lo + self.regions[i][1] - self.regions[i][0]
                inside.append(max(0.0, min(t1, hi) - max(t0, lo)))
            keep = first + int(np.argmax(inside))
            lo = self.joined_starts[keep]
            hi = lo + self.regions[keep][1] - self.regions[keep][0]
            t0, t1 = max(t0, lo), min(t1, hi)
        start = self.start(t0)
        return start, max(start, self.end(t1))


def speech_audio(audio: np.ndarray, regions: list[tuple[float, float]]) -> np.ndarray:
    """The regions of ``audio`` (s), cut out and joined with ``REGION_GAP_S`` of silence: what Whisper hears."""
    gap = np.zeros(int(REGION_GAP_S * SAMPLE_RATE), dtype=np.float32)
    parts = []
    for start, end in regions:
        parts += [audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)], gap]
    return np.concatenate(parts) if parts else audio[:0]


def detect_language(tracks: list[np.ndarray], settings: ModelSettings) -> tuple[str, float]:
    """The language of a call's speech, from as few 30 s windows as make it sure.

    Whisper detects a language from one 30 s window: faster-whisper takes the
    first window of speech. On telephone audio one window can mislead (a
    synthetic 8 kHz agent channel read as Welsh at 0.52 against English at
    0.35), and the whole call is then transcribed in that language. Here the
    first window of the first track is heard; while the best language has
    less than ``settings.language_sure_probability``, the next window is
    heard too (the first window of each further track, then the second of
    each, and so on, up to ``settings.language_detection_windows``), and the
    windows' distributions are combined as independent evidence: the
    normalised product of their probabilities.

    Args:
        tracks: 16 kHz speech, one array per party (stereo) or one for the
            call (mono), e.g. from :func:`speech_audio`.
        settings: Uses the model and the two language settings.

    Returns:
        The ISO code and its combined probability, 0..1.
    """
    model = load_whisper(settings)
    if not model.model.is_multilingual:
        return "en", 1.0
    n = model.feature_extractor.n_samples  # one window
    windows = []
    for i in range(max((len(t) for t in tracks), default=0) // n + 1):
        windows += [t[i * n : (i + 1) * n] for t in tracks if len(t) > i * n]
    log_total: dict[str, float] = {}
    best, probability = "", 0.0  # no speech: Whisper decides
    for window in windows[: settings.language_detection_windows]:
        _, _, probs = model.detect_language(audio=window.astype(np.float32, copy=False))
        for language, p in probs:  # every language Whisper knows, each window
            log_total[language] = log_total.get(language, 0.0) + float(np.log(max(p, 1e-12)))
        best = max(log_total, key=log_total.get)
        probability = 1.0 / sum(float(np.exp(v - log_total[best])) for v in log_total.values())
        if probability >= settings.language_sure_probability:
            break
    return best, probability


def transcribe(
    audio: np.ndarray,
    settings: ModelSettings,
    *,
    regions: list[tuple[float, float]] | None = None,
    language: str | None = None,
    progress: Callable[[float], None] | None = None,
    clips: list[tuple[float, float]] | None = None,
) -> Transcript:
    """Transcribe a 16 kHz mono track with word timestamps.

    Args:
        audio: Float32 waveform in [-1, 1], shape (n,), 16 kHz.
        settings: Uses the model, compute type, beam size and threads.
        regions: Where speech may be, (start, end) in s, sorted and disjoint;
            ``None`` for the whole track. Audio outside is not transcribed.
        language: ISO code; ``None`` detects it from the first 30 s of speech.
        progress: Called with the fraction of the track done, 0..1.
        clips: The windows to decode, (start, end) in s, none over 30 s: Whisper decodes these and no VAD
            runs. Set from ``regions`` when ``settings.whisper_vad`` is off.

    Returns:
        The words in time order, times in s on ``audio``'s clock.
    """
    if regions is not None:
        clock = _RegionClock(regions)
        joined = speech_audio(audio, regions)
        if joined.size == 0:
            return Transcript(words=[], language=language or "", language_probability=0.0)
        probability = None
        if not language:
            language, probability = detect_language([joined], settings)
        clips = None if settings.whisper_vad else clock.clips(joined)
        inner = transcribe(joined, settings, language=language, progress=progress, clips=clips)
        words = [Word(*clock.word(w.start, w.end), w.text, w.probability) for w in inner.words]
        if probability is None:  # the language was given, or Whisper detected it
            probability = inner.language_probability
        return Transcript(words=words, language=inner.language, language_probability=probability)

    model = load_whisper(settings)
    if not model.model.is_multilingual:
        language = "en"
    options = dict(
        language=language or None,
        beam_size=settings.beam_size,
        word_timestamps=True,
        vad_filter=True,
        # Each window is decoded on its own: no repetition loops carried across
        # windows, and less text dropped on long 8 kHz audio (RECIPES.md).
        condition_on_previous_text=False,
    )
    audio = audio.astype(np.float32, copy=False)
    own_clips = clips is not None
    if settings.batch_size > 1:
        from faster_whisper import BatchedInferencePipeline

        pipeline = BatchedInferencePipeline(model)
        if own_clips:
            options.update(vad_filter=False, clip_timestamps=[{"start": a, "end": b} for a, b in clips])
        segments, info = pipeline.transcribe(audio, batch_size=settings.batch_size, **options)
    else:
        if own_clips:
            options.update(vad_filter=False, clip_timestamps=[t for clip in clips for t in clip])
        segments, info = model.transcribe(audio, **options)
    duration_s = max(len(audio) / SAMPLE_RATE, 1e-9)
    words: list[Word] = []
    for segment in segments:
        for w in segment.words or ():
            text = w.word.strip()
            if text:
                words.append(Word(start=float(w.start), end=float(w.end), text=text, probability=float(w.probability)))
        if progress is not None:
            progress(min(1.0, segment.end / duration_s))
    return Transcript(words=words, language=info.language, language_probability=float(info.language_probability))
