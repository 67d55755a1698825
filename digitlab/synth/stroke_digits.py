"""Digits drawn as pen strokes, by hand-made templates: a drawn test set that is not MNIST.

People draw the same digit in different ways: a 1 with or without a flag and a
base, a 7 with a crossbar, a 4 open or closed, an 8 as two circles or one
looping stroke. :data:`STYLES` holds a few such ways per digit, as strokes of
(x, y) points in the unit square (y pointing down), made by hand. :func:`jitter`
varies one the way hands do (slant, rotation, aspect, wobble), and
:func:`render` draws it on a canvas like the app's: a round pen of one width,
ink in the alpha channel. The browser tests draw :func:`plain` strokes with the
mouse; ``benchmarks/stroke_styles.py`` measures the model on thousands of
jittered renderings. Never training data.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> Stroke:
    """Points on an ellipse from angle ``start`` to ``end`` (degrees, clockwise on screen)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, end, n)]


# digit -> {style name: strokes}. The first style of each digit is the most common one.
STYLES: dict[int, dict[str, list[Stroke]]] = {
    0: {"oval": [_arc(0.5, 0.5, 0.3, 0.42, -90, 275, 40)],
        "round": [_arc(0.5, 0.5, 0.38, 0.4, -100, 265, 40)],
        "overlapping": [_arc(0.5, 0.5, 0.28, 0.42, -60, 320, 40)],
        "slashed": [_arc(0.5, 0.5, 0.3, 0.42, -90, 275, 40), [(0.3, 0.95), (0.72, 0.05)]]},
    1: {"flag": [[(0.38, 0.25), (0.55, 0.1), (0.55, 0.9)]],
        "stick": [[(0.52, 0.08), (0.5, 0.92)]],
        "flag and base": [[(0.35, 0.25), (0.55, 0.08), (0.55, 0.9)], [(0.35, 0.9), (0.75, 0.9)]]},
    2: {"curve": [_arc(0.5, 0.32, 0.28, 0.22, 200, 380, 16) + [(0.7, 0.5), (0.22, 0.9), (0.8, 0.9)]],
        "swan": [_arc(0.48, 0.3, 0.3, 0.22, 190, 400, 18) + [(0.2, 0.88)] + _arc(0.3, 0.82, 0.12, 0.07, 200, 340, 8)
                 + [(0.85, 0.86)]],
        "angular": [[(0.2, 0.2), (0.5, 0.08), (0.78, 0.2), (0.75, 0.4), (0.2, 0.9), (0.82, 0.9)]],
        "looped": [_arc(0.5, 0.3, 0.28, 0.22, 200, 380, 16) + [(0.7, 0.45), (0.3, 0.82)]
                   + _arc(0.3, 0.84, 0.1, 0.08, 270, 630, 14) + [(0.85, 0.88)]]},
    3: {"two bumps": [_arc(0.48, 0.3, 0.26, 0.2, 200, 450, 20) + _arc(0.48, 0.7, 0.28, 0.2, -90, 160, 20)],
        "flat top": [[(0.22, 0.1), (0.76, 0.1), (0.45, 0.42)] + _arc(0.48, 0.66, 0.3, 0.24, -90, 160, 20)]},
    4: {"open": [[(0.6, 0.1), (0.2, 0.62), (0.82, 0.62)], [(0.64, 0.35), (0.64, 0.92)]],
        "two strokes": [[(0.25, 0.08), (0.22, 0.55), (0.8, 0.55)], [(0.68, 0.1), (0.68, 0.94)]],
        "closed": [[(0.66, 0.94), (0.66, 0.08), (0.18, 0.62), (0.86, 0.62)]]},
    5: {"one stroke": [[(0.75, 0.1), (0.3, 0.1), (0.27, 0.45)] + _arc(0.48, 0.66, 0.28, 0.25, -120, 150, 20)],
        "flag apart": [[(0.3, 0.1), (0.27, 0.45)] + _arc(0.48, 0.66, 0.28, 0.25, -120, 150, 20),
                       [(0.3, 0.1), (0.78, 0.1)]]},
    6: {"loop": [[(0.68, 0.1), (0.4, 0.3)] + _arc(0.5, 0.68, 0.27, 0.24, 200, 560, 30)],
        "curved": [_arc(0.7, 0.55, 0.45, 0.47, 250, 180, 14) + _arc(0.5, 0.7, 0.25, 0.21, 180, 540, 26)]},
    7: {"plain": [[(0.2, 0.12), (0.8, 0.12), (0.42, 0.92)]],
        "crossbar": [[(0.2, 0.12), (0.8, 0.12), (0.42, 0.92)], [(0.35, 0.52), (0.75, 0.52)]],
        "hooked": [[(0.18, 0.25), (0.2, 0.12), (0.8, 0.12), (0.45, 0.92)]]},
    8: {"one stroke": [_arc(0.5, 0.3, 0.22, 0.2, 90, 450, 24) + _arc(0.5, 0.71, 0.26, 0.21, -90, 270, 24)],
        "snowman": [_arc(0.5, 0.28, 0.2, 0.19, 0, 360, 24), _arc(0.5, 0.7, 0.26, 0.22, -90, 270, 24)],
        "figure of eight": [_arc(0.5, 0.3, 0.24, 0.21, 60, -230, 24) + [(0.3, 0.6)]
                            + _arc(0.5, 0.72, 0.24, 0.2, 210, -130, 24) + [(0.62, 0.2)]]},
    9: {"straight stem": [_arc(0.5, 0.32, 0.24, 0.22, 0, 360, 26) + [(0.74, 0.35), (0.7, 0.92)]],
        "curved stem": [_arc(0.48, 0.3, 0.24, 0.2, 10, 370, 26) + [(0.72, 0.5), (0.62, 0.85), (0.4, 0.92)]],
        "two strokes": [_arc(0.46, 0.3, 0.24, 0.21, 0, 360, 26), [(0.71, 0.12), (0.7, 0.92)]],
        "curled tail": [_arc(0.48, 0.28, 0.24, 0.2, 10, 370, 26) + [(0.72, 0.45), (0.7, 0.75)]
                        + _arc(0.52, 0.75, 0.18, 0.18, 0, 160, 10)]},
}


