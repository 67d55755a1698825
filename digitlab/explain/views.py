"""What the Draw page's inside view shows, computed here so the page only lays it out.

Three views of one drawing (each a function: arrays in, pictures and plain
sentences out, timed by ``benchmarks/inside_latency.py``):

- :func:`layer_views`: every layer's output, one :class:`LayerView` each;
- :func:`saliency_view`: which pixels decided, on the 28x28 and on the drawing;
- :func:`changed_view` and :func:`counterfactual_view`: what would change its mind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitlab.explain import SALIENCY_METHOD
from digitlab.explain import pictures as P
from digitlab.explain.corruptions import corrupt
from digitlab.explain.counterfactual import Counterfactual, counterfactuals, smallest_change
from digitlab.explain.network import LayerInfo, Network
from digitlab.explain.saliency import METHODS, saliency
from digitlab.inference import NO_DIGIT_BELOW, UNSURE_BELOW
from digitlab.preprocess import Preprocessed

FEATURE_MAPS_SHOWN = 32  # per convolution: 4 rows of 8 stay readable on a phone
WEIGHT_UNITS_SHOWN = 6  # an MLP's first-layer units drawn as 28x28 weights
BLOCK = 10  # each of the 28x28 pixels as a 10x10 block: 280 pixels, a phone's width


@dataclass(frozen=True)
class LayerView:
    """One layer for the page: ``title`` (name, kind, output shape), ``text`` (one plain
    sentence on what it shows), an optional ``picture`` (uint8) with its ``caption``, an
    MLP's first-layer ``weights`` (uint8 tiles) with ``weights_caption``, and for a softmax
    hidden layer (seed 002) the drawing's ``z01`` = (z[0], z[1])."""

    info: LayerInfo
    title: str
    text: str
    picture: np.ndarray | None = None
    caption: str = ""
    weights: np.ndarray | None = None
    weights_caption: str = ""
    z01: tuple[float, float] | None = None


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


def _fired(a: np.ndarray) -> str:
    top = np.argsort(-a)[:3]
    return ", ".join(f"#{i} ({a[i]:.2f})" for i in top)


def layer_views(net: Network, image: np.ndarray) -> list[LayerView]:
    """Every layer of ``net`` for ``image`` float32 (28, 28): a :class:`LayerView` each, in order."""
    acts = net.activations(image)
    weights = net.first_dense_weights()
    hidden_softmax = net.hidden_softmax()
    views: list[LayerView] = []
    order = None  # the last convolution's strongest-first order, kept for the pooling after it
    for i, (info, a) in enumerate(zip(net.layers, acts)):
        title = f"**{info.name}** · {info.kind} → {_shape(info.shape)}"
        last = i == len(net.layers) - 1
        if info.kind.startswith("Conv") and a.ndim == 3:
            order = P.strongest_first(a)
            shown = min(FEATURE_MAPS_SHOWN, a.shape[-1])
            views.append(LayerView(
                info, title, f"{a.shape[-1]} filters, each looking for one small pattern everywhere in its input.",
                P.feature_map_sheet(a, order, limit=shown),
                f"Each square is one filter's map: bright where it found its pattern in your drawing. "
                f"Strongest first; {shown} of {a.shape[-1]}, on one brightness scale."))
        elif "Pooling" in info.kind and a.ndim == 3:
            shown = min(FEATURE_MAPS_SHOWN, a.shape[-1])
            views.append(LayerView(
                info, title, "Keeps the strongest value of each small square: the same maps, smaller, "
                             "so the next layer sees more of the digit at once.",
                P.feature_map_sheet(a, order if order is not None else None, limit=shown),
                "In the same order as the layer above."))
        elif info.kind == "Dense" and not last:
            fired = int((a > 0).sum()) if info.activation in ("relu", None) else None
            if info.name == hidden_softmax:
                text = (f"{a.size} units that share out one unit of activation between them (a softmax): "
                        f"z[0] = {a[0]:.4f}, z[1] = {a[1]:.4f}; the strongest {_fired(a)}.")
            elif fired is not None:
                text = (f"{a.size} units, each adding up its whole input with its own weights: {fired} fired for "
                        f"your drawing; the strongest {_fired(a)}.")
            else:
                text = (f"{a.size} units ({info.activation}): red positive, blue negative; "
                        f"the strongest {_fired(np.abs(a))}.")
            view = dict(picture=P.unit_strip(a, per_row=32 if a.size <= 256 else 64),
                        caption="Each square is one unit, in order, row by row: brighter = fired more.")
            if weights is not None and weights[0] == info.name:
                top = np.argsort(-a)[:WEIGHT_UNITS_SHOWN]
                view["weights"] = P.weight_tiles(weights[1][top], [f"#{u}: {a[u]:.2f}" for u in top])
                view["weights_caption"] = (f"What the {len(top)} units that fired most look for: each one's weights "
                                           "on the 28×28 (red: ink here makes it fire, blue: ink here holds it back), "
                                           "and how much it fired.")
            if info.name == hidden_softmax:
                view["z01"] = (float(a[0]), float(a[1]))
            views.append(LayerView(info, title, text, **view))
        elif last:
            top = np.argsort(-a)[:3]
            views.append(LayerView(info, title, "Ten probabilities that add up to 1: "
                                   + ", ".join(f"{d}: {a[d]:.1%}" for d in top) + ". The answer above is the mean "
                                   "of this and of the drawing moved one pixel each way, so it can differ a little, "
                                   "most where no digit is clear."))
        elif info.kind == "Flatten":
            views.append(LayerView(info, title,
                                   f"The same {a.size} numbers laid out in one row, for the dense layers."))
        elif info.kind == "Dropout":
            views.append(LayerView(info, title, "Does nothing while reading; in training it silenced random units, "
                                                "so that none is relied on alone."))
        elif info.kind == "Reshape":
            views.append(LayerView(info, title, "The same 28×28 pixels, given one channel for the convolutions."))
        else:
            views.append(LayerView(info, title, f"Output {_shape(info.shape)}."))
    return views


