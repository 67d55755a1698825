"""Would a distance in the feature space refuse more non-digits than the flat answer alone?

    python -m benchmarks.feature_distance [--model ID] [--fit 20000] [--per-kind 60]

The model's features (what its last layer reads) of ``--fit`` MNIST training
images fit two out-of-distribution scores: the Mahalanobis distance to the
nearest class mean (shared covariance), and one minus the mean cosine
similarity to the 10 nearest of those images. A threshold at the 99th, 99.5th
and 99.8th percentile of the model's validation images (never trained on)
refuses the drawings beyond it. Printed for each: the share answered with a
confident digit (≥70% and within the threshold) of MNIST validation and test
digits, pen digits of the pendigits *train* writers, the non-digit kinds the
training draws and the two it never draws (``benchmarks.non_digits``). Chosen
on these, not on the pendigits test writers.
"""

from __future__ import annotations

import argparse

import numpy as np

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from benchmarks.non_digits import CONFIDENT, draw
from digitlab.synth import pendigits
from digitlab.data import load_mnist
from digitlab.inference import Classifier
from digitlab.store import ModelStore
from digitlab.training import split_indices
from digitlab.training_data import CANVAS, SUPERSAMPLE

NEAREST = 10


def mahalanobis_score(fit: np.ndarray, labels: np.ndarray):
    """A function features (N, F) -> (N,): the Mahalanobis distance to the nearest class mean."""
    fit = fit.astype(np.float64)
    means = np.stack([fit[labels == c].mean(axis=0) for c in range(10)])
    residual = fit - means[labels]
    precision = np.linalg.inv(residual.T @ residual / len(fit) + 1e-3 * np.eye(fit.shape[1]))

    def score(x: np.ndarray) -> np.ndarray:
        d = [np.einsum("ij,jk,ik->i", x - m, precision, x - m) for m in means]
        return np.sqrt(np.min(np.stack(d, axis=1), axis=1))
    return score


def nearest_score(fit: np.ndarray):
    """A function features (N, F) -> (N,): 1 - the mean cosine similarity to the NEAREST fit images."""
    def unit(a: np.ndarray) -> np.ndarray:  # a drawing can give all-zero features (every ReLU off)
        return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)

    reference = unit(fit)

    def score(x: np.ndarray) -> np.ndarray:
        s = unit(x) @ reference.T
        return 1.0 - np.sort(s, axis=1)[:, -NEAREST:].mean(axis=1)
    return score


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--fit", type=int, default=20000, help="MNIST training images the scores are fitted on")
    ap.add_argument("--per-kind", type=int, default=60, help="drawings per non-digit kind")
    ap.add_argument("--mnist")
    args = ap.parse_args()
    model, run = ModelStore().load(args.model)
    classifier = Classifier(model)
    mnist = load_mnist(args.mnist)
    config = run.info.get("config", {})
    tr, va = split_indices(len(mnist.x_train), config.get("validation_split", 0.0), config.get("seed", 0))
    if not len(va):
        raise SystemExit("this model kept no validation images: the threshold needs images it never saw")
    fit = classifier.features(mnist.x_train[tr[: args.fit]])
    scores = {"Mahalanobis to the nearest class": mahalanobis_score(fit, mnist.y_train[tr[: args.fit]]),
              f"{NEAREST} nearest training images": nearest_score(fit)}

    pen = pendigits.load(split="train")
    pen = pen.subset_at(np.arange(0, len(pen), 4))
    drawn = draw(args.per_kind, 1000)
    unseen = np.char.endswith(drawn.kinds.astype(str), "(unseen)")
    sets = {"MNIST validation": mnist.x_train[va], "MNIST test": mnist.x_test,
            "pen digits (train writers)": pendigits.render_images(pen, 7, 1, canvas=CANVAS,
                                                                   supersample=SUPERSAMPLE)[0],
            "non-digits the training draws": drawn.images[~unseen],
            "typeset glyphs (unseen)": drawn.images[drawn.kinds == "typeset glyph (unseen)"],
            "polygons (unseen)": drawn.images[drawn.kinds == "polygon (unseen)"]}
    answers = {name: (classifier.probabilities(x).max(axis=1), classifier.features(x)) for name, x in sets.items()}
    print(f"model {args.model}; share answered with a confident digit (≥{CONFIDENT:.0%})")
    print("  flat answer alone: " + ", ".join(f"{n} {np.mean(c >= CONFIDENT):.1%}" for n, (c, _) in answers.items()))
    for score_name, score in scores.items():
        values = {name: score(f.astype(np.float64)) for name, (_, f) in answers.items()}
        for q in (0.99, 0.995, 0.998):
            limit = np.quantile(values["MNIST validation"], q)
            print(f"  + {score_name}, threshold at validation's {q:.1%}: " + ", ".join(
                f"{n} {np.mean((c >= CONFIDENT) & (values[n] <= limit)):.1%}" for n, (c, _) in answers.items()))


if __name__ == "__main__":
    main()
