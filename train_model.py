"""Train a model preset from the shell and store it in model_store/.

    python train_model.py --preset seed003-mlp512-rmsprop --epochs 4
    python train_model.py --list

Prints progress, the final MNIST test accuracy, and where the model went.
"""

from __future__ import annotations

import argparse
import sys
import time

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from digitlab.data import MnistUnavailable, load_mnist
from digitlab.jobs.lock import StoreNotWritable, TrainingBusy, TrainingLock
from digitlab.models import DEFAULT_PRESET, PRESETS


def seed(text: str) -> int:
    """A random seed as NumPy and TensorFlow take it: 0 to 2**32 - 1 (argparse turns the error into a usage line)."""
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{value} is not from 0 to 2**32-1")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Train a Digit Lab model preset on MNIST.")
    p.add_argument("--preset", default=DEFAULT_PRESET, help="preset name (see --list); default: %(default)s")
    p.add_argument("--list", action="store_true", help="list the presets and exit")
    p.add_argument("--epochs", type=int, help="epochs (default: the preset's)")
    p.add_argument("--batch-size", type=int, help="batch size (default: the preset's)")
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**32-1; default: %(default)s")
    p.add_argument("--validation-split", type=float, help="fraction of training images held out (0 to 0.9)")
    p.add_argument("--keep-best", action=argparse.BooleanOptionalAction, help="keep the epoch with the lowest validation loss")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, help="canvas-like random distortions")
    p.add_argument("--subset", type=int, help="train on only the first N training images (a quick try)")
    p.add_argument("--mnist", help="path to mnist.npz (else $DIGITLAB_MNIST, else Keras' cache)")
    p.add_argument("--activate", action="store_true", help="make the new model the app's active model")
    p.add_argument("--ship", action="store_true",
                   help="replace the shipped model (the model id default, in model_store/default; maintainers)")
    return p.parse_args(argv)


class ConsoleProgress:
    """A training's report (:mod:`digitlab.cancel`) as per-epoch lines; on a terminal also a live batch counter."""

    def __init__(self):
        self.live = sys.stdout.isatty()
        self.last = 0.0
        self.epochs_printed = 0

    def __call__(self, fraction: float, message: str, *, phase: str | None = None, force: bool = False,
                 **fields) -> None:
        history = fields.get("history") or []
        if len(history) > self.epochs_printed:
            self.epochs_printed = len(history)
            row = history[-1]
            cols = "  ".join(f"{k} {row[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in row)
            print(f"\repoch {row['epoch']}/{fields['epochs']}  {cols}  {fields['elapsed']:.0f}s", flush=True)
        elif phase == "evaluating":
            print("evaluating on the 10,000 test images ...", flush=True)
        elif self.live and "batch" in fields and time.monotonic() - self.last > 0.5:
            self.last = time.monotonic()
            left = f", ~{fields['remaining']:.0f}s left" if fields.get("remaining") is not None else ""
            print(f"\repoch {fields['epoch']}/{fields['epochs']}  batch {fields['batch']}/{fields['batches']}{left}   ",
                  end="", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for p in PRESETS.values():
            print(f"{p.name:24} {p.epochs:>3} epochs, batch {p.batch_size:<4} {p.description}")
        return 0

    from digitlab.cancel import Cancelled, never
    from digitlab.db import DatabaseError
    from digitlab.models import TrainConfig
    from digitlab.store import SHIPPED_ID, ModelStore, ModelStoreError
    from digitlab.tasks import train as training_task

    config = TrainConfig(
        preset=args.preset, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
        validation_split=args.validation_split, keep_best=args.keep_best, augment=args.augment, subset=args.subset,
    )
    try:
        config = config.resolved()
    except (KeyError, ValueError) as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
    try:
        mnist = load_mnist(args.mnist)  # checked before the lock is taken (the task loads it again: a second)
    except MnistUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    store = ModelStore()
    try:
        lock = TrainingLock({"preset": config.preset, "source": "train_model.py"}).acquire()
    except TrainingBusy as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except (StoreNotWritable, DatabaseError) as e:  # with PostgreSQL the lock across servers lives there
        print(f"error: {e}", file=sys.stderr)
        return 2
    # TensorFlow loads here, after every check: a mistake or a busy lock is said at once, not after its start-up.
    from digitlab.training import Diverged

    request = training_task.Request(config, mnist_path=mnist.source, store_root=str(store.root), source="train_model.py",
                                    run_id=SHIPPED_ID if args.ship else None, replace=args.ship)
    try:
        print(f"training {config.preset}: {config.epochs} epochs, batch {config.batch_size}, seed {config.seed}, "
              f"validation {config.validation_split:.0%}, augment {config.augment}  (MNIST from {mnist.source})",
              flush=True)
        outcome = training_task.run(request, ConsoleProgress(), never)
        if args.activate:
            store.set_active(outcome.run_id)
    except KeyboardInterrupt:
        print("\ninterrupted: nothing was saved, the model store is unchanged", file=sys.stderr)
        return 130
    except (OSError, ModelStoreError) as e:
        print(f"error: the model could not be saved in {store.root}: {e}", file=sys.stderr)
        return 2
    except Cancelled:
        return 130
    except Diverged as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    print(f"test accuracy {outcome.test_accuracy:.2%} on the 10,000 MNIST test images "
          f"(training took {outcome.training_seconds:.0f}s)")
    print(f"saved to {store.path_of(outcome.run_id)}" + ("  [active]" if args.activate else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
