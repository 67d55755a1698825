"""The "most alike training images" panel, shared by the Draw and Dubious labels pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitlab.neighbours import TrainingFeatures
from digitlab.pictures import labelled_tiles, sheet
from digitlab.store import ModelStoreError
from ui import resources

# Marks a page that will rerun once the features are ready: it is not settled until then (appdriver).
PENDING_CLASS = "neighbours-pending"


def _pending(job: TrainingFeatures) -> bool:
    return job.index is None and job.error is None


def rerun_when_ready() -> None:
    """Call at a page's top level, after everything that shows nearest images: while the active model's
    training-set features are being computed, looks every second and reruns the page once they are ready.

    Not a fragment inside the Draw tab's: a polling fragment nested in the tab's made the browser's app
    throw "Bad delta path index" and go blank when a stroke cut the tab's run short (4 of 4 drawings of
    two quick strokes on a new server, on a busy machine)."""
    try:
        run_id = resources.active_model().run.id  # loaded already by what showed the images
    except ModelStoreError:
        return
    job, _ = resources.train_features(run_id)
    if job is not None and _pending(job):
        _poll(job)


@st.fragment(run_every=1.0)
def _poll(job: TrainingFeatures) -> None:
    if not _pending(job):
        st.rerun(scope="app")
    st.markdown(f'<span class="{PENDING_CLASS}"></span>', unsafe_allow_html=True)


def nearest_training_images(image: np.ndarray, loaded: resources.LoadedModel, *, k: int = 8,
                            exclude: int | None = None, summary: bool = False,
                            features: np.ndarray | None = None, label: int | None = None) -> None:
    """Show the ``k`` training images nearest to ``image`` (uint8 or float 28×28) in the
    model's feature space, with their labels; or what is missing, or how far along they are
    (:func:`rerun_when_ready` shows them when they are ready).
    ``features``: the image's features (F,) if the caller has them already.
    ``label``: only training images with this label."""
    if summary:
        what = "training images" if label is None else f"training images labelled {label}"
        st.markdown(f"**Most alike {what}** (by the active model, {loaded.run.label})")
    job, error = resources.train_features(loaded.run.id)
    if job is None:
        st.info(f"Showing the nearest training images needs the MNIST dataset. {error}")
        return
    if job.error:
        st.warning(f"Could not compute the training images' features: {job.error}")
        return
    if job.index is None:
        st.caption(f"The model is looking at all 60,000 training images once, to find the most alike "
                   f"({job.progress:.0%} done); they appear here when it is done.")
        return
    data, _ = resources.mnist()
    if features is None:
        features = loaded.classifier.features(image)[0]
    idx = job.index.nearest(features, k=k, exclude=exclude, among=None if label is None else data.y_train == label)
    labels = data.y_train[idx]
    if summary and label is None:
        common = int(np.bincount(labels, minlength=10).argmax())
        st.caption(f"{int((labels == common).sum())} of the {len(idx)} are labelled {common}.")
    # One picture, not k: each st.image is another element to draw and another request, on every stroke.
    tiles = labelled_tiles(data.x_train[idx], [f"{data.y_train[i]} · #{i}" for i in idx], scale=3, band=14)
    st.image(sheet(tiles, columns=len(idx), scale=1), caption="label · training image number, most alike first")
