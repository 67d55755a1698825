"""What would change its mind: a 28x28 digit rotated, shifted, thickened, thinned or partly erased.

Like MNIST-C's corruptions (Mu & Gilmer 2019), these act on the 28x28 the
model sees, *after* the preprocessing: a shift or a small size that the
preprocessing would undo for a drawing reaches the network here untouched, so
a learner sees what the network alone makes of it.

Every function takes a float32 ink image (28, 28) in [0, 1] (0 = background)
and returns a new one of the same shape, dtype and range; an amount of 0
returns the image unchanged.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SIDE = 28
# One step of thickening or thinning: a 3x3 cross, so a stroke grows or shrinks by one
# pixel on each side (MNIST strokes are about 3 pixels wide: benchmarks/mnist_stats.py).
CROSS = ndimage.generate_binary_structure(2, 1)
SIDES = ("top", "bottom", "left", "right")


def _check(image: np.ndarray) -> np.ndarray:
    x = np.asarray(image, np.float32)
    if x.shape != (SIDE, SIDE):
        raise ValueError(f"expected one 28x28 ink image, got shape {x.shape}")
    return x


def _done(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """Turned ``degrees`` anticlockwise (as seen, rows downwards) about the image's centre,
    linear interpolation, background coming in from outside."""
    x = _check(image)
    if degrees == 0:
        return x.copy()
    return _done(ndimage.rotate(x, degrees, reshape=False, order=1, mode="constant", cval=0.0))


def shift(image: np.ndarray, right: float = 0.0, down: float = 0.0) -> np.ndarray:
    """Moved ``right`` and ``down`` pixels (negative: left, up; fractions interpolate);
    ink pushed past the edge is lost."""
    x = _check(image)
    if right == 0 and down == 0:
        return x.copy()
    return _done(ndimage.shift(x, (down, right), order=1, mode="constant", cval=0.0))


def _morph(x: np.ndarray, amount: float, op) -> np.ndarray:
    if amount < 0:
        raise ValueError("the amount must be >= 0 (use thin for thinner, thicken for thicker)")
    whole, part = int(np.floor(amount)), float(amount - np.floor(amount))
    a = x
    for _ in range(whole):
        a = op(a, footprint=CROSS)
    if part > 0:
        a = (1 - part) * a + part * op(a, footprint=CROSS)
    return _done(a)


def thicken(image: np.ndarray, pixels: float) -> np.ndarray:
    """Strokes grown by ``pixels`` on each side (grey dilation with a 3x3 cross per pixel;
    a fraction blends with the next step)."""
    return _morph(_check(image), pixels, ndimage.grey_dilation)


def thin(image: np.ndarray, pixels: float) -> np.ndarray:
    """Strokes worn down by ``pixels`` on each side (grey erosion, as :func:`thicken`);
    one pixel already takes away most of a thin MNIST stroke."""
    return _morph(_check(image), pixels, ndimage.grey_erosion)


def erase(image: np.ndarray, fraction: float, side: str = "top") -> np.ndarray:
    """The first ``fraction`` (0-1) of the digit's ink box, seen from ``side`` ("top",
    "bottom", "left" or "right"), rubbed out. No ink: unchanged."""
    x = _check(image)
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, not {side!r}")
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be from 0 to 1")
    rows, cols = np.flatnonzero(x.any(axis=1)), np.flatnonzero(x.any(axis=0))
    out = x.copy()
    if fraction == 0 or rows.size == 0:
        return out
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if side in ("top", "bottom"):
        k = int(round(fraction * (bottom - top)))
        if side == "top":
            out[top : top + k] = 0.0
        else:
            out[bottom - k : bottom] = 0.0
    else:
        k = int(round(fraction * (right - left)))
        if side == "left":
            out[:, left : left + k] = 0.0
        else:
            out[:, right - k : right] = 0.0
    return out


def stroke(image: np.ndarray, pixels: float) -> np.ndarray:
    """One slider for both: ``pixels`` > 0 thickens, < 0 thins by that much."""
    return thicken(image, pixels) if pixels >= 0 else thin(image, -pixels)


def corrupt(image: np.ndarray, *, degrees: float = 0.0, right: float = 0.0, down: float = 0.0,
            stroke_pixels: float = 0.0, erase_fraction: float = 0.0, erase_side: str = "top") -> np.ndarray:
    """All of them, in this order: stroke width, erase, rotate, shift (so the erased part
    is part of the digit as drawn, and the rotation turns the digit, not the field's
    corner). All zero: a copy of ``image``."""
    x = stroke(_check(image), stroke_pixels)
    x = erase(x, erase_fraction, erase_side)
    x = rotate(x, degrees)
    return shift(x, right, down)
