"""How well do the dubious-label rankings find labels we broke on purpose?

    python -m benchmarks.label_noise [--noise 0.01] [--realistic 0.003] [--preset P ... --epochs E ...]
                                     [--[no-]augment] [--[no-]tta] [--reference default] [--subset N]

Two kinds of broken labels, in one noisy copy of MNIST (disjoint images):

- **random**: ``--noise`` of the training labels (1%) flipped to one of the
  nine other digits, uniformly. Easy: a flipped label on a clear digit.
- **realistic**: ``--realistic`` of them (0.3%, MNIST's plausible rate) flipped
  where a person could err: among the least typical digits of their class (the
  3% of each class to which a reference model, ``--reference``, gives the
  lowest probability while still reading them right) to the digit that model
  finds next most likely. Hard: they sit among oddly written digits, as real
  label errors do.

The whole pipeline runs once on the noisy copy (K-fold out-of-fold evidence,
then every ranking of ``digitlab.dubious.METHODS``). Each kind is scored with
the other kind's images left out of the ranking. Printed per ranking: the
precision in the top k for k = the number flipped, 15, 50 and 100, the recall in
the top 2N; for the realistic kind also how many of the top 100 are clean,
unambiguous digits (the reference gives their label at least 95%) that the fold
models simply got wrong. MNIST's own wrong labels also rank high and count as
misses here: the figures are lower bounds.

Only the training split is flipped here, so no reference model (which learned the
training split) joins in; ``benchmarks/label_noise_test.py`` flips test labels.

Each ``--preset`` is a separate K-fold run; the noisy run is cached like any
other (its data fingerprint differs from the real MNIST's, so the app never
uses it), so a second run only re-ranks.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace

import numpy as np

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from digitlab import dubious
from digitlab.data import Mnist, load_mnist
from digitlab.dubious.ranking import methods_of

LEAST_TYPICAL = 0.03  # the share of each class a realistic flip is drawn from
UNAMBIGUOUS = 0.95  # a clean digit whose label the reference model gives at least this is unambiguous


def flip_labels(labels: np.ndarray, fraction: float, seed: int,
                avoid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(noisy labels uint8 (N,), sorted flipped indices): each flipped label becomes another digit,
    uniformly; indices in ``avoid`` are never flipped."""
    rng = np.random.default_rng(seed)
    pool = np.setdiff1d(np.arange(len(labels)), avoid if avoid is not None else [])
    flipped = np.sort(rng.choice(pool, int(round(len(labels) * fraction)), replace=False))
    noisy = labels.copy()
    noisy[flipped] = (labels[flipped] + rng.integers(1, 10, len(flipped))) % 10
    return noisy, flipped


