"""Drawings that are no digit: how often the model still answers a confident digit.

    python -m benchmarks.non_digits [--model ID ...] [--per-kind 100] [--seed 1000]

Every kind of ``digitlab.synth.non_digits.KINDS`` (scribbles, zigzags, hatching, #,
X, stars, letters, filled patches, ...) is drawn ``--per-kind`` times on the
canvas at a random size, place and pen, with a seed the training never uses
(it draws with seed 2 and up). Kinds the training never saw at all test
whether the refusal generalises: typeset letters and symbols (Pillow's own
font, not strokes), polygons (triangles, squares, diamonds, pentagons; a
square can be a boxy 0 and a triangle a closed 4, so some "digit" answers
there are fair), doodles (:data:`DOODLES`: a heart, a house, a sun, a check
mark, a stick figure, a cloud, a lightning bolt) and filled shapes
(``digitlab.synth.filled_shapes``: a disc, an oval, a blob, a heart or a polygon,
coloured in with the pen on the canvas, or solid in a picture).

A drawing is **answered confidently** when it gets a digit with at least 70%
(the issue's measure); the app calls anything below
``digitlab.inference.UNSURE_BELOW`` "not sure" and refuses a drawing the
preprocessing or the model turns down ("not a digit").
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from benchmarks import each_model
from digitlab.inference import Classifier
from digitlab.synth import filled_shapes
from digitlab.synth.non_digits import KINDS, random_drawing
from digitlab.preprocess import as_mnist_uint8
from digitlab.synth.stroke_digits import jitter, mnist_style

CONFIDENT = 0.7
GLYPHS = "AEFHKMNRWXYaehkmnwx#&%@*+=<>$€"


@dataclass
class Drawn:
    """uint8 (M, 28, 28) of the drawings the preprocessing accepted, their kinds (M,), and per kind
    how many the preprocessing already refused (those count as refused, rightly)."""

    images: np.ndarray
    kinds: np.ndarray
    refused: dict[str, int]


def glyph(rng: np.random.Generator) -> np.ndarray | None:
    """A typeset letter or symbol, rotated a little, as a picture (not strokes): uint8 (28, 28)."""
    font = ImageFont.load_default(size=int(rng.integers(60, 140)))
    img = Image.new("L", (220, 220), 0)
    ImageDraw.Draw(img).text((110, 110), GLYPHS[int(rng.integers(len(GLYPHS)))], fill=255, font=font, anchor="mm")
    return as_mnist_uint8(np.asarray(img.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR)))


def polygon(rng: np.random.Generator) -> np.ndarray | None:
    """A triangle, square, diamond or pentagon outline, drawn as one stroke."""
    sides = int(rng.choice([3, 4, 4, 5]))
    start = rng.uniform(0, 360)
    pts = [(0.5 + 0.45 * math.cos(math.radians(start + 360 * k / sides)),
            0.5 + 0.45 * math.sin(math.radians(start + 360 * k / sides))) for k in range(sides + 1)]
    return mnist_style(jitter([pts], rng), rng)


def _ring(cx: float, cy: float, r: float, n: int = 24) -> list[tuple[float, float]]:
    t = np.linspace(0, 2 * math.pi, n)
    return list(zip((cx + r * np.cos(t)).tolist(), (cy + r * np.sin(t)).tolist()))


# Doodles people draw that are no digit and that the training never draws (strokes in the unit square).
DOODLES: dict[str, list[list[tuple[float, float]]]] = {
    "heart": [[(0.5, 0.9), (0.15, 0.5), (0.12, 0.28), (0.25, 0.12), (0.4, 0.14), (0.5, 0.3), (0.6, 0.14),
               (0.75, 0.12), (0.88, 0.28), (0.85, 0.5), (0.5, 0.9)]],
    "house": [[(0.2, 0.95), (0.2, 0.45), (0.8, 0.45), (0.8, 0.95), (0.2, 0.95)], [(0.1, 0.5), (0.5, 0.08), (0.9, 0.5)]],
    "sun": [_ring(0.5, 0.5, 0.2)] + [[(0.5 + 0.28 * math.cos(a), 0.5 + 0.28 * math.sin(a)),
                                      (0.5 + 0.45 * math.cos(a), 0.5 + 0.45 * math.sin(a))]
                                     for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)],
    "check mark": [[(0.1, 0.55), (0.38, 0.9), (0.92, 0.1)]],
    "stick figure": [_ring(0.5, 0.15, 0.12, 16), [(0.5, 0.27), (0.5, 0.65)], [(0.2, 0.42), (0.8, 0.42)],
                     [(0.25, 0.95), (0.5, 0.65), (0.75, 0.95)]],
    "cloud": [[(0.15, 0.7), (0.08, 0.55), (0.2, 0.4), (0.32, 0.42), (0.38, 0.25), (0.55, 0.2), (0.68, 0.32),
               (0.82, 0.3), (0.92, 0.48), (0.85, 0.7), (0.15, 0.7)]],
    "lightning": [[(0.6, 0.05), (0.3, 0.5), (0.55, 0.5), (0.35, 0.95)]],
}


def doodle(name: str) -> Callable[[np.random.Generator], np.ndarray | None]:
    """A maker of doodle ``name``, rotated a little and jittered like a hand."""
    def make(rng: np.random.Generator) -> np.ndarray | None:
        a = math.radians(rng.uniform(-15, 15))
        c, s = math.cos(a), math.sin(a)
        turned = [[(0.5 + (x - 0.5) * c - (y - 0.5) * s, 0.5 + (x - 0.5) * s + (y - 0.5) * c) for x, y in st]
                  for st in DOODLES[name]]
        return mnist_style(jitter(turned, rng), rng)
    return make


def draw(per_kind: int, seed: int) -> Drawn:
    rng = np.random.default_rng(seed)
    images, kinds, refused = [], [], {}
    makers = {kind: (lambda r, k=kind: mnist_style(random_drawing(r, [k])[1], r)) for kind in KINDS}
    makers |= {"typeset glyph (unseen)": glyph, "polygon (unseen)": polygon}
    makers |= {f"{name} (unseen)": doodle(name) for name in DOODLES}
    makers |= {"filled shape, coloured in (unseen)": lambda r: as_mnist_uint8(filled_shapes.coloured_in(r)[1]),
               "filled shape, picture (unseen)": lambda r: as_mnist_uint8(filled_shapes.solid_picture(r)[1])}
    for kind, make in makers.items():
        for _ in range(per_kind):
            image = make(rng)
            if image is None:
                refused[kind] = refused.get(kind, 0) + 1
            else:
                images.append(image)
                kinds.append(kind)
    return Drawn(np.stack(images), np.array(kinds), refused)


def report(classifier: Classifier, drawn: Drawn) -> dict:
    """Prints the share answered with a confident digit, pooled and per kind; returns the pooled
    share over the kinds the training knows and over the unseen ones, and under "per kind" each
    kind's (a drawing the preprocessing refused counts as not answered)."""
    confidence = classifier.probabilities(drawn.images).max(axis=1)
    confident = confidence >= CONFIDENT
    out: dict = {"per kind": {}}
    for group, unseen in (("kinds the training draws", False), ("unseen kinds", True)):
        kinds = [k for k in dict.fromkeys([*drawn.kinds, *drawn.refused]) if k.endswith("(unseen)") == unseen]
        for k in kinds:
            out["per kind"][k] = float(confident[drawn.kinds == k].sum() / ((drawn.kinds == k).sum() + drawn.refused.get(k, 0)))
        mask = np.isin(drawn.kinds, kinds)
        total = mask.sum() + sum(drawn.refused.get(k, 0) for k in kinds)
        out[group] = float(confident[mask].sum() / max(total, 1))
        print(f"  {group}: {out[group]:.1%} answered with a confident digit (≥{CONFIDENT:.0%}) of {total:,}")
        print("    " + "  ".join(f"{k} {out['per kind'][k]:.0%}" for k in kinds))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", nargs="*", help="model ids (default: the active model)")
    ap.add_argument("--per-kind", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1000)
    args = ap.parse_args()
    drawn = draw(args.per_kind, args.seed)
    print(f"{len(drawn.kinds) + sum(drawn.refused.values()):,} non-digit drawings, {args.per_kind} per kind "
          f"(seed {args.seed}); refused by the preprocessing: {sum(drawn.refused.values())}")
    for _, classifier in each_model(args.model):
        report(classifier, drawn)


if __name__ == "__main__":
    main()
