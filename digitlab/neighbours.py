"""The training images a model thinks are most like a given image.

"Like" is cosine similarity in the model's feature space (the input of its
last layer). Features of all 60,000 training images are computed once per
model and data, and cached on disk as float16.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from digitlab import paths


def cache_path(model_id: str, model_tag: str, data_fingerprint: str, split: str = "train") -> Path:
    """Where one model's features of one split are kept. ``model_tag`` tells apart two
    trainings under the same id (a re-shipped default), whose features differ."""
    return paths.cache_dir() / "features" / f"{model_id}-{model_tag}-{data_fingerprint}-{split}.npy"


def unit_rows(features: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero), float32."""
    f = features.astype(np.float32)
    norms = np.linalg.norm(f, axis=1, keepdims=True)
    return f / np.maximum(norms, 1e-12)


def cached_features(
    path: Path, compute: Callable[[], np.ndarray]
) -> np.ndarray:
    """Load features from ``path``, or compute them and save them atomically."""
    try:
        return np.load(path).astype(np.float32)
    except (OSError, ValueError):
        pass
    features = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npy")
    with os.fdopen(fd, "wb") as f:
        np.save(f, features.astype(np.float16))
    os.replace(tmp, path)
    return features.astype(np.float32)


def nearest(query: np.ndarray, unit_features: np.ndarray, k: int = 8, exclude: int | None = None) -> np.ndarray:
    """Indices of the ``k`` rows of ``unit_features`` (N, F) most like ``query`` (F,).

    ``exclude``: an index never to return (the image itself, when it is one of them).
    """
    q = query.astype(np.float32)
    q = q / max(float(np.linalg.norm(q)), 1e-12)
    scores = unit_features @ q
    if exclude is not None:
        scores[exclude] = -np.inf
    top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
    return top[np.argsort(-scores[top])]
