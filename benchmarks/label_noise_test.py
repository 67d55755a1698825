"""Finding wrong *test* labels: realistic flips of test labels, many seeds, several sources of evidence.

    python -m benchmarks.label_noise_test [--realistic 0.003] [--seeds 30] [--method M] [--reference default]

The test images are scored by models that never trained on them: the K fold
models of two settings (today's default and the one before it, cached or
shipped: nothing is trained here) and a reference model trained on the training
split (``digitlab.dubious.reference``), alone or joined with the fold models.
Test labels are flipped where a person could err (``label_noise.plausible_flips``:
among the least typical digits of their class, to the next most likely digit).

Which model calls a digit "least typical" decides which flips are hard for
whom: flips chosen by one model favour that model's ranking. So the flips are
chosen four ways (by each source of evidence, and by the mean of all three) and
every ranking is scored on all four; a gain counts only where it holds for all.
``--seeds`` independent sets of flips (30 each at 0.3%) are averaged: one set is
too few to tell rankings apart. Printed per chooser and ranking: precision in
the top k for k = the number flipped, 15, 50 and 100. MNIST's own wrong test
labels rank high too and count as misses: the figures are lower bounds.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from benchmarks.label_noise import plausible_flips, score
from digitlab import dubious
from digitlab.data import load_mnist
from digitlab.dubious import reference
from digitlab.store import SHIPPED_ID

# The fold models of the default settings until 2026-11-30 (their result ships in precomputed/dubious/).
BEFORE = dubious.Settings.for_preset("cnn-padded", epochs=3, reference=None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--realistic", type=float, default=0.003, help="fraction of test labels flipped")
    ap.add_argument("--seeds", type=int, default=30, help="independent sets of flips, averaged")
    ap.add_argument("--reference", default=SHIPPED_ID, help="the reference model (store id)")
    ap.add_argument("--method", default=dubious.DEFAULT_METHOD, choices=list(dubious.METHODS),
                    help="ranking (self_confidence where a result lacks its evidence)")
    ap.add_argument("--mnist")
    args = ap.parse_args()

    mnist = load_mnist(args.mnist)
    folds = {"before": dubious.ensure(BEFORE, mnist, source="benchmarks/label_noise_test.py"),
             "today": dubious.ensure(replace(dubious.Settings(), reference=None), mnist,
                                     source="benchmarks/label_noise_test.py")}
    y = mnist.y_test.astype(np.int64)
    rankings = {}
    for when, result in folds.items():
        joined = reference.add(result, args.reference, mnist)
        name = f"{result.settings.describe()} ({when})"
        print(f"{name}: test accuracy {result.meta['test_accuracy']:.2%}, with {args.reference!r} "
              f"{joined.meta['test_accuracy']:.2%}")
        rankings[f"{when}: fold models"] = result
        rankings[f"{when}: joined with {args.reference!r}"] = joined
    second = joined.test.reference_probs
    print(f"reference {args.reference!r} alone: test accuracy {(second.argmax(1) == y).mean():.2%}")
    rankings[f"{args.reference!r} alone"] = replace(joined, test=replace(joined.test, probs=second))
    choosers = {"fold models before": folds["before"].test.probs, "fold models today": folds["today"].test.probs,
                f"{args.reference!r}": second}
    choosers["the mean of the three"] = sum(choosers.values()) / 3

    for chooser, picker in choosers.items():
        table: dict[str, list] = {name: [] for name in rankings}
        for seed in range(args.seeds):
            noisy, flipped = plausible_flips(y, picker, args.realistic, seed)
            for name, result in rankings.items():
                method = args.method if args.method in dubious.methods_of(result) else "self_confidence"
                r = replace(result, test=replace(result.test, labels=noisy.astype(np.uint8)))
                s = score(dubious.rank(r, "test", method).order, flipped, np.array([], int), method)
                table[name].append([s.precision[k] for k in s.precision])
        n = len(flipped)
        print(f"\nflips chosen by {chooser} ({n} per set, {args.seeds} sets):")
        print(f"| ranking | method | P@{n} | P@15 | P@50 | P@100 |")
        print("|---|---|---|---|---|---|")
        for name, values in table.items():
            method = args.method if args.method in dubious.methods_of(rankings[name]) else "self_confidence"
            print(f"| {name} | {method} | " + " | ".join(f"{v:.1%}" for v in np.mean(values, axis=0)) + " |")


if __name__ == "__main__":
    main()
