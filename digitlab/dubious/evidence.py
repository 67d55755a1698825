"""More evidence from one fold model than its plain answer: test-time augmentation, neighbours, temperature.

A single forward pass of a fold model is one opinion about an image. Real
label errors sit among oddly written digits, where one opinion wobbles:

- :func:`tta_probabilities`: the mean answer over the image shifted by a pixel
  and turned a few degrees (test-time augmentation): an answer that flips when
  the digit moves a pixel is a weak one.
- :func:`neighbour_labels`: what the labels of the image's nearest training
  images say, in the fold model's feature space (the input of its last
  layer). A hard but rightly labelled 3 sits among 3s; a 2 labelled 3 sits among
  2s. The neighbours are training images the fold model *did* learn from, with
  their given labels; the image itself is never among them.
- :func:`fit_temperature`: one number per fold model that makes its
  probabilities honest (the temperature minimising the negative log-likelihood
  of the given labels on the fold it never saw), so that the K fold models'
  answers can be compared and combined.

Pure functions over arrays; the model is passed in as a function.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import ndimage

Probabilities = Callable[[np.ndarray], np.ndarray]  # float32 (N, 28, 28) in [0, 1] -> float32 (N, 10)

# The transforms of test-time augmentation: the app's one-pixel shifts (digitlab.inference) and two
# rotations, each a change a writer makes without meaning another digit (the training's own
# augmentation is wider).
TTA_DEGREES = (-7.0, 7.0)
NEIGHBOURS = 10  # the training images that vote on an image's label, by cosine similarity
TEMPERATURES = np.exp(np.linspace(np.log(0.25), np.log(4.0), 41))  # the grid fit_temperature searches


def tta_variants(images: np.ndarray) -> list[np.ndarray]:
    """float32 (N, 28, 28) -> the images themselves, then each shifted and rotated version (same shape)."""
    from digitlab.inference import TTA_SHIFTS  # deferred: it loads TensorFlow, which ranking needs not

    x = np.asarray(images, np.float32)
    out = [x]
    out += [np.roll(x, shift, axis=(1, 2)) for shift in TTA_SHIFTS]
    out += [np.clip(ndimage.rotate(x, degrees, axes=(2, 1), reshape=False, order=1), 0.0, 1.0).astype(np.float32)
            for degrees in TTA_DEGREES]
    return out


def tta_probabilities(probabilities: Probabilities, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(plain answer, mean over :func:`tta_variants`), both float32 (N, 10), for float32 images (N, 28, 28)."""
    answers = [probabilities(v) for v in tta_variants(images)]
    return answers[0].astype(np.float32), np.mean(answers, axis=0).astype(np.float32)


def unit_rows(features: np.ndarray) -> np.ndarray:
    f = np.asarray(features, np.float32)
    return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)


def neighbour_labels(query: np.ndarray, reference: np.ndarray, labels: np.ndarray, k: int = NEIGHBOURS,
                     chunk: int = 2048) -> np.ndarray:
    """For each row of ``query`` features (Q, F): the share of each digit among the labels of its
    ``k`` nearest ``reference`` rows (R, F) by cosine similarity, float32 (Q, 10).

    ``labels`` int (R,) are the reference rows' given labels. The caller keeps
    the query images out of ``reference``.
    """
    q, ref = unit_rows(query), unit_rows(reference)
    labels = np.asarray(labels, np.int64)
    out = np.zeros((len(q), 10), np.float32)
    for start in range(0, len(q), chunk):
        sims = q[start : start + chunk] @ ref.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        votes = labels[top]
        for d in range(10):
            out[start : start + chunk, d] = (votes == d).mean(axis=1)
    return out


def with_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities float (N, 10) sharpened (T < 1) or softened (T > 1): softmax(log p / T)."""
    logits = np.log(np.clip(probs, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def fit_temperature(probs: np.ndarray, labels: np.ndarray) -> float:
    """The temperature (from :data:`TEMPERATURES`) that minimises the mean negative log-likelihood of
    ``labels`` (N,) under ``probs`` (N, 10)."""
    labels = np.asarray(labels, np.int64)
    rows = np.arange(len(labels))

    def nll(t: float) -> float:
        return float(-np.log(np.clip(with_temperature(probs, t)[rows, labels], 1e-12, 1.0)).mean())

    return float(min(TEMPERATURES, key=nll))
