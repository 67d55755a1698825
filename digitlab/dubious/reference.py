"""A second opinion on the test images: a strong model that never saw them.

Any model trained on the training split only, such as the shipped one (20
epochs, augmentation, pen digits: 99.6%), is out-of-sample on the test images,
as the fold models are. Its answers can be joined with the fold models' by a
normalised geometric mean, which lets either one's doubt count: a label both
find likely stays unremarkable; one that either finds unlikely rises. Joined
with weak fold models (the padded CNN of 3 epochs: 99.3% together) it finds
about a third more realistic label errors in the test set, whichever model chose
the flips, and mostly beats their plain mean; joined with the default fold models,
which are as strong as it is, it adds nothing, so it is off by default
(``benchmarks/label_noise_test.py``, README).

The training images get no second opinion: the reference model learned them.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from digitlab.data import Mnist
from digitlab.dubious import evidence
from digitlab.dubious.settings import Result


class ReferenceRefused(ValueError):
    """The reference model cannot give out-of-sample evidence on these test images."""


def join(fold: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The normalised geometric mean of two float (N, 10) probability tables, float32 (N, 10).

    Symmetric and deterministic; a digit either table rules out (p ~ 0) stays unlikely.
    """
    fold, reference = np.asarray(fold, np.float64), np.asarray(reference, np.float64)
    if fold.shape != reference.shape or fold.ndim != 2:
        raise ValueError(f"two probability tables of one shape, not {fold.shape} and {reference.shape}")
    g = np.sqrt(np.clip(fold, 1e-12, 1.0) * np.clip(reference, 1e-12, 1.0))
    return (g / g.sum(axis=1, keepdims=True)).astype(np.float32)


def identity(info: dict, model_id: str) -> dict:
    """What names a stored model for good (its id is reused when the shipped model is remade)."""
    return {"id": model_id, "trained_as": info.get("trained_as", model_id), "started": info.get("started"),
            "test_accuracy": info.get("test_accuracy")}


def check_out_of_sample(info: dict, model_id: str, fingerprint: str) -> None:
    """Raise :class:`ReferenceRefused` unless model ``model_id`` (its run.json ``info``) learned from this
    copy of MNIST's training split: a model made from other data may have seen these test images."""
    made_from = info.get("data_fingerprint")
    if made_from != fingerprint:
        what = f"another copy of MNIST ({made_from})" if made_from else "data it does not name"
        raise ReferenceRefused(f"model {model_id!r} was trained on {what}, not this MNIST ({fingerprint}): it may "
                               "have seen the test images, so it cannot vouch for their labels")


def check(model_id: str, fingerprint: str, store=None) -> None:
    """Raise ``ModelStoreError`` (no such model) or :class:`ReferenceRefused` unless model ``model_id`` can be
    the reference for this MNIST; reads its run.json only, so it is asked before any fold model trains."""
    from digitlab.store import ModelStore

    check_out_of_sample((store or ModelStore()).get(model_id).info, model_id, fingerprint)


def problem(model_id: str, fingerprint: str, store=None) -> str | None:
    """Why model ``model_id`` cannot be the reference for this MNIST (:func:`check`), or None."""
    from digitlab.store import ModelStoreError

    try:
        check(model_id, fingerprint, store)
    except (ModelStoreError, ReferenceRefused) as e:
        return str(e)
    return None


def add(result: Result, model_id: str, mnist: Mnist, store=None) -> Result:
    """``result`` (fold models only) with model ``model_id``'s test-time-augmented answers joined in on
    the test split; the training split unchanged.

    Raises ``digitlab.store.ModelStoreError`` (no such model, unreadable) or :class:`ReferenceRefused`.
    """
    from digitlab.inference import Classifier  # TensorFlow
    from digitlab.store import ModelStore

    t0 = time.monotonic()
    model, run = (store or ModelStore()).load(model_id)
    check_out_of_sample(run.info, model_id, mnist.fingerprint)
    clf = Classifier(model, shifts=False)  # evidence.tta_probabilities adds the shifts and turns
    plain, tta = evidence.tta_probabilities(clf.probabilities, mnist.x_test.astype(np.float32) / 255.0)
    t = result.test
    test = replace(t, probs=join(t.probs, tta), reference_probs=tta,
                   plain_probs=None if t.plain_probs is None else join(t.plain_probs, plain))
    meta = {**result.meta, "reference": identity(run.info, model_id),
            "fold_test_accuracy": result.meta.get("test_accuracy"),
            "test_accuracy": float((test.probs.argmax(1) == mnist.y_test).mean()),
            "seconds": round(float(result.meta.get("seconds", 0.0)) + time.monotonic() - t0, 1)}
    return replace(result, settings=replace(result.settings, reference=model_id), test=test, meta=meta, path=None)
