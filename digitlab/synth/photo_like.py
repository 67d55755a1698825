"""Photos of a digit written on paper, made up, to measure the preprocessing on.

A phone photo of a handwritten digit is not a canvas drawing: the paper is
not white but lit unevenly, a hand or the phone casts a shadow, the ink is
blue or pencil grey, the digit is small in a big picture, and the camera
adds blur, noise and JPEG. :func:`photo` writes a digit (pen strokes in the
unit square, e.g. a real writer's from ``digitlab.synth.pendigits``) on such paper,
with each of those effects switched on by a :class:`Conditions`.
``benchmarks/photos.py`` measures the model on thousands of them and the tests
check that the preprocessing gives nearly the same 28x28 with and without
light and shadow. Never training data.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

# Ink colours as RGB in 0-255: ballpoint black, blue and red, a soft pencil (lighter, greyish).
INKS = {"black": (25, 25, 35), "blue": (30, 55, 170), "red": (175, 30, 35), "pencil": (105, 105, 115)}


@dataclass(frozen=True)
class Conditions:
    """What the photo suffers from; each field off (None/0/False/1.0) is a clean scan."""

    ink: str = "black"  # a key of INKS
    pen: float = 0.06  # pen width as a fraction of the digit's height
    digit_height: float = 0.5  # fraction of the photo's height
    side: int = 600  # the photo's longer side in pixels
    light_gradient: float = 0.0  # darkest corner's brightness lost, 0-1 (0.5: half as bright)
    shadow: float = 0.0  # brightness lost under a soft-edged shadow covering part of the photo, 0-1
    paper_noise: float = 0.0  # standard deviation of the paper's grain, in 0-255 levels
    blur: float = 0.0  # camera blur, Gaussian radius in pixels
    jpeg_quality: int | None = None  # None: no JPEG
    tilt_degrees: float = 0.0  # the digit's rotation on the page
    ruled: bool = False  # notebook paper: light blue lines


def _paper(size: tuple[int, int], c: Conditions, rng: np.random.Generator) -> np.ndarray:
    """float32 (H, W, 3) in 0-255: off-white paper with grain, lit unevenly."""
    w, h = size
    tint = rng.uniform(225, 250) + rng.uniform(-6, 6, 3)
    paper = np.broadcast_to(tint, (h, w, 3)).astype(np.float32).copy()
    if c.ruled:
        step = max(8, int(h * rng.uniform(0.06, 0.1)))
        for y in range(int(rng.integers(step)), h, step):
            paper[y : y + max(1, h // 400)] = (150, 175, 230)
    if c.paper_noise:
        paper += c.paper_noise * rng.standard_normal((h, w, 1), dtype=np.float32)
    return paper


def _light(size: tuple[int, int], c: Conditions, rng: np.random.Generator) -> np.ndarray:
    """float32 (H, W, 1): how lit each pixel is, 1 = fully."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = np.ones((h, w), np.float32)
    if c.light_gradient:
        a = rng.uniform(0, 2 * math.pi)
        ramp = (xx / w - 0.5) * math.cos(a) + (yy / h - 0.5) * math.sin(a)
        ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
        light *= 1.0 - c.light_gradient * ramp
    if c.shadow:
        # A straight-edged shadow (a hand, the phone) over one side, its edge blurred like a soft light's.
        a = rng.uniform(0, 2 * math.pi)
        edge = (xx / w - 0.5) * math.cos(a) + (yy / h - 0.5) * math.sin(a) - rng.uniform(-0.2, 0.3)
        mask = Image.fromarray(((edge > 0) * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(max(2, w / 60)))
        light *= 1.0 - c.shadow * np.asarray(mask, np.float32) / 255.0
    return light[:, :, None]


def photo(strokes: list[list[tuple[float, float]]], c: Conditions, rng: np.random.Generator) -> np.ndarray:
    """A digit's strokes (unit square, y down) written on paper and photographed: uint8 RGB (H, W, 3).

    The digit is written with a round pen of ``c.pen`` times its height, at a
    random place, then light, shadow, blur, noise and JPEG are applied in the
    order a camera would.
    """
    w = c.side
    h = int(round(c.side * rng.uniform(0.75, 1.0)))
    paper = _paper((w, h), c, rng)
    digit_px = c.digit_height * h
    pen = max(1.0, c.pen * digit_px)
    k = 4  # drawn at 4x and reduced: the ink's edge is anti-aliased like a real line's
    top = rng.uniform(0.02, 0.98 - c.digit_height) * h
    left = rng.uniform(0.02, 1 - 0.02 - c.digit_height) * w
    # Only the digit's own patch is drawn at 4x (a 2000-pixel photo at 4x would be 64 million pixels).
    pad = int(math.ceil(pen + 0.3 * digit_px))
    x0, y0 = max(0, int(left) - pad), max(0, int(top) - pad)
    x1, y1 = min(w, int(left + digit_px) + pad), min(h, int(top + digit_px) + pad)
    ink = Image.new("L", ((x1 - x0) * k, (y1 - y0) * k), 0)
    draw = ImageDraw.Draw(ink)
    a = math.radians(c.tilt_degrees)
    for stroke in strokes:
        pts = []
        for x, y in stroke:
            x, y = x - 0.5, y - 0.5
            x, y = x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)
            pts.append(((left - x0 + (x + 0.5) * digit_px) * k, (top - y0 + (y + 0.5) * digit_px) * k))
        draw.line(pts, fill=255, width=max(1, round(pen * k)), joint="curve")
        r = pen * k / 2
        for x, y in (pts[0], pts[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    cover = np.zeros((h, w, 1), np.float32)
    cover[y0:y1, x0:x1, 0] = np.asarray(ink.resize((x1 - x0, y1 - y0), Image.Resampling.BOX), np.float32) / 255.0
    if c.ink == "pencil":  # graphite leaves grainy, uneven marks
        cover = cover * np.clip(rng.normal(0.8, 0.2, cover.shape), 0.3, 1.0).astype(np.float32)
    picture = paper * (1 - cover) + np.array(INKS[c.ink], np.float32) * cover
    picture = picture * _light((w, h), c, rng)
    img = Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))
    if c.blur:
        img = img.filter(ImageFilter.GaussianBlur(c.blur))
    out = np.asarray(img, np.float32) + 2.0 * rng.standard_normal((h, w, 3), dtype=np.float32)  # sensor noise
    img = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    if c.jpeg_quality:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=c.jpeg_quality)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return np.asarray(img)


