"""The command line of :mod:`digitlab.dubious` (see its docstring for the commands).

``rank`` prints CSV on stdout (``rank,index,given_label,suggested_label,score``),
progress goes to stderr. Exit codes: 0 done, 1 no MNIST, a training holds the
lock or the reference model is missing or refused, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time

from digitlab.data import SPLITS
from digitlab.dubious import cache, folds
from digitlab.dubious.ranking import methods_of, rank, ranking_csv, top_sheet
from digitlab.dubious.settings import (DEFAULT_METHOD, FOLD_ENSEMBLE, FOLD_EPOCHS, FOLD_EXTRAS, FOLD_PRESET, METHODS,
                                       Settings)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m digitlab.dubious",
                                description="Rank MNIST images by how likely their label is wrong.")
    sub = p.add_subparsers(dest="command", required=True)

    def settings_flags(q: argparse.ArgumentParser) -> None:
        d = Settings()
        q.add_argument("--preset", default=d.preset, help="model trained on each fold; default: %(default)s")
        q.add_argument("--folds", type=int, default=d.folds, help="K of K-fold; default: %(default)s")
        q.add_argument("--epochs", type=_positive,
                       help=f"epochs per fold model (default: {FOLD_EPOCHS} for {FOLD_PRESET}, else the preset's)")
        q.add_argument("--batch-size", type=_positive, help="batch size (default: the preset's)")
        q.add_argument("--seed", type=int, default=d.seed,
                       help="random seed of the folds and the fold models' training; default: %(default)s")
        q.add_argument("--subset", type=int, help="only the first N training images (quick tries)")
        q.add_argument("--augment", action=argparse.BooleanOptionalAction,
                       help="train the fold models with their preset's augmentation "
                            f"(default: on for {FOLD_PRESET}, else off)")
        q.add_argument("--extras", action=argparse.BooleanOptionalAction,
                       help="with --augment, also the preset's extra images (pen digits, styles, non-digits); "
                            f"--no-extras: MNIST alone (default: {'on' if FOLD_EXTRAS else 'off'} for {FOLD_PRESET})")
        q.add_argument("--ensemble", action=argparse.BooleanOptionalAction,
                       help="two sets of fold models, with the extra images and with MNIST alone, their evidence "
                            f"joined (each set cached on its own; default: {'on' if FOLD_ENSEMBLE else 'off'} for "
                            f"{FOLD_PRESET})")
        q.add_argument("--tta", action=argparse.BooleanOptionalAction,
                       help=f"score with test-time augmentation (shifts, small turns; default: on for {FOLD_PRESET}, "
                            "else off)")
        q.add_argument("--reference", default=d.reference, metavar="MODEL",
                       help="a stored model trained on the training split only (e.g. default, the shipped one), "
                            "whose answers on the test images join the fold models' (default: none)")
        q.add_argument("--no-reference", dest="reference", action="store_const", const=None,
                       help="the fold models alone (the default)")
        q.add_argument("--mnist", help="path to mnist.npz (else $DIGITLAB_MNIST, else Keras' cache)")

    c = sub.add_parser("compute", help="build or refresh the cached out-of-fold probabilities")
    settings_flags(c)
    c.add_argument("--force", action="store_true", help="recompute even if a cached result exists")

    for name, what in (("rank", "print the ranking as CSV"), ("sheet", "save the top images as one PNG")):
        r = sub.add_parser(name, help=what + " (computing the probabilities first if needed)")
        settings_flags(r)
        r.add_argument("--split", required=True, choices=SPLITS)
        r.add_argument("--top", type=_positive, required=True, help="how many images")
        r.add_argument("--method", choices=list(METHODS),
                       help=f"ranking; default: {DEFAULT_METHOD} (self_confidence for a result without its evidence)")
        if name == "sheet":
            r.add_argument("--out", required=True, help="PNG file to write")
    return p.parse_args(argv)


class _Console:
    """Progress on stderr (stdout is the CSV): a line per fold step, at most every 2 s."""

    def __init__(self):
        self.last, self.last_head = 0.0, ""

    def __call__(self, fraction: float, message: str) -> None:
        now, head = time.monotonic(), message.split(":")[0]
        if now - self.last >= 2 or head != self.last_head or fraction >= 1:
            self.last, self.last_head = now, head
            print(f"[{fraction:6.1%}] {message}", file=sys.stderr, flush=True)


def _fail(message: object, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from digitlab.data import MnistUnavailable, load_mnist
    from digitlab.dubious.reference import ReferenceRefused
    from digitlab.jobs.lock import StoreNotWritable, TrainingBusy
    from digitlab.store import ModelStoreError

    settings = Settings.for_preset(args.preset, epochs=args.epochs, folds=args.folds, batch_size=args.batch_size,
                                   seed=args.seed, subset=args.subset, augment=args.augment, tta=args.tta,
                                   extras=args.extras, ensemble=args.ensemble,
                                   reference=args.reference)
    try:
        settings.resolved()  # bad settings are refused before MNIST is read
        mnist = load_mnist(args.mnist)
    except (KeyError, ValueError) as e:
        return _fail(e.args[0], 2)
    except MnistUnavailable as e:
        return _fail(e, 1)

    force = getattr(args, "force", False)
    for path, problem in cache.damaged(mnist.fingerprint):
        print(f"warning: skipped {path}: {problem}", file=sys.stderr)
    cached = None if force else cache.load(settings, mnist.fingerprint)
    if cached is None:
        print(f"computing out-of-fold probabilities: {settings.describe()}", file=sys.stderr, flush=True)
    try:
        result = cached or folds.ensure(settings, mnist, force=force, on_progress=_Console())
    except (TrainingBusy, StoreNotWritable, cache.CacheNotWritable) as e:
        return _fail(e, 1)
    except (ModelStoreError, ReferenceRefused) as e:
        return _fail(f"{e} (--no-reference: the fold models alone)", 1)

    if args.command == "compute":
        where = "cached" if cached else "computed"
        print(f"{where}: {result.path} ({result.meta.get('seconds', '?')} s to compute; out-of-fold accuracy per "
              f"fold {', '.join(f'{a:.2%}' for a in result.meta.get('fold_accuracy', []))})")
        return 0
    method = args.method or DEFAULT_METHOD
    if method not in methods_of(result):
        if args.method:
            return _fail(f"this result has no evidence for --method {method} (computed before it existed): "
                         "compute it again with --force, or choose another method", 2)
        print(f"note: this result has no evidence for {method}; ranking by self_confidence", file=sys.stderr)
        method = "self_confidence"
    ranking = rank(result, args.split, method)
    if args.command == "rank":
        sys.stdout.write(ranking_csv(ranking, args.top))
        return 0
    from PIL import Image

    images, _ = mnist.split(args.split)
    Image.fromarray(top_sheet(ranking, images, args.top)).save(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    import digitlab  # noqa: F401 - quiets TensorFlow before it is imported

    sys.exit(main())
