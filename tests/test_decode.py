"""Decoding: every accepted format, rate and channel count; every refusal."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from audio_features.decode import ANALYSIS_SAMPLE_RATE, decode_file
from audio_features.errors import EmptyFile, FileNotFound, NotAudio, TooLong, TruncatedAudio, ZeroLengthAudio
from fixtures.audio_files import FORMATS, suffix_for, write_audio

RATES = [8000, 16000, 22050, 44100, 48000]
LEFT_HZ, RIGHT_HZ = 440.0, 1000.0


def _tones(rate: int, seconds: float = 2.0, channels: int = 2) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    rows = [0.3 * np.sin(2 * np.pi * LEFT_HZ * t), 0.3 * np.sin(2 * np.pi * RIGHT_HZ * t)]
    return np.stack(rows[:channels]).astype(np.float32)


def _peak_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spectrum) * ANALYSIS_SAMPLE_RATE / x.size)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_formats_keep_channels_rate_and_duration(tmp_path, fmt, rate):
    path = write_audio(tmp_path / f"tone{suffix_for(fmt)}", _tones(rate), rate, fmt)
    audio = decode_file(path, max_duration_s=60)
    assert audio.sample_rate == ANALYSIS_SAMPLE_RATE
    assert audio.channels == 2
    assert audio.source_channels == 2
    assert audio.source_sample_rate == (48000 if fmt == "ogg_opus" else rate)
    # Lossy codecs pad by a frame or two (AAC: 1024 samples of priming plus a
    # partial frame, 0.26 s at 8 kHz); PCM and FLAC are exact.
    lossless = fmt.startswith("wav") or fmt == "flac"
    assert audio.duration_s == pytest.approx(2.0, abs=0.001 if lossless else 0.3)
    # Stereo is kept per channel: each channel still holds its own tone.
    middle = audio.samples[:, 4000:-4000]
    assert _peak_hz(middle[0]) == pytest.approx(LEFT_HZ, abs=5)
    assert _peak_hz(middle[1]) == pytest.approx(RIGHT_HZ, abs=5)
    assert np.abs(audio.samples).max() <= 1.0


@pytest.mark.parametrize("fmt", ["wav_pcm16", "wav_mulaw", "mp3", "ogg_opus", "m4a_aac"])
def test_mono_stays_mono(tmp_path, fmt):
    path = write_audio(tmp_path / f"mono{suffix_for(fmt)}", _tones(8000, channels=1), 8000, fmt)
    audio = decode_file(path, max_duration_s=60)
    assert audio.channels == 1
    assert _peak_hz(audio.samples[0, 4000:-4000]) == pytest.approx(LEFT_HZ, abs=5)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFound, match="no such file"):
        decode_file(tmp_path / "nope.wav", max_duration_s=60)


def test_empty_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(EmptyFile, match="empty"):
        decode_file(tmp_path / "empty.wav", max_duration_s=60)


@pytest.mark.parametrize(
    "content",
    [b"hello, this is a text file and not a recording\n" * 40, bytes(range(256)) * 64, b"%PDF-1.4\n" + b"0" * 4000],
)
def test_not_audio(tmp_path, content):
    (tmp_path / "call.wav").write_bytes(content)
    with pytest.raises(NotAudio, match="not an audio file"):
        decode_file(tmp_path / "call.wav", max_duration_s=60)


def test_image_is_not_audio(tmp_path):
    from PIL import Image

    Image.new("RGB", (32, 32), "red").save(tmp_path / "call.png")
    with pytest.raises(NotAudio, match="no audio stream"):
        decode_file(tmp_path / "call.png", max_duration_s=60)


def test_zero_length_wav(tmp_path):
    with wave.open(str(tmp_path / "zero.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
    with pytest.raises(ZeroLengthAudio, match="no samples"):
        decode_file(tmp_path / "zero.wav", max_duration_s=60)


@pytest.mark.parametrize("fmt", ["wav_pcm16", "wav_mulaw", "flac", "mp3"])
def test_truncated(tmp_path, fmt):
    whole = write_audio(tmp_path / f"whole{suffix_for(fmt)}", _tones(16000, seconds=4), 16000, fmt).read_bytes()
    cut = tmp_path / f"cut{suffix_for(fmt)}"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(TruncatedAudio, match=r"truncated|corrupt"):
        decode_file(cut, max_duration_s=60)


def test_streaming_wav_without_length_is_accepted(tmp_path):
    """Recorders that never patch the RIFF sizes write 0xFFFFFFFF; that is not truncation."""
    path = write_audio(tmp_path / "live.wav", _tones(8000), 8000, "wav_pcm16")
    data = bytearray(path.read_bytes())
    i = data.index(b"data")
    data[i + 4 : i + 8] = (0xFFFFFFFF).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert decode_file(path, max_duration_s=60).duration_s == pytest.approx(2.0, abs=0.01)


def test_too_long_is_refused_from_the_header(tmp_path):
    path = write_audio(tmp_path / "long.wav", _tones(8000, seconds=30, channels=1), 8000, "wav_mulaw")
    with pytest.raises(TooLong, match=r"0:00:30 is longer than the 0:00:20 limit"):
        decode_file(path, max_duration_s=20)


def test_six_hour_file_is_refused_fast(tmp_path):
    """A 6-hour telephone recording is refused from its header, without decoding 6 hours."""
    import time

    path = tmp_path / "six_hours.wav"
    rate, seconds = 8000, 6 * 3600
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(b"\x80" * (rate * seconds))
    start = time.perf_counter()
    with pytest.raises(TooLong, match="6:00:00 is longer than the 3:00:00 limit"):
        decode_file(path, max_duration_s=3 * 3600)
    assert time.perf_counter() - start < 5


def test_a_header_that_declares_six_hours_over_a_short_body_is_too_long(tmp_path):
    """The header's declared length is checked before decoding, so a 6-hour WAV header over a 1 s body is
    audio_too_long (as the FLAC case is), not truncated_audio: the order is limit, decode, truncation."""
    path = write_audio(tmp_path / "short.wav", _tones(8000, seconds=1, channels=1), 8000, "wav_pcm16")
    data = bytearray(path.read_bytes())
    i = data.index(b"data")
    data[i + 4 : i + 8] = (8000 * 2 * 6 * 3600).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(TooLong, match="6:00:00 is longer than the 3:00:00 limit") as caught:
        decode_file(path, max_duration_s=3 * 3600)
    assert caught.value.code == "audio_too_long"
    # Under the limit, the same header is a truncated file.
    with pytest.raises(TruncatedAudio):
        decode_file(path, max_duration_s=7 * 3600)


def test_decoding_frees_its_buffers_without_a_garbage_collection(tmp_path):
    """decode_file no longer calls gc.collect() (0.22 s a call in a warm worker): PyAV must free its buffers itself.

    A 60 s stereo call at 8 kHz decodes to 7.7 MB of 16 kHz float32. Thirty decodes with the
    collector off would hold about 230 MB if the resampler's buffers waited for a collection.
    """
    import gc

    import psutil

    path = tmp_path / "call.wav"
    write_audio(path, _tones(8000, seconds=60.0), 8000, "wav_pcm16")
    process = psutil.Process()
    decode_file(path, max_duration_s=600)
    before = process.memory_info().rss
    gc.disable()
    try:
        for _ in range(30):
            decode_file(path, max_duration_s=600)
        grown_mb = (process.memory_info().rss - before) / 1e6
    finally:
        gc.enable()
    assert grown_mb < 50, f"RSS grew {grown_mb:.0f} MB over 30 decodes"
