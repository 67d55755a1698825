"""Does a reference model help find wrong *test* labels? Realistic flips of test labels, many seeds.

    python -m benchmarks.label_noise_test [--realistic 0.003] [--seeds 30] [--reference default]

The test images are scored by models that never trained on them: the K fold
models (the dubious default's, cached or shipped: nothing is trained here) and a
reference model trained on the training split (``digitlab.dubious.reference``).
Test labels are flipped where a person could err (``label_noise.plausible_flips``:
among the least typical digits of their class, to the next most likely digit).

Which model calls a digit "least typical" decides which flips are hard for
whom: flips chosen by the fold models favour the fold models' ranking, flips
chosen by the reference favour the reference's. So the flips are chosen three
ways (by the fold models, by the reference, by their mean) and every ranking is
scored on all three; a gain counts only where it holds for all. ``--seeds``
independent sets of flips (30 each at 0.3%) are averaged: one set is too few to
tell rankings apart. Printed per chooser and ranking: precision in the top k for
k = the number flipped, 15, 50 and 100, and how many of the top 100 are clean,
unambiguous digits (the chooser gives their label at least 95%). MNIST's own
wrong test labels rank high too and count as misses: the figures are lower bounds.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from benchmarks.label_noise import UNAMBIGUOUS, plausible_flips, score
from digitlab import dubious
from digitlab.data import load_mnist
from digitlab.dubious import reference


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--realistic", type=float, default=0.003, help="fraction of test labels flipped")
    ap.add_argument("--seeds", type=int, default=30, help="independent sets of flips, averaged")
    ap.add_argument("--reference", default=dubious.Settings().reference, help="the reference model (store id)")
    ap.add_argument("--method", default=dubious.DEFAULT_METHOD, choices=list(dubious.METHODS))
    ap.add_argument("--mnist")
    args = ap.parse_args()

    mnist = load_mnist(args.mnist)
    alone = dubious.ensure(replace(dubious.Settings(), reference=None), mnist, source="benchmarks/label_noise_test.py")
    joined = reference.add(alone, args.reference, mnist)
    fold_p, ref_p = alone.test.probs, joined.test.reference_probs
    y = mnist.y_test.astype(np.int64)
    print(f"fold models: {alone.settings.describe()}; test accuracy {alone.meta['test_accuracy']:.2%}")
    print(f"reference {args.reference!r}: test accuracy {(ref_p.argmax(1) == y).mean():.2%}; "
          f"joined {joined.meta['test_accuracy']:.2%}")
    # The reference alone, as a result of its own, to rank like the others.
    ref_alone = replace(joined, test=replace(joined.test, probs=ref_p))
    rankings = {"fold models (today's)": alone, f"reference {args.reference!r} alone": ref_alone,
                "mean of the two": replace(joined, test=replace(joined.test, probs=(fold_p + ref_p) / 2)),
                "joined (geometric mean, shipped)": joined}
    choosers = {"fold models": fold_p, "reference": ref_p, "mean of the two": (fold_p + ref_p) / 2}
    rows = np.arange(len(y))
    for chooser, picker in choosers.items():
        table = {name: [] for name in rankings}
        for seed in range(args.seeds):
            noisy, flipped = plausible_flips(y, picker, args.realistic, seed)
            clean = np.flatnonzero((noisy == y) & (picker[rows, y] >= UNAMBIGUOUS))
            for name, result in rankings.items():
                r = replace(result, test=replace(result.test, labels=noisy.astype(np.uint8)))
                s = score(dubious.rank(r, "test", args.method).order, flipped, np.array([], int), args.method, clean)
                table[name].append([s.precision[k] for k in s.precision] + [s.clean_unambiguous_in_top_100])
        n = len(flipped)
        print(f"\nflips chosen by the {chooser} ({n} per set, {args.seeds} sets; ranking by {args.method}):")
        print(f"| ranking | P@{n} | P@15 | P@50 | P@100 | clean, unambiguous in top 100 |")
        print("|---|---|---|---|---|---|")
        for name, values in table.items():
            m = np.mean(values, axis=0)
            print(f"| {name} | " + " | ".join(f"{v:.1%}" for v in m[:4]) + f" | {m[4]:.1f} |")


if __name__ == "__main__":
    main()
