"""How the model reads real pen digits by people it has never seen (pendigits, 44 writers).

    python -m benchmarks.pen_digits [--model ID ...] [--split test] [--copies 2] [--seed 0]

Every digit of the split is drawn ``--copies`` times on the app's 300-pixel
canvas at a random size, place and pen width (6-32 px), preprocessed as the
Draw page does and classified. Prints the accuracy pooled, per digit and per
writer (a digit the app answers "That is not a digit" is read wrong, as a
person would count it), what each digit is mistaken for, and how many real
digits were refused or answered "not sure" (below
``digitlab.inference.UNSURE_BELOW``).
The ``test`` split's 14 writers never taught the model anything: report on
them only. Data: F. Alimoglu and E. Alpaydin, UCI ML Repository (CC BY 4.0).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from benchmarks import each_model
from digitlab.synth import pendigits
from digitlab.inference import NO_DIGIT_BELOW, UNSURE_BELOW, Classifier


@dataclass
class Drawn:
    """The split drawn as on the canvas: uint8 (M, 28, 28), labels (M,), writers (M,); ``refused``
    counts drawings the preprocessing turned down (each is a real digit not read)."""

    images: np.ndarray
    labels: np.ndarray
    writers: np.ndarray
    refused: int


def draw(split: str, copies: int, seed: int) -> Drawn:
    data = pendigits.load(split=split)
    images, which = pendigits.render_images(data, seed, copies)
    return Drawn(images, data.labels[which], data.writers[which], len(data) * copies - len(images))


def report(classifier: Classifier, drawn: Drawn) -> dict:
    """Prints the figures; returns pooled accuracy, each digit's, the worst digit's and writer's,
    and the refused-or-unsure share."""
    p = classifier.probabilities(drawn.images)
    confidence = p.max(axis=1)
    predicted = np.where(confidence >= NO_DIGIT_BELOW, p.argmax(axis=1), -1)  # -1: "not a digit", never right
    y = drawn.labels.astype(int)
    right = predicted == y
    total = len(y) + drawn.refused
    pooled = right.sum() / total
    print(f"  pooled: {pooled:.2%} of {total:,} drawings ({drawn.refused} refused by the preprocessing)")
    per_digit = {d: right[y == d].mean() for d in range(10) if (y == d).any()}
    print("  per digit: " + "  ".join(f"{d} {a:.1%}" for d, a in per_digit.items()))
    for d in range(10):
        wrong = np.bincount(predicted[(y == d) & ~right] + 1, minlength=11)  # [0]: no digit seen
        if wrong.sum():
            print(f"    {d} read as " + ", ".join(f"{'no digit' if k == 0 else k - 1}×{n}"
                                                   for k, n in enumerate(wrong) if n))
    writers = sorted(set(drawn.writers))
    per_writer = sorted((right[drawn.writers == w].mean(), w) for w in writers)
    print(f"  per writer ({len(writers)}): worst " + ", ".join(f"{w} {a:.1%}" for a, w in per_writer[:4])
          + f"; best {per_writer[-1][1]} {per_writer[-1][0]:.1%}; median {np.median([a for a, _ in per_writer]):.1%}")
    unsure = ((confidence < UNSURE_BELOW).sum() + drawn.refused) / total
    print(f"  refused or unsure (confidence < {UNSURE_BELOW:.0%}): {unsure:.2%}")
    return {"pooled": pooled, "worst_digit": min(per_digit.values()), "unsure": unsure,
            **{f"digit {d}": a for d, a in per_digit.items()}, "worst_writer": per_writer[0][0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", nargs="*", help="model ids (default: the active model)")
    ap.add_argument("--split", default="test", choices=pendigits.SPLITS)
    ap.add_argument("--copies", type=int, default=2, help="drawings of each sample (other sizes and pens)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    drawn = draw(args.split, args.copies, args.seed)
    print(f"pendigits {args.split} split: {len(set(drawn.writers))} writers, {len(drawn.labels):,} drawings "
          f"({args.copies} per sample, seed {args.seed}). {pendigits.CREDIT}")
    for _, classifier in each_model(args.model):
        report(classifier, drawn)


if __name__ == "__main__":
    main()