def phone_photo(rng: np.random.Generator) -> Conditions:
    """Everything at once, at random strengths: what a phone photo of a note looks like."""
    return Conditions(
        ink=str(rng.choice(["black", "black", "blue", "blue", "red", "pencil"])),
        pen=rng.uniform(0.03, 0.12), digit_height=rng.uniform(0.15, 0.8), side=int(rng.integers(400, 1600)),
        light_gradient=rng.uniform(0, 0.6), shadow=rng.uniform(0, 0.5) if rng.random() < 0.5 else 0.0,
        paper_noise=rng.uniform(0, 8), blur=rng.uniform(0, 2.0), jpeg_quality=int(rng.integers(35, 95)),
        tilt_degrees=rng.uniform(-10, 10), ruled=bool(rng.random() < 0.2),
    )


# name -> how its photos differ from a clean scan (the benchmark's rows).
CONDITIONS: dict[str, Conditions] = {
    "clean scan": Conditions(),
    "uneven light": Conditions(light_gradient=0.55),
    "shadow": Conditions(shadow=0.5),
    "blue ink": Conditions(ink="blue"),
    "red ink": Conditions(ink="red"),
    "pencil": Conditions(ink="pencil", pen=0.04),
    "thin pen": Conditions(pen=0.025),
    "small in a big photo": Conditions(digit_height=0.12, side=2000),
    "blur, noise and JPEG": Conditions(blur=1.5, paper_noise=6, jpeg_quality=40),
    "ruled paper": Conditions(ruled=True),
}


def with_tilt(c: Conditions, rng: np.random.Generator) -> Conditions:
    """``c`` with the small random tilt any hand gives a digit on a page."""
    return replace(c, tilt_degrees=rng.uniform(-8, 8))
