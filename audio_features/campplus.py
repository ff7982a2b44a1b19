"""CAM++ speaker embeddings, wrapped as a ``pyannote.audio.Model``.

CAM++ (Wang et al., Interspeech 2023; 3D-Speaker, Apache-2.0) maps 80-bin
Kaldi-style log-mel filterbanks of 16 kHz speech to a 192-dimensional
speaker embedding. The weights are ``campplus_cn_en_common.pt`` (see
:mod:`audio_features.model_store`); the architecture comes from the
``speakerlab`` package.

pyannote's diarization pipeline asks its embedding model for one embedding per
(chunk, local speaker), passing the segmentation as ``weights``. Here only the
frames where that speaker is active are embedded, which is what pyannote's own
SpeechBrain wrapper does; a speaker with too little speech in a chunk gets a
NaN embedding, which the pipeline skips. That skip is most of the speed: most
chunks hold fewer than three active speakers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio.compliance.kaldi as kaldi
from pyannote.audio import Model
from pyannote.audio.core.task import Problem, Resolution, Specifications

__all__ = ["CAMPPlusEmbedding"]

SAMPLE_RATE = 16000
NUM_MEL_BINS = 80
EMBEDDING_DIM = 192
#: Fewest filterbank frames (10 ms each) worth embedding: 0.3 s of speech.
MIN_FRAMES = 30
#: Most frames embedded per (chunk, speaker): speaker-verification accuracy
#: saturates after a few seconds of speech, while CAM++'s cost grows with
#: length (about 60 ms for 3 s on one of this project's 2-core machines). 2 s gave
#: the same DER as 3 s on the fixtures and on conversation_30s.
MAX_FRAMES = 200
#: Items of the same length embedded in one forward pass (issue 19). Warm diarization of the 5-minute mono
#: call on 2 cores, idle machine, two runs each: 1 (one at a time, before) 18.8-22.1 s, 4: 15.1-17.1 s, 8:
#: 15.7 s; the one-off analysis's peak over both processes: 4: 1359 MB, 8: 1509 MB, 16: 1859 MB (CAM++'s
#: activations grow with the batch), against 1331 MB one at a time. The embeddings are the same (within 4e-6).
FORWARD_BATCH = 4


class CAMPPlusEmbedding(Model):
    """CAM++ as a pyannote embedding model.

    Args:
        checkpoint: Path to the CAM++ state dict.
    """

    def __init__(self, checkpoint: str | Path):
        super().__init__(sample_rate=SAMPLE_RATE, num_channels=1)
        from speakerlab.models.campplus.DTDNN import CAMPPlus

        self.campplus = CAMPPlus(feat_dim=NUM_MEL_BINS, embedding_size=EMBEDDING_DIM)
        state = torch.load(str(checkpoint), map_location="cpu", weights_only=True)
        self.campplus.load_state_dict(state, strict=True)
        self.campplus.eval()
        self.specifications = Specifications(problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=10.0)

    @property
    def dimension(self) -> int:
        return EMBEDDING_DIM

    def _features(self, waveform: torch.Tensor) -> torch.Tensor:
        """(samples,) -> (frames, 80) log-mel filterbank, 25 ms window, 10 ms hop."""
        return kaldi.fbank(waveform[None], num_mel_bins=NUM_MEL_BINS, sample_frequency=SAMPLE_RATE, dither=0.0)

    def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """Embed a batch.

        Args:
            waveforms: (batch, 1, samples), 16 kHz.
            weights: (batch, frames) speaker activity from the segmentation,
                or None to embed every frame.

        Returns:
            (batch, 192) embeddings; NaN rows where a speaker has under 0.3 s.
        """
        out = torch.full((waveforms.shape[0], EMBEDDING_DIM), float("nan"))
        by_length: dict[int, list[tuple[int, torch.Tensor]]] = {}
        previous: tuple[torch.Tensor, torch.Tensor] | None = None
        for i, waveform in enumerate(waveforms[:, 0]):
            # Consecutive items are the same chunk for different speakers.
            if previous is not None and torch.equal(previous[0], waveform):
                feats = previous[1]
            else:
                feats = self._features(waveform)
                previous = (waveform, feats)
            if weights is not None:
                mask = F.interpolate(weights[i][None, None].float(), size=feats.shape[0], mode="nearest")[0, 0] > 0.5
                selected = feats[mask]
            else:
                selected = feats
            if selected.shape[0] < MIN_FRAMES:
                if weights is None:
                    raise ValueError(f"CAM++ needs at least {MIN_FRAMES} frames, got {selected.shape[0]}")
                continue
            if selected.shape[0] > MAX_FRAMES:
                start = (selected.shape[0] - MAX_FRAMES) // 2
                selected = selected[start : start + MAX_FRAMES]
            selected = selected - selected.mean(dim=0, keepdim=True)
            by_length.setdefault(selected.shape[0], []).append((i, selected))
        # Forward passes of up to FORWARD_BATCH items of one length (most have MAX_FRAMES): CAM++ in eval mode
        # treats each item on its own (no padding, batch norm on its running statistics), so batching changes
        # no embedding; it saves the per-call overhead of CAM++'s many small convolutions.
        for same_length in by_length.values():
            for k in range(0, len(same_length), FORWARD_BATCH):
                items = same_length[k : k + FORWARD_BATCH]
                out[[i for i, _ in items]] = self.campplus(torch.stack([feats for _, feats in items]))
        return out

    def embed_numpy(self, waveform: np.ndarray) -> np.ndarray:
        """One embedding for a whole 16 kHz mono waveform (for tests and tools)."""
        with torch.inference_mode():
            return self.forward(torch.from_numpy(waveform.astype(np.float32))[None, None])[0].numpy()
