"""The NumPy BERT encoder against sentence-transformers on the same weights, and a stereo analysis without
PyTorch (issue 19: memory)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audio_features.bert_numpy import BertEncoder, supports

ROOT = Path(__file__).resolve().parent.parent
EXEMPLARS = json.loads((ROOT / "audio_features" / "data" / "empathy_exemplars.json").read_text())


@pytest.fixture(scope="module")
def model_dir(settings) -> str:
    from audio_features.model_store import sentence_model_path

    return sentence_model_path(settings.models)


@pytest.mark.models
def test_the_same_embeddings_as_sentence_transformers(model_dir):
    """Every exemplar, and the edges: an empty text, one word, and a text over the 256-token limit."""
    from sentence_transformers import SentenceTransformer

    texts = [s for group in EXEMPLARS["neutral"].values() for s in group] + EXEMPLARS["acknowledging"]
    texts += [s for group in EXEMPLARS["feelings"].values() for s in group] + ["", "Okay.", "so " * 400]
    ours = BertEncoder(model_dir).encode(texts, batch_size=64, normalize_embeddings=True)
    reference = SentenceTransformer(model_dir, device="cpu").encode(texts, batch_size=64, normalize_embeddings=True)
    assert ours.shape == reference.shape == (len(texts), 384)
    assert np.abs(ours - reference).max() < 1e-5


def test_only_a_mean_pooled_bert_runs_in_numpy(model_dir, tmp_path):
    """Another pooling (here the CLS token) is left to sentence-transformers."""
    assert supports(model_dir)
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    (copy / "model.safetensors").touch()
    assert supports(str(copy))
    pooling = json.loads((copy / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    (copy / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    assert not supports(str(copy))
    assert not supports(str(tmp_path / "missing"))


@pytest.mark.models
def test_a_stereo_analysis_does_not_import_torch():
    """The stereo path's other models are Whisper (CTranslate2) and Silero VAD (onnxruntime): with the
    sentence model in NumPy, a stereo call never imports PyTorch (about 600 MB less at peak)."""
    code = (
        "import sys\n"
        "from audio_features.config import Settings, apply_offline_environment\n"
        "apply_offline_environment()\n"
        "from analysis.pipeline import analyze_file\n"
        "from analysis.report import build_report\n"
        "r = build_report(analyze_file(sys.argv[1], Settings.from_env())).to_json()\n"
        "print('torch' in sys.modules, r['verdicts']['acknowledged_feelings']['result'])\n"
    )
    call = ROOT / "fixtures" / "calls" / "listening_agent_stereo.flac"
    done = subprocess.run(
        [sys.executable, "-c", code, str(call)], cwd=ROOT, capture_output=True, text=True, timeout=600, check=True
    )
    assert done.stdout.split()[-2:] == ["False", "passed"], done.stdout
