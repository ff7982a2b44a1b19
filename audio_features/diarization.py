"""Who spoke when on a mono call: pyannote.audio 4 speaker diarization.

Segmentation is pyannote ``segmentation-3.0`` (powerset, up to three local
speakers per 10 s window, overlap included); speaker embeddings are CAM++
(:mod:`audio_features.campplus`); clustering is agglomerative (centroid
linkage on cosine distance), constrained to ``num_speakers``.

The waveform is passed in memory, never as a path: pyannote would decode the
file again with torchcodec, which needs system FFmpeg libraries.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pyannote.core import Annotation

from audio_features.config import Settings
from audio_features.errors import CallscopeError
from audio_features.model_store import campplus_checkpoint, segmentation_checkpoint
from audio_features.openmp import import_torch

__all__ = ["Diarization", "diarize", "diarize_apart", "load_pipeline"]

SAMPLE_RATE = 16000
#: Batch sizes for segmentation windows and embeddings; larger batches amortise
#: torch's per-call overhead on CPU (pyannote's default is 1). Segmentation: 8 (was 32,
#: issue 19): on a 5-minute mono call, diarization peaked at 1178 MB against 1365 MB,
#: in 16.9 s against 17.6 s (one run each, idle machine, bench/RESULTS.md); the
#: embeddings' batch stays at 32 (at 8 it saved 48 MB more for 4.5 s more).
SEGMENTATION_BATCH = 8
EMBEDDING_BATCH = 32
#: Smallest cluster kept by agglomerative clustering, in (chunk, speaker) embeddings
#: (pyannote speaker-diarization-3.1's value).
MIN_CLUSTER_SIZE = 12


@dataclass(frozen=True)
class Diarization:
    """Diarization of one track.

    Attributes:
        speakers: Who spoke when, labels ``SPEAKER_00`` ... , overlap included.
        exclusive: The same with overlaps resolved to one speaker, for
            attributing words.
    """

    speakers: Annotation
    exclusive: Annotation


def _import_pyannote():
    # pyannote warns at import that torchcodec cannot find system FFmpeg; we
    # never let it decode, so the warning is noise.
    import_torch()  # CTranslate2 first (audio_features.openmp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyannote.audio  # noqa: F401
        from pyannote.audio import Model
        from pyannote.audio.core.plda import PLDA
        from pyannote.audio.pipelines import SpeakerDiarization
    return Model, PLDA, SpeakerDiarization


@lru_cache(maxsize=2)
def _load(segmentation: str, embedding: str, step: float, threshold: float, threads: int):
    torch = import_torch()
    Model, PLDA, SpeakerDiarization = _import_pyannote()
    from audio_features.campplus import CAMPPlusEmbedding

    torch.set_num_threads(threads)
    # pyannote 4.0.7 loads a PLDA even for agglomerative clustering, which
    # never uses it, and get_plda(None) raises; hand it an unused, empty one.
    # https://github.com/pyannote/pyannote-audio/issues/2044
    unused_plda = PLDA.__new__(PLDA)
    pipeline = SpeakerDiarization(
        segmentation=Model.from_pretrained(segmentation),
        segmentation_step=step,
        embedding=CAMPPlusEmbedding(embedding),
        embedding_exclude_overlap=True,
        plda=unused_plda,
        clustering="AgglomerativeClustering",
        embedding_batch_size=EMBEDDING_BATCH,
        segmentation_batch_size=SEGMENTATION_BATCH,
    )
    pipeline.instantiate(
        {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {"method": "centroid", "min_cluster_size": MIN_CLUSTER_SIZE, "threshold": threshold},
        }
    )
    return pipeline


def load_pipeline(settings: Settings):
    """The process's diarization pipeline for ``settings`` (built once, then reused)."""
    return _load(
        str(segmentation_checkpoint(settings.models)),
        str(campplus_checkpoint(settings.models)),
        settings.separation.diarization_step,
        settings.separation.clustering_threshold,
        settings.models.cpu_threads,
    )


def diarize(audio: np.ndarray, settings: Settings, *, progress: Callable[[float], None] | None = None) -> Diarization:
    """Diarize a 16 kHz mono track into ``settings.separation.num_speakers`` speakers.

    Args:
        audio: Float32 waveform in [-1, 1], shape (n,), 16 kHz.
        settings: Uses the model paths, step, threshold, speaker count and threads.
        progress: Called with a rough fraction done, 0..1.

    Returns:
        Speaker turns with and without overlap.
    """
    torch = import_torch()
    pipeline = load_pipeline(settings)
    stages = {"segmentation": (0.0, 0.3), "embeddings": (0.3, 0.95)}

    def hook(step_name, step_artifact, file=None, total=None, completed=None):
        if progress is None or step_name not in stages or not total:
            return
        lo, hi = stages[step_name]
        progress(lo + (hi - lo) * (completed or 0) / total)

    waveform = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))[None]
    with torch.inference_mode():
        output = pipeline(
            {"waveform": waveform, "sample_rate": SAMPLE_RATE}, num_speakers=settings.separation.num_speakers, hook=hook
        )
    if progress is not None:
        progress(1.0)
    return Diarization(speakers=output.speaker_diarization, exclusive=output.exclusive_speaker_diarization)


def _diarize_child(conn, audio: np.ndarray, settings: Settings) -> None:
    """The body of :func:`diarize_apart`'s process: progress, then the result or the error, on ``conn``."""
    try:
        result = diarize(audio, settings, progress=lambda f: conn.send(("progress", f)))
        conn.send(("done", result))
    except BaseException as e:  # handed to the parent, which raises it
        conn.send(("error", e))
    finally:
        conn.close()


def diarize_apart(
    audio: np.ndarray, settings: Settings, *, progress: Callable[[float], None] | None = None
) -> Diarization:
    """:func:`diarize` in a process of its own (``diarization_process = "own"``).

    The child is started with ``spawn`` (a fresh interpreter: no threads or OpenMP state of this process
    carried over), imports PyTorch and pyannote, loads the models, diarizes, and exits; its memory (about
    1.2 GB at its peak on a 5-minute call) is given back before transcription starts. Costs a second model
    load per call, so a process that analyses many calls keeps diarization in itself (``same``).

    Raises:
        What :func:`diarize` raises, from the child; :class:`CallscopeError` when the child dies without
        an answer (killed, out of memory).
    """
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_diarize_child, args=(send, audio, settings), name="callscope-diarize", daemon=True)
    child.start()
    send.close()  # the child holds the only sending end: EOF here means it is gone
    try:
        while True:
            try:
                kind, value = receive.recv()
            except EOFError:
                child.join()
                raise CallscopeError(
                    f"diarization stopped: its process exited with code {child.exitcode} and no result (killed, "
                    "or out of memory?). Free memory, or set CALLSCOPE_DIARIZATION_PROCESS=same."
                ) from None
            if kind == "progress":
                if progress is not None:
                    progress(value)
            elif kind == "error":
                raise value
            else:
                return value
    finally:
        receive.close()
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
