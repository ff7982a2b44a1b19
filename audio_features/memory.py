"""Handing memory that the analysis has freed back to the operating system (issue 19, memory).

Decoding, Whisper's feature extraction and decoding, and Silero VAD allocate and free hundreds of MB
through the C heap. glibc keeps freed pages for reuse rather than returning them, so each stage's
transient peak stays resident under the next stage's own: on the 5-minute stereo call the one-off
analysis peaked at 930-940 MB, and at 814-840 MB with :func:`release_freed` after language detection, after
each channel's transcription and after each stage (bench/RESULTS.md, issue 19, 2026-12-08 session 9). Nothing that is
still in use is freed: ``malloc_trim`` only unmaps free pages.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

__all__ = ["release_freed"]


@lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None on a C library without it (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_freed() -> bool:
    """Return the C heap's free pages to the operating system (``malloc_trim(0)``).

    Returns:
        Whether any memory was returned; False too where the C library has no ``malloc_trim``.
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
