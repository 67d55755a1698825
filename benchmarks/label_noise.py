"""How well do the dubious-label rankings find labels we broke on purpose?

    python -m benchmarks.label_noise [--preset seed003-mlp512-rmsprop cnn-padded --epochs 4 3] [--noise 0.01]

Flips a fraction (default 1%) of the training labels at random (fixed seed;
each flipped label becomes one of the nine other digits, uniformly), runs the
whole pipeline on the noisy data (K-fold out-of-fold probabilities, then every
ranking in ``digitlab.dubious.METHODS``) and prints, for each ranking, the
precision and recall of the flipped images among the top N, N = number
flipped (so precision = recall there). Also: cleanlab's flagged set itself, and
the recall in the top 2N.

MNIST's own wrong labels are not flipped but still rank high, so they count as
"false positives" here: the figures are a lower bound of the real precision.

Each ``--preset`` is a separate K-fold run (the fold model to choose); the
noisy run is cached like any other (its data fingerprint differs from the real
MNIST's, so the app never uses it), so a second run only re-ranks.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from digitlab import dubious
from digitlab.data import Mnist, load_mnist


def flip_labels(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(noisy labels uint8 (N,), sorted flipped indices): each flipped label becomes another digit."""
    rng = np.random.default_rng(seed)
    flipped = np.sort(rng.choice(len(labels), int(round(len(labels) * fraction)), replace=False))
    noisy = labels.copy()
    noisy[flipped] = (labels[flipped] + rng.integers(1, 10, len(flipped))) % 10
    return noisy, flipped


def evaluate(result: dubious.Result, flipped: np.ndarray) -> list[tuple[str, float, float, float, int]]:
    """(ranking, precision@N, recall@N, recall@2N, median rank of the flipped) for every method."""
    n = len(flipped)
    rows = []
    for method in dubious.METHODS:
        r = dubious.rank(result, "train", method)
        hits = np.isin(r.order[:n], flipped).sum()
        hits2 = np.isin(r.order[: 2 * n], flipped).sum()
        median = int(np.median(r.positions[flipped])) + 1
        rows.append((method, hits / n, hits / n, hits2 / n, median))
    r = dubious.rank(result, "train", "confident_learning")
    flagged = np.flatnonzero(r.flagged)
    hits = np.isin(flagged, flipped).sum()
    rows.append((f"cleanlab flagged set ({len(flagged)} images)", hits / max(1, len(flagged)), hits / n,
                 float("nan"), 0))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", nargs="+", default=[dubious.Settings().preset], help="fold model(s) to compare")
    ap.add_argument("--epochs", type=int, nargs="+",
                    help=f"epochs per fold model, one per --preset (default: {dubious.FOLD_EPOCHS} for "
                         f"{dubious.FOLD_PRESET}, else the preset's)")
    ap.add_argument("--folds", type=int, default=dubious.Settings().folds)
    ap.add_argument("--noise", type=float, default=0.01, help="fraction of training labels to flip")
    ap.add_argument("--seed", type=int, default=0, help="random seed: which labels are flipped, and how")
    ap.add_argument("--subset", type=int, help="only the first N training images (quick tries)")
    ap.add_argument("--mnist")
    args = ap.parse_args()
    epochs = args.epochs or [None] * len(args.preset)
    if len(epochs) != len(args.preset):
        ap.error("give one --epochs value per --preset")

    mnist = load_mnist(args.mnist)
    n = args.subset or len(mnist.y_train)
    noisy_labels, flipped = flip_labels(mnist.y_train[:n], args.noise, args.seed)
    noisy: Mnist = replace(mnist, y_train=np.concatenate([noisy_labels, mnist.y_train[n:]]))
    print(f"flipped {len(flipped)} of {n:,} training labels (seed {args.seed})", flush=True)

    table = []
    for preset, e in zip(args.preset, epochs):
        settings = dubious.Settings.for_preset(preset, folds=args.folds, epochs=e, subset=args.subset)
        print(f"\n{settings.describe()}", flush=True)
        t0 = time.monotonic()
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            if time.monotonic() - last[0] > 10:
                last[0] = time.monotonic()
                print(f"  [{fraction:6.1%}] {message}", flush=True)

        result = dubious.ensure(settings, noisy, source="benchmarks/label_noise.py", on_progress=progress)
        wall = time.monotonic() - t0
        acc = np.mean(result.meta["fold_accuracy"])
        print(f"  {result.meta['seconds']:.0f} s to compute ({wall:.0f} s this run); out-of-fold accuracy on "
              f"the noisy labels {acc:.2%}; fold models' mean on the test set {result.meta['test_accuracy']:.2%}")
        for row in evaluate(result, flipped):
            table.append((settings.describe(), result.meta["seconds"], *row))

    print(f"\n| fold model | compute time | ranking | precision@N | recall@N | recall@2N | median rank of a flipped "
          f"image |  (N = {len(flipped)} flipped)")
    print("|---|---|---|---|---|---|---|")
    for desc, seconds, method, p, r, r2, median in table:
        r2_text = "" if np.isnan(r2) else f"{r2:.1%}"
        median_text = str(median) if median else ""
        print(f"| {desc} | {seconds:.0f} s | {method} | {p:.1%} | {r:.1%} | {r2_text} | {median_text} |")


if __name__ == "__main__":
    main()
