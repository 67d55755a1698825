"""The Draw page's inside view: what each layer makes of the drawing, which pixels decided,
what would change its mind. Laid out here; computed by ``digitlab.explain.views``.

Shown only when its toggle is on, below the answer, so the answer never waits
for it. It is a fragment: moving one of its sliders reruns only the view, not
the page with the canvas.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from digitlab import explore
from digitlab.explain import SALIENCY_METHOD, Network
from digitlab.explain import views as V
from digitlab.explain.corruptions import SIDES
from digitlab.explain.saliency import METHODS, available
from digitlab.inference import Prediction
from digitlab.neighbours import cache_path, cached_features
from ui import charts, explore_charts, resources
from ui.state import kept

NEAREST = "the closest other digit"
SLIDERS = {"degrees": 0, "right": 0, "down": 0, "stroke_pixels": 0.0, "erase_fraction": 0}
# The view's pictures are pixel maps: scaled, they stay sharp blocks, and never wider than a phone's screen.
STYLE = """<style>
div[class*="st-key-inside-"] img { image-rendering: pixelated; max-width: 100% !important; height: auto !important; }
</style>"""


@st.cache_resource(show_spinner=False, max_entries=4)
def _network(run_id: str, tag: str, _model) -> Network:
    """One opened-up network per stored model (``tag`` changes when the model is re-made)."""
    return Network(_model)


def network(loaded: resources.LoadedModel) -> Network:
    return _network(loaded.run.id, explore.model_tag(loaded.run.info), loaded.classifier.model)


def inside_view(prediction: Prediction, loaded: resources.LoadedModel, key: str) -> None:
    """The toggle, and the three views when it is on (``prediction`` must hold a digit)."""
    st.subheader("Inside the network")
    # The toggle is not on the page while the canvas is empty (after Clear), and Streamlit then
    # forgets its state: kept, the view stays open for the next drawing.
    if not st.toggle("See inside the network: every layer, the pixels that decided, what would change its mind",
                     **kept(f"{key}-inside", False)):
        st.caption("How the model gets from your 28×28 to its answer, layer by layer, for this very drawing.")
        return
    _views(prediction, loaded, key)


@st.fragment
def _views(prediction: Prediction, loaded: resources.LoadedModel, key: str) -> None:
    net = network(loaded)
    image = prediction.steps.image
    st.html(STYLE)
    with st.container(key=f"inside-{key}"):
        _layers(net, image, loaded, key)
        _saliency(net, prediction, key)
        _changes(net, image, prediction.digit, key)


def _layers(net: Network, image: np.ndarray, loaded: resources.LoadedModel, key: str) -> None:
    st.markdown("#### 1. Layer by layer")
    st.caption(f"Your 28×28 goes through the {len(net.layers)} layers of model *{loaded.run.label}* from top to "
               "bottom; each line is one layer and what it made of your drawing.")
    views = V.layer_views(net, image)
    i = 0
    while i < len(views):
        # A convolution and the pooling after it side by side (stacked on a phone): same maps, same order.
        if views[i].picture is not None and i + 1 < len(views) and "Pooling" in views[i + 1].info.kind:
            for column, view in zip(st.columns(2), views[i : i + 2]):
                with column:
                    _layer(view, loaded, key)
            i += 2
        else:
            _layer(views[i], loaded, key)
            i += 1


def _layer(view: V.LayerView, loaded: resources.LoadedModel, key: str) -> None:
    st.markdown(f"{view.title}: {view.text}")
    if view.picture is not None:
        st.image(view.picture, caption=view.caption, width="content")
    if view.weights is not None:
        st.image(view.weights, caption=view.weights_caption, width="content")
    if view.z01 is not None:
        _hidden_scatter(loaded, view.z01, key)


def _hidden_scatter(loaded: resources.LoadedModel, z01: tuple[float, float], key: str) -> None:
    """Seed 002's own plot, z[0] against z[1] of the 10,000 test images, with the drawing on it."""
    data, error = resources.mnist()
    if data is None:
        st.info(f"The test set's scatter needs MNIST. {error}")
        return
    clf, tag = loaded.classifier, explore.model_tag(loaded.run.info)
    with st.spinner("The hidden units of the 10,000 test images (once per model)…"):
        coords = explore.data_map(
            "hidden-z01", data.x_test, data_fingerprint=data.fingerprint, model_id=loaded.run.id, tag=tag,
            features=lambda: cached_features(cache_path(loaded.run.id, tag, data.fingerprint, explore.MAP_SPLIT),
                                             lambda: clf.features(data.x_test)))
    st.markdown("**z[0] against z[1]: the test set, and your drawing**")
    fig = explore_charts.data_map(coords, data.y_test, name="z01", height=460)
    fig.add_scatter(x=[z01[0]], y=[z01[1]], mode="markers", name="your drawing",
                    marker=dict(size=20, symbol="star", color="#ff8c00", line=dict(color="#000", width=1.5)),
                    hovertemplate="your drawing: z[0] %{x:.4f}, z[1] %{y:.4f}<extra></extra>")
    st.plotly_chart(fig, key=f"{key}-z01", config={"displayModeBar": False})
    st.caption("Each dot is a test image, coloured by its label, placed by the first two hidden units; the star is "
               "your drawing. Digits the two units tell apart form separate clouds.")


