"""A class's drawings read by a model: accuracy per student and per digit, the confusion
matrix, exports, and a short fine-tuning compared on students it never saw.

The drawings come from :func:`digitlab.db.classes.class_drawings`; the model's
probabilities from :class:`digitlab.inference.Classifier`. Nothing here imports
TensorFlow except :func:`fine_tune`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from digitlab.cancel import Cancelled, ShouldStop, never
from digitlab.metrics import confusion

# Students held out of a class fine-tuning to judge it: a third, at least one. A class of
# 25 fine-tunes on ~17 students' drawings and is judged on ~8 others' handwriting.
HELD_OUT_FRACTION = 1 / 3
# A short fine-tuning: a class has hundreds of drawings, not 60,000. A few passes at a
# learning rate 10x below Adam's default, chosen to move the model towards them without
# forgetting MNIST; a choice, not yet measured on a real class (README, known limits).
FINE_TUNE_EPOCHS = 5
FINE_TUNE_LEARNING_RATE = 1e-4
FINE_TUNE_BATCH = 32
CSV_HEADER = ("student", "label", "predicted", "confidence")


@dataclass(frozen=True)
class ClassReport:
    """How a model reads a class: accuracy overall, per student (nickname -> (right, total)),
    per digit (10,) (NaN for a digit nobody drew) and the confusion matrix (10, 10), rows true."""

    accuracy: float
    per_student: dict[str, tuple[int, int]]
    per_digit: np.ndarray
    confusion: np.ndarray


def report(labels: np.ndarray, students: np.ndarray, probabilities: np.ndarray) -> ClassReport:
    """labels uint8 (N,), students str (N,), probabilities float (N, 10) -> :class:`ClassReport`."""
    labels = np.asarray(labels, int)
    if len(labels) == 0:
        return ClassReport(float("nan"), {}, np.full(10, np.nan), np.zeros((10, 10), int))
    predicted = np.asarray(probabilities).argmax(axis=1)
    right = predicted == labels
    per_student = {str(s): (int(right[students == s].sum()), int((students == s).sum()))
                   for s in sorted(set(students.tolist()))}
    counts = np.bincount(labels, minlength=10)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_digit = np.bincount(labels, weights=right, minlength=10) / counts
    return ClassReport(float(right.mean()), per_student, per_digit, confusion(labels, predicted))


def to_csv(labels: np.ndarray, students: np.ndarray, probabilities: np.ndarray) -> str:
    """One row per drawing: ``student,label,predicted,confidence``."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for s, y, p in zip(students, labels, probabilities):
        w.writerow((s, int(y), int(np.argmax(p)), f"{float(np.max(p)):.4f}"))
    return out.getvalue()


def split_students(students: np.ndarray, seed: int = 0,
                   held_out_fraction: float = HELD_OUT_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (train, held out) over the drawings, by student: nobody is in both.
    ``ValueError`` with fewer than two students."""
    names = sorted(set(np.asarray(students).tolist()))
    if len(names) < 2:
        raise ValueError("comparing needs drawings from at least two students")
    rng = np.random.default_rng(seed)
    held = set(rng.permutation(names)[: max(1, int(round(len(names) * held_out_fraction)))].tolist())
    test = np.array([s in held for s in students])
    return ~test, test


def fine_tune(model, images: np.ndarray, labels: np.ndarray, *, epochs: int = FINE_TUNE_EPOCHS, seed: int = 0,
              should_stop: ShouldStop = never):
    """A copy of ``model`` trained briefly on uint8 (N, 28, 28) ``images``; the original is untouched."""
    import keras

    keras.utils.set_random_seed(seed)
    tuned = keras.models.clone_model(model)
    tuned.set_weights(model.get_weights())
    tuned.compile(optimizer=keras.optimizers.Adam(FINE_TUNE_LEARNING_RATE), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = images.astype(np.float32) / 255.0
    for _ in range(epochs):
        if should_stop():
            raise Cancelled()
        tuned.fit(x, labels.astype(np.int64), batch_size=FINE_TUNE_BATCH, epochs=1, verbose=0, shuffle=True)
    return tuned
