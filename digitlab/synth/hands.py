"""Pen strokes as another hand would draw them: the training's pen digits, by more writers than 30.

The pendigits train split has 30 writers; people the app meets draw with habits
none of them has. :func:`another_hand` redraws a digit's real strokes with
three such habits, each at a random strength, none so strong that the digit
stops being the writer's (the constants below say how that was checked):

- **proportions**: a smooth warp of the page, so a loop grows or shrinks and a
  bar gets longer against the stem (Simard et al. 2003 warp MNIST's pixels the
  same way; on strokes the pen's width stays the pen's);
- **haste**: a fast pen cuts corners and rounds small loops; the path is
  smoothed along its length (a Gaussian over the arc length);
- **placement**: each stroke of a several-stroke digit lands a little apart from
  the others (where the 4's stem crosses its bar, the 5's flag sits).

Strokes are float (n, 2) arrays of (x, y) in the unit square, y pointing down,
as :func:`digitlab.synth.pendigits.unit_strokes` makes them; the result is
fitted back into the unit square the same way.
"""

from __future__ import annotations

import numpy as np

# The most of each habit. Set by eye on 150 train-writer digits and checked with the model of 2026-12-06,
# which learned those writers: it reads 500 of their drawings 100% right as drawn and 98.8% with all three
# habits at their most (tests/test_hands.py). Twice the warp's waves (up to 2 a digit), a warp of 12% and a
# haste of 7% took that to 88.2%: 1s bent into an S, 0s into boxes, no longer the writer's digit.
WARP = 0.08  # a warp of up to 8% of the digit's size: a 9's loop a fifth smaller or larger, a 7's bar longer
WARP_WAVES = (0.5, 1.5)  # waves of half a cycle to one and a half across the digit
HASTE = 0.06  # a Gaussian along the path of up to 6% of the digit's size: round corners, small loops closed
PLACEMENT = 0.05  # each stroke's own offset, up to 5% of the digit's size (two standard deviations)
STEP = 0.005  # arc-length spacing the path is resampled at before smoothing (unit-square units)


def resample(stroke: np.ndarray, step: float = STEP) -> np.ndarray:
    """Points every ``step`` along the polyline ``stroke`` float (n, 2), ends kept: float64 (m, 2)."""
    p = np.asarray(stroke, np.float64).reshape(-1, 2)
    if len(p) < 2:
        return p
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])
    if along[-1] <= step:
        return p
    at = np.linspace(0.0, along[-1], int(np.ceil(along[-1] / step)) + 1)
    return np.stack([np.interp(at, along, p[:, 0]), np.interp(at, along, p[:, 1])], axis=1)


def smooth(stroke: np.ndarray, sigma: float, step: float = STEP) -> np.ndarray:
    """``stroke`` resampled every ``step`` and smoothed by a Gaussian of ``sigma`` (arc length); ends stay
    where they were (the pen lands and lifts where the writer meant). float64 (m, 2)."""
    p = resample(stroke, step)
    n = int(round(sigma / step))
    if n < 1 or len(p) < 3:
        return p
    offsets = np.arange(-3 * n, 3 * n + 1)
    kernel = np.exp(-0.5 * (offsets / n) ** 2)
    padded = np.concatenate([np.repeat(p[:1], 3 * n, axis=0), p, np.repeat(p[-1:], 3 * n, axis=0)])
    out = np.stack([np.convolve(padded[:, k], kernel / kernel.sum(), mode="valid") for k in range(2)], axis=1)
    out[0], out[-1] = p[0], p[-1]
    return out


def warp_field(rng: np.random.Generator, strength: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A smooth random displacement of the page of amplitude ``strength``: for x and for y, two waves of
    half a cycle to one and a half over the unit square at random directions and phases. (waves float (2, 2, 2),
    phases (2, 2), amplitude (1,)) for :func:`warp`; one field for all of a digit's strokes."""
    turns = rng.uniform(*WARP_WAVES, size=(2, 2, 1))
    direction = rng.normal(size=(2, 2, 2))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    return 2 * np.pi * turns * direction, rng.uniform(0, 2 * np.pi, (2, 2)), np.array([strength / 2])


def warp(points: np.ndarray, field: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """``points`` float (n, 2) moved by ``field`` (:func:`warp_field`): float64 (n, 2)."""
    waves, phases, amplitude = field
    p = np.asarray(points, np.float64)
    shift = amplitude * np.sin(np.einsum("nd,awd->naw", p, waves) + phases).sum(axis=-1)
    return p + shift


def fit_unit(strokes: list[np.ndarray], min_side: float = 1e-6) -> list[np.ndarray]:
    """Strokes scaled by their ink box's longer side (at least ``min_side``, in their own units) into the
    unit square and centred, aspect kept (float32 (n, 2))."""
    every = np.concatenate(strokes)
    low, high = every.min(axis=0), every.max(axis=0)
    side = max(float((high - low).max()), min_side)
    offset = (side - (high - low)) / 2
    return [((s - low + offset) / side).astype(np.float32) for s in strokes]


def another_hand(strokes: list[np.ndarray], rng: np.random.Generator,
                 strength: float | None = None) -> list[np.ndarray]:
    """The digit ``strokes`` (float (n, 2) each, unit square) as another writer might draw it: warped,
    hastier and its strokes placed apart. Each habit at a random share of its most (:data:`WARP`,
    :data:`HASTE`, :data:`PLACEMENT`), or all at ``strength`` (0: as drawn, 1: the most). float32
    strokes, unit square."""
    if not strokes:
        raise ValueError("a digit needs at least one stroke")
    warp_share, haste_share, placement_share = rng.uniform(0, 1, 3) if strength is None else [strength] * 3
    field = warp_field(rng, warp_share * WARP)
    moved = [warp(smooth(s, haste_share * HASTE), field) for s in strokes]
    if len(moved) > 1:
        moved = [s + rng.normal(0, placement_share * PLACEMENT / 2, 2) for s in moved]
    return fit_unit(moved)
