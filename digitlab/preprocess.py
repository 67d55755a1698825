"""Turn any picture of one digit into a 28x28 MNIST-style image.

MNIST was made like this (LeCun et al.): the digit's bounding box was scaled so
that its longer side is 20 pixels, keeping the aspect ratio, with anti-aliasing
(so there are grey levels), then placed in a 28x28 field so that its centre of
mass is at the centre. :func:`preprocess` does the same and keeps every step,
so the app can show a learner why an off-centre or small digit still works.

Images in and out are "ink maps": float32, 0 = background, 1 = full ink, which
is MNIST's own polarity (white digit on black); :mod:`digitlab.ink` makes them
from any picture (a canvas drawing, a photo on uneven paper).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from digitlab.ink import INK_THRESHOLD, ink_and_paper, reduce_if_huge, to_ink

FIT_SIZE = 20
OUT_SIZE = 28
# Mean centre of mass of the 60,000 MNIST training digits, (row, col) in pixel
# indices, measured by benchmarks/mnist_stats.py: 14.00, 14.01 (sd 0.29). Not
# 13.5, the middle of the field, which a naive centring would use.
MNIST_CENTRE = (14.0, 14.0)
# Median stroke width of MNIST digits as a fraction of the ink box's longer
# side (about 2.9 px of 20), also from benchmarks/mnist_stats.py.
MNIST_STROKE_FRACTION = 0.143

MIN_SIZE_FRACTION = 0.04  # a box smaller than this part of the image is a speck
MIN_LENGTH_TO_WIDTH = 2.0  # a digit is several strokes wide; a dot is about one
# A mark apart from the rest, no longer than this many stroke widths and with less than this
# share of the ink, is a stray dot (a tap of a finger, a speck on a scan), not part of the digit.
STRAY_DOT_TO_WIDTH = 1.6
STRAY_DOT_SHARE = 0.1
STROKE_WIDTH_SIDE = 300  # pen widths of bigger pictures (photos) are measured on a reduced copy
# A shape coloured in, not written with a pen: the share of the 28x28's ink (pixels over 0.5) lying
# FILLED_DEPTH pixels or more inside it. MNIST's strokes are about 2.9 px wide, so little of their
# ink lies that deep. The threshold is about the 99.95th percentile of the 60,000 MNIST training
# digits (31 are over it: very thick 8s, 0s and 6s; of the test digits 4); no pendigits train-split
# drawing (7,494, drawn as on the canvas) is over it, and of solid shapes drawn on the canvas that
# pass the dot test, 77% are.
FILLED_DEPTH = 2.5
FILLED_SHARE = 0.35



@dataclass(frozen=True)
class Preprocessed:
    """Every step of :func:`preprocess`; arrays are float32 ink maps in [0, 1].

    ``ink``: the whole input as an ink map, (H, W) (reduced first if it was huge).
    ``paper``: for a photo or scan, the brightness of its paper as estimated (H, W),
    which was divided out of ``ink`` to even out light and shadow; None for a drawing.
    ``box``: (top, left, bottom, right) of the ink, bottom/right exclusive; stray dots
    (see :func:`without_stray_dots`) are left out of it and of the later steps.
    ``cropped``: ``ink`` cut to ``box`` (after stroke normalisation if it was asked for).
    ``fitted``: ``cropped`` scaled so its longer side is 20, shape (h, w).
    ``image``: the (28, 28) the model sees, centre of mass at the centre.
    ``problem``: why this is not a digit: "empty", "speck" or "dot" (then the later steps are
    None), or "filled" (then only ``image`` is None).
    """

    ink: np.ndarray
    paper: np.ndarray | None = None
    box: tuple[int, int, int, int] | None = None
    cropped: np.ndarray | None = None
    fitted: np.ndarray | None = None
    image: np.ndarray | None = None
    problem: str | None = None

    @property
    def is_digit(self) -> bool:
        return self.problem is None


def ink_box(ink: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of pixels above ``threshold``, or None if there are none."""
    rows = np.flatnonzero((ink > threshold).any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero((ink > threshold).any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels: ink area over skeleton length.

    A median over the whole stroke, so a blot where lines cross does not count
    as thick. Used to tell a dot (about as long as it is wide) from a digit.
    """
    from skimage.morphology import skeletonize

    factor = int(np.ceil(max(ink.shape) / STROKE_WIDTH_SIDE))
    if factor > 1:  # a photo's big crop: skeletonising it cost 30+ ms, on a reduced copy a few
        h, w = ink.shape
        small = Image.fromarray(ink.astype(np.float32), mode="F").resize((max(1, w // factor), max(1, h // factor)),
                                                                           Image.Resampling.BOX)
        return factor * stroke_width(np.asarray(small))
    mask = ink > 0.5
    if not mask.any():
        return 0.0
    length = max(int(skeletonize(mask).sum()), 1)
    return float(mask.sum()) / length


def without_stray_dots(ink: np.ndarray) -> np.ndarray:
    """``ink`` (H, W) with stray dots erased: separate marks about a pen width across holding
    under 10% of the ink. MNIST's bounding box would take them in and shrink the digit.

    The biggest mark always stays, so a lone dot is still refused as a dot.
    """
    labels, n = ndimage.label(ink > INK_THRESHOLD, structure=np.ones((3, 3)))
    if n < 2:
        return ink
    masses = np.asarray(ndimage.sum(ink, labels, index=np.arange(1, n + 1)))
    light = [k for k in range(n) if k != masses.argmax() and masses[k] < STRAY_DOT_SHARE * masses.sum()]
    if not light:
        return ink  # only heavy marks (a digit in several strokes): no need to measure the pen
    width = stroke_width(ink)
    boxes = ndimage.find_objects(labels)
    stray = [k + 1 for k in light
             if max(boxes[k][0].stop - boxes[k][0].start, boxes[k][1].stop - boxes[k][1].start)
             <= STRAY_DOT_TO_WIDTH * width]
    if not stray:
        return ink
    out = ink.copy()
    # Grown by two pixels so that the dot's faint anti-aliased rim goes too.
    out[ndimage.binary_dilation(np.isin(labels, stray), iterations=2)] = 0.0
    return out


def normalise_stroke(ink: np.ndarray, fraction: float = MNIST_STROKE_FRACTION) -> np.ndarray:
    """Redraw the digit with a round pen of MNIST's relative stroke width.

    ``ink`` is a cropped ink map (h, w). Its skeleton is drawn again with a pen
    ``fraction`` times the longer side wide, edges anti-aliased over one pixel.
    A canvas pen is the same width whatever the digit's size, so a small digit
    drawn with a wide pen becomes a blob after scaling; this undoes that.
    """
    from skimage.morphology import skeletonize

    skeleton = skeletonize(ink > 0.5)
    box = ink_box(skeleton.astype(np.float32))
    if box is None:
        return ink
    # Crop to the centre line: the old pen's overhang must not set the size.
    skeleton = skeleton[box[0] : box[2], box[1] : box[3]]
    # The new pen is `fraction` of the *new* box, centre line plus pen width.
    pen = fraction * max(skeleton.shape) / (1.0 - fraction)
    radius = max(pen / 2.0, 0.5)
    pad = int(np.ceil(radius)) + 1
    distance = ndimage.distance_transform_edt(~np.pad(skeleton, pad))
    return np.clip(radius + 0.5 - distance, 0.0, 1.0).astype(np.float32)


def filled_share(image: np.ndarray) -> float:
    """The share of ``image``'s ink (float (28, 28) in [0, 1], pixels over 0.5) at least
    :data:`FILLED_DEPTH` pixels from the paper: 0 for hairlines, about 0.5 for a filled disc."""
    ink = image > 0.5
    if not ink.any():
        return 0.0
    return float((ndimage.distance_transform_edt(ink) >= FILLED_DEPTH).sum() / ink.sum())


def fit_box(cropped: np.ndarray, size: int = FIT_SIZE) -> np.ndarray:
    """Scale so the longer side is ``size`` pixels, aspect kept, anti-aliased.

    Returns float32 (h, w) with max(h, w) == size.
    """
    h, w = cropped.shape
    scale = size / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    # Lanczos with PIL's scale-aware support: area-averaging when shrinking a
    # big canvas, smooth when enlarging a small crop. It rings slightly; clip.
    resized = Image.fromarray(cropped.astype(np.float32), mode="F").resize(
        (new_w, new_h), Image.Resampling.LANCZOS
    )
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def centre_by_mass(fitted: np.ndarray, size: int = OUT_SIZE, centre: tuple[float, float] = MNIST_CENTRE) -> np.ndarray:
    """Paste ``fitted`` into a (size, size) field with its centre of mass at ``centre``.

    Whole-pixel shift (no resampling blur), kept inside the field.
    """
    h, w = fitted.shape
    com_r, com_c = ndimage.center_of_mass(fitted)
    top = int(np.clip(round(centre[0] - com_r), 0, size - h))
    left = int(np.clip(round(centre[1] - com_c), 0, size - w))
    out = np.zeros((size, size), dtype=np.float32)
    out[top : top + h, left : left + w] = fitted
    return out


def preprocess(
    image: np.ndarray | Image.Image, *, normalise_strokes: bool = False, drop_stray_dots: bool = True
) -> Preprocessed:
    """MNIST-style preprocessing of one picture of a digit; see the module docstring.

    ``image``: greyscale (H, W), RGB (H, W, 3) or RGBA (H, W, 4); uint8 0-255 or
    float 0-1; any size; either polarity. Returns every intermediate step. An
    empty picture, a dot, a speck or a shape coloured in gives ``problem`` instead of an image.
    ``drop_stray_dots``: leave stray dots out (:func:`without_stray_dots`); off
    only to measure what that is worth.
    """
    ink, paper = ink_and_paper(reduce_if_huge(image))
    digit = without_stray_dots(ink) if drop_stray_dots else ink
    box = ink_box(digit)
    if box is None:
        return Preprocessed(ink=ink, paper=paper, problem="empty")
    top, left, bottom, right = box
    cropped = digit[top:bottom, left:right]
    longer = max(cropped.shape)
    if longer < max(3, MIN_SIZE_FRACTION * max(ink.shape)):
        return Preprocessed(ink=ink, paper=paper, box=box, cropped=cropped, problem="speck")
    if longer < MIN_LENGTH_TO_WIDTH * stroke_width(cropped):
        return Preprocessed(ink=ink, paper=paper, box=box, cropped=cropped, problem="dot")
    if normalise_strokes:
        cropped = normalise_stroke(cropped)
    fitted = fit_box(cropped)
    image = centre_by_mass(fitted)
    if filled_share(image) > FILLED_SHARE:
        return Preprocessed(ink=ink, paper=paper, box=box, cropped=cropped, fitted=fitted, problem="filled")
    return Preprocessed(ink=ink, paper=paper, box=box, cropped=cropped, fitted=fitted, image=image)


def as_mnist_uint8(image: np.ndarray | Image.Image) -> np.ndarray | None:
    """``image`` made MNIST-style by :func:`preprocess`, in MNIST's own format: uint8 (28, 28), 0-255;
    None if the preprocessing refuses it. How the synthetic sets are stored."""
    steps = preprocess(image)
    return None if steps.image is None else np.round(steps.image * 255).astype(np.uint8)


def image_for_saving(steps: Preprocessed) -> np.ndarray | None:
    """The float32 (28, 28) to keep with a user's own label for the picture of ``steps``: the one
    the model saw, or, for a picture the preprocessing refused as a dot, a speck or filled, the same steps
    done anyway (the user says it is a digit: a short 1 drawn with a wide pen is refused as a
    dot). None when it holds no ink at all: there is nothing to keep."""
    if steps.image is not None:
        return steps.image
    if steps.cropped is None:
        return None
    return centre_by_mass(fit_box(steps.cropped))


def naive_resize(image: np.ndarray | Image.Image) -> np.ndarray:
    """The whole picture squashed to 28x28, no cropping or centring: for comparison."""
    ink = to_ink(image)
    out = Image.fromarray(ink, mode="F").resize((OUT_SIZE, OUT_SIZE), Image.Resampling.BOX)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


PROBLEM_MESSAGES = {
    "empty": "Nothing drawn yet.",
    "speck": "That is only a tiny speck.",
    "dot": "That looks like a dot or a blob, not a digit.",
    "filled": "That looks like a shape coloured in, not a digit written with a pen.",
}
