"""Synthetic continental 1s: MNIST 1s given the up-stroke ("flag") many people draw.

MNIST's writers were mostly American: their 1 is a plain stick, and a 1 drawn
with a long flag, the way much of Europe writes it, looks to a model trained on
MNIST like a 7 with a short bar. These images add that style to training: a
real MNIST 1 with a straight flag drawn from its top, down and to the left, at
a random angle and length, then put through the same MNIST-style preprocessing
as a drawing.

What keeps such a 1 from being a 7 is the flag's slant: a 7's bar is near
horizontal and long, a 1's flag droops close to the stem and is short. So the
flag's angle is taken from the stem (20-50 degrees), it must point at least 30
degrees below the horizontal, and it is at most 40% of the digit's height.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digitlab.preprocess import preprocess, stroke_width

SCALE = 4  # the flag is drawn on a 112x112 copy, so it is anti-aliased when scaled back
MIN_DROOP_DEGREES = 30.0  # a flatter flag is a 7's bar


def stem_direction(ink: np.ndarray) -> np.ndarray:
    """float (28, 28) ink -> unit vector (x, y) along the digit's main axis, pointing down."""
    ys, xs = np.nonzero(ink >= 0.5)
    coords = np.stack([xs, ys]).astype(np.float64)
    coords -= coords.mean(axis=1, keepdims=True)
    _, vectors = np.linalg.eigh(coords @ coords.T)
    d = vectors[:, -1]  # the axis of largest spread
    return d if d[1] >= 0 else -d


def add_flag(one: np.ndarray, from_stem_degrees: float, length: float) -> np.ndarray | None:
    """One uint8 (28, 28) MNIST 1 -> uint8 (28, 28) with a flag, or None if that would look like a 7.

    ``from_stem_degrees``: the angle between the flag and the stem (flag on the left).
    ``length``: the flag's length as a fraction of the digit's height.
    """
    ink = one.astype(np.float32) / 255.0
    rows = np.flatnonzero((ink >= 0.5).any(axis=1))
    if len(rows) < 8:
        return None
    top, height = rows[0], rows[-1] - rows[0] + 1
    top_cols = np.flatnonzero(ink[top : top + 2].max(axis=0) >= 0.5)
    x0, y0 = (top_cols.mean() + 0.5) * SCALE, (top + 0.5) * SCALE
    dx, dy = stem_direction(ink)
    a = np.radians(from_stem_degrees)
    # Rotating the downward stem clockwise on screen (y points down) turns it to the left.
    fx, fy = dx * np.cos(a) - dy * np.sin(a), dx * np.sin(a) + dy * np.cos(a)
    if fx >= 0 or np.degrees(np.arctan2(fy, -fx)) < MIN_DROOP_DEGREES:
        return None
    n = length * height * SCALE
    x1, y1 = x0 + n * fx, y0 + n * fy
    width = max(SCALE, stroke_width(ink) * SCALE)

    big = Image.fromarray(one).resize((28 * SCALE, 28 * SCALE), Image.Resampling.BILINEAR)
    flag = Image.new("L", big.size, 0)
    draw = ImageDraw.Draw(flag)
    draw.line([(x0, y0), (x1, y1)], fill=255, width=int(round(width)))
    r = width / 2  # round ends, like a pen's
    draw.ellipse([x1 - r, y1 - r, x1 + r, y1 + r], fill=255)
    picture = np.maximum(np.asarray(big), np.asarray(flag))
    steps = preprocess(picture)
    return None if steps.image is None else np.round(steps.image * 255).astype(np.uint8)


def flagged_ones(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Up to ``count`` flagged 1s made from the 1s among uint8 ``images`` (N, 28, 28) with ``labels`` (N,).

    Returns uint8 (count', 28, 28).

    Flags are 20-50 degrees from the stem and 15-40% of the digit's height. A
    1 whose flag would be too flat (see the module doc) is skipped, so
    ``count'`` can be smaller than ``count``.
    """
    rng = np.random.default_rng(seed)
    ones = np.flatnonzero(labels == 1)
    if count <= 0 or len(ones) == 0:
        return np.zeros((0, 28, 28), np.uint8)
    chosen = rng.choice(ones, size=count, replace=count > len(ones))
    made = [add_flag(images[i], rng.uniform(20, 50), rng.uniform(0.15, 0.4)) for i in chosen]
    made = [m for m in made if m is not None]
    return np.stack(made) if made else np.zeros((0, 28, 28), np.uint8)
