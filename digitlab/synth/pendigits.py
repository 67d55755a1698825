"""Real pen digits by 44 writers, drawn the way the app's canvas draws them.

The UCI "Pen-Based Recognition of Handwritten Digits" data in its original
form: every stroke's points, written on a tablet by 44 people, 250 digits each
(F. Alimoglu and E. Alpaydin, UCI Machine Learning Repository, dataset 81,
doi:10.24432/C5MG6K, CC BY 4.0). MNIST's writers were American census staff
and students; these are other people with other habits, so they show how the
model reads *people*.

The writers come in two groups: 30 in the ``train`` split, 14 others in the
``test`` split. Only the train split may teach the model or guide a choice;
the test split is only reported on, so that its figure says how Digit Lab reads
writers it has never seen. The train split ships with Digit Lab
(:data:`SHIPPED_TRAIN`, credited in its folder's README); the full file is
looked for at ``$DIGITLAB_PENDIGITS``, else next to the repository in
``../shared/data/pendigits/``.

Points are tablet units in a 500×500 box, y pointing down. :func:`unit_strokes`
scales each digit by its own ink box into the unit square, and
:func:`render_images` draws it on a canvas like the app's (a round pen of one
width, ink in the alpha channel) at a random size, place and pen, and makes it
MNIST-style as the Draw page does.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitlab import paths
from digitlab.synth.hands import another_hand, fit_unit
from digitlab.synth.stroke_digits import CANVAS, mnist_style

ENV_VAR = "DIGITLAB_PENDIGITS"
SHARED_FILE = paths.PROJECT_ROOT.parent / "shared" / "data" / "pendigits" / "pendigits_strokes.json"
SHIPPED_TRAIN = paths.PROJECT_ROOT / "precomputed" / "pendigits" / "pendigits_train.json.gz"
SPLITS = ("train", "test")
CREDIT = ("Pen digits: F. Alimoglu and E. Alpaydin, Pen-Based Recognition of Handwritten Digits, "
          "UCI Machine Learning Repository (doi:10.24432/C5MG6K), CC BY 4.0.")

class PenDigitsUnavailable(RuntimeError):
    """The pendigits file is missing or unreadable; the message says where it looked."""


@dataclass(frozen=True)
class PenDigits:
    """Samples of one or both splits.

    ``strokes[i]``: the i-th digit's strokes, each float32 (n, 2) of (x, y) in
    the unit square (see :func:`unit_strokes`). ``labels`` uint8 (N,);
    ``writers`` and ``splits``: str arrays (N,), e.g. "tra-w07" and "train".
    """

    strokes: list[list[np.ndarray]]
    labels: np.ndarray
    writers: np.ndarray
    splits: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, mask: np.ndarray) -> "PenDigits":
        """The samples where boolean ``mask`` (N,) is True."""
        return self.subset_at(np.flatnonzero(mask))

    def subset_at(self, indices: np.ndarray) -> "PenDigits":
        """The samples at int ``indices`` (M,), in that order (an index may repeat)."""
        return PenDigits([self.strokes[i] for i in indices], self.labels[indices], self.writers[indices],
                         self.splits[indices])

    def split(self, name: str) -> "PenDigits":
        if name not in SPLITS:
            raise ValueError(f"split must be 'train' or 'test', not {name!r}")
        return self.subset(self.splits == name)


def unit_strokes(strokes: list[list[list[float]]]) -> list[np.ndarray]:
    """Tablet strokes -> float32 (n, 2) strokes in the unit square.

    Scaled by the ink box's longer side (aspect kept) and centred, so a 1 is a
    narrow upright line in the middle, as a person would draw it.
    """
    arrays = [np.asarray(s, dtype=np.float32).reshape(-1, 2) for s in strokes if len(s)]
    if not arrays:
        raise ValueError("a digit needs at least one point")
    return fit_unit(arrays, min_side=1.0)  # a dot: one tablet unit


def _read(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt") as f:
            samples = json.load(f)
    except (OSError, ValueError, EOFError) as e:
        raise PenDigitsUnavailable(f"{path} is not a readable pendigits file ({e})") from e
    if not isinstance(samples, list) or not samples or not all(
            isinstance(s, dict) and {"label", "strokes", "writer", "split"} <= s.keys() for s in samples[:5]):
        raise PenDigitsUnavailable(f"{path} does not hold pendigits samples (a list of label/strokes/writer/split)")
    return samples


def load(path: str | Path | None = None, split: str | None = None) -> PenDigits:
    """The pendigits samples of ``split`` (None: both) from ``path``.

    ``path`` defaults to ``$DIGITLAB_PENDIGITS``, else the shared copy; for
    the train split alone, the copy shipped in ``precomputed/`` is used when
    neither is there. Raises :class:`PenDigitsUnavailable` saying what it tried.
    """
    named = path or os.environ.get(ENV_VAR)
    candidates = [Path(named).expanduser()] if named else [SHARED_FILE]
    if not named and split == "train":
        candidates.append(SHIPPED_TRAIN)
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise PenDigitsUnavailable(
            f"no pendigits file at {', '.join(map(str, candidates))}. Set {ENV_VAR}=/path/to/pendigits_strokes.json "
            "(the UCI pen digits with their strokes).")
    samples = [s for s in _read(found) if split is None or s["split"] == split]
    if not samples:
        raise PenDigitsUnavailable(f"{found} has no samples of the {split} split")
    return PenDigits(
        strokes=[unit_strokes(s["strokes"]) for s in samples],
        labels=np.array([int(s["label"]) for s in samples], np.uint8),
        writers=np.array([str(s["writer"]) for s in samples]),
        splits=np.array([str(s["split"]) for s in samples]),
    )


def render_images(data: PenDigits, seed: int, copies: int = 1, canvas: int = CANVAS, supersample: int = 4,
                  other_hands: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Each sample drawn ``copies`` times at a random size, place and pen, then made MNIST-style
    (``digitlab.synth.stroke_digits.mnist_style``). A share ``other_hands`` of the drawings is first
    redrawn as another writer might (``digitlab.synth.hands.another_hand``; for training only).

    Returns uint8 (M, 28, 28) ink images and the index of the sample each one
    came from, int64 (M,). A drawing the preprocessing refuses (a few of the
    tiniest) is left out, so M <= N * copies.
    """
    if not 0.0 <= other_hands <= 1.0:
        raise ValueError(f"other_hands is a share from 0 to 1, not {other_hands}")
    rng = np.random.default_rng(seed)
    hand_rng = np.random.default_rng([seed, 1])  # its own stream: other_hands=0 draws what it always drew
    images, source = [], []
    for _ in range(copies):
        for i, strokes in enumerate(data.strokes):
            if other_hands and hand_rng.random() < other_hands:
                strokes = another_hand(strokes, hand_rng)
            image = mnist_style([s.tolist() for s in strokes], rng, canvas=canvas, supersample=supersample)
            if image is not None:
                images.append(image)
                source.append(i)
    if not images:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    return np.stack(images), np.array(source, np.int64)
