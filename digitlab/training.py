"""Training a preset on MNIST: one function for the CLI and the app alike.

The test set is looked at once, after training, to report accuracy; model
selection (keep-best) only ever uses the validation split of the training set.
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from digitlab.augment import augment_batch
from digitlab.data import Mnist
from digitlab.cancel import Cancelled, ShouldStop
from digitlab.metrics import confusion
from digitlab.training_data import NON_DIGIT_WEIGHT, NOT_A_DIGIT, cached_extra_training_data
from digitlab.models import TrainConfig, build, float32_copy, get_preset


@dataclass
class Progress:
    """A snapshot of a running training, given to the progress callback."""

    epoch: int  # 1-based; the epoch running now
    epochs: int
    batch: int  # batches done in this epoch
    batches: int
    elapsed: float  # seconds since training started
    logs: dict[str, float] = field(default_factory=dict)  # latest batch metrics
    history: list[dict[str, float]] = field(default_factory=list)  # finished epochs
    phase: str = "training"  # "preparing" (drawing the extra images), "training", then "evaluating"

    @property
    def fraction(self) -> float:
        done = (self.epoch - 1) * self.batches + self.batch
        return min(1.0, done / max(1, self.epochs * self.batches))

    @property
    def remaining(self) -> float | None:
        """Estimated seconds left, or None before there is anything to go by."""
        f = self.fraction
        return self.elapsed * (1 - f) / f if f > 0.02 else None


@dataclass
class TrainResult:
    """The trained model, its test-set probabilities (float32 (test_images, 10); all 10,000 unless
    asked otherwise) and run.json."""

    model: keras.Model
    test_probabilities: np.ndarray
    info: dict


def split_indices(n: int, validation_split: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle ``range(n)`` with ``seed``; return (train, validation) index arrays."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * validation_split))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def make_dataset(
    images: np.ndarray, labels: np.ndarray, batch_size: int, *, shuffle_seed: int | None = None, augment: bool = False
) -> tf.data.Dataset:
    """uint8 images (N, 28, 28) and labels (N,) -> batches of float32 in [0, 1].

    ``tf.data`` rather than numpy arrays in ``fit()``: Keras' numpy adapter
    took 20+ s to tear down after each epoch on this machine.
    """
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(images), seed=shuffle_seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)

    def prepare(x, y):
        x = tf.cast(x, tf.float32) / 255.0
        return (augment_batch(x) if augment else x), y

    return ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


class Diverged(RuntimeError):
    """The loss stopped being a number: the training failed, and nothing of it may be stored."""


class _Reporter(keras.callbacks.Callback):
    """Progress, cancellation between batches, a stop when the loss is no longer finite, and
    keep-best-by-validation-loss."""

    def __init__(self, epochs, batches, on_progress, should_stop, keep_best):
        super().__init__()
        self.epochs, self.batches = epochs, batches
        self.on_progress, self.should_stop, self.keep_best = on_progress, should_stop, keep_best
        self.history: list[dict[str, float]] = []
        self.best_loss, self.best_epoch, self.best_weights = np.inf, None, None
        self.start = time.monotonic()
        self.epoch = 1

    def _report(self, batch: int, logs: dict) -> None:
        if self.on_progress:
            self.on_progress(
                Progress(self.epoch, self.epochs, batch, self.batches, time.monotonic() - self.start,
                         {k: float(v) for k, v in (logs or {}).items()}, list(self.history))
            )

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1
        self._report(0, {})

    def on_train_batch_end(self, batch, logs=None):
        if self.should_stop and self.should_stop():
            raise Cancelled("training was cancelled")
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            raise Diverged(f"the training diverged (loss {float(loss)} at epoch {self.epoch}, batch {batch + 1}): "
                           "nothing was saved; the models in the store are unchanged")
        self._report(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}}
        row["seconds"] = time.monotonic() - self.start
        self.history.append(row)
        if self.keep_best and row.get("val_loss", np.inf) < self.best_loss:
            self.best_loss, self.best_epoch = row["val_loss"], epoch + 1
            self.best_weights = self.model.get_weights()
        self._report(self.batches, logs)


def digit_or_uniform_loss(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """Per-sample loss, float32 (B,): cross-entropy with the label for a digit; for a non-digit
    (label NOT_A_DIGIT) cross-entropy with the uniform distribution, weighted NON_DIGIT_WEIGHT.
    ``y_pred``: softmax probabilities (B, 10)."""
    y = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
    log_p = tf.math.log(tf.clip_by_value(y_pred, 1e-7, 1.0))
    digit = -tf.gather(log_p, tf.minimum(y, 9), batch_dims=1)
    uniform = -tf.reduce_mean(log_p, axis=1)
    return tf.where(y < NOT_A_DIGIT, digit, NON_DIGIT_WEIGHT * uniform)


class DigitAccuracy(keras.metrics.Metric):
    """Accuracy over the digits of a batch only (non-digits have no right answer), named "accuracy"."""

    def __init__(self, name: str = "accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.right = self.add_weight(name="right", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y = tf.cast(tf.reshape(y_true, [-1]), tf.int64)
        digit = tf.cast(y < NOT_A_DIGIT, tf.float32)
        right = tf.cast(tf.equal(tf.argmax(y_pred, axis=1), y), tf.float32) * digit
        self.right.assign_add(tf.reduce_sum(right))
        self.count.assign_add(tf.reduce_sum(digit))

    def result(self):
        return self.right / tf.maximum(self.count, 1.0)

    def reset_state(self):
        self.right.assign(0.0)
        self.count.assign(0.0)


def library_versions() -> dict[str, str]:
    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__}


def train(
    config: TrainConfig,
    mnist: Mnist,
    *,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: ShouldStop | None = None,
    test_images: int | None = None,
) -> TrainResult:
    """Train ``config`` on ``mnist``; evaluate once on the test set.

    ``extra``: more training images, uint8 (M, 28, 28), and labels (M,) (the
    user's own saved digits). ``on_progress`` is called after every batch;
    ``should_stop`` is polled after every batch and raises :class:`Cancelled`.
    ``test_images``: evaluate on the first N test images only (0: none, for a caller that
    scores the model itself; tests). None, the default, is the whole test set, as the app and
    ``train_model.py`` always use: scoring all 10,000 with the test-time shifts costs more than a
    short training. run.json's ``test_images`` says how many the figures are of.
    """
    n_test = len(mnist.x_test) if test_images is None else int(test_images)
    if not 0 <= n_test <= len(mnist.x_test):
        raise ValueError(f"test_images must be from 0 to {len(mnist.x_test)}, not {test_images}")
    c = config.resolved()
    preset = get_preset(c.preset)
    keras.utils.set_random_seed(c.seed)

    pool = np.arange(c.subset or len(mnist.x_train))
    pool = np.setdiff1d(pool, np.asarray(c.exclude, dtype=int))
    tr, va = split_indices(len(pool), c.validation_split, c.seed)
    tr, va = pool[tr], pool[va]
    x_tr, y_tr = mnist.x_train[tr], mnist.y_train[tr]
    made = {}
    prepared_in = 0.0
    if c.augment and c.extras and preset.extras:
        # Made from the training split's own images: the validation images stay untouched.
        t0 = time.monotonic()
        if on_progress:  # drawing them takes about a minute when they are not cached
            on_progress(Progress(1, c.epochs, 0, 0, 0.0, phase="preparing"))
        added = cached_extra_training_data(preset.extras, x_tr, y_tr, c.seed)
        if should_stop and should_stop():
            raise Cancelled("training was cancelled")
        x_tr, y_tr, made = np.concatenate([x_tr, added.images]), np.concatenate([y_tr, added.labels]), added.counts
        prepared_in = time.monotonic() - t0
    if extra is not None and len(extra[0]):
        x_tr, y_tr = np.concatenate([x_tr, extra[0]]), np.concatenate([y_tr, extra[1]])
    train_ds = make_dataset(x_tr, y_tr, c.batch_size, shuffle_seed=c.seed, augment=c.augment)
    val_ds = make_dataset(mnist.x_train[va], mnist.y_train[va], 1000) if len(va) else None

    batches = int(np.ceil(len(x_tr) / c.batch_size))
    model = build(preset)
    dtype = model.dtype_policy.name  # what it trains in here (digitlab.precision); the stored copy is float32
    non_digits = bool((y_tr == NOT_A_DIGIT).any())
    model.compile(optimizer=preset.optimizer(c.epochs * batches),
                  loss=digit_or_uniform_loss if non_digits else "sparse_categorical_crossentropy",
                  metrics=[DigitAccuracy()] if non_digits else ["accuracy"])
    reporter = _Reporter(c.epochs, batches, on_progress, should_stop, c.keep_best)
    started = datetime.now(timezone.utc)
    t0 = time.monotonic()
    model.fit(train_ds, validation_data=val_ds, epochs=c.epochs, verbose=0, callbacks=[reporter], shuffle=False)
    train_seconds = time.monotonic() - t0
    if c.keep_best and reporter.best_weights is not None:
        model.set_weights(reporter.best_weights)
    model = float32_copy(model)  # what is stored and evaluated: float32, no optimizer state

    if on_progress:
        on_progress(Progress(c.epochs, c.epochs, batches, batches, train_seconds, {}, reporter.history, "evaluating"))
    from digitlab.inference import Classifier  # the same answers as the app's, test-time augmentation and all

    x_test, y_test = mnist.x_test[:n_test], mnist.y_test[:n_test]
    probs = Classifier(model).probabilities(x_test) if n_test else np.zeros((0, 10), np.float32)
    pred = probs.argmax(axis=1)
    measured = {  # on the first ``test_images`` test images; nothing when none were scored
        "test_accuracy": float((pred == y_test).mean()),
        "test_predictions": pred.astype(int).tolist(),
        "confusion_matrix": confusion(y_test, pred).tolist(),
    } if n_test else {}
    info = {
        "preset": c.preset,
        "description": preset.description,
        "config": asdict(c) | {"exclude": len(c.exclude)},
        "excluded_indices": list(c.exclude),
        "train_images": int(len(x_tr)),
        "validation_images": int(len(va)),
        "own_digits": 0 if extra is None else int(len(extra[0])),  # the user's saved drawings, if asked for
        "beyond_mnist": made,  # pen digits, styles, non-digits: how many of each (digitlab.training_data)
        "beyond_mnist_recipe": preset.extras.spec() if made else None,
        "drawing_seconds": round(prepared_in, 1),  # to draw them; 0 when they were cached
        "history": reporter.history,
        "best_epoch": reporter.best_epoch if c.keep_best else c.epochs,
        "test_images": n_test,  # the first n of MNIST's test set: what the three below are measured on
        **measured,
        "training_seconds": round(train_seconds, 1),
        "training_dtype": dtype,  # bfloat16 only where the CPU has it (digitlab.precision)
        "started": started.isoformat(timespec="seconds"),
        "data_fingerprint": mnist.fingerprint,
        "versions": library_versions(),
        "parameters": int(model.count_params()),
    }
    return TrainResult(model=model, test_probabilities=probs, info=info)
