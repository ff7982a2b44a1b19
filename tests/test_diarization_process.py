"""Diarization in a process of its own (``diarization_process = "own"``, the one-off CLI's choice; issue 19).

The child is a real spawned interpreter running the real models; nothing is stood in for.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from audio_features.errors import CallscopeError, ModelError

pytestmark = pytest.mark.models

CALLS = Path(__file__).resolve().parent.parent / "fixtures" / "calls"
MONO = CALLS / "callback_call_mono_8k_mulaw.wav"

_PARENT = """
import json, sys
from dataclasses import replace
from audio_features.config import Settings, apply_offline_environment
apply_offline_environment()
from analysis.pipeline import analyze_file
from analysis.report import build_report
report = build_report(analyze_file(sys.argv[1], replace(Settings.from_env(), diarization_process="own"))).to_json()
print(json.dumps({"torch": "torch" in sys.modules, "pyannote.audio": "pyannote.audio" in sys.modules,
                  "speakers": [s["speech_s"] for s in report["speakers"]],
                  "verdicts": {k: v["result"] for k, v in report["verdicts"].items()}}))
"""


def test_a_mono_call_diarized_apart_gives_the_same_report_and_never_loads_torch_in_the_analysing_process(analyze):
    """The memory point of issue 19: PyTorch and pyannote (about 1 GB) live only in the child, which exits before
    Whisper runs, so the 5-minute mono analysis peaks at 1.33 GB over both processes against 1.78 GB in one."""
    run = subprocess.run([sys.executable, "-c", _PARENT, str(MONO)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    apart = json.loads(run.stdout.strip().splitlines()[-1])
    assert not apart["torch"] and not apart["pyannote.audio"]
    same = analyze(MONO, diarization_process="same")
    assert apart["verdicts"] == {k: v["result"] for k, v in same["verdicts"].items()}
    assert apart["speakers"] == pytest.approx([s["speech_s"] for s in same["speakers"]], abs=0.05)


def test_an_error_in_the_diarization_process_reaches_the_caller_as_itself(settings):
    """A missing segmentation checkpoint is refused in the child with ModelError (exit code 3 in the CLI); the
    parent raises that same error, not a broken pipe."""
    from audio_features.diarization import diarize_apart

    bad = replace(settings, segmentation_model="/nonexistent/segmentation")
    with pytest.raises(ModelError, match="nonexistent"):
        diarize_apart(np.zeros(16000, dtype=np.float32), bad)


def test_a_diarization_process_that_dies_is_an_error_that_says_so(settings):
    """Killed mid-way (the kernel's OOM killer does this), the child sends nothing: the caller gets an error
    naming the exit, never a hang or an empty diarization."""
    from audio_features.diarization import diarize_apart

    audio = np.random.default_rng(0).normal(0, 0.1, 16000 * 60).astype(np.float32)
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = diarize_apart(audio, settings)
        except Exception as e:  # the test looks at what it was
            outcome["error"] = e

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 60
    while not (children := [p for p in multiprocessing.active_children() if p.name == "callscope-diarize"]):
        assert time.monotonic() < deadline, "no diarization process was started"
        time.sleep(0.05)
    children[0].kill()
    worker.join(timeout=60)
    assert isinstance(outcome.get("error"), CallscopeError), outcome
    assert "exited with code -9" in str(outcome["error"])