def plain(digit: int) -> list[Stroke]:
    """The most common way of drawing ``digit`` (its first style)."""
    return next(iter(STYLES[digit].values()))


def jitter(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """The same strokes as another hand would draw them: slant, rotation, aspect ratio and
    a wobble of every point, then fitted back into the unit square."""
    angle = math.radians(rng.uniform(-12, 12))
    shear = rng.uniform(-0.25, 0.15)  # most people slant right
    aspect = math.exp(rng.uniform(-0.25, 0.2))
    a = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]) @ \
        np.array([[aspect, shear], [0.0, 1.0]])
    moved = []
    for stroke in strokes:
        p = np.asarray(stroke, dtype=np.float64) - 0.5
        p = p @ a.T + rng.normal(0, 0.012, p.shape)
        moved.append(p)
    every = np.concatenate(moved)
    low, high = every.min(axis=0), every.max(axis=0)
    scale = 1.0 / max(high - low)
    return [[(float(x), float(y)) for x, y in (p - low) * scale + (1 - (high - low) * scale) / 2] for p in moved]


def render(strokes: list[Stroke], *, canvas: int = 300, box: tuple[float, float, float] = (0.1, 0.1, 0.8),
           pen: float = 16.0, supersample: int = 4) -> np.ndarray:
    """Strokes -> uint8 RGBA (canvas, canvas, 4), white ink in alpha, as the app's canvas returns it.

    ``box`` = (left, top, size) of the unit square on the canvas, as fractions of it.
    Drawn at ``supersample`` times the size and reduced, so the pen's edge is
    anti-aliased like the canvas's (training data uses 2: a quarter of the work,
    and the 28x28 that preprocessing makes of it is the same to the eye).
    """
    k = supersample
    left, top, size = box
    img = Image.new("L", (canvas * k, canvas * k), 0)
    draw = ImageDraw.Draw(img)
    r = pen * k / 2
    for stroke in strokes:
        xy = [((left + x * size) * canvas * k, (top + y * size) * canvas * k) for x, y in stroke]
        draw.line(xy, fill=255, width=max(1, round(pen * k)), joint="curve")
        for x, y in (xy[0], xy[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    alpha = np.asarray(img.resize((canvas, canvas), Image.Resampling.BOX))
    out = np.zeros((canvas, canvas, 4), np.uint8)
    out[..., :3] = 255
    out[..., 3] = alpha
    return out


# How people draw on the app's 300-pixel canvas: the digit's longer side from a
# third of the canvas to almost all of it, a pen of 6-32 pixels (the Draw page's
# slider goes 6-40, default 18), never thicker than a quarter of the drawing
# (nobody draws a digit two pen widths tall). The ranges digitlab.synth.canvas_like
# uses to redraw MNIST.
CANVAS = 300
SIZE_RANGE = (0.3, 0.9)
PEN_RANGE = (6.0, 32.0)


def random_placement(rng: np.random.Generator, canvas: int = CANVAS) -> tuple[tuple[float, float, float], float]:
    """A random ((left, top, size), pen width in pixels) on a ``canvas``-pixel canvas, in the ranges
    people use on the app's (pens scaled to the canvas)."""
    size = rng.uniform(*SIZE_RANGE)
    left, top = rng.uniform(0, 1 - size), rng.uniform(0, 1 - size)
    pen = min(rng.uniform(*PEN_RANGE), size * CANVAS / 4) * canvas / CANVAS
    return (left, top, size), pen


def mnist_style(strokes: list[Stroke], rng: np.random.Generator, *, canvas: int = CANVAS,
                supersample: int = 4) -> np.ndarray | None:
    """Strokes drawn at a random size, place and pen on the canvas, then preprocessed as the Draw
    page does: uint8 (28, 28), or None if the preprocessing refuses the drawing.

    Training data is drawn on a smaller canvas (``canvas=150``, ``supersample=2``): 8 times
    fewer pixels, and the digit ends up 20 pixels tall all the same.
    """
    from digitlab.preprocess import as_mnist_uint8

    box, pen = random_placement(rng, canvas)
    return as_mnist_uint8(render(strokes, canvas=canvas, box=box, pen=pen, supersample=supersample))
