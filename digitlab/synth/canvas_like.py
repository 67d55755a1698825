"""Make MNIST digits look as if drawn on the app's canvas, to measure on them.

A canvas stroke is a uniform round pen of one width, on a big transparent
sheet, at whatever size and place the user drew it. :func:`redraw` takes an
MNIST digit's centre line (its skeleton) and draws it again that way. Used by
benchmarks/drawn_accuracy.py and the tests; it is never training data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.morphology import skeletonize

from digitlab.preprocess import ink_box

CANVAS = 280


@dataclass(frozen=True)
class Style:
    """How one digit is drawn: box size and pen width in canvas pixels, top-left corner."""

    size: int
    pen: float
    top: int
    left: int


def random_style(rng: np.random.Generator, canvas: int = CANVAS) -> Style:
    """Sizes from a small digit in a corner to one filling the canvas; pens 6-32 px."""
    size = int(rng.uniform(0.2, 0.9) * canvas)
    pen = float(rng.uniform(6, 32))
    pen = min(pen, size / 4)  # nobody draws a digit only 2 pen-widths tall
    top = int(rng.integers(0, canvas - size + 1))
    left = int(rng.integers(0, canvas - size + 1))
    return Style(size, pen, top, left)


def redraw(digit: np.ndarray, style: Style, canvas: int = CANVAS) -> np.ndarray:
    """One MNIST digit, uint8 (28, 28) -> uint8 RGBA (canvas, canvas, 4), ink in alpha.

    The digit's ink box is scaled so its longer side is ``style.size`` minus
    the pen width (the pen's edge then spans ``style.size``), its skeleton
    taken, and that centre line drawn with a round anti-aliased pen.
    """
    ink = digit.astype(np.float32) / 255.0
    t, l, b, r = ink_box(ink)
    crop = ink[t:b, l:r]
    inner = max(2, int(style.size - style.pen))
    scale = inner / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    big = np.asarray(Image.fromarray(crop, mode="F").resize((w, h), Image.Resampling.BILINEAR))
    skeleton = skeletonize(big > 0.4)

    line = np.zeros((canvas, canvas), dtype=bool)
    off_t = style.top + int(style.pen / 2)
    off_l = style.left + int(style.pen / 2)
    hh, ww = min(h, canvas - off_t), min(w, canvas - off_l)
    line[off_t : off_t + hh, off_l : off_l + ww] = skeleton[:hh, :ww]
    radius = style.pen / 2
    alpha = np.clip(radius + 0.5 - ndimage.distance_transform_edt(~line), 0.0, 1.0)

    out = np.zeros((canvas, canvas, 4), dtype=np.uint8)
    out[..., :3] = 255
    out[..., 3] = np.round(alpha * 255).astype(np.uint8)
    return out


def redraw_many(digits: np.ndarray, seed: int = 0, canvas: int = CANVAS) -> tuple[np.ndarray, list[Style]]:
    """Redraw each of uint8 (N, 28, 28) in its own random style (seeded).

    Returns uint8 RGBA (N, canvas, canvas, 4) and the styles used.
    """
    rng = np.random.default_rng(seed)
    styles = [random_style(rng, canvas) for _ in range(len(digits))]
    return np.stack([redraw(d, s, canvas) for d, s in zip(digits, styles)]), styles
