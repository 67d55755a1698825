"""The evidence a person can weigh about one image's label, for the Dubious labels page."""

from __future__ import annotations

from typing import Callable

import numpy as np
import streamlit as st

from digitlab import dubious
from digitlab.dubious import explain
from digitlab.store import ModelStoreError
from ui import resources
from ui.neighbours import nearest_training_images

METHOD_TITLES = {"confident_learning": "Confident learning (cleanlab)", "normalized_margin": "Label quality (cleanlab)",
                 "self_confidence": "Self-confidence", "fold_agreement": "Fold agreement",
                 "neighbours": "Nearest neighbours' labels", "combined": "Self-confidence × neighbours"}


def ranks_under_each_method(result: dubious.Result, split: str, index: int,
                            ranking: Callable[[str], dubious.Ranking]) -> None:
    """Where this image ranks by every method the result has evidence for: a markdown table, which wraps
    in a narrow column where a data frame cut "897 of 60,000" to "897 of 60,0" (issue 23)."""
    rows = ["| ranking | rank | score |", "|---|---|---|"]
    for method in dubious.methods_of(result):
        r = ranking(method)
        rows.append(f"| {METHOD_TITLES[method]} | {int(r.positions[index]) + 1:,} of {len(r):,} | "
                    f"{float(r.score[index]):.3f} |")
    st.markdown('<span class="dubious-ranks">**Where it ranks, by each method**</span>\n\n' + "\n".join(rows),
                unsafe_allow_html=True)


def evidence_in_words(result: dubious.Result, split: str, index: int) -> None:
    """What the fold models said about this image, how sure, what its nearest training images are
    labelled, and whether that agrees with the label (digitlab.dubious.explain); for the seeds' example,
    why it is featured."""
    x = explain.explain(result, split, index)
    if (split, index) == explain.SEEDS_EXAMPLE:
        label = int(result.split(split).labels[index])
        st.markdown(f'<span class="dubious-seeds">**The seeds\' example.** The tutorials this app grew from asked '
                    f"whether training image #{index}, labelled {label}, is really a {label}. Here is what the "
                    "models say now.</span>", unsafe_allow_html=True)
    st.markdown(f'<span class="dubious-verdict">{x.summary}</span>\n\n'
                + "\n".join(f"- {line}" for line in x.lines), unsafe_allow_html=True)


def alike_by_label(image: np.ndarray, given: int, suggested: int, exclude: int | None) -> None:
    """The training images most like ``image`` among those labelled ``given``, and among ``suggested``."""
    try:
        model = resources.active_model()
    except ModelStoreError as e:
        st.info(f"Nearest training images need a model: {e}")
        return
    for label in dict.fromkeys([given, suggested]):
        nearest_training_images(image, model, k=6, exclude=exclude, summary=True, label=label)
