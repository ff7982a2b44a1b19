"""One OpenMP runtime per library: CTranslate2 is imported before PyTorch.

Both libraries run their CPU kernels on GNU OpenMP (``libgomp``), each with its own copy in its wheel.
PyTorch loads its copy into the process's global symbol scope, and a CTranslate2 loaded after it binds
its OpenMP calls to PyTorch's copy instead of its own. Both libraries' thread teams then belong to one
runtime, which counts more threads than the process has cores and so stops spinning at its barriers
(libgomp's "throttled" wait: about 100 spins, then a futex sleep): every parallel region of the
diarization models then waits on a sleeping thread. Measured on a 5-minute mono call in one process (2
cores, the steps of ``python -m bench.warm``): the first diarization took 21 s, every one after a
transcription 42-44 s on 1.1 cores with 500,000 voluntary context switches, where it had 80.
CTranslate2's ``cpu_threads=1`` also set PyTorch's thread count to 1 through the shared runtime.
Imported first, CTranslate2 keeps its own runtime, and diarization after transcription takes what it
took before (bench/RESULTS.md).
"""

from __future__ import annotations

__all__ = ["import_torch"]


def import_torch():
    """PyTorch, imported after CTranslate2 (module docstring); use it instead of ``import torch``."""
    import ctranslate2  # noqa: F401  (first: it must bind its own libgomp)
    import torch

    return torch
