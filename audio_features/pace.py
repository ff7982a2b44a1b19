"""Speaking rate from word timestamps, pauses excluded.

**Articulation time** of a run of words is the time from each word's start
to the next word's start, except that a gap of ``PAUSE_S`` or more between
two words counts as a pause and is left out (the last word counts its own
duration). **Rate** is words per minute of articulation time, the usual
"articulation rate" of phonetics (as opposed to speech rate, which keeps
pauses in). Conversational English runs at about 150-190 wpm.

**Syllables per second** is the same articulation time with syllables
counted in the words' spelling: vowel groups (``y`` counts as a vowel after
a consonant), less a silent final ``e``, at least one per word. That rule is
English-only and is off by about one syllable in ten words, which averages
out over a turn; for other languages the rate is not given
(:func:`syllable_rate` returns None). Conversational English runs at about
4-6 syllables per second.
"""

from __future__ import annotations

import re

import numpy as np

from audio_features.transcription import Word

__all__ = ["PAUSE_S", "articulation_rate_wpm", "count_syllables", "rate_timeline", "syllable_rate"]

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


_VOWEL_GROUPS = re.compile(r"[aeiou]+|(?<=[^aeiou])y")
#: Languages the syllable rule applies to.
SYLLABLE_LANGUAGES = ("en",)


def count_syllables(word: str) -> int:
    """Syllables in an English word's spelling (see the module docstring); 0 for a word without letters."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    n = len(_VOWEL_GROUPS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and n > 1:
        n -= 1
    return max(1, n)


def syllable_rate(words: list[Word], language: str | None) -> float | None:
    """Syllables per second of articulation time; None for fewer than ``MIN_WORDS`` words or a non-English call."""
    if language not in SYLLABLE_LANGUAGES or len(words) < MIN_WORDS:
        return None
    seconds = _articulation_s(words)
    return sum(count_syllables(w.text) for w in words) / seconds if seconds > 0 else None


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
