"""Server time of each part of the Draw page's inside view, one drawing at a time.

    python -m benchmarks.inside_latency [--model ID ...] [--n 100]

Hand-made stroke digits (``digitlab.synth.stroke_digits``, jittered, random size,
place and pen on a 300x300 canvas) are preprocessed as the Draw page does;
then each view of ``digitlab.explain.views`` is computed for each drawing, and
its pictures encoded as PNG (as ``st.image`` does) and its chart as JSON (as
``st.plotly_chart`` does), which is the server's share of showing it:

- layers: every layer's output and its pictures;
- saliency: the chosen method's map (``SALIENCY_METHOD``) on the 28x28 and on the drawing;
- sliders: one random setting of the five sliders, the model's answer and its chart;
- counterfactual: the smallest change to another digit (on demand: the "Find it" button).

Prints p50 and p95 in ms per view and model (the goal: <= 300 ms, or on demand).
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from PIL import Image

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from digitlab.explain import SALIENCY_METHOD, Network
from digitlab.explain import views as V
from digitlab.explain.corruptions import SIDES
from digitlab.inference import NORMALISE_STROKES
from digitlab.preprocess import preprocess
from digitlab.store import ModelStore
from digitlab.synth.stroke_digits import STYLES, jitter, render
from ui import charts


def png(picture: np.ndarray) -> int:
    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, format="PNG")
    return buf.tell()


def drawings(n: int, seed: int = 0) -> list:
    """``n`` preprocessed stroke drawings that hold a digit (Preprocessed, with every step)."""
    rng = np.random.default_rng(seed)
    styles = [s for digit in STYLES.values() for s in digit.values()]
    out = []
    while len(out) < n:
        size = rng.uniform(0.3, 0.9)
        box = (rng.uniform(0, 1 - size), rng.uniform(0, 1 - size), size)
        steps = preprocess(render(jitter(styles[rng.integers(len(styles))], rng), box=box,
                                  pen=rng.uniform(10, 30) * min(1.0, size / 0.5)), normalise_strokes=NORMALISE_STROKES)
        if steps.is_digit:
            out.append(steps)
    return out


def layers(net, steps, digit, rng):
    for view in V.layer_views(net, steps.image):
        for picture in (view.picture, view.weights):
            if picture is not None:
                png(picture)


def saliency(net, steps, digit, rng):
    view = V.saliency_view(net, steps, digit, SALIENCY_METHOD)
    png(view.on_image), png(view.on_drawing), png(view.bar)


def sliders(net, steps, digit, rng):
    view = V.changed_view(net, steps.image, degrees=float(rng.integers(-18, 19) * 5), right=float(rng.integers(-8, 9)),
                          down=float(rng.integers(-8, 9)), stroke_pixels=float(rng.integers(-4, 9) / 4),
                          erase_fraction=float(rng.integers(0, 17) * 0.05), erase_side=SIDES[rng.integers(4)])
    png(view.picture)
    charts.probabilities(view.probabilities, height=180).to_json()


def counterfactual(net, steps, digit, rng):
    view = V.counterfactual_view(net, steps.image, digit)
    if view.picture is not None:
        png(view.picture)


VIEWS = {"layers": layers, "saliency": saliency, "sliders": sliders, "counterfactual (on demand)": counterfactual}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", nargs="*", help="model ids (default: the active model)")
    ap.add_argument("--n", type=int, default=100, help="drawings")
    args = ap.parse_args()
    drawn = drawings(args.n)
    store = ModelStore()
    for model_id in args.model or [store.active_id()]:
        model, run = store.load(model_id)
        net = Network(model)
        digits = net.probabilities(np.stack([s.image for s in drawn])).argmax(axis=1)
        print(f"\nmodel {model_id} ({run.info.get('preset')}), {len(drawn)} drawings, one at a time:")
        print("| view | p50 | p95 | max |")
        print("|---|---|---|---|")
        for name, fn in VIEWS.items():
            rng = np.random.default_rng(1)
            fn(net, drawn[0], int(digits[0]), rng)  # traced before the clock starts
            ms = []
            for steps, digit in zip(drawn, digits):
                t = time.perf_counter()
                fn(net, steps, int(digit), rng)
                ms.append((time.perf_counter() - t) * 1000)
            print(f"| {name} | {np.percentile(ms, 50):.0f} ms | {np.percentile(ms, 95):.0f} ms | {max(ms):.0f} ms |",
                  flush=True)


if __name__ == "__main__":
    main()
