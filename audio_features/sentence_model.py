"""The empathy stage's sentence model: an encoder with the exemplar sets embedded once, and a linear probe.

The encoder is all-MiniLM-L6-v2 by default (:func:`audio_features.model_store.sentence_model_path`); the
exemplars are ``audio_features/data/empathy_exemplars.json``: feelings by emotion, neutral customer
talk by kind, acknowledging and non-acknowledging agent sentences. The **similarity** of a sentence to a
set is the mean cosine similarity of its ``TOP_K`` nearest exemplars (a k-nearest-neighbour vote that
one odd exemplar cannot swing); the **probe** is a logistic regression of feeling against neutral
exemplars, fitted on the embeddings when the model loads. :mod:`audio_features.empathy` uses both.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from audio_features.config import ModelSettings

__all__ = ["EmpathyModel", "load_empathy_model", "neutral_exemplars"]

#: Exemplars averaged per set: the similarity of a sentence to a set. 5 (was 3 with a third of the
#: exemplars): chosen with the thresholds on the development set and the car-repair calls.
TOP_K = 5
#: Inverse regularisation of the linear probe (scikit-learn's ``C``); 4 fits the exemplars without
#: memorising them (on the development set, 1 and 16 gave the same verdicts within one exchange).
PROBE_C = 4.0
#: Where the embedded exemplars and the fitted probe are kept, under the models folder; and their format,
#: part of the fingerprint (bump it when what is saved changes meaning).
SAVED_DIR = "empathy-exemplars"
SAVED_FORMAT = 1


def neutral_exemplars(exemplars: dict) -> list[str]:
    """The neutral customer sentences, flattened from their kinds (greetings, requests, closings, ...)."""
    neutral = exemplars["neutral"]
    return [s for group in neutral.values() for s in group] if isinstance(neutral, dict) else list(neutral)


class EmpathyModel:
    """The sentence encoder with its exemplar sets embedded once, and the feeling probe fitted on them.

    ``embedded`` (from :meth:`saved`, kept by :func:`load_empathy_model` in the models folder) skips the
    embedding of the exemplars and the probe's fit: 2.5 and 0.8 s (scikit-learn's import) of every
    one-off analysis on a 2-core machine, for the same numbers.
    """

    def __init__(
        self, encoder, exemplars: dict, runtime: str = "sentence-transformers", *, embedded: dict | None = None
    ) -> None:
        self._encoder = encoder
        self.runtime = runtime  # what runs the encoder: "numpy" or "sentence-transformers"
        self.emotions = list(exemplars["feelings"])
        groups = {**{f"feeling:{e}": exemplars["feelings"][e] for e in self.emotions}}
        groups |= {"neutral": neutral_exemplars(exemplars), "ack": exemplars["acknowledging"]}
        groups["not_ack"] = exemplars["not_acknowledging"]
        if embedded is not None:
            self._sets = {name: embedded[f"set:{name}"] for name in groups}
            self._coef, self._intercept = embedded["probe:coef"], embedded["probe:intercept"]
            return
        from sklearn.linear_model import LogisticRegression

        self._sets = {name: self.embed(texts) for name, texts in groups.items()}
        feeling = np.vstack([self._sets[f"feeling:{e}"] for e in self.emotions])
        neutral = self._sets["neutral"]
        labels = np.r_[np.ones(len(feeling)), np.zeros(len(neutral))]
        probe = LogisticRegression(C=PROBE_C, class_weight="balanced", max_iter=2000)
        probe.fit(np.vstack([feeling, neutral]), labels)
        self._coef, self._intercept = probe.coef_, probe.intercept_

    def saved(self) -> dict[str, np.ndarray]:
        """The embedded exemplar sets and the fitted probe, for ``embedded``."""
        probe = {"probe:coef": self._coef, "probe:intercept": self._intercept}
        return {**{f"set:{k}": v for k, v in self._sets.items()}, **probe}

    def probe_log_odds(self, embeddings: np.ndarray) -> np.ndarray:
        """The probe's log-odds of feeling against neutral talk (scikit-learn's ``decision_function``)."""
        return (embeddings @ self._coef.T + self._intercept).ravel()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, shape (n, dim)."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.asarray(self._encoder.encode(texts, batch_size=64, normalize_embeddings=True))

    def similarity(self, embeddings: np.ndarray, name: str) -> np.ndarray:
        """Mean cosine similarity of each row to its ``TOP_K`` nearest exemplars of set ``name``."""
        sims = embeddings @ self._sets[name].T
        k = min(TOP_K, sims.shape[1])
        return np.sort(sims, axis=1)[:, -k:].mean(axis=1)

    def feeling_scores(self, texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Per text: the nearest feeling set, its margin over neutral talk, and the probe's log-odds."""
        if not len(texts):
            return [], np.zeros(0), np.zeros(0)
        emb = self.embed(texts)
        by_emotion = np.stack([self.similarity(emb, f"feeling:{e}") for e in self.emotions], axis=1)
        best = by_emotion.argmax(axis=1)
        margin = by_emotion.max(axis=1) - self.similarity(emb, "neutral")
        return [self.emotions[i] for i in best], margin, self.probe_log_odds(emb)

    def ack_margins(self, texts: list[str]) -> np.ndarray:
        """Per text: similarity to acknowledging minus non-acknowledging exemplars."""
        if not len(texts):
            return np.zeros(0)
        emb = self.embed(texts)
        return self.similarity(emb, "ack") - self.similarity(emb, "not_ack")


