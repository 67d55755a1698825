"""Drawings that are no digit: scribbles, hatching, #, X, stars, letters, filled patches.

A network trained only on digits answers *some* digit for anything, often
with full confidence: a zigzag was "3, 100% sure". Shown such drawings in
training with the target "every digit equally likely" (outlier exposure,
Hendrycks et al. 2019), it learns to answer them with a flat, unsure
distribution, which the app reports as "not a digit" or "not sure".

Each generator returns strokes of (x, y) points in the unit square (y down),
like ``digitlab.synth.stroke_digits``, so they are drawn and preprocessed exactly as
a drawing on the canvas. :data:`KINDS` lists them. Shapes a person could mean
as a digit are left out on purpose: circles and ovals (0), a lone vertical
line (1), S (5), Z (2), B (8), G and b (6), g and q (9), squares (a boxy 0),
triangles (a closed 4).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from digitlab.synth.stroke_digits import CANVAS, Stroke, jitter

Strokes = list[Stroke]


def _line(a: tuple[float, float], b: tuple[float, float], n: int = 6) -> Stroke:
    return [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for t in np.linspace(0, 1, n)]


def _smooth(points: np.ndarray, per_segment: int = 8) -> Stroke:
    """A Catmull-Rom curve through ``points`` (k, 2): a hand's smooth path, not a polyline."""
    p = np.concatenate([points[:1], points, points[-1:]])
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        for t in np.linspace(0, 1, per_segment, endpoint=False):
            t2, t3 = t * t, t * t * t
            out.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                              + (3 * p1 - p0 - 3 * p2 + p3) * t3))
    out.append(p[-2])
    return [(float(x), float(y)) for x, y in out]


def _rotate(strokes: Strokes, degrees: float) -> Strokes:
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return [[(0.5 + (x - 0.5) * c - (y - 0.5) * s, 0.5 + (x - 0.5) * s + (y - 0.5) * c) for x, y in st]
            for st in strokes]


def scribble(rng: np.random.Generator) -> Strokes:
    """One long smooth stroke wandering through 6-14 random points."""
    return [_smooth(rng.uniform(0, 1, (int(rng.integers(6, 15)), 2)))]


def zigzag(rng: np.random.Generator) -> Strokes:
    """A back-and-forth stroke with 4-9 sharp turns, any direction."""
    k = int(rng.integers(5, 10))
    xs = np.linspace(0, 1, k) + rng.normal(0, 0.03, k)
    ys = np.where(np.arange(k) % 2 == 0, 0.25, 0.75) + rng.normal(0, 0.06, k)
    return _rotate([list(zip(xs.tolist(), ys.tolist()))], rng.uniform(0, 180))


def hatching(rng: np.random.Generator) -> Strokes:
    """3-8 parallel lines, sometimes crossed by a second set."""
    def lines(angle: float) -> Strokes:
        n = int(rng.integers(3, 9))
        return _rotate([_line((0.05, y), (0.95, y + rng.normal(0, 0.02))) for y in np.linspace(0.1, 0.9, n)], angle)

    angle = rng.uniform(0, 180)
    out = lines(angle)
    if rng.random() < 0.35:
        out += lines(angle + rng.uniform(60, 120))
    return out


def hash_sign(rng: np.random.Generator) -> Strokes:
    """#: two near-vertical strokes crossed by two near-horizontal ones."""
    a, b, lean = rng.uniform(0.25, 0.4), rng.uniform(0.6, 0.75), rng.uniform(-0.15, 0.15)
    c, d = rng.uniform(0.25, 0.4), rng.uniform(0.6, 0.75)
    return [_line((a + lean, 0.05), (a - lean, 0.95)), _line((b + lean, 0.05), (b - lean, 0.95)),
            _line((0.05, c), (0.95, c + rng.normal(0, 0.03))), _line((0.05, d), (0.95, d + rng.normal(0, 0.03)))]


def cross(rng: np.random.Generator) -> Strokes:
    """X (or + when turned), two crossing strokes."""
    out = [_line((0.1, 0.1), (0.9, 0.9)), _line((0.9, 0.1), (0.1, 0.9))]
    return _rotate(out, rng.choice([0.0, 45.0]) + rng.normal(0, 8))


def asterisk(rng: np.random.Generator) -> Strokes:
    """3-4 strokes through one centre."""
    n = int(rng.integers(3, 5))
    start = rng.uniform(0, 180)
    return [_rotate([_line((0.05, 0.5), (0.95, 0.5))], start + k * 180 / n)[0] for k in range(n)]


