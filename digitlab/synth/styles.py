"""Ways of writing digits that MNIST lacks, made from real digits by adding a pen stroke.

MNIST's writers were American census staff and students. Much of the world
writes some digits otherwise, and a model that never saw those reads them
wrong: a 1 with a long flag (and a base) as 7, a slashed zero (Ø) as 8, a 7
with a crossbar as 2 or 3. Each function here takes a real digit, uint8
(28, 28) with ink high (an MNIST image, or a rendered pen digit), draws the
missing stroke on a 4× copy with the digit's own pen width, and puts the result
through the MNIST-style preprocessing again (a flag or a slash that reaches
out of the old ink box changes the box). ``None`` means the digit's shape did
not allow the stroke (too few rows of ink, no stem found).

What keeps each style apart from the digit it was confused with:

- **flag on a 1**: 20-50 degrees from the stem and at least 30 degrees below
  the horizontal; a 7's bar is near horizontal and long. At most 40% of the
  digit's height.
- **base on a 1**: a short horizontal bar under the stem, 40-90% of its height.
- **slash through a 0**: a straight stroke through the centre, 50-80 degrees
  from the horizontal, 0.9-1.3 times the digit's height (it may stick out).
- **crossbar on a 7**: a short horizontal stroke across the stem, 40-65% of
  the way down, centred on the stem.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PIL import Image, ImageDraw

from digitlab.preprocess import as_mnist_uint8, stroke_width

SCALE = 4  # strokes are drawn on a 4x copy, so they are anti-aliased when scaled back
MARGIN = 6  # pixels of room around the 28x28 for strokes that reach out of it
MIN_DROOP_DEGREES = 30.0  # a 1's flag flatter than this is a 7's bar
Line = tuple[tuple[float, float], tuple[float, float]]  # ((x0, y0), (x1, y1)) in 28x28 pixels


def _ink(digit: np.ndarray) -> np.ndarray:
    return digit.astype(np.float32) / 255.0


def with_lines(digit: np.ndarray, lines: list[Line]) -> np.ndarray | None:
    """uint8 (28, 28) with each line drawn in the digit's own pen width, made MNIST-style again.

    Returns uint8 (28, 28), or None if the preprocessing refuses the result.
    """
    width = max(SCALE, stroke_width(_ink(digit)) * SCALE)
    # The strokes may reach out of the 28x28 field: give them room before the new ink box is found.
    side = 28 + 2 * MARGIN
    big = Image.fromarray(np.pad(digit, MARGIN)).resize((side * SCALE, side * SCALE), Image.Resampling.BILINEAR)
    extra = Image.new("L", big.size, 0)
    draw = ImageDraw.Draw(extra)
    r = width / 2
    for (x0, y0), (x1, y1) in lines:
        a = ((x0 + MARGIN + 0.5) * SCALE, (y0 + MARGIN + 0.5) * SCALE)
        b = ((x1 + MARGIN + 0.5) * SCALE, (y1 + MARGIN + 0.5) * SCALE)
        draw.line([a, b], fill=255, width=int(round(width)))
        for x, y in (a, b):  # round ends, like a pen's
            draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return as_mnist_uint8(np.maximum(np.asarray(big), np.asarray(extra)))


def stem_direction(ink: np.ndarray) -> np.ndarray:
    """float (28, 28) ink -> unit vector (x, y) along the digit's main axis, pointing down."""
    ys, xs = np.nonzero(ink >= 0.5)
    coords = np.stack([xs, ys]).astype(np.float64)
    coords -= coords.mean(axis=1, keepdims=True)
    _, vectors = np.linalg.eigh(coords @ coords.T)
    d = vectors[:, -1]  # the axis of largest spread
    return d if d[1] >= 0 else -d


def _rows(ink: np.ndarray) -> np.ndarray:
    return np.flatnonzero((ink >= 0.5).any(axis=1))


def _centre_of_row(ink: np.ndarray, row: int) -> float | None:
    cols = np.flatnonzero(ink[row] >= 0.5)
    return None if cols.size == 0 else float(cols.mean())


def flag_line(one: np.ndarray, from_stem_degrees: float, length: float) -> Line | None:
    """The flag of a 1: from the top of the stem, down and to the left; None if it would be a 7's bar.

    ``from_stem_degrees``: the angle between flag and stem. ``length``: a fraction of the digit's height.
    """
    ink = _ink(one)
    rows = _rows(ink)
    if len(rows) < 8:
        return None
    top, height = rows[0], rows[-1] - rows[0] + 1
    x0 = float(np.flatnonzero(ink[top : top + 2].max(axis=0) >= 0.5).mean())
    dx, dy = stem_direction(ink)
    a = np.radians(from_stem_degrees)
    # Rotating the downward stem clockwise on screen (y points down) turns it to the left.
    fx, fy = dx * np.cos(a) - dy * np.sin(a), dx * np.sin(a) + dy * np.cos(a)
    if fx >= 0 or np.degrees(np.arctan2(fy, -fx)) < MIN_DROOP_DEGREES:
        return None
    n = length * height
    return (x0, float(top)), (x0 + n * fx, top + n * fy)