def _exemplars_text() -> str:
    return resources.files("audio_features").joinpath("data/empathy_exemplars.json").read_text()


def _fingerprint(path: str, runtime: str, exemplars: str) -> str:
    """What the saved exemplar embeddings depend on: the cache's format, the runtime, the probe's ``C``, the
    model folder's files (names, sizes, modification times) or its name, and the exemplars' text."""
    h = hashlib.sha256(f"{SAVED_FORMAT}\0{runtime}\0{PROBE_C}\0{os.path.realpath(path)}\0".encode())
    folder = Path(path)
    for f in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if f.is_file():
            st = f.stat()
            h.update(f"{f.relative_to(folder)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    h.update(exemplars.encode())
    return h.hexdigest()[:32]


def _load_saved(file: Path) -> dict | None:
    try:
        with np.load(file, allow_pickle=False) as saved:
            return {k: saved[k] for k in saved.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None  # absent, unreadable or cut short: embed again


def _save(model: EmpathyModel, file: Path) -> None:
    """Write atomically (another process may be reading); a read-only models folder only costs the time."""
    tmp = None
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **model.saved())
        os.replace(tmp, file)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@lru_cache(maxsize=2)
def _cached_model(path: str, threads: int, encoder: str, saved_dir: str) -> EmpathyModel:
    from audio_features.bert_numpy import BertEncoder, supports

    text = _exemplars_text()
    if encoder == "numpy" and supports(path):
        model, runtime = BertEncoder(path), "numpy"
    else:
        from audio_features.openmp import import_torch

        torch = import_torch()
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        model, runtime = SentenceTransformer(path, device="cpu"), "sentence-transformers"
    file = Path(saved_dir) / f"{_fingerprint(path, runtime, text)}.npz"
    exemplars, embedded = json.loads(text), _load_saved(file)
    if embedded is not None:
        try:
            return EmpathyModel(model, exemplars, runtime=runtime, embedded=embedded)
        except KeyError:
            pass  # saved without a set the exemplars have: embed them again
    empathy = EmpathyModel(model, exemplars, runtime=runtime)
    _save(empathy, file)
    return empathy


def load_empathy_model(settings: ModelSettings) -> EmpathyModel:
    """The encoder and embedded exemplars, loaded once per process (workers reuse it); the encoder is NumPy's
    or sentence-transformers' (``settings.sentence_encoder``). The exemplars' embeddings and the probe are
    kept in ``<models_dir>/empathy-exemplars/`` and used again while nothing they depend on changes
    (:func:`_fingerprint`)."""
    from audio_features.model_store import sentence_model_path

    saved_dir = str(settings.models_dir / SAVED_DIR)
    return _cached_model(sentence_model_path(settings), settings.cpu_threads, settings.sentence_encoder, saved_dir)
