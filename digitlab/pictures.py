"""Small images made big for people, never blurred, and sheets of many.

Pure functions over arrays: float images in [0, 1] or uint8 in, uint8 out.
"""

from __future__ import annotations

import numpy as np


def to_uint8(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image)
    if a.dtype == np.uint8:
        return a
    return np.round(np.clip(a, 0.0, 1.0) * 255).astype(np.uint8)


def enlarge(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement: each pixel becomes a ``scale`` x ``scale`` block."""
    a = to_uint8(image)
    return np.repeat(np.repeat(a, scale, axis=0), scale, axis=1)


def fit_square(image: np.ndarray, side: int) -> np.ndarray:
    """Enlarge by the largest whole factor that fits ``side``, centred on black, (side, side) uint8."""
    a = to_uint8(image)
    scale = max(1, side // max(a.shape))
    big = enlarge(a, scale)[:side, :side]
    out = np.zeros((side, side), np.uint8)
    top, left = (side - big.shape[0]) // 2, (side - big.shape[1]) // 2
    out[top : top + big.shape[0], left : left + big.shape[1]] = big
    return out


def outline_box(ink: np.ndarray, box: tuple[int, int, int, int], width: int = 2) -> np.ndarray:
    """RGB uint8 of an ink map with ``box`` (top, left, bottom, right) outlined in orange."""
    grey = to_uint8(ink)
    rgb = np.stack([grey] * 3, axis=-1)
    t, l, b, r = box
    colour = np.array([255, 140, 0], np.uint8)
    rgb[max(t - width, 0) : t, max(l - width, 0) : r + width] = colour
    rgb[b : b + width, max(l - width, 0) : r + width] = colour
    rgb[max(t - width, 0) : b + width, max(l - width, 0) : l] = colour
    rgb[max(t - width, 0) : b + width, r : r + width] = colour
    return rgb


def sheet(images: np.ndarray, columns: int, scale: int = 2, gap: int = 2) -> np.ndarray:
    """uint8 (N, h, w) -> one uint8 grid image, ``columns`` wide, grey gaps between.

    One image instead of N widgets: a page of thumbnails draws in one go.
    """
    n = len(images)
    rows = max(1, -(-n // columns))
    h, w = images.shape[1] * scale, images.shape[2] * scale
    out = np.full((rows * (h + gap) + gap, columns * (w + gap) + gap), 60, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        out[gap + r * (h + gap) : gap + r * (h + gap) + h, gap + c * (w + gap) : gap + c * (w + gap) + w] = enlarge(im, scale)
    return out
