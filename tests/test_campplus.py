"""CAM++ as pyannote's embedding model (audio_features/campplus.py), on the real weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_features.decode import decode_file

pytestmark = pytest.mark.models

CALL = Path(__file__).resolve().parent.parent / "fixtures" / "calls" / "callback_call_mono.flac"


def test_a_batch_embeds_each_chunk_as_it_would_be_alone(settings):
    """Issue 19: chunks with as many active frames are embedded in one forward pass (diarization of the
    5-minute mono call: 15.1-17.1 s against 18.8-22.1 s one at a time). Nothing may leak between them: no
    padding, no shared statistics; a chunk with too little speech stays NaN, and other lengths are embedded too."""
    import torch

    from audio_features.campplus import CAMPPlusEmbedding
    from audio_features.model_store import campplus_checkpoint

    model = CAMPPlusEmbedding(campplus_checkpoint(settings.models))
    audio = decode_file(CALL, max_duration_s=600).samples.mean(axis=0)
    n = 12
    chunks = torch.from_numpy(np.stack([audio[i * 16000 : (i + 10) * 16000] for i in range(n)]))[:, None]
    weights = torch.from_numpy((np.random.default_rng(0).random((n, 589)) > 0.3).astype(np.float32))
    weights[3] = 0  # no speech: NaN
    weights[4, 120:] = 0  # 2 s of frames at most: under MAX_FRAMES, a length of its own
    weights[5, 60:] = 0
    with torch.inference_mode():
        batched = model(chunks, weights).numpy()
        alone = np.vstack([model(chunks[i : i + 1], weights[i : i + 1]).numpy() for i in range(n)])
    assert np.isnan(batched[3]).all() and np.isnan(alone[3]).all()
    keep = [i for i in range(n) if i != 3]
    assert not np.isnan(batched[keep]).any()
    assert np.abs(batched[keep] - alone[keep]).max() < 1e-4
    assert len({round(float(np.linalg.norm(batched[i])), 3) for i in keep}) > 1  # not one row repeated
