"""Things loaded once per server and shared by every session (``st.cache_resource``)."""

from __future__ import annotations

import gc
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from digitlab import db, explore, roles
from digitlab.db import legacy
from digitlab.data import Mnist, MnistUnavailable, load_mnist
from digitlab.neighbours import TrainingFeatures, cache_path, cached_features
from digitlab.store import ModelStore, ModelStoreError, StoredRun
from ui.state import Sidebar
from ui.visitor import who

if TYPE_CHECKING:
    from digitlab.inference import Classifier


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
    """The stored models this visitor may use (the server's, and their own: digitlab.roles), read again
    only when a run.json changes: it is on every rerun's path."""
    me = who()
    return [r for r in _runs(_listing_signature()) if roles.may_use_model(me, r.info)]


def _stamp(run_id: str) -> float:
    """Changes when the model's files change, so a replaced model is reloaded."""
    try:
        return (store().path_of(run_id) / "model.keras").stat().st_mtime
    except (OSError, ModelStoreError):
        return 0.0


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _load(run_id: str, stamp: float) -> LoadedModel:
    from digitlab.inference import Classifier  # TensorFlow: imported here, not when a page starts

    _one_thread_per_op()
    model, run, warning = store().load_or_shipped(run_id)
    loaded = LoadedModel(Classifier(model), run, warning)
    # TensorFlow leaves ~300k long-lived objects; full collections of them
    # stalled reruns by up to 0.5 s on this machine. Freeze them out of the GC.
    gc.collect()
    gc.freeze()
    _keep_keras_session()
    return loaded


def _one_thread_per_op() -> None:
    """TensorFlow's ops and NumPy's BLAS in the app server on one thread each. A stroke's work is small
    (a model call on a few 28×28s, the nearest-images shortlist): split over threads it waits for them
    (they spin), and steals the CPU the pages' Python needs. One model call took 2.1 ms of CPU and
    2.2 ms of wall time on one thread against 4.4 and 3.8 ms with TensorFlow's default; one nearest-
    images search 4.9 ms of CPU (5.0 ms wall) against 10.2 ms (3.7 ms) with OpenBLAS's two threads
    (2026-12-06, this machine). Trainings run in their own process, with all threads."""
    import tensorflow as tf
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already ran something in this process (a test): keep its threads
        pass


def _keep_keras_session() -> None:
    """Streamlit clears Keras' session after every script run, for scripts that build a model on each
    run; ours are built once per server, and the clearing (a garbage collection each time) was 5% of
    the server's CPU under 15 drawing visitors (py-spy, 2026-12-06). Skip Keras there; the rest of
    Streamlit's clean-up (closing matplotlib's figures, which the app does not use) stays."""
    from streamlit.runtime.scriptrunner import script_runner

    if not hasattr(script_runner, "_clean_problem_modules"):
        return  # another Streamlit: nothing to skip

    def clean_but_keras() -> None:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")

    script_runner._clean_problem_modules = clean_but_keras


def model(run_id: str) -> LoadedModel:
    """A stored model by id, loaded once. Raises ModelStoreError if even the fallback fails."""
    return _load(run_id, _stamp(run_id))


def chosen_model_id() -> str:
    """The model this session picked in the sidebar, else the server's active one (so a visitor
    who never picked follows the operator's changes)."""
    chosen = st.session_state.get(Sidebar.MODEL_CHOICE)
    if chosen and any(r.id == chosen for r in runs()):
        return chosen
    return store().active_id()


def active_model() -> LoadedModel:
    """This session's model (:func:`chosen_model_id`; the shipped default if it cannot be loaded)."""
    return model(chosen_model_id())


def active_model_or_stop() -> LoadedModel:
    """The active model for a page that cannot work without one; a fallback is said
    on the page. If not even the shipped model loads, the page says so and stops."""
    try:
        loaded = active_model()
    except ModelStoreError as e:
        st.error(f"No model can be loaded: {e}. Train one from the sidebar or with `python train_model.py`.")
        st.stop()
    if loaded.warning:
        st.warning(loaded.warning)
    return loaded


@st.cache_resource(show_spinner="Scoring the 10,000 test images with this model (once)…", max_entries=6)
def _test_probabilities(run_id: str, stamp: float, fingerprint: str) -> np.ndarray:
    run = store().get(run_id)

    def compute() -> np.ndarray:
        loaded = model(run_id)
        if loaded.warning:  # the model fell back to another one: its answers would be mislabelled
            raise ModelStoreError(loaded.warning)
        return loaded.classifier.probabilities(_mnist().x_test)

    return explore.test_probabilities(run_id, run.info, store().test_probabilities(run_id), fingerprint, compute)


def test_probabilities(run_id: str, data: Mnist) -> np.ndarray:
    """float32 (10000, 10): model ``run_id``'s test-set probabilities (see ``explore.test_probabilities``)."""
    return _test_probabilities(run_id, _stamp(run_id), data.fingerprint)


def test_predictions(run_id: str, data: Mnist) -> np.ndarray:
    """int (10000,): model ``run_id``'s answers on the test set; from run.json when it has them (no model to load)."""
    saved = store().get(run_id).info.get("test_predictions")
    if isinstance(saved, list) and len(saved) == 10000:
        return np.asarray(saved)
    return test_probabilities(run_id, data).argmax(axis=1)


def test_features(loaded: LoadedModel, data: Mnist) -> np.ndarray:
    """float32 (10000, F): the model's features of the test images (the map's points), cached on disk."""
    path = cache_path(loaded.run.id, explore.model_tag(loaded.run.info), data.fingerprint, explore.MAP_SPLIT)
    return cached_features(path, lambda: loaded.classifier.features(data.x_test))


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


@st.cache_resource(show_spinner=False, max_entries=2)
def _feature_job(run_id: str, stamp: float, fingerprint: str) -> TrainingFeatures:
    data, _ = mnist()
    loaded = model(run_id)
    return TrainingFeatures(loaded.classifier.features, data.x_train,
                            cache_path(run_id, explore.model_tag(loaded.run.info), fingerprint))


def train_features(run_id: str) -> tuple[TrainingFeatures | None, str | None]:
    """(the training-set features of model ``run_id``, being computed or ready, None),
    or (None, what to do) without MNIST."""
    data, error = mnist()
    if data is None:
        return None, error
    job = _feature_job(run_id, _stamp(run_id), data.fingerprint)
    if job.error:
        _feature_job.clear()  # shown once; the next rerun tries again
    return job, None


@st.cache_resource(show_spinner=False)
def _old_files_imported() -> tuple[str, ...]:
    """Bring in the files from before the database, once per server (once it can be reached)."""
    return tuple(legacy.import_old_files())


def database(what: str = "Saving") -> str | None:
    """None when the visitors' database can be used, else one sentence: "<what> is unavailable:
    <why>." (e.g. "Saving your digits is unavailable: the database cannot be reached.").

    Looks at the database on every call (a page's run), so one re-created empty gets its tables
    back at once; after a failure it is tried again only every ``db.engine.RETRY_SECONDS``.
    """
    try:
        db.check()
        _old_files_imported()
    except db.DatabaseError as e:
        return unavailable(what, e)
    return None


def unavailable(what: str, error: db.DatabaseError) -> str:
    """One sentence for a page: "<what> is unavailable: <why>."."""
    return f"{what} is unavailable: {error.reason}."