def plausible_flips(labels: np.ndarray, reference: np.ndarray, fraction: float,
                    seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(noisy labels uint8 (N,), sorted flipped indices), flipped where a person could err.

    ``reference`` float (N, 10): a strong model's probabilities. Candidates are the
    :data:`LEAST_TYPICAL` share of each class with the lowest probability of their
    label among the images the reference reads right (a label it already doubts
    may be one of MNIST's own errors: flipping it could mend it). Each flipped label
    becomes the reference's next most likely digit.
    """
    labels = np.asarray(labels)
    rows = np.arange(len(labels))
    own = reference[rows, labels]
    candidates = []
    for d in range(10):
        members = np.flatnonzero((labels == d) & (reference.argmax(axis=1) == d))
        candidates.append(members[np.argsort(own[members])][: int(round(LEAST_TYPICAL * len(members)))])
    pool = np.concatenate(candidates)
    rng = np.random.default_rng(seed)
    flipped = np.sort(rng.choice(pool, int(round(len(labels) * fraction)), replace=False))
    noisy = labels.copy()
    noisy[flipped] = np.argsort(reference[flipped], axis=1)[:, -2]
    return noisy, flipped


@dataclass
class Scores:
    method: str
    precision: dict[int, float]  # k -> share of flipped images in the top k
    recall_2n: float
    clean_unambiguous_in_top_100: int | None = None


def score(order: np.ndarray, flipped: np.ndarray, leave_out: np.ndarray, method: str,
          clean_unambiguous: np.ndarray | None = None) -> Scores:
    """Scores of one ranking ``order`` (int, most dubious first) for the ``flipped`` images, with the
    images in ``leave_out`` (the other kind of flip) removed from it first."""
    kept = order[~np.isin(order, leave_out)]
    n = len(flipped)
    precision = {k: float(np.isin(kept[:k], flipped).mean()) for k in (n, 15, 50, 100)}
    recall_2n = float(np.isin(kept[: 2 * n], flipped).sum() / n)
    clean = None if clean_unambiguous is None else int(np.isin(kept[:100], clean_unambiguous).sum())
    return Scores(method, precision, recall_2n, clean)


def reference_probabilities(model_id: str, images: np.ndarray) -> np.ndarray:
    from digitlab.inference import Classifier
    from digitlab.store import ModelStore

    model, _ = ModelStore().load(model_id)
    return Classifier(model).probabilities(images)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", nargs="+", default=[dubious.Settings().preset], help="fold model(s) to compare")
    ap.add_argument("--epochs", type=int, nargs="+", help="epochs per fold model, one per --preset "
                                                          "(default: the dubious default's, else the preset's)")
    ap.add_argument("--augment", action=argparse.BooleanOptionalAction,
                    help="fold models with their preset's augmentation (default: as the dubious default)")
    ap.add_argument("--tta", action=argparse.BooleanOptionalAction,
                    help="score with test-time augmentation (default: as the dubious default)")
    ap.add_argument("--folds", type=int, default=dubious.Settings().folds)
    ap.add_argument("--noise", type=float, default=0.01, help="fraction of training labels flipped at random")
    ap.add_argument("--realistic", type=float, default=0.003, help="fraction flipped where a person could err")
    ap.add_argument("--reference", default="default", help="model that says which digits are least typical")
    ap.add_argument("--seed", type=int, default=0, help="random seed: which labels are flipped, and how")
    ap.add_argument("--subset", type=int, help="only the first N training images (a quicker comparison)")
    ap.add_argument("--mnist")
    args = ap.parse_args()
    epochs = args.epochs or [None] * len(args.preset)
    if len(epochs) != len(args.preset):
        ap.error("give one --epochs value per --preset")

    mnist = load_mnist(args.mnist)
    n = args.subset or len(mnist.y_train)  # only these are ranked, so only these are flipped
    reference = reference_probabilities(args.reference, mnist.x_train[:n])
    labels, real = plausible_flips(mnist.y_train[:n], reference, args.realistic, args.seed)
    labels, randomly = flip_labels(labels, args.noise, args.seed + 1, avoid=real)
    noisy: Mnist = replace(mnist, y_train=np.concatenate([labels, mnist.y_train[n:]]))
    rows = np.arange(len(labels))
    clean_unambiguous = np.flatnonzero(~np.isin(rows, np.concatenate([real, randomly]))
                                       & (reference[rows, mnist.y_train[:n]] >= UNAMBIGUOUS))
    print(f"flipped {len(randomly)} training labels at random and {len(real)} where a person could err "
          f"(reference model {args.reference}; seed {args.seed})", flush=True)

    for preset, e in zip(args.preset, epochs):
        settings = dubious.Settings.for_preset(preset, folds=args.folds, epochs=e, augment=args.augment,
                                               tta=args.tta, subset=args.subset, reference=None)
        print(f"\n{settings.describe()}", flush=True)
        t0, last = time.monotonic(), [0.0]

        def progress(fraction: float, message: str) -> None:
            if time.monotonic() - last[0] > 30:
                last[0] = time.monotonic()
                print(f"  [{fraction:6.1%}] {message}", flush=True)

        result = dubious.ensure(settings, noisy, source="benchmarks/label_noise.py", on_progress=progress)
        print(f"  {result.meta['seconds']:.0f} s to compute ({time.monotonic() - t0:.0f} s this run); out-of-fold "
              f"accuracy on the noisy labels {np.mean(result.meta['fold_accuracy']):.2%}; fold models' mean on the "
              f"test set {result.meta['test_accuracy']:.2%}")
        for kind, flipped, other, clean in (("realistic", real, randomly, clean_unambiguous),
                                            ("random", randomly, real, None)):
            n = len(flipped)
            print(f"\n  {kind} flips (N = {n}): | ranking | P@{n} | P@15 | P@50 | P@100 | recall@{2 * n} |"
                  + (" clean, unambiguous in top 100 |" if clean is not None else ""))
            for method in methods_of(result):
                s = score(dubious.rank(result, "train", method).order, flipped, other, method, clean)
                cells = [f"{s.precision[k]:.1%}" for k in (n, 15, 50, 100)] + [f"{s.recall_2n:.1%}"]
                extra = f" {s.clean_unambiguous_in_top_100} |" if clean is not None else ""
                print(f"  | {method} | " + " | ".join(cells) + " |" + extra)


if __name__ == "__main__":
    main()
