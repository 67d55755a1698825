"""The evidence a person can weigh about one image's label, for the Dubious labels page."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import streamlit as st

from digitlab import dubious
from digitlab.store import ModelStoreError
from ui import resources
from ui.neighbours import nearest_training_images

METHOD_TITLES = {"confident_learning": "Confident learning (cleanlab)", "normalized_margin": "Label quality (cleanlab)",
                 "self_confidence": "Self-confidence", "fold_agreement": "Fold agreement",
                 "neighbours": "Nearest neighbours' labels", "combined": "Self-confidence × neighbours"}


def ranks_under_each_method(result: dubious.Result, split: str, index: int,
                            ranking: Callable[[str], dubious.Ranking]) -> None:
    """A small table: where this image ranks by every method the result has evidence for."""
    rows = []
    for method in dubious.methods_of(result):
        r = ranking(method)
        rows.append({"ranking": METHOD_TITLES[method], "rank": f"{int(r.positions[index]) + 1:,} of {len(r):,}",
                     "score": round(float(r.score[index]), 3)})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"dubious-ranks-{split}-{index}")
    e = result.split(split)
    if e.neighbours is not None:
        share = e.neighbours[index]
        given = int(e.labels[index])
        st.caption(f"Of its {dubious.evidence.NEIGHBOURS} nearest training images (in each fold model's own view, "
                   f"images it learned from), {share[given]:.0%} are labelled {given}"
                   + (f" and {share.max():.0%} {int(share.argmax())}." if int(share.argmax()) != given else "."))


def alike_by_label(image: np.ndarray, given: int, suggested: int, exclude: int | None) -> None:
    """The training images most like ``image`` among those labelled ``given``, and among ``suggested``."""
    try:
        model = resources.active_model()
    except ModelStoreError as e:
        st.info(f"Nearest training images need a model: {e}")
        return
    for label in dict.fromkeys([given, suggested]):
        nearest_training_images(image, model, k=6, exclude=exclude, summary=True, label=label)