@dataclass(frozen=True)
class SaliencyView:
    """``values`` float32 (28, 28) by ``method`` for ``digit``, its symmetric colour ``scale``,
    and uint8 RGB pictures: over the 28x28 (``on_image``), over the drawing (``on_drawing``),
    and the colour ``bar``."""

    method: str
    digit: int
    values: np.ndarray
    scale: float
    on_image: np.ndarray
    on_drawing: np.ndarray
    bar: np.ndarray

    @property
    def about(self) -> str:
        return METHODS[self.method]


def saliency_view(net: Network, steps: Preprocessed, digit: int, method: str = SALIENCY_METHOD) -> SaliencyView:
    """Which pixels decided ``digit`` for the preprocessed drawing ``steps`` (a digit)."""
    values = saliency(net, steps.image, digit, method)
    scale = P.symmetric_scale(values)
    on_drawing = P.overlay(steps.ink, P.onto_drawing(values, steps), scale)
    return SaliencyView(method, digit, values, scale, P.overlay(steps.image, values, scale, block=BLOCK), on_drawing,
                        P.colour_bar(scale, f"against {digit}", f"for {digit}"))


@dataclass(frozen=True)
class ChangedView:
    """The drawing's 28x28 after the sliders' changes: ``image`` float32 (28, 28), the model's
    ``probabilities`` float32 (10,) and the ``picture`` (uint8 RGB)."""

    image: np.ndarray
    probabilities: np.ndarray
    picture: np.ndarray

    @property
    def digit(self) -> int:
        """Its best guess (also when it sees no digit: see :attr:`sees_a_digit`)."""
        return int(np.argmax(self.probabilities))

    @property
    def sees_a_digit(self) -> bool:
        """Whether the best guess is sure enough to be an answer: under NO_DIGIT_BELOW the Draw
        page's answer says "That is not a digit, I think", and so does this view."""
        return float(self.probabilities[self.digit]) >= NO_DIGIT_BELOW

    def words(self, before: int | None) -> str:
        """What the network now gets, in words (markdown), against its answer ``before`` the
        changes (a digit, or None when it saw no digit in the drawing).

        Ten nearly equal bars are "no digit", as on the answer, not "it now reads 0 (10%)".
        """
        d, p = self.digit, float(self.probabilities[self.digit])
        if not self.sees_a_digit:
            return (f"it {'still' if before is None else 'now'} sees **no digit**: its best guess, {d}, gets only "
                    f"{p:.0%}, under the {NO_DIGIT_BELOW:.0%} an answer needs")
        unsure = f", not sure (under {UNSURE_BELOW:.0%}, as the answer would say)" if p < UNSURE_BELOW else ""
        return f"it {'still reads' if d == before else 'now reads'} **{d}** ({p:.0%}){unsure}"


def changed_view(net: Network, image: np.ndarray, **changes) -> ChangedView:
    """``image`` float32 (28, 28) through :func:`digitlab.explain.corruptions.corrupt` (``changes``
    are its keyword arguments), and what the model now reads."""
    changed = corrupt(image, **changes)
    return ChangedView(changed, net.probabilities(changed)[0], P.enlarged_digit(changed, BLOCK))


@dataclass(frozen=True)
class CounterfactualView:
    """``found`` (None: no digit could be reached) and its ``picture``: the drawing in grey,
    ink to add in green, ink to take away in magenta (uint8 RGB)."""

    found: Counterfactual | None
    picture: np.ndarray | None


def counterfactual_view(net: Network, image: np.ndarray, current: int | None,
                        target: int | None = None) -> CounterfactualView:
    """The smallest change of ``image`` float32 (28, 28) that makes ``net`` answer ``target``
    (None: whichever other digit is closest) instead of ``current`` (None: no digit), on top with
    the NO_DIGIT_BELOW share an answer needs."""
    def answer_margins(images: np.ndarray, targets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return net.margins(images, targets, share=NO_DIGIT_BELOW)

    if target is None:
        found = smallest_change(answer_margins, image, current)
    else:
        found = counterfactuals(answer_margins, image, [target])[0]
    picture = None if found is None else P.change_overlay(image, found.change, block=BLOCK)
    return CounterfactualView(found, picture)