def star(rng: np.random.Generator) -> Strokes:
    """A five-pointed star in one stroke (a pentagram)."""
    start = rng.uniform(-100, -80)
    pts = [(0.5 + 0.47 * math.cos(math.radians(start + 144 * k)), 0.5 + 0.47 * math.sin(math.radians(start + 144 * k)))
           for k in range(6)]
    return [pts]


def spiral(rng: np.random.Generator) -> Strokes:
    """An Archimedean spiral of 2-4 turns (fewer would be a 6 or a 0)."""
    turns = rng.uniform(2.0, 4.0)
    t = np.linspace(0, turns * 2 * math.pi, int(40 * turns))
    r = 0.48 * t / t[-1]
    sign = rng.choice([-1.0, 1.0])
    return [list(zip((0.5 + r * np.cos(sign * t)).tolist(), (0.5 + r * np.sin(sign * t)).tolist()))]


def tangle(rng: np.random.Generator) -> Strokes:
    """3-6 strokes, lines and curves, lying over each other."""
    out = []
    for _ in range(int(rng.integers(3, 7))):
        pts = rng.uniform(0, 1, (int(rng.integers(2, 5)), 2))
        out.append(_smooth(pts) if rng.random() < 0.5 else [tuple(p) for p in pts.tolist()])
    return out


def filled_patch(rng: np.random.Generator) -> Strokes:
    """A patch coloured in: a dense back-and-forth stroke filling an irregular blob."""
    n = int(rng.integers(12, 25))
    ys = np.linspace(0.05, 0.95, n)
    half = 0.45 * np.sqrt(np.clip(1 - ((ys - 0.5) / 0.5) ** 2, 0.05, 1)) * rng.uniform(0.6, 1.0, n)
    pts = [(0.5 + (h if k % 2 else -h), y) for k, (y, h) in enumerate(zip(ys, half))]
    return _rotate([pts], rng.uniform(0, 180))


def wave(rng: np.random.Generator) -> Strokes:
    """~ repeated: a wavy line of 2-4 periods."""
    periods = rng.uniform(2, 4)
    x = np.linspace(0.02, 0.98, 60)
    y = 0.5 + rng.uniform(0.1, 0.25) * np.sin(2 * math.pi * periods * x + rng.uniform(0, 6.3))
    return _rotate([list(zip(x.tolist(), y.tolist()))], rng.normal(0, 15))