def _saliency(net: Network, prediction: Prediction, key: str) -> None:
    digit = int(prediction.probabilities.argmax())  # its best guess (also when it sees no digit)
    st.markdown("#### 2. Which pixels decided")
    # Labels as the options (no format_func), so that the widget's value is what the page shows.
    labels = {METHODS[m]: m for m in available(net)}
    label = st.selectbox("Method", list(labels), index=list(labels.values()).index(SALIENCY_METHOD),
                         key=f"{key}-method",
                         help=f"The default, {METHODS[SALIENCY_METHOD]}, is the most faithful measured: rubbing out "
                              "its 39 reddest pixels lowers the answer at least as much as any other method's "
                              "(the deletion test, README).")
    method = labels[label]
    view = V.saliency_view(net, prediction.steps, digit, method)
    st.markdown(f"**Red: ink that pushed towards {digit}; blue: ink that pushed against it** (towards other digits). "
                "The stronger the colour, the more; the scale is the same both ways.")
    a, b = st.columns(2)
    a.image(view.on_image, caption="On the 28×28 the model read", width="content")
    b.image(view.on_drawing, caption="On your drawing", width="content")
    st.image(view.bar, width="content")
    st.markdown(f'<div class="inside-saliency" data-method="{method}"></div>', unsafe_allow_html=True)


def _reset(key: str) -> None:
    for name, value in SLIDERS.items():
        st.session_state[f"{key}-{name}"] = value
    st.session_state[f"{key}-erase_side"] = SIDES[0]


def _keep_a_side(key: str) -> None:
    """A second click on the chosen side unselects it in Streamlit; rubbing out still needs a side."""
    if st.session_state.get(f"{key}-erase_side") is None:
        st.session_state[f"{key}-erase_side"] = SIDES[0]


def _changes(net: Network, image: np.ndarray, answer: int | None, key: str) -> None:
    """``answer``: the page's answer (None when it saw no digit)."""
    st.markdown("#### 3. What would change its mind")
    st.caption("Change the 28×28 itself (the preprocessing would undo a shift; here the network gets it as it is) "
               "and watch the answer follow. How far can you turn or thin it before it reads another digit?")
    # The result first: on a phone the columns stack, and it should sit right above the sliders.
    result, controls = st.columns(2, gap="large")
    with controls:
        degrees = st.slider("Turn (degrees, anticlockwise)", -90, 90, 0, 5, key=f"{key}-degrees")
        right = st.slider("Move right (pixels)", -8, 8, 0, key=f"{key}-right")
        down = st.slider("Move down (pixels)", -8, 8, 0, key=f"{key}-down")
        stroke = st.slider("Thinner ← stroke → thicker (pixels)", -1.0, 2.0, 0.0, 0.25, key=f"{key}-stroke_pixels")
        erase = st.slider("Rub out (% of the digit)", 0, 80, 0, 5, key=f"{key}-erase_fraction")
        side = st.segmented_control("from the", SIDES, default=SIDES[0], key=f"{key}-erase_side",
                                    on_change=_keep_a_side, args=(key,))
        st.button("Undo the changes", key=f"{key}-reset", on_click=_reset, args=(key,))
    view = V.changed_view(net, image, degrees=degrees, right=right, down=down, stroke_pixels=stroke,
                          erase_fraction=erase / 100, erase_side=side or "top")
    p = view.probabilities
    with result:
        st.markdown(f"What the network now gets: {view.words(answer)}.")
        picture, chart = st.columns([2, 3], vertical_alignment="center")
        picture.image(view.picture, width=196)
        with chart:
            st.plotly_chart(charts.probabilities(p, height=180), config={"displayModeBar": False},
                            key=f"{key}-changed")
    st.markdown(f'<div class="inside-changed" data-digit="{view.digit}" data-seen="{str(view.sees_a_digit).lower()}" '
                f'data-probabilities="{",".join(f"{v:.4f}" for v in p)}"></div>', unsafe_allow_html=True)
    _counterfactual(net, image, answer, key)


def _counterfactual(net: Network, image: np.ndarray, digit: int | None, key: str) -> None:
    """``digit``: the page's answer (None: it saw no digit, and any digit is a change)."""
    st.markdown("**The smallest change that makes it read " + ("a digit**" if digit is None else "another digit**"))
    a, b = st.columns([3, 2], vertical_alignment="bottom")
    choice = a.selectbox("Make it read", [NEAREST, *[d for d in range(10) if d != digit]], key=f"{key}-cf-target")
    stamp = hashlib.sha1(image.tobytes() + str(choice).encode() + str(id(net)).encode()).hexdigest()
    if b.button("Find it", key=f"{key}-cf-find"):
        with st.spinner("Looking for the smallest change…"):
            st.session_state[f"{key}-cf"] = (stamp, V.counterfactual_view(
                net, image, digit, None if choice == NEAREST else int(choice)))
    kept = st.session_state.get(f"{key}-cf")
    if kept is None or kept[0] != stamp:
        st.caption("A search, pixel by pixel, for the least ink to add or take away (in the direction the gradient "
                   "says) until another digit wins.")
        return
    found, picture = kept[1].found, kept[1].picture
    if found is None or not found.reached:
        st.info("No small change was found that makes it read that digit.")
        return
    p = found.probabilities
    before = "" if digit is None else f", {digit}: {p[digit]:.0%}"
    c1, c2 = st.columns(2)
    c1.image(picture, width="content", caption=f"green: add ink · magenta: take ink away → {found.target}")
    c2.markdown(f"**Add ink at the green pixels** (and take it away at the magenta ones), **and it reads "
                f"{found.target}** ({found.target}: {p[found.target]:.0%}{before}).  \n"
                f"Ink added: {found.added:.1f} pixels' worth; taken away: {found.removed:.1f} "
                f"(a whole digit holds about 100), in {found.steps} small steps.")
    c2.caption(("Would you read it as a digit now? If not" if digit is None else
                f"Would you still read it as a {digit}? If so") + ", the network weighs evidence differently from you: "
               "a few well-placed pixels can matter more to it than the shape you see.")
    st.markdown(f'<div class="inside-counterfactual" data-target="{found.target}"></div>', unsafe_allow_html=True)
