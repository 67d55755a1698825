"""Accuracy on digits drawn from hand-made stroke templates (not MNIST), per digit and per style.

    python -m benchmarks.stroke_styles [--model ID ...] [--per-style 100] [--seed 0]

Every style of every digit in ``digitlab.stroke_digits.STYLES`` is drawn
``--per-style`` times, each time jittered (slant, rotation, aspect, wobble), at a
random size and place on a 300×300 canvas with a random pen width, then
preprocessed the way the Draw page does and classified.
"""

from __future__ import annotations

import argparse

import numpy as np

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from digitlab.inference import Classifier
from digitlab.preprocess import preprocess
from digitlab.store import ModelStore
from digitlab.stroke_digits import STYLES, jitter, render


def drawings(per_style: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(28×28 float32 inputs (N, 28, 28), true digits (N,), "digit style" names (N,))."""
    rng = np.random.default_rng(seed)
    images, labels, names = [], [], []
    for digit, styles in STYLES.items():
        for name, strokes in styles.items():
            for _ in range(per_style):
                size = rng.uniform(0.25, 0.9)
                box = (rng.uniform(0, 1 - size), rng.uniform(0, 1 - size), size)
                pen = rng.uniform(8, 30) * min(1.0, size / 0.5)
                steps = preprocess(render(jitter(strokes, rng), box=box, pen=pen))
                images.append(steps.image)
                labels.append(digit)
                names.append(f"{digit} {name}")
    return np.stack(images), np.array(labels), names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", nargs="*", help="model ids (default: the active model)")
    ap.add_argument("--per-style", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    x, y, names = drawings(args.per_style, args.seed)
    print(f"{len(y)} drawings: {sum(len(s) for s in STYLES.values())} styles × {args.per_style} (seed {args.seed})")
    store = ModelStore()
    for model_id in args.model or [store.active_id()]:
        model, run = store.load(model_id)
        predicted = Classifier(model).probabilities(x).argmax(axis=1)
        right = predicted == y
        print(f"\nmodel {model_id} ({run.info.get('preset')}): {right.mean():.2%} right")
        print("per digit: " + "  ".join(f"{d} {right[y == d].mean():.0%}" for d in range(10)))
        for style in dict.fromkeys(names):
            mask = np.array([n == style for n in names])
            wrong = np.bincount(predicted[mask & ~right], minlength=10)
            mistakes = ", ".join(f"{d}×{c}" for d, c in enumerate(wrong) if c)
            print(f"  {style:22} {right[mask].mean():6.1%}" + (f"   read as {mistakes}" if mistakes else ""))


if __name__ == "__main__":
    main()
