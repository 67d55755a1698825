"""The inside view's pictures: signed maps in red and blue, feature maps, units, weights.

Pure functions, arrays in, uint8 RGB (or grey) out, never blurred (each value a
block of pixels). Signed values share one colour scale symmetric around 0:
red is positive (for), blue negative (against), black or the plain digit 0,
so a strong red and a strong blue of the same brightness are equally strong.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitlab.pictures import enlarge, sheet, to_uint8

RED = np.array([255, 64, 40], np.float32)  # for / more
BLUE = np.array([40, 140, 255], np.float32)  # against / less
GREEN = np.array([60, 230, 90], np.float32)  # ink a counterfactual adds
MAGENTA = np.array([255, 60, 220], np.float32)  # ink it takes away
DIGIT_GREY = 0.45  # the digit under an overlay, dimmed so the colours stand out


def symmetric_scale(values: np.ndarray, percentile: float = 99.0) -> float:
    """The colour scale of a signed map: it runs from -scale to +scale. ``scale`` is the
    ``percentile`` of the non-zero absolute values, so that one extreme pixel does not leave
    all the others black (those above it are drawn at full colour); 1 if all are 0."""
    a = np.abs(np.asarray(values, np.float32)).ravel()
    a = a[a > 0]
    m = float(np.percentile(a, percentile)) if a.size else 0.0
    return m if m > 0 else 1.0


def _blocks(a: np.ndarray, scale: int) -> np.ndarray:
    return np.repeat(np.repeat(a, scale, axis=0), scale, axis=1)


def signed_rgb(values: np.ndarray, scale: float | None = None, block: int = 1) -> np.ndarray:
    """float (h, w) -> uint8 (h*block, w*block, 3): 0 black, +scale full red, -scale full blue."""
    v = np.clip(np.asarray(values, np.float32) / (scale or symmetric_scale(values)), -1, 1)
    rgb = np.maximum(v, 0)[..., None] * RED + np.maximum(-v, 0)[..., None] * BLUE
    return _blocks(np.round(rgb).astype(np.uint8), block)


def overlay(image: np.ndarray, values: np.ndarray, scale: float | None = None, block: int = 1) -> np.ndarray:
    """A digit (float ink (h, w) in [0, 1]) in dim grey with a signed map (float (h, w)) over it,
    uint8 (h*block, w*block, 3): the stronger the value, the more of its colour."""
    grey = np.clip(np.asarray(image, np.float32), 0, 1)[..., None] * (255 * DIGIT_GREY)
    v = np.clip(np.asarray(values, np.float32) / (scale or symmetric_scale(values)), -1, 1)[..., None]
    colour = np.where(v >= 0, RED, BLUE)
    alpha = np.abs(v)
    rgb = (1 - alpha) * grey + alpha * colour
    return _blocks(np.round(rgb).astype(np.uint8), block)


def change_overlay(image: np.ndarray, change: np.ndarray, block: int = 1) -> np.ndarray:
    """The digit in grey with ink a change adds in green and ink it takes away in magenta,
    uint8 (h*block, w*block, 3); ``change`` float (h, w) in [-1, 1]."""
    grey = np.clip(np.asarray(image, np.float32), 0, 1)[..., None] * (255 * DIGIT_GREY)
    c = np.clip(np.asarray(change, np.float32), -1, 1)[..., None]
    colour = np.where(c >= 0, GREEN, MAGENTA)
    alpha = np.minimum(np.abs(c) * 1.5, 1.0)  # a quarter-ink change is already visible
    return _blocks(np.round((1 - alpha) * grey + alpha * colour).astype(np.uint8), block)


def colour_bar(scale: float, low: str, high: str, width: int = 280, height: int = 34) -> np.ndarray:
    """uint8 (height, width, 3): the signed scale from -scale (blue, ``low``) through 0 to
    +scale (red, ``high``), with those words and the numbers under it."""
    ramp = np.linspace(-1, 1, width, dtype=np.float32)
    bar = signed_rgb(np.tile(ramp, (12, 1)), 1.0)
    img = Image.new("RGB", (width, height), (255, 255, 255))
    img.paste(Image.fromarray(bar), (0, 0))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=12)
    draw.text((2, 14), f"{low} (-{scale:.2g})", fill=(30, 30, 30), font=font)  # ASCII: the font has no "−"
    draw.text((width // 2, 14), "0", fill=(30, 30, 30), font=font, anchor="ma")
    draw.text((width - 2, 14), f"{high} (+{scale:.2g})", fill=(30, 30, 30), font=font, anchor="ra")
    return np.asarray(img)


def strongest_first(maps: np.ndarray) -> np.ndarray:
    """Channel order of feature maps float (h, w, c), strongest (largest mean) first: int (c,)."""
    return np.argsort(-np.asarray(maps).mean(axis=(0, 1)), kind="stable")


def feature_map_sheet(maps: np.ndarray, order: np.ndarray | None = None, limit: int = 32, columns: int = 8,
                      side: int = 48) -> np.ndarray:
    """One layer's feature maps float (h, w, c) as one grey grid, uint8: the first ``limit``
    channels of ``order`` (default strongest first), each enlarged to about ``side`` pixels,
    all on the layer's own scale (0 black, the top 0.5% of the layer's values white) so that
    a dim map is a weak one."""
    maps = np.asarray(maps, np.float32)
    order = strongest_first(maps) if order is None else np.asarray(order)
    chosen = np.moveaxis(maps[:, :, order[:limit]], -1, 0)
    top = float(np.percentile(chosen, 99.5)) if chosen.size else 0.0
    top = top if top > 0 else (float(chosen.max()) if chosen.size and chosen.max() > 0 else 1.0)
    images = to_uint8(np.clip(chosen / top, 0, 1))
    return sheet(images, columns=min(columns, len(images)), scale=max(1, side // maps.shape[0]), gap=3)


def unit_strip(values: np.ndarray, per_row: int = 64, cell: int = 7) -> np.ndarray:
    """A dense layer's units float (n,) as rows of cells, uint8 RGB: unit i at row i // per_row,
    column i % per_row. Non-negative layers (ReLU, softmax) in grey, 0 black and the largest
    white; layers with negative values (tanh) in red and blue on a symmetric scale."""
    v = np.asarray(values, np.float32).ravel()
    rows = -(-len(v) // per_row)
    grid = np.zeros(rows * per_row, np.float32)
    grid[: len(v)] = v
    grid = grid.reshape(rows, per_row)
    if v.min() < 0:
        cells = signed_rgb(grid)
    else:
        g = to_uint8(grid / (v.max() if v.max() > 0 else 1.0))
        cells = np.stack([g] * 3, axis=-1)
    big = _blocks(cells, cell)
    # a thin dark line between cells, so single units can be told apart
    big[::cell, :] = 40
    big[:, ::cell] = 40
    return big


def weight_tiles(weights: np.ndarray, captions: list[str], block: int = 4, band: int = 14) -> np.ndarray:
    """Input weights of some units float (k, 28, 28) as signed tiles with a caption under each,
    one uint8 RGB row. Each tile has its own symmetric scale (red: ink here makes the unit fire,
    blue: ink here holds it back)."""
    font = ImageFont.load_default(size=band - 3)
    tiles = []
    for w, text in zip(weights, captions):
        tile = Image.new("RGB", (w.shape[1] * block, w.shape[0] * block + band), (25, 25, 25))
        tile.paste(Image.fromarray(signed_rgb(w, block=block)), (0, 0))
        ImageDraw.Draw(tile).text((tile.width // 2, w.shape[0] * block + band // 2), text, fill=(235, 235, 235),
                                  font=font, anchor="mm")
        tiles.append(np.asarray(tile))
    gap = np.full((tiles[0].shape[0], 3, 3), 60, np.uint8)
    return np.concatenate([part for t in tiles for part in (t, gap)][:-1], axis=1)


def placement(image: np.ndarray, fitted: np.ndarray) -> tuple[int, int]:
    """Where the preprocessing pasted ``fitted`` (h, w) into the 28x28 ``image``: (top, left).
    Found by matching, so it does not repeat the preprocessing's arithmetic."""
    h, w = fitted.shape
    for top in range(image.shape[0] - h + 1):
        for left in range(image.shape[1] - w + 1):
            if np.array_equal(image[top : top + h, left : left + w], fitted):
                return top, left
    raise ValueError("the fitted digit is not in the image")


def onto_drawing(values: np.ndarray, steps) -> np.ndarray:
    """A map over the 28x28 (float (28, 28)) carried back onto the drawing: float32 (H, W) of
    ``steps.ink``'s size (``steps`` a :class:`digitlab.preprocess.Preprocessed` of a digit), the
    part over the digit's box stretched to the box, 0 elsewhere."""
    top, left = placement(steps.image, steps.fitted)
    h, w = steps.fitted.shape
    part = np.asarray(values, np.float32)[top : top + h, left : left + w]
    b_top, b_left, b_bottom, b_right = steps.box
    out = np.zeros(steps.ink.shape, np.float32)
    size = (b_right - b_left, b_bottom - b_top)
    out[b_top:b_bottom, b_left:b_right] = np.asarray(
        Image.fromarray(np.ascontiguousarray(part)).resize(size, Image.Resampling.NEAREST))
    return out


def enlarged_digit(image: np.ndarray, block: int) -> np.ndarray:
    """A grey digit as uint8 RGB, each pixel a ``block`` square (for side-by-side pictures)."""
    g = enlarge(image, block)
    return np.stack([g] * 3, axis=-1)
