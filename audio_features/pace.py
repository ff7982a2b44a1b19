"""Speaking rate from word timestamps, pauses excluded.

**Articulation time** of a run of words is the time from each word's start
to the next word's start, except that a gap of ``PAUSE_S`` or more between
two words counts as a pause and is left out (the last word counts its own
duration). **Rate** is words per minute of articulation time, the usual
"articulation rate" of phonetics (as opposed to speech rate, which keeps
pauses in). Conversational English runs at about 150-190 wpm.
"""

from __future__ import annotations

import numpy as np

from audio_features.transcription import Word

__all__ = ["PAUSE_S", "articulation_rate_wpm", "rate_timeline"]

#: Gaps between words at least this long are pauses, s (a common silent-pause threshold is 0.25 s).
PAUSE_S = 0.25
#: Fewest words for a rate to be reported; fewer give a meaningless figure.
MIN_WORDS = 3


def _articulation_s(words: list[Word]) -> float:
    total = 0.0
    for w, nxt in zip(words, [*words[1:], None], strict=True):
        if nxt is not None and nxt.start - w.end < PAUSE_S:
            total += max(0.0, nxt.start - w.start)
        else:
            total += max(0.0, w.end - w.start)
    return total


def articulation_rate_wpm(words: list[Word]) -> float | None:
    """Words per minute of articulation time, or None for fewer than ``MIN_WORDS`` words."""
    if len(words) < MIN_WORDS:
        return None
    seconds = _articulation_s(words)
    return 60.0 * len(words) / seconds if seconds > 0 else None


def rate_timeline(words: list[Word], times: np.ndarray, *, window_s: float) -> np.ndarray:
    """Articulation rate in a sliding window centred on each of ``times``.

    Parameters
    ----------
    words : list of Word
        One party's words, in time order.
    times : np.ndarray [shape=(n,)]
        Window centres, s.
    window_s : float
        Window length, s.

    Returns
    -------
    np.ndarray [shape=(n,)]
        Words per minute; NaN where the window holds fewer than ``MIN_WORDS`` words.
    """
    out = np.full(times.shape, np.nan)
    if not words:
        return out
    mids = np.array([(w.start + w.end) / 2 for w in words])
    half = window_s / 2
    lo = np.searchsorted(mids, times - half)
    hi = np.searchsorted(mids, times + half)
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        rate = articulation_rate_wpm(words[a:b])
        if rate is not None:
            out[i] = rate
    return out
