"""CTranslate2 keeps its own OpenMP runtime beside PyTorch's (audio_features.openmp).

Run in a fresh process pinned to 2 cores (this machine's size and the bar's): transcribe with Whisper on 2
threads, then run PyTorch convolutions on 2 threads and count the process's voluntary context switches.
With one shared runtime (PyTorch imported first) its barriers sleep instead of spinning: about 480
switches for these 60 convolutions on the 2-core machine, against about 20 with separate runtimes.
A count, not a time: it does not depend on the machine's speed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHILD = r"""
import os, resource, sys
os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
from audio_features.config import Settings, apply_offline_environment
apply_offline_environment()
if sys.argv[1] == "callscope":
    from audio_features.openmp import import_torch
    torch = import_torch()
else:
    import torch
import numpy as np
from audio_features.transcription import load_whisper
settings = Settings.from_env()
model = load_whisper(settings.models.model_copy(update={"cpu_threads": 2}))
segments, _ = model.transcribe(np.random.default_rng(0).normal(0, 0.01, 16000 * 5).astype(np.float32), vad_filter=False)
list(segments)
torch.set_num_threads(2)
conv, x = torch.nn.Conv1d(80, 80, 5), torch.randn(32, 80, 2000)
before = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw
with torch.inference_mode():
    for _ in range(60):
        conv(x)
print(resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw - before)
"""


def _switches(order: str) -> int:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, order], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 cores")
def test_pytorch_keeps_spinning_at_its_barriers_after_a_transcription():
    assert _switches("callscope") < 100
