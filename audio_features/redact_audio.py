"""The stored recording with its sensitive spans silenced, or replaced by a tone (:mod:`analysis.redact` finds
them).

The recording is decoded at its own sample rate and channels (mono, or two channels for stereo; FFmpeg
downmixes more to mono, as :mod:`audio_features.decode` does), each span is widened by ``pad_s`` on both
sides, and every channel is cleared over it: the other party may repeat what was said. The result is
written as FLAC (lossless, so nothing else changes) by PyAV's bundled FFmpeg. The tone is 1 kHz at
-20 dBFS, the usual "bleep".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np

__all__ = ["TONE_DBFS", "TONE_HZ", "redact_recording"]

TONE_HZ = 1000.0
TONE_DBFS = -20.0


def _decode(path: Path) -> tuple[np.ndarray, int, str]:
    """(samples as int16, channels x n), sample rate, layout) of the recording at its own rate."""
    with av.open(str(path), metadata_errors="ignore") as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or stream.rate
        layout = "stereo" if (stream.codec_context.channels or 1) == 2 else "mono"
        resampler = av.audio.resampler.AudioResampler(format="s16p", layout=layout, rate=rate)
        chunks = []
        for frame in container.decode(stream):
            frame.pts = None
            chunks += [out.to_ndarray() for out in resampler.resample(frame)]
        chunks += [out.to_ndarray() for out in resampler.resample(None)]
    return np.concatenate(chunks, axis=1), rate, layout


def redact_recording(
    src: Path, dst: Path, spans: Sequence[tuple[float, float]], *, mode: str = "silence", pad_s: float = 0.25
) -> float:
    """Write ``src`` to ``dst`` (FLAC) with ``spans`` (s) silenced or toned. Returns the seconds cleared."""
    samples, rate, layout = _decode(Path(src))
    n = samples.shape[1]
    cleared = np.zeros(n, dtype=bool)
    for start, end in spans:
        a, b = max(0, int((start - pad_s) * rate)), min(n, int(np.ceil((end + pad_s) * rate)))
        cleared[a:b] = True
    if mode == "tone":
        t = np.arange(n) / rate
        tone = (10 ** (TONE_DBFS / 20) * 32767 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.int16)
        samples[:, cleared] = tone[cleared]
    else:
        samples[:, cleared] = 0
    with av.open(str(dst), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="s16p", layout=layout)
        frame.rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return float(cleared.sum()) / rate
