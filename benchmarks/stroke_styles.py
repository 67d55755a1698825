"""Accuracy on digits drawn from hand-made stroke templates (not MNIST), per digit and per style.

    python -m benchmarks.stroke_styles [--model ID ...] [--per-style 100] [--seed 0] [--stray-dot]

Every style of every digit in ``digitlab.synth.stroke_digits.STYLES`` is drawn
``--per-style`` times, each time jittered (slant, rotation, aspect, wobble), at a
random size and place on a 300×300 canvas with a random pen width, then
preprocessed the way the Draw page does and classified.

``--stray-dot`` adds a tap of the pen somewhere on the canvas, at least two pen
widths from the digit, and also scores the drawings preprocessed without the
stray-dot filter.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import ndimage

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from digitlab.inference import Classifier
from digitlab.preprocess import preprocess
from digitlab.store import ModelStore
from digitlab.synth.stroke_digits import STYLES, jitter, render


def with_stray_dot(picture: np.ndarray, pen: float, rng: np.random.Generator) -> np.ndarray:
    """RGBA ``picture`` with a dot of the pen's width at least two pen widths from its ink."""
    alpha = picture[:, :, 3]
    ys, xs = np.nonzero(ndimage.distance_transform_edt(alpha < 128) > 2 * pen)
    k = rng.integers(len(ys))
    yy, xx = np.mgrid[: alpha.shape[0], : alpha.shape[1]]
    out = picture.copy()
    out[(yy - ys[k]) ** 2 + (xx - xs[k]) ** 2 <= (pen / 2) ** 2] = 255
    return out


def drawings(per_style: int, seed: int,
             stray_dot: bool = False) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray | None]:
    """(28×28 float32 inputs (N, 28, 28), true digits (N,), "digit style" names (N,),
    and with ``stray_dot`` the same drawings preprocessed without the stray-dot filter, else None)."""
    rng = np.random.default_rng(seed)
    images, unfiltered, labels, names = [], [], [], []
    for digit, styles in STYLES.items():
        for name, strokes in styles.items():
            for _ in range(per_style):
                size = rng.uniform(0.25, 0.9)
                box = (rng.uniform(0, 1 - size), rng.uniform(0, 1 - size), size)
                pen = rng.uniform(8, 30) * min(1.0, size / 0.5)
                picture = render(jitter(strokes, rng), box=box, pen=pen)
                if stray_dot:
                    picture = with_stray_dot(picture, pen, rng)
                    unfiltered.append(preprocess(picture, drop_stray_dots=False).image)
                images.append(preprocess(picture).image)
                labels.append(digit)
                names.append(f"{digit} {name}")
    return np.stack(images), np.array(labels), names, np.stack(unfiltered) if unfiltered else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", nargs="*", help="model ids (default: the active model)")
    ap.add_argument("--per-style", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stray-dot", action="store_true", help="add a stray dot to every drawing")
    args = ap.parse_args()

    x, y, names, unfiltered = drawings(args.per_style, args.seed, args.stray_dot)
    print(f"{len(y)} drawings: {sum(len(s) for s in STYLES.values())} styles × {args.per_style} (seed {args.seed})")
    store = ModelStore()
    for model_id in args.model or [store.active_id()]:
        model, run = store.load(model_id)
        classifier = Classifier(model)
        predicted = classifier.probabilities(x).argmax(axis=1)
        right = predicted == y
        print(f"\nmodel {model_id} ({run.preset}): {right.mean():.2%} right")
        if unfiltered is not None:
            kept = (classifier.probabilities(unfiltered).argmax(axis=1) == y).mean()
            print(f"(without the stray-dot filter: {kept:.2%} right)")
        print("per digit: " + "  ".join(f"{d} {right[y == d].mean():.0%}" for d in range(10)))
        for style in dict.fromkeys(names):
            mask = np.array([n == style for n in names])
            wrong = np.bincount(predicted[mask & ~right], minlength=10)
            mistakes = ", ".join(f"{d}×{c}" for d, c in enumerate(wrong) if c)
            print(f"  {style:22} {right[mask].mean():6.1%}" + (f"   read as {mistakes}" if mistakes else ""))


if __name__ == "__main__":
    main()
