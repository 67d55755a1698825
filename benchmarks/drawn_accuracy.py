"""Accuracy on canvas-like drawings, with and without each preprocessing step.

    python -m benchmarks.drawn_accuracy [--model ID ...] [--n 2000] [--seed 0]

MNIST test digits are redrawn as uniform round-pen strokes at random sizes,
places and pen widths on a 280x280 transparent canvas (digitlab.synth.canvas_like),
then classified after each preprocessing variant:

- mnist-style: ink box -> 20x20 keeping aspect -> 28x28 by centre of mass
- + stroke normalisation: the same, strokes redrawn at MNIST's relative width
- adaptive: stroke normalisation only where the 28x28 is denser than 99% of MNIST
- box-centred: the 20x20 fit pasted in the middle, not by centre of mass
- naive resize: the whole canvas squashed to 28x28
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from digitlab.synth.canvas_like import redraw_many
from digitlab.data import load_mnist
from digitlab.inference import Classifier
from digitlab.preprocess import OUT_SIZE, naive_resize, preprocess
from digitlab.store import ModelStore


def box_centred(fitted: np.ndarray) -> np.ndarray:
    h, w = fitted.shape
    out = np.zeros((OUT_SIZE, OUT_SIZE), np.float32)
    top, left = (OUT_SIZE - h) // 2, (OUT_SIZE - w) // 2
    out[top : top + h, left : left + w] = fitted
    return out


DENSE = 0.246  # 99th percentile of MNIST's mean ink per image (benchmarks/mnist_stats.py)


def variants(drawings: np.ndarray) -> dict[str, np.ndarray]:
    plain = [preprocess(d) for d in drawings]
    stroked = [preprocess(d, normalise_strokes=True) for d in drawings]
    blank = np.zeros((OUT_SIZE, OUT_SIZE), np.float32)
    images = np.stack([p.image if p.is_digit else blank for p in plain])
    normalised = np.stack([p.image if p.is_digit else blank for p in stroked])
    dense = images.mean(axis=(1, 2)) > DENSE
    print(f"  {dense.mean():.1%} of the drawings are denser than 99% of MNIST")
    return {
        "mnist-style": images,
        "mnist-style + stroke normalisation": normalised,
        "adaptive stroke normalisation": np.where(dense[:, None, None], normalised, images),
        "box-centred (no centre of mass)": np.stack([box_centred(p.fitted) if p.is_digit else blank for p in plain]),
        "naive resize of the whole canvas": np.stack([naive_resize(d) for d in drawings]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", nargs="*", help="model ids (default: the active model)")
    ap.add_argument("--n", type=int, default=2000, help="test digits to redraw")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist")
    args = ap.parse_args()

    mnist = load_mnist(args.mnist)
    pick = np.random.default_rng(args.seed).choice(len(mnist.x_test), args.n, replace=False)
    t = time.perf_counter()
    drawings, styles = redraw_many(mnist.x_test[pick], seed=args.seed)
    labels = mnist.y_test[pick]
    inputs = variants(drawings)
    print(f"{args.n} canvas-like drawings of MNIST test digits (seed {args.seed}), made in {time.perf_counter() - t:.0f}s")
    sizes = np.array([s.size for s in styles])
    pen_ratio = np.array([s.pen / s.size for s in styles])

    store = ModelStore()
    for model_id in args.model or [store.active_id()]:
        model, run = store.load(model_id)
        clf = Classifier(model)
        print(f"\nmodel {model_id} ({run.preset}, MNIST test {run.info.get('test_accuracy', 0):.2%})")
        for name, x in inputs.items():
            correct = clf.probabilities(x).argmax(1) == labels
            small, thick = sizes < 100, pen_ratio > 0.15
            print(f"  {name:36} {correct.mean():7.2%}   small digits {correct[small].mean():6.2%}   "
                  f"thick pen {correct[thick].mean():6.2%}")


if __name__ == "__main__":
    main()
