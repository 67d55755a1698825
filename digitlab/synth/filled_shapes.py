"""Filled shapes, never training data: a disc, an oval, a blob, a heart or a polygon coloured in.

What separates a 0 from a filled disc is how MNIST's 0s are made, pen-width strokes round open
paper, not how round they are. ``benchmarks.non_digits`` shows these shapes to the model as kinds
the training never draws, the two ways they reach the app: coloured in with the pen on the canvas
(:func:`coloured_in`), and a picture of a solid shape, dark on paper or light on a board
(:func:`solid_picture`), as a photo or a file brings one.

Points are (x, y) in the unit square, y down, like ``digitlab.synth.stroke_digits``.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from digitlab.synth.stroke_digits import CANVAS, Stroke, random_placement, render

OUTLINES = ("disc", "oval", "blob", "heart", "polygon")
# Strokes of a shape coloured in lie this many pen widths apart: 0.5 overlaps them (a dense fill),
# 1.5 leaves gaps of paper, as a quick hand does.
FILL_SPACING = (0.5, 1.5)


def outline(kind: str, rng: np.random.Generator) -> np.ndarray:
    """The closed outline of a shape ``kind`` (one of :data:`OUTLINES`), turned at random: float (k, 2)
    in the unit square, the first point repeated at the end."""
    t = np.linspace(0, 2 * math.pi, 48)
    if kind == "disc":
        x, y = np.cos(t), np.sin(t)
    elif kind == "oval":
        x, y = np.cos(t), np.sin(t) / rng.uniform(1.3, 2.2)
    elif kind == "blob":  # a wobbly closed curve: a few low harmonics on a circle
        r = 1 + sum(rng.uniform(0, 0.25) * np.cos(k * t + rng.uniform(0, 2 * math.pi)) for k in (2, 3))
        x, y = r * np.cos(t), r * np.sin(t)
    elif kind == "heart":
        x, y = np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)) / 16
    elif kind == "polygon":
        sides = int(rng.integers(3, 7))
        t = np.linspace(0, 2 * math.pi, sides + 1) + rng.uniform(0, 2 * math.pi)
        x, y = np.cos(t), np.sin(t)
    else:
        raise ValueError(f"unknown shape {kind!r}; expected one of {OUTLINES}")
    a = rng.uniform(0, 2 * math.pi) if kind != "heart" else rng.uniform(-0.3, 0.3)
    points = np.stack([x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)], axis=1)
    points -= points.min(axis=0)
    return 0.02 + 0.96 * points / points.max()  # the longer side spans the square, aspect kept


def scanlines(points: np.ndarray, spacing: float, angle: float) -> list[Stroke]:
    """Strokes that fill the closed polygon ``points`` (k, 2): parallel lines ``spacing`` apart at
    ``angle`` radians, each cut to the inside, every other one drawn backwards like a hand's."""
    c, s = math.cos(angle), math.sin(angle)
    turn = np.array([[c, s], [-s, c]])  # into the lines' frame: they run along x
    p = (points - 0.5) @ turn.T
    strokes: list[Stroke] = []
    for n, y in enumerate(np.arange(p[:, 1].min() + spacing / 2, p[:, 1].max(), spacing)):
        a, b = p[:-1], p[1:]
        crossing = (a[:, 1] - y) * (b[:, 1] - y) < 0
        xs = np.sort(a[crossing, 0] + (y - a[crossing, 1]) * (b[crossing, 0] - a[crossing, 0])
                     / (b[crossing, 1] - a[crossing, 1]))
        for x0, x1 in zip(xs[::2], xs[1::2]):
            seg = np.array([[x0, y], [x1, y]])[:: -1 if n % 2 else 1] @ turn + 0.5
            strokes.append([(float(u), float(v)) for u, v in seg])
    return strokes


def coloured_in(rng: np.random.Generator, canvas: int = CANVAS, supersample: int = 4) -> tuple[str, np.ndarray]:
    """A shape drawn on the canvas and coloured in with the pen: its outline, then lines across it
    (:data:`FILL_SPACING` pen widths apart). Returns (kind, uint8 RGBA (canvas, canvas, 4)), as the canvas
    sends a drawing."""
    kind = OUTLINES[int(rng.integers(len(OUTLINES)))]
    points = outline(kind, rng)
    box, pen = random_placement(rng, canvas)
    spacing = rng.uniform(*FILL_SPACING) * pen / (box[2] * canvas)  # pen widths, in the unit square
    strokes = [[(float(x), float(y)) for x, y in points]] + scanlines(points, spacing, rng.uniform(0, math.pi))
    return kind, render(strokes, canvas=canvas, box=box, pen=pen, supersample=supersample)


def solid_picture(rng: np.random.Generator, side: int = 280) -> tuple[str, np.ndarray]:
    """A solid shape in a picture ``side`` pixels square, 35-85% of it across: dark ink on off-white
    paper, or (one time in four) light on a dark board. Returns (kind, uint8 RGB (side, side, 3))."""
    kind = OUTLINES[int(rng.integers(len(OUTLINES)))]
    size = rng.uniform(0.35, 0.85)
    left, top = rng.uniform(0.05, 0.95 - size, 2)
    xy = [(float((left + x * size) * side), float((top + y * size) * side)) for x, y in outline(kind, rng)]
    dark = rng.random() < 0.75
    paper, ink = (rng.uniform(200, 250), rng.uniform(10, 70)) if dark else (rng.uniform(10, 60), rng.uniform(200, 250))
    img = Image.new("L", (side, side), int(paper))
    ImageDraw.Draw(img).polygon(xy, fill=int(ink))
    grey = np.asarray(img, np.float32) + rng.normal(0, 3, (side, side))
    return kind, np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
