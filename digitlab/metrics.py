"""A model's mistakes, counted: plain numpy, shared by training (run.json), the
Misclassified page and the retraining comparison.

- :func:`select_predictions` (most confidently wrong first),
- :func:`confusion`, :func:`class_scores` (precision/recall),
- :func:`compare_errors` (two models' errors: shared, only A, only B),
- :func:`changed_predictions` (what a new model gets right or wrong that the old one did not),
- :func:`accuracy_verdict` (is a new model worse, better or about the same).

Saying them in words is :mod:`digitlab.words`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIGITS = tuple(range(10))


def select_predictions(
    y_true: np.ndarray, probabilities: np.ndarray, *, true_digit: int | None = None,
    predicted_digit: int | None = None, wrong_only: bool = True, least_confident_first: bool = False,
) -> np.ndarray:
    """Indices of images by how sure the model was of its answer.

    ``y_true`` int (N,), ``probabilities`` float (N, 10). The answer is the
    argmax, its confidence the largest probability. Returns int64 indices of
    the images that pass the filters (true label, predicted digit, wrong
    answers only), most confident answer first (for mistakes: the most
    confidently wrong, the ones worth looking at); ties in index order.
    """
    y_true = np.asarray(y_true)
    p = np.asarray(probabilities)
    if p.shape != (len(y_true), 10):
        raise ValueError(f"probabilities have shape {p.shape}, expected ({len(y_true)}, 10)")
    predicted = p.argmax(axis=1)
    keep = np.ones(len(y_true), bool)
    if wrong_only:
        keep &= predicted != y_true
    if true_digit is not None:
        keep &= y_true == true_digit
    if predicted_digit is not None:
        keep &= predicted == predicted_digit
    idx = np.flatnonzero(keep)
    confidence = p[idx, predicted[idx]]
    order = np.argsort(confidence if least_confident_first else -confidence, kind="stable")
    return idx[order]


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int = 10) -> np.ndarray:
    """int64 (n, n): row = true digit, column = predicted digit."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * n + y_pred, minlength=n * n)[: n * n].reshape(n, n)


@dataclass(frozen=True)
class ClassScores:
    """Per digit, float64 (10,) each: precision (of the images called d, how many are d),
    recall (of the d's, how many were found), and support (int64: how many d's there are)."""

    precision: np.ndarray
    recall: np.ndarray
    support: np.ndarray


def class_scores(y_true: np.ndarray, y_pred: np.ndarray) -> ClassScores:
    """Precision and recall of each digit; a digit never predicted (or absent) scores 0, not an error."""
    cm = confusion(y_true, y_pred)
    right, called, support = np.diag(cm).astype(np.float64), cm.sum(axis=0), cm.sum(axis=1)
    return ClassScores(precision=np.divide(right, called, out=np.zeros(10), where=called > 0),
                       recall=np.divide(right, support, out=np.zeros(10), where=support > 0),
                       support=support.astype(np.int64))


@dataclass(frozen=True)
class ErrorComparison:
    """Indices (int64, ascending) of the images two models get wrong.

    ``shared``: both wrong; ``same_answer``: the part of ``shared`` where both
    give the same wrong digit; ``only_a`` / ``only_b``: wrong for one model only.
    """

    shared: np.ndarray
    same_answer: np.ndarray
    only_a: np.ndarray
    only_b: np.ndarray


def compare_errors(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> ErrorComparison:
    """Which mistakes two models share; all three arrays int (N,)."""
    y_true, pred_a, pred_b = np.asarray(y_true), np.asarray(pred_a), np.asarray(pred_b)
    wrong_a, wrong_b = pred_a != y_true, pred_b != y_true
    return ErrorComparison(
        shared=np.flatnonzero(wrong_a & wrong_b),
        same_answer=np.flatnonzero(wrong_a & wrong_b & (pred_a == pred_b)),
        only_a=np.flatnonzero(wrong_a & ~wrong_b),
        only_b=np.flatnonzero(~wrong_a & wrong_b),
    )


def changed_predictions(y_true: np.ndarray, old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices (int64) where the old model was right and the new one is wrong, and the other way round."""
    y_true, old, new = np.asarray(y_true), np.asarray(old), np.asarray(new)
    old_ok, new_ok = old == y_true, new == y_true
    return np.flatnonzero(old_ok & ~new_ok), np.flatnonzero(~old_ok & new_ok)


# Two trainings of one preset that differ only in their random seed land this far apart on
# the 10,000 MNIST test digits (0.1 points, 10 digits): a smaller change says nothing.
SAME_ACCURACY_WITHIN = 0.001


def accuracy_verdict(old: float, new: float) -> str:
    """"worse", "better" or "same": the new model's test accuracy against the old one's (fractions)."""
    if new < old - SAME_ACCURACY_WITHIN:
        return "worse"
    if new > old + SAME_ACCURACY_WITHIN:
        return "better"
    return "same"

