"""Every figure of "how the model reads people", for one model, and optionally kept in its run.json.

    python -m benchmarks.read_people [--model ID] [--record] [--photos 200] [--non-digits 100]

Runs ``benchmarks.pen_digits`` (the 14 pendigits test-split writers, 2 drawings
each), ``benchmarks.photos`` (pendigits test digits photographed on paper)
and ``benchmarks.non_digits`` (drawings that are no digit), and counts the
MNIST test digits refused or "not sure". ``--record`` writes the figures into
the model's run.json under ``"people"`` (atomically), so the model carries
them: the Training page (its settings table) and anyone reading the store see them.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime

import numpy as np

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from benchmarks import non_digits, pen_digits, photos
from digitlab.data import load_mnist
from digitlab.inference import NO_DIGIT_BELOW, UNSURE_BELOW, Classifier
from digitlab.fileio import write_json_atomic
from digitlab.store import INFO_FILE, ModelStore


def photo_accuracy(classifier: Classifier, n: int, seed: int = 0) -> dict[str, float]:
    """Share read right per photo condition, and over all of them."""
    out, every = {}, []
    for name, (pictures, labels) in photos.photos(n, seed).items():
        right = np.array([classifier.classify(p).digit == y for p, y in zip(pictures, labels)])
        out[name] = float(right.mean())
        every.append(right)
        print(f"  {name:30} {right.mean():6.1%}")
    out["all photos"] = float(np.concatenate(every).mean())
    print(f"  {'all photos':30} {out['all photos']:6.1%}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="model id (default: the active model)")
    ap.add_argument("--record", action="store_true", help="write the figures into the model's run.json")
    ap.add_argument("--photos", type=int, default=200, help="digits per photo condition")
    ap.add_argument("--non-digits", type=int, default=100, help="drawings per non-digit kind")
    args = ap.parse_args()

    store = ModelStore()
    model_id = args.model or store.active_id()
    model, run = store.load(model_id)
    classifier = Classifier(model)
    print(f"model {model_id} ({run.info.get('preset')})")

    mnist = load_mnist()
    p = classifier.probabilities(mnist.x_test)
    confidence = p.max(axis=1)
    mnist_figures = {"accuracy": float((p.argmax(axis=1) == mnist.y_test).mean()),
                     "refused": float((confidence < NO_DIGIT_BELOW).mean()),
                     "refused_or_unsure": float((confidence < UNSURE_BELOW).mean())}
    print(f"MNIST test: {mnist_figures['accuracy']:.2%} right; refused or unsure "
          f"{mnist_figures['refused_or_unsure']:.2%}")

    print("\npen digits, 14 test-split writers:")
    pens = pen_digits.report(classifier, pen_digits.draw("test", copies=2, seed=0))
    print(f"\nphotos ({args.photos} per condition):")
    photo_figures = photo_accuracy(classifier, args.photos)
    print(f"\nnon-digits ({args.non_digits} per kind):")
    nons = non_digits.report(classifier, non_digits.draw(args.non_digits, seed=1000))

    if args.record:
        people = {"measured": datetime.now().isoformat(timespec="seconds"), "mnist_test": mnist_figures,
                  "pen_digits_test_writers": {k: float(v) for k, v in pens.items()}, "photos": photo_figures,
                  "non_digits_confident": nons,
                  "thresholds": {"no_digit_below": NO_DIGIT_BELOW, "unsure_below": UNSURE_BELOW}}
        path = run.path / INFO_FILE
        info = json.loads(path.read_text())
        write_json_atomic(path, {**info, "people": people})
        print(f"\nrecorded in {path}")


if __name__ == "__main__":
    main()