def base_line(one: np.ndarray, width: float) -> Line | None:
    """A bar under a 1's stem, ``width`` times its height wide, centred on the stem's foot."""
    ink = _ink(one)
    rows = _rows(ink)
    if len(rows) < 8:
        return None
    bottom, height = rows[-1], rows[-1] - rows[0] + 1
    x = _centre_of_row(ink, bottom)
    half = width * height / 2
    return (x - half, float(bottom)), (x + half, float(bottom))


def slash_line(zero: np.ndarray, degrees: float, length: float, backslash: bool = False) -> Line | None:
    """A straight stroke through a 0's centre, ``degrees`` from the horizontal, rising to the right
    ("/", or falling with ``backslash``), ``length`` times the digit's height long."""
    ink = _ink(zero)
    rows = _rows(ink)
    if len(rows) < 8:
        return None
    cols = np.flatnonzero((ink >= 0.5).any(axis=0))
    cy, cx = (rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2
    half = length * (rows[-1] - rows[0] + 1) / 2
    a = np.radians(degrees)
    dx, dy = half * np.cos(a), half * np.sin(a)
    if backslash:
        return (cx - dx, cy - dy), (cx + dx, cy + dy)
    return (cx - dx, cy + dy), (cx + dx, cy - dy)


def crossbar_line(seven: np.ndarray, down: float, width: float, tilt_degrees: float = 0.0) -> Line | None:
    """A short bar across a 7's stem, ``down`` (0-1) of the way from its top, ``width`` times its height."""
    ink = _ink(seven)
    rows = _rows(ink)
    if len(rows) < 10:
        return None
    y = int(round(rows[0] + down * (rows[-1] - rows[0])))
    x = _centre_of_row(ink, y)
    if x is None:
        return None
    half = width * (rows[-1] - rows[0] + 1) / 2
    dy = half * np.tan(np.radians(tilt_degrees))
    return (x - half, y + dy), (x + half, y - dy)


def _flagged_one(d: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    flag = flag_line(d, rng.uniform(20, 50), rng.uniform(0.15, 0.4))
    return None if flag is None else with_lines(d, [flag])


def _continental_one(d: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    flag, base = flag_line(d, rng.uniform(20, 50), rng.uniform(0.2, 0.45)), base_line(d, rng.uniform(0.4, 0.9))
    return None if flag is None or base is None else with_lines(d, [flag, base])


def _slashed_zero(d: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    line = slash_line(d, rng.uniform(50, 80), rng.uniform(0.9, 1.3), backslash=rng.random() < 0.15)
    return None if line is None else with_lines(d, [line])


def _crossed_seven(d: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    line = crossbar_line(d, rng.uniform(0.4, 0.65), rng.uniform(0.3, 0.6), rng.uniform(-8, 8))
    return None if line is None else with_lines(d, [line])


# style name -> (the digit it is made from, how)
STYLES: dict[str, tuple[int, Callable[[np.ndarray, np.random.Generator], np.ndarray | None]]] = {
    "1 with a flag": (1, _flagged_one),
    "1 with a flag and a base": (1, _continental_one),
    "slashed 0": (0, _slashed_zero),
    "7 with a crossbar": (7, _crossed_seven),
}


def make_style(name: str, images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Up to ``count`` digits in style ``name`` (see :data:`STYLES`), made from the right digits among
    uint8 ``images`` (N, 28, 28) with ``labels`` (N,). Returns uint8 (count', 28, 28), count' <= count:
    a digit whose shape does not allow the stroke is skipped. Seeded."""
    digit, make = STYLES[name]
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(labels == digit)
    if count <= 0 or len(pool) == 0:
        return np.zeros((0, 28, 28), np.uint8)
    chosen = rng.choice(pool, size=count, replace=count > len(pool))
    made = [m for m in (make(images[i], rng) for i in chosen) if m is not None]
    return np.stack(made) if made else np.zeros((0, 28, 28), np.uint8)


def styled_digits(images: np.ndarray, labels: np.ndarray, shares: dict[str, float],
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every style in ``shares`` at that fraction of its digit's count, e.g. {"slashed 0": 0.3}.

    Returns uint8 images (M, 28, 28) and their uint8 labels (M,).
    """
    out, out_labels = [], []
    for k, (name, share) in enumerate(sorted(shares.items())):
        digit = STYLES[name][0]
        made = make_style(name, images, labels, round(share * int((labels == digit).sum())), seed + 1000 * k)
        out.append(made)
        out_labels.append(np.full(len(made), digit, np.uint8))
    if not out:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8)
    return np.concatenate(out), np.concatenate(out_labels)