# Capital and small letters that no one would take for a digit, as strokes in the unit square.
LETTERS: dict[str, Strokes] = {
    "A": [[(0.1, 0.95), (0.5, 0.05), (0.9, 0.95)], [(0.27, 0.6), (0.73, 0.6)]],
    "E": [[(0.8, 0.05), (0.2, 0.05), (0.2, 0.95), (0.8, 0.95)], [(0.2, 0.5), (0.7, 0.5)]],
    "F": [[(0.8, 0.05), (0.25, 0.05), (0.25, 0.95)], [(0.25, 0.5), (0.7, 0.5)]],
    "H": [[(0.2, 0.05), (0.2, 0.95)], [(0.8, 0.05), (0.8, 0.95)], [(0.2, 0.5), (0.8, 0.5)]],
    "K": [[(0.2, 0.05), (0.2, 0.95)], [(0.8, 0.05), (0.22, 0.55)], [(0.4, 0.4), (0.85, 0.95)]],
    "M": [[(0.1, 0.95), (0.15, 0.05), (0.5, 0.7), (0.85, 0.05), (0.9, 0.95)]],
    "N": [[(0.15, 0.95), (0.15, 0.05), (0.85, 0.95), (0.85, 0.05)]],
    "R": [[(0.2, 0.95), (0.2, 0.05), (0.6, 0.05), (0.78, 0.15), (0.78, 0.35), (0.6, 0.47), (0.2, 0.47)],
          [(0.45, 0.47), (0.85, 0.95)]],
    "W": [[(0.05, 0.05), (0.25, 0.95), (0.5, 0.35), (0.75, 0.95), (0.95, 0.05)]],
    "Y": [[(0.1, 0.05), (0.5, 0.5), (0.9, 0.05)], [(0.5, 0.5), (0.5, 0.95)]],
    "e": [[(0.15, 0.55), (0.85, 0.55), (0.8, 0.3), (0.5, 0.15), (0.2, 0.3), (0.15, 0.6), (0.3, 0.85), (0.55, 0.92),
           (0.85, 0.8)]],
    "h": [[(0.2, 0.05), (0.2, 0.95)], [(0.2, 0.6), (0.4, 0.42), (0.65, 0.42), (0.8, 0.6), (0.8, 0.95)]],
    "k": [[(0.25, 0.05), (0.25, 0.95)], [(0.75, 0.35), (0.27, 0.68), (0.8, 0.95)]],
    "m": [[(0.1, 0.95), (0.1, 0.35), (0.2, 0.3), (0.4, 0.32), (0.5, 0.5), (0.5, 0.95)],
          [(0.5, 0.5), (0.6, 0.32), (0.8, 0.3), (0.9, 0.45), (0.9, 0.95)]],
    "n": [[(0.2, 0.95), (0.2, 0.3)], [(0.2, 0.5), (0.35, 0.32), (0.6, 0.3), (0.8, 0.45), (0.8, 0.95)]],
    "w": [[(0.05, 0.3), (0.27, 0.95), (0.5, 0.45), (0.73, 0.95), (0.95, 0.3)]],
    "x": [[(0.15, 0.3), (0.85, 0.95)], [(0.85, 0.3), (0.15, 0.95)]],
    "t": [[(0.45, 0.05), (0.45, 0.85), (0.6, 0.95), (0.8, 0.9)], [(0.15, 0.32), (0.8, 0.32)]],
    "T": [[(0.1, 0.08), (0.9, 0.08)], [(0.5, 0.08), (0.5, 0.95)]],
    "U": [[(0.15, 0.05), (0.15, 0.7), (0.3, 0.92), (0.7, 0.92), (0.85, 0.7), (0.85, 0.05)]],
    "V": [[(0.1, 0.05), (0.5, 0.95), (0.9, 0.05)]],
    "u": [[(0.2, 0.35), (0.2, 0.8), (0.35, 0.95), (0.65, 0.95), (0.8, 0.8)], [(0.8, 0.35), (0.8, 0.97)]],
    "π": [[(0.05, 0.2), (0.95, 0.18)], [(0.32, 0.2), (0.3, 0.95)], [(0.68, 0.2), (0.72, 0.9), (0.85, 0.95)]],
    "Ω": [[(0.1, 0.95), (0.35, 0.95), (0.35, 0.85), (0.15, 0.6), (0.2, 0.25), (0.5, 0.05), (0.8, 0.25),
           (0.85, 0.6), (0.65, 0.85), (0.65, 0.95), (0.9, 0.95)]],
    "Σ": [[(0.85, 0.08), (0.15, 0.08), (0.55, 0.5), (0.15, 0.92), (0.85, 0.92)]],
    "&": [[(0.85, 0.95), (0.3, 0.35), (0.32, 0.15), (0.5, 0.05), (0.65, 0.15), (0.6, 0.35), (0.2, 0.65),
           (0.25, 0.9), (0.5, 0.95), (0.85, 0.55)]],
    "%": [[(0.85, 0.05), (0.15, 0.95)], _smooth(np.array([[0.25, 0.1], [0.4, 0.22], [0.25, 0.35], [0.1, 0.22],
                                                            [0.25, 0.1]]), 6),
          _smooth(np.array([[0.75, 0.65], [0.9, 0.78], [0.75, 0.9], [0.6, 0.78], [0.75, 0.65]]), 6)],
}


def letter(rng: np.random.Generator) -> Strokes:
    """One of :data:`LETTERS`, as another hand would write it."""
    name = list(LETTERS)[int(rng.integers(len(LETTERS)))]
    return jitter(LETTERS[name], rng)


def smiley(rng: np.random.Generator) -> Strokes:
    """A face: a ring, two eyes, a smile (the ring alone would be a 0)."""
    t = np.linspace(0, 2 * math.pi, 40)
    ring = list(zip((0.5 + 0.45 * np.cos(t)).tolist(), (0.5 + 0.45 * np.sin(t)).tolist()))
    s = np.linspace(0.2 * math.pi, 0.8 * math.pi, 12)
    mouth = list(zip((0.5 + 0.25 * np.cos(s)).tolist(), (0.52 + 0.22 * np.sin(s)).tolist()))
    return [ring, _line((0.35, 0.3), (0.35, 0.42), 3), _line((0.65, 0.3), (0.65, 0.42), 3), mouth]


def arrow(rng: np.random.Generator) -> Strokes:
    """An arrow: a shaft and a head, any direction."""
    out = [_line((0.05, 0.5), (0.95, 0.5)), [(0.7, 0.25), (0.95, 0.5), (0.7, 0.75)]]
    return _rotate(out, rng.uniform(0, 360))


def _closed(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> Strokes:
    """A closed outline (x, y) turned at random and fitted into the unit square, aspect kept."""
    a = rng.uniform(0, 2 * math.pi)
    u, v = x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)
    u, v = u - u.min(), v - v.min()
    scale = 0.96 / max(u.max(), v.max())
    return [list(zip((0.02 + u * scale).tolist(), (0.02 + v * scale).tolist()))]


