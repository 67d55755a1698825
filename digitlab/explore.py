"""Exploring MNIST and a model's answers: pure functions behind the explorer pages.

Everything here takes and returns numpy arrays (no Streamlit), so the Dataset,
Misclassified and Training pages stay thin and all of this is unit-tested:

- browsing: :func:`class_counts`, :func:`with_label`, paging;
- a model's test-set answers: :func:`test_probabilities` (counted in :mod:`digitlab.metrics`);
- the map of the data: :func:`project` (PCA or t-SNE, scikit-learn) and
  :func:`data_map`, which caches each map on disk;
- runs: :func:`kept_epoch`, :func:`run_summary` (one table row from run.json).

The map is drawn for the **10,000 test images** (:data:`MAP_SPLIT`), not a
sample of the training set: the model never trained on them, so the map shows
how it sorts digits it has not seen; every image of the Misclassified page is
on it; and 10,000 is as many as scikit-learn's t-SNE embeds in a minute or a few
on two cores (more when the machine is busy), once per model: :class:`MapComputation` does it
in a thread while the page shows how far it is (:mod:`digitlab.tsne`).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from digitlab import paths
from digitlab.fileio import DAMAGED_ARRAY_FILE, into_cache, load_or_compute_npy, write_npz_atomic
from digitlab.models import canonical_preset

MAP_SPLIT = "test"
# (view name, what it shows). A view is "<source>-<method>": the source is the
# model's features (input of its last layer) or the raw pixels; the method is
# how they are brought down to two dimensions.
MAP_VIEWS: dict[str, str] = {
    "hidden-z01": "hidden units z[:, 0] against z[:, 1] (as seed 002 plotted them)",
    "features-pca": "PCA of the model's features (input of its last layer)",
    "features-tsne": "t-SNE of the model's features",
    "pixels-pca": "PCA of the raw pixels (no model)",
    "pixels-tsne": "t-SNE of the raw pixels (no model)",
}
# Seed 002's hidden layer is its *feature* layer (784 softmax units feeding the
# output), so its z[:, 0] / z[:, 1] plot is defined for that preset only.
HIDDEN_VIEW_PRESETS = ("seed002-softmax784",)
TSNE_PCA_DIMENSIONS = 50  # t-SNE on 50 principal components: the usual speed-up, same picture
MAP_FORMAT = 1  # bumped when a cached map's meaning changes; older files are then recomputed

ProgressCallback = Callable[[float, str], None]


# --------------------------------------------------------------- browsing


def class_counts(labels: np.ndarray) -> np.ndarray:
    """Labels uint8/int (N,) -> int64 (10,): how many images of each digit."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)[:10]


def with_label(labels: np.ndarray, digit: int | None) -> np.ndarray:
    """Indices (int64, ascending) of the images labelled ``digit``; all of them for ``None``."""
    labels = np.asarray(labels)
    return np.arange(len(labels)) if digit is None else np.flatnonzero(labels == digit)


