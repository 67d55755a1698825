"""The training images a model thinks are most like a given image.

"Like" is cosine similarity in the model's feature space (the input of its
last layer). Features of all 60,000 training images are computed once per
model and data, and cached on disk as float16 (similarities need no more;
half the disk and read time).

Every stroke asks for them, so the search is in two steps (:class:`FeatureIndex`):
a shortlist by the features' first principal components, then the exact
cosine over the shortlist alone. The whole matrix (60,000 × 512 for the cnn)
in float32 is 31 million multiply-adds and 123 MB read a stroke (14–22 ms on
this machine while busy); the shortlist reads a quarter of that (31 MB), and
the features are kept as float16 (61 MB).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

import numpy as np

from digitlab import paths
from digitlab.fileio import load_or_compute_npy


def cache_path(model_id: str, model_tag: str, data_fingerprint: str, split: str = "train") -> Path:
    """Where one model's features of one split are kept. ``model_tag`` tells apart two
    trainings under the same id (a re-shipped default), whose features differ."""
    return paths.cache_dir() / "features" / f"{model_id}-{model_tag}-{data_fingerprint}-{split}.npy"


def unit_rows(features: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero), float32."""
    f = features.astype(np.float32)
    norms = np.linalg.norm(f, axis=1, keepdims=True)
    return f / np.maximum(norms, 1e-12)


def cached_features(path: Path, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """float32 features from ``path``, or ``compute()``d and saved there (float16), atomically."""
    return load_or_compute_npy(path, compute, np.float16)


# The shortlist: the images nearest in the first REDUCED principal components, SHORTLIST of them,
# then ranked exactly. On the shipped cnn's features of MNIST's first 500 test images, the top 8
# came out as the exact search's (same images, same order) for 500 of 500 (tests/test_neighbours.py);
# with 64 components and 256 images, 476; with 64 and 1,024, 499.
REDUCED = 128
SHORTLIST = 512


class FeatureIndex:
    """Nearest rows of unit-length features (N, F) by cosine, found in two steps (see the module doc).

    ``unit``: float16 (N, F), rows of length 1; ``basis``: float32 (F, R), principal directions;
    ``reduced``: float32 (N, R) = unit @ basis.
    """

    def __init__(self, features: np.ndarray, reduced: int = REDUCED, seed: int = 0):
        unit = unit_rows(features)
        sample = unit[np.random.default_rng(seed).permutation(len(unit))[:10_000]]
        _, _, vt = np.linalg.svd(sample - sample.mean(axis=0), full_matrices=False)
        self.basis = np.ascontiguousarray(vt[: min(reduced, vt.shape[0])].T, dtype=np.float32)
        self.reduced = unit @ self.basis
        self.unit = unit.astype(np.float16)

    def __len__(self) -> int:
        return len(self.unit)

    def nearest(self, query: np.ndarray, k: int = 8, exclude: int | None = None,
                among: np.ndarray | None = None, shortlist: int = SHORTLIST) -> np.ndarray:
        """Indices of the ``k`` rows most like ``query`` (F,), most alike first; ``exclude`` and
        ``among`` as for :func:`nearest`."""
        q = _unit(query)
        candidates = _top(self.reduced @ (q @ self.basis), shortlist, exclude, among)
        exact = self.unit[candidates].astype(np.float32) @ q
        return candidates[np.argsort(-exact, kind="stable")[:k]]


class TrainingFeatures:
    """A :class:`FeatureIndex` of ``images``' features, computed in a thread of this process.

    The first drawing with a new model must not wait for them: a page shows
    ``progress`` (0-1) until ``index`` is set, or ``error``.

    A thread, not a background job (:mod:`digitlab.jobs`): the work needs the
    model and MNIST this process already holds, takes about 6 s of CPU here, and
    a separate process would spend longer just importing TensorFlow (6.7 s) and
    hold another ~1 GB; and it must run while a training holds the one-at-a-time
    lock (drawing during a retraining).
    """

    CHUNK = 1000  # small chunks leave room for the strokes' own model calls

    def __init__(self, features_of: Callable[[np.ndarray], np.ndarray], images: np.ndarray, path: Path):
        self.progress = 0.0
        self.index: FeatureIndex | None = None
        self.error: str | None = None
        self._features_of, self._images, self._path = features_of, images, path
        threading.Thread(target=self._run, name="training-features", daemon=True).start()

    def _compute(self) -> np.ndarray:
        chunks, n = [], len(self._images)
        for i in range(0, n, self.CHUNK):
            chunks.append(self._features_of(self._images[i : i + self.CHUNK]))
            self.progress = min(1.0, (i + self.CHUNK) / n)
        return np.concatenate(chunks)

    def _run(self) -> None:
        try:
            self.index = FeatureIndex(cached_features(self._path, self._compute))
        except Exception as e:  # noqa: BLE001 - shown on the page instead of a dead thread
            self.error = f"{type(e).__name__}: {e}"


def nearest(query: np.ndarray, unit_features: np.ndarray, k: int = 8, exclude: int | None = None,
            among: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` rows of ``unit_features`` (N, F) most like ``query`` (F,).

    ``exclude``: an index never to return (the image itself, when it is one of them).
    ``among``: bool (N,), only these rows (e.g. the training images of one label).
    """
    return _top(unit_features @ _unit(query), k, exclude, among)


def _unit(query: np.ndarray) -> np.ndarray:
    q = query.astype(np.float32)
    return q / max(float(np.linalg.norm(q)), 1e-12)


def _top(scores: np.ndarray, k: int, exclude: int | None, among: np.ndarray | None) -> np.ndarray:
    """Indices (int64) of the ``k`` highest ``scores`` (N,), highest first, never ``exclude`` and only
    ``among`` (bool (N,)) if given; fewer if fewer are left."""
    scores = np.array(scores, np.float32)
    if exclude is not None:
        scores[exclude] = -np.inf
    if among is not None:
        scores[~np.asarray(among, bool)] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k < 1:
        return np.zeros(0, np.int64)
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    top = top[np.isfinite(scores[top])]
    return top[np.argsort(-scores[top], kind="stable")].astype(np.int64)