def crescent(rng: np.random.Generator) -> Strokes:
    """A crescent moon: a ring with a bite taken out, two horns (closed, but no 0's oval)."""
    d = rng.uniform(0.6, 1.2)  # how far the biting circle sits from the centre
    h = math.acos(d / 2)  # where the two circles meet, as an angle on the outer one
    outer = np.linspace(h, 2 * math.pi - h, 40)
    meet = math.atan2(math.sin(h), math.cos(h) - d)  # the same points seen from the inner circle's centre
    inner = np.linspace(-meet, -2 * math.pi + meet, 40)  # back along the bite, the other way round
    x = np.concatenate([np.cos(outer), d + np.cos(inner)])
    y = np.concatenate([np.sin(outer), np.sin(inner)])
    return _closed(np.append(x, x[0]), np.append(y, y[0]), rng)


def _flower(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The outline (x, y) of 3-6 lobes round a centre, rounded or pinched between them, radius <= 1."""
    k = int(rng.integers(3, 7))
    t = np.linspace(0, 2 * math.pi, 25 * k)
    wave = np.abs(np.cos(k * t / 2)) if rng.random() < 0.5 else 0.5 + 0.5 * np.cos(k * t)
    r = 1 - rng.uniform(0.3, 0.6) * (1 - wave)
    return r * np.cos(t), r * np.sin(t)


def lobed(rng: np.random.Generator) -> Strokes:
    """A flower or a trefoil (:func:`_flower`)."""
    return _closed(*_flower(rng), rng)


def stretched_lobed(rng: np.random.Generator) -> Strokes:
    """A flower squashed along one axis to 0.35-0.8 of its width (then turned at random): a closed outline
    of bumps in a 0's proportions, or wider, which is still no 0."""
    x, y = _flower(rng)
    return _closed(x * rng.uniform(0.35, 0.8), y, rng)


def wobbly(rng: np.random.Generator) -> Strokes:
    """A closed outline bent by two or three waves of 3-7 bumps a turn, each 0.12-0.28 of the radius
    high: a shape with bulges and dents, never an oval (a wave of 2 bumps would only stretch it)."""
    t = np.linspace(0, 2 * math.pi, 150)
    r = np.ones_like(t)
    for k in rng.choice(np.arange(3, 8), size=int(rng.integers(2, 4)), replace=False):
        r += rng.uniform(0.12, 0.28) * np.cos(k * t + rng.uniform(0, 2 * math.pi))
    r = np.maximum(r, 0.25)
    return _closed(r * np.cos(t), r * np.sin(t), rng)


# name -> generator; the benchmark reports each kind separately.
KINDS: dict[str, Callable[[np.random.Generator], Strokes]] = {
    "scribble": scribble, "zigzag": zigzag, "hatching": hatching, "#": hash_sign, "X or +": cross,
    "asterisk": asterisk, "star": star, "spiral": spiral, "tangle": tangle, "filled patch": filled_patch,
    "wave": wave, "letter": letter, "smiley": smiley, "arrow": arrow,
}
# Closed shapes that are no 0 (variants of the training's non-digits, benchmarks.leave_writers_out;
# drawn only when asked for by name: the default recipe asks for "lobed" and "stretched lobed",
# digitlab.models.DEFAULT_EXTRAS).
# A dented oval (a bean) was left out: it looked like a 0.
CLOSED_SHAPES: dict[str, Callable[[np.random.Generator], Strokes]] = {"crescent": crescent, "lobed": lobed,
                                                                      "stretched lobed": stretched_lobed,
                                                                      "wobbly": wobbly}
_MAKERS = KINDS | CLOSED_SHAPES


def random_drawing(rng: np.random.Generator, kinds: list[str] | None = None) -> tuple[str, Strokes]:
    """A random (kind, strokes), jittered like a hand, in the unit square."""
    names = kinds or list(KINDS)
    kind = names[int(rng.integers(len(names)))]
    strokes = _MAKERS[kind](rng)
    return kind, strokes if kind == "letter" else jitter(strokes, rng)


def non_digit_images(count: int, seed: int, kinds: list[str] | None = None,
                     canvas: int = CANVAS, supersample: int = 4) -> tuple[np.ndarray, list[str]]:
    """``count`` random non-digit drawings made MNIST-style as the Draw page does.

    Returns uint8 (M, 28, 28) and the kind of each; drawings the preprocessing
    already refuses (a patch so dense it is a blob) are left out, so M <= count.
    """
    from digitlab.synth.stroke_digits import mnist_style

    rng = np.random.default_rng(seed)
    images, names = [], []
    for _ in range(count):
        kind, strokes = random_drawing(rng, kinds)
        image = mnist_style(strokes, rng, canvas=canvas, supersample=supersample)
        if image is not None:
            images.append(image)
            names.append(kind)
    return (np.stack(images) if images else np.zeros((0, 28, 28), np.uint8)), names