def page_count(n: int, per_page: int) -> int:
    """Pages needed for ``n`` items (at least 1, so an empty list still has a page to show)."""
    return max(1, -(-n // per_page))


def page_items(indices: np.ndarray, page: int, per_page: int) -> np.ndarray:
    """The ``page``-th (0-based) slice of ``indices``; a page past the end is clamped to the last."""
    page = min(max(page, 0), page_count(len(indices), per_page) - 1)
    return indices[page * per_page : (page + 1) * per_page]


def page_of(indices: np.ndarray, index: int, per_page: int) -> int | None:
    """The 0-based page of ``indices`` holding image ``index``, or None if it is not among them."""
    where = np.flatnonzero(np.asarray(indices) == index)
    return int(where[0]) // per_page if len(where) else None


# --------------------------------------------------------------- the map


def map_views(preset: str | None) -> list[str]:
    """The map views that make sense for a model of ``preset`` (None: no model, pixels only).

    The first is the default: a quick one (PCA, or seed 002's own plot), so a
    page opens in seconds; t-SNE takes a minute or more, once per model.
    """
    if preset is None:
        return [v for v in MAP_VIEWS if v.startswith("pixels-")]
    return [v for v in MAP_VIEWS if v != "hidden-z01" or canonical_preset(preset) in HIDDEN_VIEW_PRESETS]


def uses_model(view: str) -> bool:
    """True if the view is computed from a model's features (so it is cached per model)."""
    return not view.startswith("pixels-")


def project(data: np.ndarray, method: str, seed: int = 0,
            on_progress: ProgressCallback | None = None) -> np.ndarray:
    """float (N, D) -> float32 (N, 2) by ``method``.

    ``"pca"``: the two main directions of variance (fast, linear, distances
    mean something). ``"tsne"``: scikit-learn's Barnes-Hut t-SNE on the first
    50 principal components (keeps neighbours together; distances between
    clusters mean little). ``"z01"``: the first two columns as they are.
    Seeded, so the same data gives the same map.
    """
    from sklearn.decomposition import PCA  # scikit-learn takes a second to import: only for a map

    from digitlab.tsne import tsne

    x = np.asarray(data, dtype=np.float32)
    if x.ndim != 2 or len(x) < 3:
        raise ValueError(f"need a 2-D array of at least 3 rows, not shape {x.shape}")
    report = on_progress or (lambda fraction, message: None)
    if method == "z01":
        if x.shape[1] < 2:
            raise ValueError("z01 needs at least two columns")
        return x[:, :2].copy()
    if method == "pca":
        report(0.5, "PCA")
        return PCA(n_components=2, random_state=seed).fit_transform(x).astype(np.float32)
    if method == "tsne":
        if x.shape[1] > TSNE_PCA_DIMENSIONS:
            report(0.0, f"PCA to {TSNE_PCA_DIMENSIONS} dimensions")
            x = PCA(n_components=TSNE_PCA_DIMENSIONS, random_state=seed).fit_transform(x)
        perplexity = min(30.0, (len(x) - 1) / 3)  # scikit-learn requires perplexity < N
        return tsne(x, perplexity=perplexity, seed=seed, on_progress=lambda f, m: report(0.05 + 0.95 * f, m))
    raise ValueError(f"unknown projection {method!r}: use pca, tsne or z01")


def map_cache_path(model_id: str | None, data_fingerprint: str, view: str, split: str = MAP_SPLIT) -> Path:
    """cache/maps/<model id or 'pixels'>-<data fingerprint>-<split>-<view>.npz"""
    owner = model_id if uses_model(view) and model_id else "pixels"
    return paths.cache_dir() / "maps" / f"{owner}-{data_fingerprint}-{split}-{view}.npz"


def model_tag(run_info: dict) -> str:
    """What identifies one training of a model id: a model re-made under the same id
    (the shipped default, re-trained) has another tag, so its old maps are not used."""
    key = f"{run_info.get('id')}|{run_info.get('started')}|{run_info.get('parameters')}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def read_map(path: Path, tag: str, n: int) -> np.ndarray | None:
    """The cached float32 (n, 2) map at ``path`` if it was made for ``tag``, else None."""
    try:
        with np.load(path, allow_pickle=False) as f:
            coords, stored_tag, fmt = f["coords"], str(f["tag"]), int(f["format"])
    except DAMAGED_ARRAY_FILE:
        return None
    if stored_tag != tag or fmt != MAP_FORMAT or coords.shape != (n, 2):
        return None
    return coords.astype(np.float32)


# One lock per map file: two sessions (or a rerun of the same one) asking for a
# map that is being computed wait for it instead of computing it a second time.
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


def data_map(
    view: str, images: np.ndarray, *, data_fingerprint: str, model_id: str | None = None, tag: str = "pixels",
    features: Callable[[], np.ndarray] | None = None, on_progress: ProgressCallback | None = None,
) -> np.ndarray:
    """The 2-D map ``view`` (see :data:`MAP_VIEWS`) of ``images``, float32 (N, 2).

    ``images``: uint8 (N, 28, 28), the map's points. ``features()`` returns
    the model's float32 (N, F) features of the same images; it is called only
    for a model view that is not cached yet. The map is read from
    :func:`map_cache_path` if it was made for ``tag`` (see :func:`model_tag`),
    else computed, reporting ``on_progress(fraction 0-1, message)``, and
    written atomically.
    """
    if view not in MAP_VIEWS:
        raise ValueError(f"unknown map view {view!r}; choose one of: {', '.join(MAP_VIEWS)}")
    if uses_model(view) and (features is None or model_id is None):
        raise ValueError(f"the {view} map needs a model")
    n = len(images)
    tag = tag if uses_model(view) else "pixels"
    path = map_cache_path(model_id, data_fingerprint, view)
    coords = read_map(path, tag, n)
    if coords is not None:
        return coords
    report = on_progress or (lambda fraction, message: None)
    with _lock_for(path):
        coords = read_map(path, tag, n)  # made by another session while we waited
        if coords is not None:
            return coords
        if uses_model(view):
            report(0.0, f"the model's features of {n:,} images")
            x = features()
            if len(x) != n:
                raise ValueError(f"features have {len(x)} rows for {n} images")
        else:
            x = np.asarray(images, dtype=np.float32).reshape(n, -1) / 255.0
        method = view.split("-", 1)[1]
        coords = project(x, method, on_progress=lambda f, m: report(0.1 + 0.9 * f, m))
        # Atomic: a reader sees the old file or the whole new one, never half.
        into_cache(lambda: write_npz_atomic(path, coords=coords.astype(np.float32), tag=np.array(tag),
                                            format=np.array(MAP_FORMAT)))
        report(1.0, "done")
        return coords


def is_slow(view: str) -> bool:
    """True for a map that takes a minute or more to compute (t-SNE); the others take seconds."""
    return view.endswith("-tsne")


def map_is_cached(view: str, n: int, *, data_fingerprint: str, model_id: str | None = None,
                  tag: str = "pixels") -> bool:
    """True if the map ``view`` of ``n`` images is on disk for this model (``tag``) and data."""
    tag = tag if uses_model(view) else "pixels"
    return read_map(map_cache_path(model_id, data_fingerprint, view), tag, n) is not None


class MapComputation:
    """A map being computed by :func:`data_map` in a thread of this process: a page shows
    ``fraction`` (0-1) and ``message`` until ``done`` is set, then ``coords`` or ``error``.

    A thread, as :class:`digitlab.neighbours.TrainingFeatures` (not a background job, which runs
    one at a time and would wait for a training): the page that asked stays usable while it
    runs, a visitor who leaves does not lose the work, and the map is written to the cache.
    """

    def __init__(self, compute: Callable[[ProgressCallback], np.ndarray]):
        self.fraction, self.message = 0.0, "starting"
        self.coords: np.ndarray | None = None
        self.error: str | None = None
        self.done = threading.Event()
        threading.Thread(target=self._run, args=(compute,), name="data-map", daemon=True).start()

    def _report(self, fraction: float, message: str) -> None:
        self.fraction, self.message = min(max(fraction, 0.0), 1.0), message

    def _run(self, compute: Callable[[ProgressCallback], np.ndarray]) -> None:
        try:
            self.coords = compute(self._report)
        except ValueError as e:  # the data does not fit the view: said on the page
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 - said on the page instead of a dead thread
            self.error = f"the computation failed ({e})"
        finally:
            self.done.set()


_computations: dict[tuple[Path, str], MapComputation] = {}


def map_in_background(view: str, images: np.ndarray, *, data_fingerprint: str, model_id: str | None = None,
                      tag: str = "pixels", features: Callable[[], np.ndarray] | None = None
                      ) -> np.ndarray | MapComputation:
    """The map ``view`` of ``images`` (as :func:`data_map`) if it is ready, else its
    :class:`MapComputation`: running already (every session asking for the same map shares
    one) or started now. A failed computation is returned once (its ``error`` said), then
    forgotten, so the next call tries again."""
    tag = tag if uses_model(view) else "pixels"
    path = map_cache_path(model_id, data_fingerprint, view)
    with _locks_guard:
        running = _computations.get((path, tag))
        if running is not None and running.done.is_set() and running.coords is not None:
            return running.coords  # also when the cache could not be written
        if running is not None and running.done.is_set():
            del _computations[(path, tag)]
            return running
        if running is not None:
            return running
        coords = read_map(path, tag, len(images))
        if coords is not None:
            return coords
        running = _computations[(path, tag)] = MapComputation(
            lambda report: data_map(view, images, data_fingerprint=data_fingerprint, model_id=model_id, tag=tag,
                                    features=features, on_progress=report))
        return running


def map_neighbours(coords: np.ndarray, index: int, k: int = 8) -> np.ndarray:
    """Indices (int64) of the ``k`` points nearest to point ``index`` on a map float (N, 2), nearest first."""
    from sklearn.neighbors import NearestNeighbors

    coords = np.asarray(coords)
    k = min(k, len(coords) - 1)
    if k < 1:
        return np.zeros(0, np.int64)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(coords)
    _, found = nn.kneighbors(coords[index : index + 1])
    return np.array([i for i in found[0] if i != index][:k], np.int64)


# --------------------------------------------------------------- runs


def test_probabilities(run_id: str, run_info: dict, saved: np.ndarray | None, data_fingerprint: str,
                       compute: Callable[[], np.ndarray]) -> np.ndarray:
    """float32 (10000, 10): the test-set probabilities of model ``run_id`` (``run_info``: its run.json).

    ``saved``: those stored with the run, used if complete; else ``compute()``d
    once and cached on disk per training (:func:`model_tag`), as float32 like
    the store keeps them: in float16, two near-equal probabilities could tie or
    swap and flip an answer.
    """
    if saved is not None and saved.shape == (10000, 10):
        return saved.astype(np.float32)
    name = f"{run_id}-{model_tag(run_info)}-{data_fingerprint}-test-float32.npy"
    return load_or_compute_npy(paths.cache_dir() / "probabilities" / name, compute, np.float32)



def kept_epoch(info: dict) -> int | None:
    """The epoch whose weights the stored model has: the best by validation loss
    for keep-best runs, else the last; None if the run has no history."""
    history = info.get("history") or []
    if not history:
        return None
    best = info.get("best_epoch")
    return int(best) if isinstance(best, int) and best >= 1 else int(history[-1]["epoch"])


def run_summary(run_id: str, info: dict) -> dict:
    """One row for the runs table: hyperparameters and results from a run.json."""
    config = info.get("config") or {}
    history = info.get("history") or []
    last = history[-1] if history else {}
    acc = info.get("test_accuracy")
    subset = config.get("subset")
    return {
        "run": run_id,
        "preset": canonical_preset(info.get("preset")) or "?",
        "test accuracy": f"{acc:.2%}" if isinstance(acc, float) else "?",
        # What a quick try is: it learned from a part of MNIST only (the validation images come out of it).
        "MNIST images used": f"first {subset:,} (quick try)" if subset else "all 60,000",
        "kept epoch": kept_epoch(info),
        "epochs": config.get("epochs", len(history)),
        "batch size": config.get("batch_size"),
        "validation %": round(100 * float(config.get("validation_split") or 0), 1),
        "keep best": bool(config.get("keep_best")),
        "augment": bool(config.get("augment")),
        "random seed": config.get("seed"),
        "train images": info.get("train_images"),
        "images left out": config.get("exclude", 0),
        "parameters": info.get("parameters"),
        "final train loss": round(float(last["loss"]), 4) if "loss" in last else None,
        "final val loss": round(float(last["val_loss"]), 4) if "val_loss" in last else None,
        **people_summary(info),
        "minutes": round(float(info.get("training_seconds") or 0) / 60, 1),
        "started": str(info.get("started", ""))[:16].replace("T", " "),
    }


def people_summary(info: dict) -> dict:
    """How a run reads people, from the figures ``benchmarks.read_people --record`` kept in its
    run.json (None where they were never measured): pen digits of unseen writers, photos of digits
    on paper, and drawings that are no digit yet got a confident digit."""
    people = info.get("people") or {}

    def share(group: str, key: str) -> str | None:
        value = (people.get(group) or {}).get(key)
        return f"{value:.1%}" if isinstance(value, (int, float)) else None

    return {"pen digits, unseen writers": share("pen_digits_test_writers", "pooled"),
            "photos on paper": share("photos", "all photos"),
            "non-digits read as a digit": share("non_digits_confident", "kinds the training draws"),
            "unseen kinds read as a digit": share("non_digits_confident", "unseen kinds")}
