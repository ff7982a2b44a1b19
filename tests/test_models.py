"""Model weights: verified by hash, with an error that names the fix."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from audio_features.errors import ModelError
from audio_features.model_store import (
    campplus_checkpoint,
    segmentation_checkpoint,
    verify_models,
    whisper_model_path,
)


@pytest.fixture
def private_cache(settings, tmp_path):
    """A copy of the verified model cache that a test may damage."""
    shutil.copytree(settings.models_dir, tmp_path / "models")
    return replace(settings, cache_dir=str(tmp_path))


def test_installed_weights_verify(settings):
    verify_models(settings, log=lambda _: None)
    assert whisper_model_path(settings).endswith("whisper-base")
    assert whisper_model_path(replace(settings, whisper_model="tiny.en")).endswith("model")


@pytest.mark.parametrize("relpath", ["whisper-base/model.bin", "whisper-base/tokenizer.json"])
def test_corrupt_whisper_file(private_cache, relpath):
    path = private_cache.models_dir / relpath
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"corrupt.*make models"):
        whisper_model_path(private_cache)


@pytest.mark.parametrize("loader", [segmentation_checkpoint, campplus_checkpoint])
def test_corrupt_or_missing_diarization_weights(private_cache, loader):
    path = loader(private_cache)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelError, match=r"corrupt.*make models"):
        loader(private_cache)
    path.unlink()
    with pytest.raises(ModelError, match=r"missing.*make models"):
        loader(private_cache)


def test_missing_base_is_rejoined_from_installed_packages(private_cache):
    """A deleted joined model is rebuilt from the pip-installed parts, then verified."""
    (private_cache.models_dir / "whisper-base" / "model.bin").unlink()
    assert whisper_model_path(private_cache).endswith("whisper-base")


def test_hub_name_while_offline(settings, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE=0"):
        whisper_model_path(replace(settings, whisper_model="Systran/faster-whisper-small"))


def test_local_directory_must_hold_a_tokenizer(settings, tmp_path):
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match=r"tokenizer\.json missing"):
        whisper_model_path(replace(settings, whisper_model=str(tmp_path)))


def test_local_directory_is_used_as_is(settings, tmp_path):
    """A user's own model directory (here: a copy of base) loads and transcribes."""
    import numpy as np

    from audio_features.transcription import transcribe

    local = tmp_path / "my-whisper"
    shutil.copytree(whisper_model_path(settings), local)
    custom = replace(settings, whisper_model=str(local))
    assert whisper_model_path(custom) == str(local)
    assert transcribe(np.zeros(16000, dtype=np.float32), custom).words == []
