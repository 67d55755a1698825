"""Dataset: browse MNIST, look at one image closely, and see the whole test set on a map."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from digitlab import explore
from digitlab.pictures import captioned_sheet, fit_square
from digitlab.store import ModelStoreError
from ui import charts, explore_charts, resources

PER_PAGE, COLUMNS = 100, 10
ALL = "all digits"
# Why this page and Dubious labels may read a training image differently (#500: 3 here, 2 there).
TRAINED_ON_IT = ("This model learned from the training images, this one with its label among them: it has "
                 "seen it, and tends to agree with its label. Dubious labels asks models that never saw it "
                 "(each trained without the fold that holds it), so there it may be read otherwise.")

st.title("Dataset")
data = resources.mnist_or_stop()

try:
    loaded = resources.active_model()
except ModelStoreError as e:
    loaded = None
    st.warning(f"No model could be loaded ({e}), so there are no predictions; the pixel maps still work.")

state = st.session_state


def filtered() -> np.ndarray:
    _, labels = data.split(state["dataset-split"])
    label = state.get("dataset-label", ALL)
    return explore.with_label(labels, None if label == ALL else int(label))


def show_page_of_index() -> None:
    """After a jump: the grid turns to the page holding the image. If the label filter hides it,
    the filter goes back to all digits, and the page says so."""
    page = explore.page_of(filtered(), state["dataset-index"], PER_PAGE)
    if page is None:
        _, labels = data.split(state["dataset-split"])
        index = int(state["dataset-index"])
        state["dataset-notice"] = (f"#{index:,} is labelled {labels[index]}, so the filter “labelled "
                                   f"{state['dataset-label']}” was hiding it: the grid shows all digits again.")
        state["dataset-label"] = ALL
        page = explore.page_of(filtered(), state["dataset-index"], PER_PAGE)
    state["dataset-page"] = (page or 0) + 1


def pick_from_grid(key: str) -> None:
    points = (state.get(key) or {}).get("selection", {}).get("points") or []
    if points:  # a second click on the chosen one unselects it: it stays chosen
        state["dataset-index"] = int(points[0]["customdata"][0])


def pick_from_map() -> None:
    points = state["dataset-map-chart"]["selection"]["points"]
    if points:
        state["dataset-split"], state["dataset-index"] = explore.MAP_SPLIT, int(points[0]["customdata"])
        show_page_of_index()


# Another page (Misclassified) sends us to an image: {"split", "index"}.
goto = state.pop("dataset-goto", None)
if goto:
    state["dataset-split"], state["dataset-index"], state["dataset-label"] = goto["split"], int(goto["index"]), ALL
    show_page_of_index()
state.setdefault("dataset-split", "train")
state.setdefault("dataset-index", 0)
state.setdefault("dataset-page", 1)
a, b, c = st.columns([1, 1, 1])
a.segmented_control("Split", ["train", "test"], key="dataset-split", required=True,
                    on_change=lambda: state.update({"dataset-page": 1, "dataset-index": 0}),
                    help="60,000 training images and 10,000 test images.")
b.selectbox("Label", [ALL, *range(10)], key="dataset-label", on_change=lambda: state.update({"dataset-page": 1}))
split = state["dataset-split"]
images, labels = data.split(split)
state["dataset-index"] = min(int(state["dataset-index"]), len(images) - 1)
c.number_input(f"Go to image # (0–{len(images) - 1:,})", 0, len(images) - 1, key="dataset-index",
               on_change=show_page_of_index)
index = int(state["dataset-index"])

grid_col, detail_col = st.columns([5, 4], gap="large")
with grid_col:
    shown = filtered()
    pages = explore.page_count(len(shown), PER_PAGE)
    state["dataset-page"] = min(max(int(state["dataset-page"]), 1), pages)
    st.number_input(f"Page (of {pages:,})", 1, pages, key="dataset-page")
    page = int(state["dataset-page"]) - 1
    on_page = explore.page_items(shown, page, PER_PAGE)
    if notice := state.pop("dataset-notice", None):
        st.info(notice)
    if len(on_page) == 0:
        st.info("No images match this filter.")
    else:
        # The key names the page: a selection made on another page is not this one's.
        key = f"dataset-grid-{split}-{state['dataset-label']}-{page}"
        grid = explore_charts.thumbnails(images[on_page], on_page, labels[on_page], columns=COLUMNS, selected=index)
        # A box of the grid's own shape (CSS aspect-ratio) sets the chart's height from its width: a
        # fixed height, made for a wider column, left 142 px empty under the grid on a phone.
        st.html(f"<style>.st-key-dataset-grid-box {{ aspect-ratio: {explore_charts.grid_aspect(grid):.4f}; }}</style>")
        with st.container(key="dataset-grid-box"):
            st.plotly_chart(grid, key=key, on_select=lambda: pick_from_grid(key), selection_mode="points",
                            height="stretch", config={"displayModeBar": False})
        st.caption(f"{split} images #{on_page[0]:,} to #{on_page[-1]:,} ({len(shown):,} "
                   f"{'in all' if state['dataset-label'] == ALL else 'labelled ' + str(state['dataset-label'])}), "
                   "row by row. Click one to look at it closely; the chosen one is outlined.")

with detail_col:
    image, label = images[index], int(labels[index])
    st.markdown(f'<div class="dataset-chosen">{split} <b>#{index}</b> · label <b>{label}</b></div>',
                unsafe_allow_html=True)
    big, pix = st.tabs(["Image", "Pixel values"])
    big.image(fit_square(image, 280), caption=f"{split} #{index}, labelled {label} (each pixel a 10×10 block)")
    with pix:
        st.plotly_chart(charts.pixels(image, height=330), config={"displayModeBar": False}, key="dataset-pixels")
    reading = ""
    if loaded is not None:
        p = loaded.classifier.probabilities(image[None])[0]
        guess = int(p.argmax())
        reading = f"; the model reads {guess} ({p[guess]:.0%})"
        verdict = "right" if guess == label else "**wrong**"
        st.markdown(f"Model *{loaded.run.label}* reads **{guess}** ({p[guess]:.0%}): {verdict}.")
        if split == "train":
            st.caption(TRAINED_ON_IT)
        st.plotly_chart(charts.probabilities(p, height=220), config={"displayModeBar": False}, key="dataset-probs")
        if st.button("How this model was trained →", key="dataset-to-training"):
            state["training-goto"] = loaded.run.id
            st.switch_page("pages/training.py")

with st.expander("Images per digit in each split"):
    st.plotly_chart(explore_charts.class_counts({"train": explore.class_counts(data.y_train),
                                                  "test": explore.class_counts(data.y_test)}),
                    config={"displayModeBar": False}, key="dataset-counts")

st.subheader("Map of the test set")
st.caption("Each dot is one of the 10,000 test images, placed so that images the method finds alike are close. "
           "Hover for its number; click one to look at it, here under the map and in the panel at the top. "
           "The map is computed once per model and kept.")
# The map may use another stored model than the active one (seed 002's own view, say).
mapper = loaded
if loaded is not None:
    stored = [r for r in resources.runs() if "error" not in r.info]
    ids = [r.id for r in stored]
    if state.get("dataset-map-model") not in ids:
        state["dataset-map-model"] = loaded.run.id if loaded.run.id in ids else ids[0]
    st.selectbox("Model whose features are mapped", ids, key="dataset-map-model",
                 format_func={r.id: r.label for r in stored}.get,
                 help="The active model by default. Pick a seed-002 model to see its hidden units z[:, 0] "
                      "against z[:, 1].")
    try:
        mapper = resources.model(state["dataset-map-model"])
    except ModelStoreError as e:
        st.warning(f"Cannot load {state['dataset-map-model']}: {e}")
        mapper = loaded
preset = mapper.run.preset if mapper is not None else None
views = explore.map_views(preset)
if state.get("dataset-map-view") not in views:
    state["dataset-map-view"] = views[0]
whose = dict(data_fingerprint=data.fingerprint, model_id=mapper.run.id if mapper else None,
             tag=explore.model_tag(mapper.run.info) if mapper else "pixels")
# A t-SNE not computed yet says it takes a while; once kept, it no longer does. Streamlit's selectbox
# went on showing an option's old name after it changed: the widget's key names the slow ones, so
# a new widget comes when one is kept (the choice itself is kept in "dataset-map-view").
slow = [v for v in views if explore.is_slow(v) and not explore.map_is_cached(v, len(data.x_test), **whose)]
view_key = "-".join(["dataset-view", *slow])
st.selectbox("Map", views, index=views.index(state["dataset-map-view"]), key=view_key,
             format_func=lambda v: explore.MAP_VIEWS[v] + (" (slow the first time)" if v in slow else ""),
             on_change=lambda: state.update({"dataset-map-view": state[view_key]}),
             help="PCA takes seconds. t-SNE takes a minute or more (more when the server is busy) the first "
                  "time, once per model; a bar shows how far it is, and the map is kept.")
view = state["dataset-map-view"]

work = explore.map_in_background(view, data.x_test, features=(lambda: resources.test_features(mapper, data))
                                 if mapper else None, **whose)
if isinstance(work, explore.MapComputation):
    # In a thread of the server: the rest of the page can be used meanwhile (a click reruns the
    # page, which finds the computation still going), and the map is kept if the visitor leaves.
    bar = st.progress(work.fraction, text="Computing the map (once)…")
    note = st.caption("It goes on if you leave this page; the map is kept for every visitor.")
    while not work.done.wait(0.5):
        bar.progress(work.fraction, text=f"Computing the map (once): {work.message}.")
    bar.empty()
    note.empty()
    if work.error:
        st.error(f"Cannot draw this map: {work.error}")
        st.stop()
    st.rerun()  # the map is ready: the view's name above no longer says it takes a while
coords = work

on_map = split == explore.MAP_SPLIT
near = explore.map_neighbours(coords, index, k=8) if on_map else None
title = f"{explore.MAP_VIEWS[view]}" + (f" · model {mapper.run.label}" if explore.uses_model(view) and mapper else "")
# Above the chart, where it wraps, not in it: plotly's title ran under the chart's toolbar.
st.markdown(f'<div class="map-title"><b>{html.escape(title)}</b></div>', unsafe_allow_html=True)
st.plotly_chart(explore_charts.data_map(coords, data.y_test, selected=index if on_map else None, neighbours=near,
                                        name=title),
                on_select=pick_from_map, selection_mode="points", key="dataset-map-chart")
if on_map:
    # The chosen image again, here: after a click on the map, the panel at the top is off-screen.
    small, words = st.columns([1, 5], vertical_alignment="center")
    small.image(fit_square(data.x_test[index], 112))
    words.markdown(f'<div class="map-chosen">The chosen dot: test <b>#{index:,}</b>, labelled <b>{label}</b>'
                   f"{reading}. It is the ★ on the map.</div>", unsafe_allow_html=True)
    st.markdown(f"**The 8 images nearest to test #{index} on this map** (ringed), nearest first")
    st.image(captioned_sheet(data.x_test[near], [f"#{i} · {data.y_test[i]}" for i in near], columns=8),
             caption="number · label")
else:
    st.caption("The chosen image is a training image, so it is not on the map; pick a test image to see its "
               "neighbours here.")
