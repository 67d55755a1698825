"""What a model learns from besides MNIST: real pen digits, missing styles, and drawings that are no digit.

MNIST alone teaches a model to read MNIST (99.65%) much better than people
(95.7% on pen digits by writers it never saw). A preset's :class:`Extras`
adds, to the training split only (never to the validation images):

- ``pen_digits``: the pendigits *train* split (30 writers; ``digitlab.synth.pendigits``)
  drawn that many times each, at random sizes and pen widths, as on the canvas; a share
  ``other_hands`` of those drawings redrawn as other writers might (``digitlab.synth.hands``);
- ``styles``: digits in the styles MNIST lacks (``digitlab.synth.styles``), made from
  the training images (MNIST's and the pen digits'), as a share of each digit;
- ``non_digits``: scribbles, hatching, #, letters, ... (``digitlab.synth.non_digits``)
  as a share of the training images, labelled :data:`NOT_A_DIGIT`. Their
  target is "every digit equally likely" (outlier exposure), so the model
  answers such a drawing with a flat, unsure distribution.

All of it is drawn in numpy before training (seeded): about a minute on two
cores, so it is kept in ``cache/training_data/`` and drawn again only when the
training images, the seed, the extras or the code that draws them change
(:func:`cached_extra_training_data`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitlab import fileio, paths

MNIST_TRAINING_IMAGES = 60000
NOT_A_DIGIT = 10  # the label of a non-digit drawing; the model still has ten outputs
# Weight of a non-digit's loss (cross-entropy to the uniform distribution) against a digit's:
# Hendrycks et al.'s outlier exposure uses 0.5 for classifiers of this kind.
NON_DIGIT_WEIGHT = 0.5
# Training drawings go on a half-size canvas, anti-aliased at 2x (digitlab.synth.stroke_digits.mnist_style): a
# quarter of the pixels, the same 28x28 to the eye.
CANVAS, SUPERSAMPLE = 150, 2


@dataclass(frozen=True)
class Extras:
    """What a preset adds to MNIST's training split (all zero: nothing)."""

    pen_digits: int = 0  # renderings of every pendigits train-split sample (for a training on all of MNIST)
    styles: tuple[tuple[str, float], ...] = ()  # (style name in digitlab.synth.styles.STYLES, share of its digit)
    non_digits: float = 0.0  # non-digit drawings, as a fraction of the training images
    pen_writers: tuple[str, ...] = ()  # only these pendigits writers (empty: all); to validate leaving writers out
    non_digit_kinds: tuple[str, ...] = ()  # these kinds of digitlab.synth.non_digits (empty: its KINDS)
    other_hands: float = 0.0  # share of the pen digits' drawings redrawn as another writer might (synth.hands)

    def __bool__(self) -> bool:
        return bool(self.pen_digits or self.styles or self.non_digits)

    def spec(self) -> dict:
        """A JSON-able description, for run.json and the architecture key."""
        return {"pen_digits": self.pen_digits, "styles": dict(self.styles), "non_digits": self.non_digits,
                **({"pen_writers": list(self.pen_writers)} if self.pen_writers else {}),
                **({"non_digit_kinds": list(self.non_digit_kinds)} if self.non_digit_kinds else {}),
                **({"other_hands": self.other_hands} if self.other_hands else {})}


@dataclass
class ExtraImages:
    """uint8 images (M, 28, 28), uint8 labels (M,) (:data:`NOT_A_DIGIT` for non-digits) and how many of each kind."""

    images: np.ndarray
    labels: np.ndarray
    counts: dict[str, int]


def extra_training_data(extras: Extras, x_train: np.ndarray, y_train: np.ndarray, seed: int) -> ExtraImages:
    """The images ``extras`` asks for, made from the MNIST training images ``x_train`` uint8 (N, 28, 28)
    with labels ``y_train`` (N,) (the styles) and the pendigits train split. Seeded."""
    from digitlab.synth import pendigits
    from digitlab.synth.non_digits import non_digit_images
    from digitlab.synth.styles import styled_digits

    parts: list[tuple[str, np.ndarray, np.ndarray]] = []
    source_x, source_y = x_train, y_train
    if extras.pen_digits:
        pen = pendigits.load(split="train")
        if extras.pen_writers:
            pen = pen.subset(np.isin(pen.writers, extras.pen_writers))
        # As many as asked for a training on all of MNIST; a quick try on a subset gets its share.
        count = round(extras.pen_digits * len(pen) * min(1.0, len(x_train) / MNIST_TRAINING_IMAGES))
        chosen = np.random.default_rng(seed).permutation(np.tile(np.arange(len(pen)), extras.pen_digits))[:count]
        pen = pen.subset_at(np.sort(chosen))
        images, which = pendigits.render_images(pen, seed, 1, canvas=CANVAS, supersample=SUPERSAMPLE,
                                                other_hands=extras.other_hands)
        parts.append(("pen digits", images, pen.labels[which]))
        source_x, source_y = np.concatenate([x_train, images]), np.concatenate([y_train, pen.labels[which]])
    if extras.styles:
        images, labels = styled_digits(source_x, source_y, dict(extras.styles), seed + 1)
        parts.append(("styles", images, labels))
    if extras.non_digits:
        images, _ = non_digit_images(round(extras.non_digits * len(x_train)), seed + 2,
                                     list(extras.non_digit_kinds) or None, canvas=CANVAS, supersample=SUPERSAMPLE)
        parts.append(("non-digits", images, np.full(len(images), NOT_A_DIGIT, np.uint8)))
    if not parts:
        return ExtraImages(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), {})
    return ExtraImages(np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]).astype(np.uint8),
                       {name: int(len(images)) for name, images, _ in parts})


# The modules whose code decides what the extra images look like: a change to any of them draws anew.
DRAWING_CODE = ("training_data", "synth/pendigits", "synth/hands", "synth/styles", "synth/non_digits", "synth/stroke_digits",
                "preprocess", "ink")


def cache_key(extras: Extras, x_train: np.ndarray, y_train: np.ndarray, seed: int) -> str:
    """A hash of everything the extra images depend on, including the code that draws them."""
    h = hashlib.sha256(json.dumps({"extras": extras.spec(), "seed": seed}, sort_keys=True).encode())
    h.update(np.ascontiguousarray(x_train).tobytes())
    h.update(np.ascontiguousarray(y_train).tobytes())
    for module in DRAWING_CODE:
        h.update((Path(__file__).parent / f"{module}.py").read_bytes())
    return h.hexdigest()[:16]


def cached_extra_training_data(extras: Extras, x_train: np.ndarray, y_train: np.ndarray, seed: int) -> ExtraImages:
    """:func:`extra_training_data`, read from ``cache/training_data/`` when it was drawn before.

    A missing or damaged cache file is drawn again; a cache folder that cannot be
    written is not an error (the images are only drawn again next time).
    """
    path = paths.cache_dir() / "training_data" / f"{cache_key(extras, x_train, y_train, seed)}.npz"
    try:
        with np.load(path, allow_pickle=False) as f:
            return ExtraImages(f["images"], f["labels"], json.loads(str(f["counts"])))
    except fileio.DAMAGED_ARRAY_FILE:
        pass
    made = extra_training_data(extras, x_train, y_train, seed)
    fileio.into_cache(lambda: fileio.write_npz_atomic(path, compressed=True, images=made.images, labels=made.labels,
                                                      counts=np.array(json.dumps(made.counts))))
    return made
