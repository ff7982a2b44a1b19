"""Speech probability of each 32 ms frame: Silero VAD v6, the model faster-whisper ships.

Why Silero and not an energy threshold: real telephone channels carry line
noise, breaths, clicks and background sounds at levels that an energy
detector cannot tell from soft speech, and some recorders gate a channel to
digital silence between words, which leaves an energy detector without a
noise floor to measure against. On the real bank calls in
``../shared/data/real`` an energy detector counted 53 s of speech on a
63 s caller channel (issue 14); Silero, a neural detector trained on speech
in many conditions, brought stereo DER from 0.66 to under 0.10 there
(``bench/RESULTS.md``).

The model is faster-whisper's ``assets/silero_vad_v6.onnx``, run by
faster-whisper's own :class:`~faster_whisper.vad.SileroVADModel` (MIT, from
https://github.com/snakers4/silero-vad), so nothing more is installed and
the same weights serve transcription. It reads 16 kHz audio in frames of
512 samples; telephone audio at 8 kHz is upsampled by the decoder first.

:func:`speech_mask` turns the probabilities into a speech decision with
Silero's own hysteresis: a frame starts speech at ``threshold`` and speech
goes on until the probability falls below ``threshold - 0.15`` (the rule of
faster-whisper's ``get_speech_timestamps``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["FRAME_S", "HYSTERESIS", "SAMPLE_RATE", "speech_mask", "speech_probabilities"]

SAMPLE_RATE = 16000
#: Samples per Silero frame at 16 kHz.
FRAME_SAMPLES = 512
#: Length of one frame, s.
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
#: Speech continues until the probability falls this far below the threshold (Silero's rule).
HYSTERESIS = 0.15


def speech_probabilities(audio: np.ndarray) -> np.ndarray:
    """Silero's speech probability for each frame of ``audio``.

    Parameters
    ----------
    audio : np.ndarray [shape=(n,)]
        16 kHz waveform in [-1, 1].

    Returns
    -------
    np.ndarray [shape=(ceil(n / 512),)]
        Probability 0..1 that frame ``i`` (samples ``512 i`` to ``512 (i + 1)``,
        i.e. ``i * FRAME_S`` s onwards) holds speech.
    """
    from faster_whisper.vad import get_vad_model

    if audio.size == 0:
        return np.zeros(0, dtype=np.float32)
    padded = np.pad(audio.astype(np.float32, copy=False), (0, -audio.size % FRAME_SAMPLES))
    return np.asarray(get_vad_model()(padded), dtype=np.float32).reshape(-1)


def speech_mask(probabilities: np.ndarray, *, threshold: float) -> np.ndarray:
    """Frames that are speech, with hysteresis (see the module docstring).

    Parameters
    ----------
    probabilities : np.ndarray [shape=(n,)]
        From :func:`speech_probabilities`.
    threshold : float in (0, 1)
        Probability at which speech starts.

    Returns
    -------
    np.ndarray [shape=(n,)], bool
    """
    off = max(threshold - HYSTERESIS, 0.01)
    above, below = probabilities >= threshold, probabilities < off
    # Each frame takes the state of the last decisive frame (above: on, below: off) at or before it.
    decisive = np.where(above | below, np.arange(probabilities.size), -1)
    last = np.maximum.accumulate(decisive) if decisive.size else decisive
    return np.where(last >= 0, above[np.maximum(last, 0)], False)
