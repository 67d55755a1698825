"""Things loaded once per server and shared by every session (``st.cache_resource``)."""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from digitlab.data import Mnist, MnistUnavailable, load_mnist
from digitlab.explore import model_tag
from digitlab.inference import Classifier
from digitlab.neighbours import cache_path, cached_features, unit_rows
from digitlab.store import SHIPPED_ID, ModelStore, ModelStoreError, StoredRun


@dataclass(frozen=True)
class LoadedModel:
    classifier: Classifier
    run: StoredRun
    warning: str | None  # set when the wanted model failed and another was loaded


def store() -> ModelStore:
    return ModelStore()


def _listing_signature() -> tuple:
    root = store().root
    if not root.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime) for p in root.glob("*/run.json")))


@st.cache_data(show_spinner=False, max_entries=4)
def _runs(signature: tuple) -> list[StoredRun]:
    return store().runs()


def runs() -> list[StoredRun]:
    """``ModelStore.runs()``, re-read only when a run.json changes: it is on every rerun's path."""
    return _runs(_listing_signature())


def _stamp(run_id: str) -> float:
    """Changes when the model's files change, so a replaced model is reloaded."""
    try:
        return (store().path_of(run_id) / "model.keras").stat().st_mtime
    except (OSError, ModelStoreError):
        return 0.0


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _load(run_id: str, stamp: float) -> LoadedModel:
    s = store()
    try:
        model, run = s.load(run_id)
        warning = None
    except ModelStoreError as e:
        if run_id == SHIPPED_ID:
            raise
        model, run = s.load(SHIPPED_ID)
        warning = f"{e}. Using the shipped default model instead."
    loaded = LoadedModel(Classifier(model), run, warning)
    # TensorFlow leaves ~300k long-lived objects; full collections of them
    # stalled reruns by up to 0.5 s (STACK_NOTES). Freeze them out of the GC.
    gc.collect()
    gc.freeze()
    return loaded


def model(run_id: str) -> LoadedModel:
    """A stored model by id, loaded once. Raises ModelStoreError if even the fallback fails."""
    return _load(run_id, _stamp(run_id))


def active_model() -> LoadedModel:
    """The store's active model (the shipped default if it cannot be loaded)."""
    return model(store().active_id())


@st.cache_resource(show_spinner="Loading MNIST…")
def _mnist() -> Mnist:
    data = load_mnist()
    _ = data.fingerprint  # hashed here, once, rather than by whichever page asks first
    return data


_failure: dict[str, tuple[float, str]] = {}


def mnist_or_stop() -> Mnist:
    """MNIST for a page that cannot work without it; otherwise the page says what to do and stops."""
    data, error = mnist()
    if data is None:
        st.error(error)
        st.stop()
    return data


def mnist() -> tuple[Mnist | None, str | None]:
    """(MNIST, None), or (None, what to do). A failure is retried after a minute, not on every stroke."""
    failed = _failure.get("mnist")
    if failed and time.monotonic() - failed[0] < 60:
        return None, failed[1]
    try:
        return _mnist(), None
    except MnistUnavailable as e:
        _failure["mnist"] = (time.monotonic(), str(e))
        return None, str(e)


class FeatureJob:
    """Unit-length features (60000, F) of the training set, computed in a thread.

    The first drawing with a new model must not wait ~30 s for them: the page
    shows ``progress`` until ``features`` is set (or ``error``).
    """

    CHUNK = 1000  # small chunks leave room for the strokes' own model calls

    def __init__(self, classifier, data: Mnist, path):
        self.progress = 0.0
        self.features: np.ndarray | None = None
        self.error: str | None = None
        self._args = (classifier, data, path)
        threading.Thread(target=self._run, name="train-features", daemon=True).start()

    def _compute(self) -> np.ndarray:
        classifier, data, _ = self._args
        chunks = []
        for i in range(0, len(data.x_train), self.CHUNK):
            chunks.append(classifier.features(data.x_train[i : i + self.CHUNK]))
            self.progress = min(1.0, (i + self.CHUNK) / len(data.x_train))
        return np.concatenate(chunks)

    def _run(self) -> None:
        try:
            self.features = unit_rows(cached_features(self._args[2], self._compute))
        except Exception as e:  # noqa: BLE001 - shown on the page instead of a dead thread
            self.error = f"{type(e).__name__}: {e}"


@st.cache_resource(show_spinner=False, max_entries=2)
def _feature_job(run_id: str, stamp: float, fingerprint: str) -> FeatureJob:
    data, _ = mnist()
    loaded = model(run_id)
    return FeatureJob(loaded.classifier, data, cache_path(run_id, model_tag(loaded.run.info), fingerprint))


def train_features(run_id: str) -> tuple[FeatureJob | None, str | None]:
    """(the feature job of model ``run_id``, None), or (None, what to do) without MNIST."""
    data, error = mnist()
    if data is None:
        return None, error
    job = _feature_job(run_id, _stamp(run_id), data.fingerprint)
    if job.error:
        _feature_job.clear()  # shown once; the next rerun tries again
    return job, None
