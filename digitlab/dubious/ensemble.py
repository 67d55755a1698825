"""Evidence from more than one set of fold models, and probabilities made honest.

- :func:`join`: the out-of-fold evidence of unlike fold models (an MLP and a
  CNN) taken together: their probabilities joined by a normalised geometric
  mean (as :mod:`~digitlab.dubious.reference` joins a second opinion), so that
  either one's doubt about a label counts; their votes side by side; their
  neighbours' shares averaged. Both must have cut the training images into the
  same folds (the same number of folds and seed: :func:`~digitlab.dubious.folds.fold_assignment`),
  so that every training image is still scored only by models that never saw it.
- :func:`calibrate`: each fold model's probabilities softened or sharpened by
  the temperature that makes them honest on the fold it never saw
  (:func:`~digitlab.dubious.evidence.fit_temperature`); the test images'
  (the fold models' mean) by one temperature fitted on the test labels the same way.

Pure functions over results; nothing is trained.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from digitlab.data import SPLITS
from digitlab.dubious import evidence
from digitlab.dubious.settings import Evidence, Result


def geometric_mean(tables: list[np.ndarray]) -> np.ndarray:
    """The normalised geometric mean of float (N, 10) probability tables, float32 (N, 10): a digit any
    table rules out stays unlikely. As :func:`digitlab.dubious.reference.join` for two tables, but a 0 counts
    as :data:`~digitlab.dubious.ranking.P_FLOOR`, the most a stored 0 can have been: at 1e-12, a label one
    set of stored fold models gave 0 and the other 1e-6 joined to 1e-9, stored as 0 again, and tied with
    labels both gave 0 (train #7080 and #59915)."""
    from digitlab.dubious.ranking import P_FLOOR

    logs = [np.log(np.clip(np.asarray(t, np.float64), P_FLOOR, 1.0)) for t in tables]
    if len({t.shape for t in logs}) != 1 or logs[0].ndim != 2:
        raise ValueError(f"probability tables of one shape, not {[t.shape for t in logs]}")
    g = np.exp(np.mean(logs, axis=0))
    return (g / g.sum(axis=1, keepdims=True)).astype(np.float32)


def _all_or_none(arrays: list[np.ndarray | None]) -> list[np.ndarray] | None:
    return None if any(a is None for a in arrays) else arrays


def join_evidence(parts: list[Evidence]) -> Evidence:
    """One split's evidence of several sets of fold models taken together (module doc)."""
    first = parts[0]
    for e in parts[1:]:
        if not np.array_equal(e.labels, first.labels):
            raise ValueError("the results label the images differently: made from other data")
        same_folds = (e.folds is None and first.folds is None) or (
            e.folds is not None and first.folds is not None and np.array_equal(e.folds, first.folds))
        if not same_folds:
            raise ValueError("the results cut the training images into other folds (another number of folds or "
                             "seed): an image could be scored by a model that learned it")
    plain = _all_or_none([e.plain_probs for e in parts])
    neighbours = _all_or_none([e.neighbours for e in parts])
    return Evidence(labels=first.labels, probs=geometric_mean([e.probs for e in parts]),
                    votes=np.concatenate([e.votes for e in parts], axis=1), folds=first.folds,
                    plain_probs=None if plain is None else geometric_mean(plain),
                    neighbours=None if neighbours is None else np.mean(neighbours, axis=0).astype(np.float32))


def join(results: list[Result]) -> Result:
    """The results' evidence taken together (module doc); settings are the first's (the caller names
    them), ``meta`` says what was joined (``seconds``: all of theirs; ``created``: the latest).
    ``ValueError`` for results of other data or other folds."""
    if len(results) < 2:
        raise ValueError("join needs two results or more")
    if len({r.fingerprint for r in results}) != 1:
        raise ValueError("the results were made from other copies of MNIST")
    first = results[0]
    joined = {split: join_evidence([r.split(split) for r in results]) for split in SPLITS}
    y = first.test.labels
    meta = {**first.meta, "joined": [r.meta.get("settings") for r in results],
            "created": max(str(r.meta.get("created", "")) for r in results) or None,
            "seconds": round(sum(float(r.meta.get("seconds", 0.0)) for r in results), 1),
            "fold_accuracy": [a for r in results for a in r.meta.get("fold_accuracy", [])],
            "temperatures": [t for r in results for t in r.meta.get("temperatures", [])],
            "test_accuracy": float((joined["test"].probs.argmax(1) == y).mean())}
    return replace(first, train=joined["train"], test=joined["test"], meta=meta, path=None)


def temperatures(e: Evidence) -> np.ndarray:
    """float64 (K,) for a training split (one per fold model, fitted on its held-out fold), (1,) for the
    test split (one for the fold models' mean)."""
    labels = e.labels.astype(np.int64)
    if e.folds is None:
        return np.array([evidence.fit_temperature(e.probs, labels)])
    return np.array([evidence.fit_temperature(e.probs[e.folds == k], labels[e.folds == k])
                     for k in range(int(e.folds.max()) + 1)])


def calibrate_evidence(e: Evidence) -> tuple[Evidence, np.ndarray]:
    """The split's probabilities (and plain ones) at their fitted :func:`temperatures`; and those."""
    t = temperatures(e)
    rows = np.zeros(len(e.labels), np.int64) if e.folds is None else e.folds.astype(np.int64)

    def tempered(p: np.ndarray | None) -> np.ndarray | None:
        if p is None:
            return None
        out = np.empty_like(p, dtype=np.float32)
        for k, temperature in enumerate(t):
            out[rows == k] = evidence.with_temperature(p[rows == k], float(temperature))
        return out

    return replace(e, probs=tempered(e.probs), plain_probs=tempered(e.plain_probs)), t


def calibrate(result: Result) -> Result:
    """``result`` with honest probabilities (module doc); ``meta["calibration"]`` holds the temperatures."""
    train, t_train = calibrate_evidence(result.train)
    test, t_test = calibrate_evidence(result.test)
    meta = {**result.meta, "calibration": {"train": t_train.tolist(), "test": t_test.tolist()}}
    return replace(result, train=train, test=test, meta=meta, path=None)
