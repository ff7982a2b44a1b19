"""A BERT sentence encoder in NumPy: the empathy stage's encoder without PyTorch.

sentence-transformers runs all-MiniLM-L6-v2 through PyTorch, and importing PyTorch is most of a stereo
analysis's memory (the stereo path needs no other torch model). This module runs the same network from
the same hash-checked weights (``model.safetensors`` of the bundled package) with NumPy and the
``tokenizers`` library, and pools the way the model's sentence-transformers modules say: the mean of the
token vectors under the attention mask (``1_Pooling``), then unit length (``2_Normalize``).

The network is BERT as in Devlin et al. (NAACL 2019) and Hugging Face's ``BertModel``: word, position and
token-type embeddings summed and layer-normalised; then per layer, multi-head self-attention (scaled dot
product, padding masked out) with a residual connection and layer norm, and a feed-forward block (GELU,
the erf form) with a residual connection and layer norm. Embeddings agree with sentence-transformers'
to about 1e-6 (``tests/test_bert_numpy.py``).

Only BERT models with mean pooling are run here (:func:`supports`); any other sentence-transformers model
is loaded by sentence-transformers as before.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

__all__ = ["BertEncoder", "supports"]

_SQRT_HALF = np.float32(math.sqrt(0.5))  # float32 constants keep every product in float32


def supports(model_dir: str) -> bool:
    """Whether ``model_dir`` is a sentence-transformers BERT with mean pooling and safetensors weights."""
    root = Path(model_dir)
    try:
        config = json.loads((root / "config.json").read_text())
        pooling = json.loads((root / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and pooling.get("pooling_mode_mean_tokens") is True
        and not any(v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
        and (root / "model.safetensors").is_file()
        and (root / "tokenizer.json").is_file()
    )


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = np.square(x - mean).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + np.float32(eps)) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x * _SQRT_HALF))


class BertEncoder:
    """``encode(texts)`` as sentence-transformers' ``SentenceTransformer.encode`` for a mean-pooled BERT."""

    def __init__(self, model_dir: str) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        root = Path(model_dir)
        self.config = json.loads((root / "config.json").read_text())
        st_config = root / "sentence_bert_config.json"
        max_len = json.loads(st_config.read_text()).get("max_seq_length", 512) if st_config.is_file() else 512
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_len)
        self.tokenizer.enable_padding(pad_id=self.config.get("pad_token_id", 0))
        weights = load_file(str(root / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in weights.items()}

    def _encoder_layer(self, h: np.ndarray, mask: np.ndarray, i: int) -> np.ndarray:
        w, c = self.w, self.config
        p = f"encoder.layer.{i}."
        heads = c["num_attention_heads"]
        n, t, d = h.shape

        def linear(x: np.ndarray, name: str) -> np.ndarray:  # one (n * t, in) x (in, out) product: one BLAS call
            out = x.reshape(-1, x.shape[-1]) @ w[p + name + ".weight"].T + w[p + name + ".bias"]
            return out.reshape(*x.shape[:-1], -1)

        def split(x: np.ndarray) -> np.ndarray:  # (n, t, d) -> (n, heads, t, d / heads)
            return x.reshape(n, t, heads, d // heads).transpose(0, 2, 1, 3)

        q, k, v = (split(linear(h, f"attention.self.{m}")) for m in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) * np.float32(1.0 / math.sqrt(d // heads)) + mask
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attended = (scores / scores.sum(axis=-1, keepdims=True)) @ v
        attended = attended.transpose(0, 2, 1, 3).reshape(n, t, d)
        eps = c["layer_norm_eps"]
        h = _layer_norm(linear(attended, "attention.output.dense") + h, *self._ln(p + "attention.output"), eps)
        inner = _gelu(linear(h, "intermediate.dense"))
        return _layer_norm(linear(inner, "output.dense") + h, *self._ln(p + "output"), eps)

    def _ln(self, prefix: str) -> tuple[np.ndarray, np.ndarray]:
        return self.w[prefix + ".LayerNorm.weight"], self.w[prefix + ".LayerNorm.bias"]

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        attention = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        w = self.w
        h = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(ids.shape[1])]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        h = _layer_norm(h, *self._ln("embeddings"), self.config["layer_norm_eps"])
        mask = ((1.0 - attention) * np.finfo(np.float32).min)[:, None, None, :]
        for i in range(self.config["num_hidden_layers"]):
            h = self._encoder_layer(h, mask, i)
        pooled = (h * attention[..., None]).sum(axis=1) / np.maximum(attention.sum(axis=1, keepdims=True), 1e-9)
        return pooled.astype(np.float32)

    def encode(self, texts: list[str], batch_size: int = 64, normalize_embeddings: bool = True) -> np.ndarray:
        """Sentence embeddings, shape (len(texts), hidden size); unit length with ``normalize_embeddings``."""
        # Longest first, in batches of similar length (as sentence-transformers does): less padding to run.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        emb = np.zeros((len(texts), self.config["hidden_size"]), dtype=np.float32)
        for i in range(0, len(order), batch_size):
            part = order[i : i + batch_size]
            emb[part] = self._batch([texts[k] for k in part])
        if normalize_embeddings:
            emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        return emb
