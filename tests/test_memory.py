"""audio_features.memory: freed C-heap pages go back to the operating system."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHILD = r"""
import psutil
from audio_features.memory import release_freed

rss = lambda: psutil.Process().memory_info().rss / 2**20
# About 190 MB of the C heap in blocks below glibc's mmap threshold, each followed by a small block that stays:
# the freed blocks are holes that free() cannot give back (the heap only shrinks at its top).
blocks, pins = [], []
for _ in range(3000):
    blocks.append(bytes(64 * 1024))
    pins.append(bytes(1024))
before = rss()
del blocks
freed = rss()
returned = release_freed()
print(before, freed, rss(), returned)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_release_freed_returns_freed_heap_pages():
    # A fresh interpreter, so that no other test's allocations sit in the heap.
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout.split()
    before, freed, after, returned = float(out[0]), float(out[1]), float(out[2]), out[3]
    assert freed > before - 50, "glibc returned the blocks without being asked: the test shows nothing"
    assert returned == "True"
    assert after < freed - 100, (before, freed, after)
