"""Decode a call recording once, to 16 kHz float32, keeping its channels.

Why PyAV: its wheels bundle FFmpeg, so every format a telephone platform
produces (PCM WAV of any width, G.711 μ-law and A-law, MP3, FLAC, Ogg Vorbis
and Opus, M4A/AAC) decodes on a fresh machine with no system libraries, and
the same decoder serves faster-whisper. Every later stage reads the arrays
returned here; nothing decodes the file a second time.

A recording is refused, with a specific error, when it is empty, not audio,
has no samples, is shorter than its own header says (truncated), fails to
decode part-way (corrupt), or is longer than the configured cap. The cap is
checked against the header before decoding, and again while decoding, so a
six-hour file costs almost nothing to refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from audio_features.errors import EmptyFile, FileNotFound, NotAudio, TooLong, TruncatedAudio, ZeroLengthAudio

__all__ = ["ANALYSIS_SAMPLE_RATE", "DecodedAudio", "decode_file"]

#: Every stage works at 16 kHz: Whisper, Silero VAD, pyannote and CAM++ all expect it.
ANALYSIS_SAMPLE_RATE = 16000

#: A file is truncated when it decodes to less than its header declares, by
#: more than this fraction or ``_TRUNCATION_MIN_S``, whichever is larger.
_TRUNCATION_FRACTION = 0.02
_TRUNCATION_MIN_S = 0.5

ACCEPTED = "WAV (PCM, float, μ-law, A-law), MP3, FLAC, Ogg Vorbis/Opus or M4A/AAC"

#: RIFF data sizes that recorders write while the length is still unknown.
_WAV_UNKNOWN_SIZES = (0, 0xFFFFFFFF)


def _format_duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _wav_data_chunk(path: Path) -> tuple[int, int] | None:
    """(offset, declared size) of a RIFF/WAVE file's ``data`` chunk, in bytes; None if not a WAV or unknown.

    FFmpeg derives a WAV's duration from the file size, so a cut-off WAV
    decodes without complaint, and a WAV whose header declares 6 hours over a
    1-second body looks 1 second long; its own header is the only witness.
    """
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            chunk_id, chunk_size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if chunk_id == b"data":
                return None if chunk_size in _WAV_UNKNOWN_SIZES else (f.tell(), chunk_size)
            f.seek(chunk_size + (chunk_size & 1), 1)


def _wav_missing_bytes(path: Path, size: int) -> int:
    """Bytes that a RIFF/WAVE file's ``data`` chunk declares beyond the end of the file."""
    chunk = _wav_data_chunk(path)
    return 0 if chunk is None else max(0, chunk[0] + chunk[1] - size)


@dataclass(frozen=True)
class DecodedAudio:
    """A decoded recording.

    Attributes:
        samples: Waveform in [-1, 1], shaped (channels, samples), at
            ``sample_rate``. Stereo files keep two rows; files with more than
            two channels are mixed down to one.
        sample_rate: Rate of ``samples``, Hz (always 16000).
        source_sample_rate: The file's own rate, Hz.
        source_channels: The file's own channel count.
        container: FFmpeg container name, e.g. ``wav``.
        codec: FFmpeg codec name, e.g. ``pcm_mulaw``.
        size_bytes: File size.
    """

    samples: np.ndarray
    sample_rate: int
    source_sample_rate: int
    source_channels: int
    container: str
    codec: str
    size_bytes: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sample_rate


