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


SENTENCES = ["I am really worried about paying my rent.", "Hi, my name is David Miller.", "That's all for today."]


def _load_fresh(settings):
    """The empathy model built anew (not the process's cached one), in a fresh process."""
    code = (
        "import json, sys; from audio_features.config import Settings; "
        "from audio_features.sentence_model import load_empathy_model; "
        f"m = load_empathy_model(Settings.from_env(cache_dir={str(settings.cache_dir)!r}).models); "
        f"e, g, p = m.feeling_scores({SENTENCES!r}); "
        "print(json.dumps([e, g.tolist(), p.tolist(), 'sklearn' in sys.modules]))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.models
def test_the_exemplars_are_embedded_once_and_the_saved_ones_give_the_same_scores(tmp_path):
    """Issue 19 (start-up): embedding the 419 exemplars and fitting the probe took 5.0 s of every one-off
    analysis; saved in the models folder, loading takes 0.25 s, without scikit-learn, for the same scores.
    A saved file cut short is embedded again and rewritten, never half-read."""
    from audio_features.config import Settings

    settings = Settings.from_env(cache_dir=str(tmp_path)).models
    first = _load_fresh(settings)
    saved = list((tmp_path / "models" / "empathy-exemplars").glob("*.npz"))
    assert len(saved) == 1 and first[3]  # embedded and fitted (scikit-learn) the first time
    again = _load_fresh(settings)
    assert not again[3]  # read back: no fit
    assert again[0] == first[0]
    assert np.allclose(again[1], first[1], atol=1e-6) and np.allclose(again[2], first[2], atol=1e-6)
    saved[0].write_bytes(saved[0].read_bytes()[:100])  # cut short: embedded again, and rewritten
    assert _load_fresh(settings)[3]
    assert len(saved[0].read_bytes()) > 100
