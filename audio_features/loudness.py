"""Loudness of speech: frame level in dBFS, and level relative to the speaker's own median.

Level is the RMS of a frame in dB relative to digital full scale (dBFS); a
full-scale sine measures -3 dBFS and a sine of amplitude 0.1 measures -23 dBFS.
Telephone channels differ in gain, so absolute levels say little about how
loudly someone spoke; :func:`relative_levels` subtracts the speaker's own
median level over their speech.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SILENCE_DBFS", "frame_levels_db", "relative_levels"]

#: Level given to digital silence, dBFS, so that logs stay finite.
SILENCE_DBFS = -120.0


def frame_levels_db(x: np.ndarray, *, frame_length: int) -> np.ndarray:
    """RMS level of consecutive, non-overlapping frames.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n)]
        Waveform in [-1, 1].
    frame_length : int > 0
        Samples per frame; a trailing partial frame is dropped.

    Returns
    -------
    np.ndarray [shape=(..., n // frame_length)]
        Level of each frame, dBFS (a full-scale sine is -3 dBFS).
    """
    n = x.shape[-1] // frame_length
    frames = x[..., : n * frame_length].reshape(*x.shape[:-1], n, frame_length)
    # einsum sums the squares without materialising them: a 3-hour call stays small.
    power = np.einsum("...ij,...ij->...i", frames, frames).astype(np.float64) / frame_length
    return np.maximum(10 * np.log10(np.maximum(power, 1e-30)), SILENCE_DBFS)


def relative_levels(levels_db: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """Levels relative to the median level of the speech frames, dB.

    Parameters
    ----------
    levels_db : np.ndarray [shape=(n,)]
        Frame levels, dBFS.
    speech : np.ndarray [shape=(n,)], bool
        Frames where the speaker talks.

    Returns
    -------
    np.ndarray [shape=(n,)]
        ``levels_db`` minus the speaker's median; NaN outside speech, and
        everywhere when there is no speech.
    """
    out = np.full(levels_db.shape, np.nan)
    if speech.any():
        out[speech] = levels_db[speech] - np.median(levels_db[speech])
    return out