def _declared_duration_s(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def decode_file(path: str | Path, *, max_duration_s: float) -> DecodedAudio:
    """Decode ``path`` to 16 kHz float32, one row per channel.

    Args:
        path: The recording.
        max_duration_s: Longest duration accepted, s.

    Returns:
        The decoded audio.

    Raises:
        FileNotFound, EmptyFile, NotAudio, ZeroLengthAudio, TruncatedAudio,
        TooLong: with a message that says what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFound(f"{path}: no such file. Check the path.")
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile(f"{path}: the file is empty (0 bytes). Export or download the recording again.")

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise NotAudio(
            f"{path}: not an audio file, or damaged beyond reading ({exc.__class__.__name__}). Send {ACCEPTED}."
        ) from None

    with container:
        if not container.streams.audio:
            raise NotAudio(f"{path}: the file holds no audio stream. Send {ACCEPTED}.")
        stream = container.streams.audio[0]
        source_rate = stream.codec_context.sample_rate or stream.rate or 0
        source_channels = stream.codec_context.channels or 0
        declared = _declared_duration_s(container, stream)
        # Checked in this order: the length the header declares (a WAV's data chunk, or the container's
        # duration) against the limit, before any decoding; then the decoded audio; then truncation.
        wav_chunk = _wav_data_chunk(path) if container.format.name == "wav" else None
        bytes_per_s = (stream.codec_context.bit_rate or 0) / 8
        if wav_chunk is not None and bytes_per_s:
            declared = max(declared or 0.0, wav_chunk[1] / bytes_per_s)
        if declared is not None and declared > max_duration_s:
            raise TooLong(
                f"{path}: {_format_duration(declared)} is longer than the {_format_duration(max_duration_s)} limit. "
                "Split the recording, or raise CALLSCOPE_MAX_DURATION_S."
            )
        if source_channels < 1 or source_rate < 1:
            raise NotAudio(f"{path}: the audio stream has no channels or sample rate. Send {ACCEPTED}.")

        layout = "stereo" if source_channels == 2 else "mono"
        resampler = av.audio.resampler.AudioResampler(format="fltp", layout=layout, rate=ANALYSIS_SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        decoded = 0
        limit = int(max_duration_s * ANALYSIS_SAMPLE_RATE)
        try:
            for frame in container.decode(stream):
                frame.pts = None  # timestamps are rebuilt from sample counts
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
                    decoded += out.samples
                if decoded > limit:
                    raise TooLong(
                        f"{path}: longer than the {_format_duration(max_duration_s)} limit. "
                        "Split the recording, or raise CALLSCOPE_MAX_DURATION_S."
                    )
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except av.error.FFmpegError as exc:
            raise TruncatedAudio(
                f"{path}: the audio is corrupt after {decoded / ANALYSIS_SAMPLE_RATE:.1f} s ({exc}). "
                "Export or download the recording again."
            ) from None
        finally:
            # No gc.collect() here. faster-whisper collects after decoding because PyAV once kept
            # resampler buffers alive until a collection (https://github.com/SYSTRAN/faster-whisper/issues/390);
            # with PyAV 18 the memory is freed without one (tests/test_decode.py decodes a call 30 times),
            # and in a worker with the models loaded a full collection walks about 475,000 objects:
            # 0.22 s per call, most of the decode stage.
            del resampler
        codec = stream.codec_context.name
        container_name = container.format.name
        stream_bytes_per_s = (stream.codec_context.bit_rate or 0) / 8

    if not chunks or sum(c.shape[1] for c in chunks) == 0:
        raise ZeroLengthAudio(f"{path}: the audio stream has no samples. Check that the recording is not blank.")
    # Float WAVs can carry NaN or inf; no later stage should see them.
    samples = np.nan_to_num(np.concatenate(chunks, axis=1), nan=0.0, posinf=1.0, neginf=-1.0)
    decoded_s = samples.shape[1] / ANALYSIS_SAMPLE_RATE
    missing = _wav_missing_bytes(path, size) if container_name == "wav" else 0
    if missing and stream_bytes_per_s:
        declared = max(declared or 0.0, decoded_s + missing / stream_bytes_per_s)
    if declared is not None and declared - decoded_s > max(_TRUNCATION_MIN_S, _TRUNCATION_FRACTION * declared):
        raise TruncatedAudio(
            f"{path}: the file is truncated: its header says {declared:.1f} s but only {decoded_s:.1f} s "
            "could be decoded. Export or download the recording again."
        )
    return DecodedAudio(
        samples=np.ascontiguousarray(samples, dtype=np.float32),
        sample_rate=ANALYSIS_SAMPLE_RATE,
        source_sample_rate=int(source_rate),
        source_channels=int(source_channels),
        container=container_name,
        codec=codec,
        size_bytes=size,
    )
