"""Choosing what the default learns from, without looking at the test writers.

    python -m benchmarks.leave_writers_out [--variants A B ...] [--epochs 6] [--held-out 10]

Each variant of the default's training data (:data:`VARIANTS`) is trained
with the pendigits *train* split cut by writer: the first 20 of its 30 writers
may teach the model, the other 10 only judge it. Printed for each: MNIST
accuracy on the validation images the training held out (what to choose by)
and on the test set (for the record), the held-out writers' pen digits
(``benchmarks.pen_digits``), the non-digit drawings answered with a confident
digit (a seed the training never drew), and the training time. The pendigits
*test* writers are never used here.

Non-digits come in two sets. The **choice kinds** (:data:`CHOICE_KINDS`:
crescents and wobbly outlines, ``digitlab.synth.non_digits.CLOSED_SHAPES``) are
what to choose by: the shipped recipe never draws them and ``benchmarks.read_people``
never reports them. The benchmark's own unseen kinds are printed for the record;
a recipe chosen on them would make their figure in the README a measure of the
choice, not of how the refusal generalises.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from benchmarks import non_digits as non_digit_bench
from benchmarks import pen_digits
from digitlab import models
from digitlab.synth import pendigits
from digitlab.synth.non_digits import KINDS, non_digit_images
from digitlab.data import load_mnist
from digitlab.inference import Classifier
from digitlab.models import TrainConfig
from digitlab.training import split_indices, train
from digitlab.training_data import Extras

ONES = (("1 with a flag", 0.5),)
VARIANTS: dict[str, Extras] = {
    "mnist+flagged-1s": Extras(styles=ONES),  # the default until 2026-11-29
    "+pen-digits": Extras(pen_digits=2, styles=ONES),
    "+pen-digits+styles": dataclasses.replace(models.CNN_EXTRAS, non_digits=0.0),
    "+pen-digits+styles+non-digits": models.CNN_EXTRAS,  # the preset cnn's (the default until 2026-12-06)
    "+lobed": models.SHAPES_EXTRAS,  # cnn-shapes' until 2026-12-07: flowers among the non-digits
    "+closed-shapes": dataclasses.replace(models.CNN_EXTRAS, non_digit_kinds=(*KINDS, "crescent", "lobed")),
    "+lobed+wobbly": dataclasses.replace(models.SHAPES_EXTRAS, non_digit_kinds=(*KINDS, "lobed", "wobbly")),
    "+lobed, more non-digits": dataclasses.replace(models.SHAPES_EXTRAS, non_digits=0.15),
    "+closed-shapes+more-pen": dataclasses.replace(models.CNN_EXTRAS, pen_digits=5,
                                                   non_digit_kinds=(*KINDS, "crescent", "lobed")),
    "+lobed+other-hands": models.HANDS_EXTRAS,  # cnn-shapes' on 2026-12-07: pen digits by other hands too
    "+lobed+other-hands, 4 pen drawings": dataclasses.replace(models.HANDS_EXTRAS, pen_digits=4),
    "+lobed+stretched+other-hands": models.DEFAULT_EXTRAS,  # since 2026-12-07 (late): squashed flowers too
}
CHOICE_KINDS = ("crescent", "wobbly")


def report_choice_kinds(classifier: Classifier, images: np.ndarray, kinds: np.ndarray, extras: Extras) -> None:
    """Prints the share of the choice kinds' drawings (uint8 (M, 28, 28), their kinds (M,)) answered
    with a confident digit, pooled and per kind; a kind ``extras`` trains on is named so."""
    confident = classifier.probabilities(images).max(axis=1) >= non_digit_bench.CONFIDENT
    trained = [k for k in CHOICE_KINDS if k in extras.non_digit_kinds]
    print(f"  choice kinds: {confident.mean():.1%} answered with a confident digit "
          f"(≥{non_digit_bench.CONFIDENT:.0%}) of {len(kinds):,}"
          + (f"; this variant trains on {', '.join(trained)}: not a choice" if trained else ""))
    print("    " + "  ".join(f"{k} {confident[kinds == k].mean():.0%}" for k in CHOICE_KINDS))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--held-out", type=int, default=10, help="train-split writers kept out of training")
    ap.add_argument("--seed", type=int, default=0, help="the training's seed (a second seed shows the spread)")
    ap.add_argument("--preset", default=models.DEFAULT_PRESET, help="the preset whose network and schedule are used")
    args = ap.parse_args()

    mnist = load_mnist()
    writers = sorted(set(pendigits.load(split="train").writers))
    taught, judging = tuple(writers[: -args.held_out]), writers[-args.held_out :]
    drawn = pen_digits.draw("train", copies=2, seed=0)
    keep = np.isin(drawn.writers, judging)
    held_out = pen_digits.Drawn(drawn.images[keep], drawn.labels[keep], drawn.writers[keep], 0)
    others = non_digit_bench.draw(per_kind=60, seed=1000)
    choice = [non_digit_images(100, seed=1001 + i, kinds=[k]) for i, k in enumerate(CHOICE_KINDS)]
    choice_images, choice_kinds = np.concatenate([im for im, _ in choice]), np.concatenate([k for _, k in choice])
    print(f"taught by {len(taught)} pendigits writers, judged on {len(judging)} others "
          f"({', '.join(judging)}); {args.epochs} epochs of {args.preset}'s network")
    base = models.get_preset(args.preset)
    for name in args.variants:
        extras = dataclasses.replace(VARIANTS[name], pen_writers=taught)
        variant = f"{args.preset}:{name}"
        models.PRESETS[variant] = dataclasses.replace(base, name=variant, extras=extras)
        t0 = time.monotonic()
        result = train(TrainConfig(variant, epochs=args.epochs, seed=args.seed), mnist)
        info = result.info
        print(f"\n{name}: MNIST test {info['test_accuracy']:.2%}, training {info['training_seconds']:.0f} s "
              f"+ {info['drawing_seconds']:.0f} s drawing extras ({time.monotonic() - t0:.0f} s in all); "
              f"extras {info['beyond_mnist']}")
        classifier = Classifier(result.model)
        _, va = split_indices(len(mnist.x_train), info["config"]["validation_split"], args.seed)
        validation = (classifier.probabilities(mnist.x_train[va]).argmax(axis=1) == mnist.y_train[va]).mean()
        print(f" MNIST validation {validation:.2%} of {len(va):,} (the answer's shifts included)")
        print(" held-out writers:")
        pen_digits.report(classifier, held_out)
        print(" non-digits:")
        report_choice_kinds(classifier, choice_images, choice_kinds, extras)
        non_digit_bench.report(classifier, others)


if __name__ == "__main__":
    main()
