"""The "most alike training images" panel, shared by the Draw and Dubious labels pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitlab.neighbours import TrainingFeatures
from digitlab.pictures import labelled_tiles, sheet
from ui import resources


@st.fragment(run_every=1.0)
def _progress(job: TrainingFeatures) -> None:
    """Redrawn every second until the features are ready, then the whole page once."""
    if job.index is None and job.error is None:
        st.progress(job.progress, text="The model is looking at all 60,000 training images once, "
                                       f"to find the most alike ({job.progress:.0%})…")
    else:
        st.rerun()


def nearest_training_images(image: np.ndarray, loaded: resources.LoadedModel, *, k: int = 8,
                            exclude: int | None = None, summary: bool = False,
                            features: np.ndarray | None = None, label: int | None = None) -> None:
    """Show the ``k`` training images nearest to ``image`` (uint8 or float 28×28) in the
    model's feature space, with their labels; or what is missing, or a progress bar.
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
        _progress(job)
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
