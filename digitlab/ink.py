"""From any picture to an ink map: a drawing's strokes, or a photo's ink on uneven paper.

An "ink map" is float32 (H, W) in [0, 1]: 0 = background, 1 = full ink, MNIST's own
polarity. The canvas gives strokes on a transparent sheet (its alpha is the ink); a
small picture (an MNIST image) is only inverted and stretched; a photo or a scan has
its paper's light divided out first, so uneven light, shadows and ink of any colour
give the same ink map as a clean scan (measured by benchmarks/photos.py). Printed
lines and faint marks at the edge are taken out. :mod:`digitlab.preprocess` then
finds the digit in the ink map and makes it MNIST-style.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

INK_THRESHOLD = 0.2  # what counts as ink when finding the bounding box
MIN_CONTRAST = 0.15  # darkest ink minus background; below this the image is blank
MAX_WORK_SIDE = 560  # huge uploads are reduced first: detail past this is noise


# Photos and scans (anything but the canvas's transparent sheet). The paper's own light is
# estimated on a copy reduced to PAPER_GRID pixels across its longer side, with ink taken out by
# a grey closing (a max then a min filter) of PAPER_WINDOW pixels there: wide enough to remove a
# marker stroke a sixth of the picture wide, narrow beside the shading of a page, and a closing
# keeps a shadow's edge where it is (it only fills dark marks smaller than its window). Dividing
# by it evens out uneven light and shadows; measured by benchmarks/photos.py.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # luminance weights, ITU-R BT.601 (as PIL's "L")
PHOTO_MIN_SIDE = 100  # smaller pictures (an MNIST image, an icon) are taken as they are
PAPER_GRID = 128
PAPER_WINDOW = 21
# A mark wider than PAPER_WINDOW every way (a disc coloured in) is taken for paper by the closing,
# and only its rim was left as ink: a filled disc in a picture was read as a 0, 100% sure. Where the
# paper's estimated light falls under FILLED_PAPER of the page's own (its 90th percentile), it is ink,
# if the patch around it, where the light falls under SHADED_PAPER, does not reach the picture's
# edge. A shadow, uneven light or the table round the page do reach it: in benchmarks/photos.py a
# shadow takes up to half the light, uneven light on top of it up to 0.8, always from one side. (The
# patch is cut where the light falls a little, not at FILLED_PAPER: a shadow taking half the light
# broke into specks round that level, and some of them lay inside the picture.)
FILLED_PAPER = 0.4
SHADED_PAPER = 0.75
# What is ink: darker than the paper by more than its grain. The grain is the spread of the
# paper's darkness (median absolute deviation, most pixels being paper) times this.
PAPER_NOISE_SIGMAS = 4.0
# Ruled or squared paper: a dark line crossing (nearly) the whole picture is a printed line, not
# the digit; people leave a margin around what they write. Looked for up to a few degrees from
# the horizontal and the vertical (a photo is rarely square to the page), in bands of 3 pixels.
PRINTED_LINE_SPAN = 0.85
LINE_TILT_DEGREES = 4.0
LINE_BAND = 3
# A separate mark that touches the photo's edge and is this faint on average (a stroke of the pen
# is about 1 after stretching) is what a shadow's edge or the page's rim leaves, not ink.
EDGE_MARK_INK = 0.5


def to_ink(image: np.ndarray | Image.Image) -> np.ndarray:
    """Any greyscale, RGB or RGBA picture -> ink map, float32 (H, W) in [0, 1].

    See :func:`ink_and_paper`, which also returns the paper's estimated light.
    """
    return ink_and_paper(image)[0]


def ink_and_paper(image: np.ndarray | Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Any greyscale, RGB or RGBA picture -> (ink map float32 (H, W) in [0, 1], paper or None).

    RGBA with a transparent background (the drawing canvas): ink is the alpha,
    and there is no paper. Small pictures (an MNIST image): the luminance,
    inverted when the background (the median of the border) is light, the
    background level subtracted and the darkest ink stretched to 1. Photos and
    scans: see :func:`photo_ink`.
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"expected a greyscale, RGB or RGBA image, got shape {a.shape}")
    if a.size == 0:
        raise ValueError("the image is empty (0 pixels)")
    a = a.astype(np.float32)
    if a.max() > 1.0:
        a /= 255.0

    if a.ndim == 3 and a.shape[2] == 4:
        alpha = a[:, :, 3]
        opaque = alpha > 0.99
        # Strokes on a transparent sheet: the alpha channel is the drawing. Also when they cover most
        # of it in one colour: a disc coloured in over half the canvas came out blank ("nothing drawn").
        if opaque.mean() < 0.5 or ((alpha < 0.01).any() and np.ptp(a[:, :, :3][opaque]) < MIN_CONTRAST):
            return np.clip(alpha, 0.0, 1.0), None
        a = a[:, :, :3] * alpha[:, :, None] + (1.0 - alpha[:, :, None])  # over white
    if min(a.shape[:2]) >= PHOTO_MIN_SIDE:
        return photo_ink(a)
    if a.ndim == 3:
        a = a[:, :, :3] @ LUMA

    background = float(np.median(_border(a)))
    ink = 1.0 - a if background > 0.5 else a
    floor = 1.0 - background if background > 0.5 else background
    peak = float(ink.max())
    if peak - floor < MIN_CONTRAST:
        return np.zeros_like(ink), None
    return np.clip((ink - floor) / (peak - floor), 0.0, 1.0), None


def canvas_strokes(picture: np.ndarray) -> np.ndarray:
    """What a drawing canvas sends, uint8 RGBA (H, W, 4) -> its strokes on a transparent sheet,
    uint8 RGBA (H, W, 4): white, the alpha being how much of the white pen shows (its alpha times
    its brightness).

    streamlit-drawable-canvas paints its black background into the picture it sends: opaque
    everywhere, it was taken for a photo of a dark board, its "paper" divided out, its ink
    stretched and its printed lines looked for (a 7 whose bar crossed the 300 px canvas lost
    1,565 of the 5,450 pixels of its bar's rows as a "printed line"). As a transparent sheet it is what
    :func:`ink_and_paper` reads as a drawing: the ink is the strokes themselves. A picture that
    is a transparent sheet already (white strokes) comes out the same.
    """
    a = np.asarray(picture)
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 4:
        raise ValueError(f"expected a uint8 RGBA canvas picture, got {a.dtype} {a.shape}")
    out = np.full_like(a, 255)
    # np.maximum of the three channels, not .max(axis=2): a reduction over an axis of 3 was 5% of the
    # server's CPU per stroke (py-spy), the element-wise maximum is a few times cheaper.
    brightest = np.maximum(np.maximum(a[:, :, 0], a[:, :, 1]), a[:, :, 2])
    shown = a[:, :, 3].astype(np.uint16) * brightest
    out[:, :, 3] = ((shown + 127) // 255).astype(np.uint8)
    return out


def _border(a: np.ndarray) -> np.ndarray:
    k = max(1, min(a.shape) // 50)
    return np.concatenate([a[:k].ravel(), a[-k:].ravel(), a[:, :k].ravel(), a[:, -k:].ravel()])


def _coarse(channel: np.ndarray) -> np.ndarray:
    """``channel`` (H, W) reduced to PAPER_GRID pixels across its longer side (box filter)."""
    h, w = channel.shape
    scale = PAPER_GRID / max(h, w)
    size = (max(4, round(w * scale)), max(4, round(h * scale)))
    return np.asarray(Image.fromarray(channel.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX))


# The median's window: PAPER_WINDOW wide, every other row and column (121 of 441 pixels). The same
# median of the paper around a pixel, at a quarter of the cost: the full window took 270 of the 400 ms
# a photo's preprocessing cost (cProfile, 10 photos of 600x560).
_SPARSE_WINDOW = np.zeros((PAPER_WINDOW, PAPER_WINDOW), dtype=bool)
_SPARSE_WINDOW[::2, ::2] = True


def has_dark_ink(luma: np.ndarray) -> bool:
    """Whether the marks on ``luma`` (H, W) are darker than the paper (pen on paper) or lighter
    (chalk on a board, an MNIST-style image).

    Not by the median brightness: a shadow over half a page makes the paper dark there. On a
    coarse copy, each pixel is compared with the median around it (a median ignores marks that
    cover less than half of its window, whatever their side, and keeps a shadow's edge); marks
    stand out on one side, darker or lighter, by more than the grain.
    """
    small = _coarse(luma)
    around = small - ndimage.median_filter(small, footprint=_SPARSE_WINDOW, mode="nearest")
    grain = 1.4826 * float(np.median(np.abs(around)))
    darker = np.clip(-around - 3 * grain, 0, None).sum()
    lighter = np.clip(around - 3 * grain, 0, None).sum()
    return bool(darker >= lighter)


def paper_light(channel: np.ndarray, dark_ink: bool) -> np.ndarray:
    """The paper's brightness under the marks: float32 (H, W) in (0, 1], same shape as ``channel``.

    Estimated on a copy PAPER_GRID pixels across: a grey closing (for dark
    ink; an opening for light ink on a dark board) removes the marks, a blur
    smooths it, and it is scaled back up.
    """
    h, w = channel.shape
    small = _coarse(channel)
    morph = ndimage.grey_closing if dark_ink else ndimage.grey_opening
    held = morph(small, size=PAPER_WINDOW, mode="nearest")
    # Past the picture's edge the light is also carried on as it runs (an odd reflection). Held flat,
    # light that dims towards a side ended in a step the closing took for paper, and a strip along that
    # side came out as faint ink, enough to hide a small digit; carried on, a dark line near the edge
    # (ruled paper) comes back beyond it as a bright one, with the same effect. A closing only ever
    # lifts the light, so of the two the lower is kept (for an opening, which only lowers it, the higher).
    pad = PAPER_WINDOW
    carried = morph(np.pad(small, pad, mode="reflect", reflect_type="odd"), size=PAPER_WINDOW,
                    mode="nearest")[pad:-pad, pad:-pad]
    light = ndimage.gaussian_filter(np.minimum(held, carried) if dark_ink else np.maximum(held, carried), 1.0,
                                    mode="nearest")
    big = Image.fromarray(light.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(big, dtype=np.float32), 1e-3, 1.0)


def photo_ink(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A photo or scan, float32 (H, W) or (H, W, 3) in [0, 1] -> (ink map (H, W), paper (H, W)).

    1. Dark ink on light paper, or light on dark (:func:`has_dark_ink`).
    2. The paper's light, per colour channel (:func:`paper_light`), divided out: uneven light and
       shadows are gone.
    3. Darkness is the largest drop below the paper in any channel, so blue, red and pencil ink
       count as well as black.
    4. What is darker than the paper by less than its grain is not ink; printed lines are set
       aside; the rest is stretched so the typical dark stroke is 1 (the 90th percentile of what is
       left: a few dark blots do not make the rest faint).
    5. A mark too wide for the paper's estimate to take out (a shape coloured in) is ink all over
       (:func:`filled_marks`), not paper with an inky rim.
    6. Printed lines across the whole picture (ruled or squared paper) are taken out, and so are
       faint marks at the picture's edge (:func:`without_edge_marks`).
    """
    channels = rgb[:, :, None] if rgb.ndim == 2 else rgb
    luma = channels[:, :, 0] if channels.shape[2] == 1 else channels @ LUMA
    dark_ink = has_dark_ink(luma)
    drops, papers = [], []
    for k in range(channels.shape[2]):
        c = channels[:, :, k]
        paper = paper_light(c, dark_ink)
        papers.append(paper)
        drops.append(1.0 - c / paper if dark_ink else (c - paper) / np.maximum(1.0 - paper, 1e-3))
    darkness = np.max(drops, axis=0)
    paper = np.stack(papers, axis=-1) @ LUMA if len(papers) == 3 else papers[0]
    centre = float(np.median(darkness))
    grain = 1.4826 * float(np.median(np.abs(darkness - centre)))  # the MAD as a standard deviation
    floor = centre + max(PAPER_NOISE_SIGMAS * grain, 0.02)
    # Printed lines out before the strokes' level is taken: on ruled paper the lines were most of
    # what stood above the grain, and a small digit's strokes fell in their top tenth.
    darkness = without_printed_lines(darkness, threshold=floor)
    marks = darkness[darkness > floor]
    if marks.size == 0 or float(np.percentile(marks, 90)) - floor < MIN_CONTRAST:
        return np.zeros_like(darkness), paper.astype(np.float32)
    level = float(np.percentile(marks, 90))
    ink = np.clip((darkness - floor) / (level - floor), 0.0, 1.0).astype(np.float32)
    ink[filled_marks(paper, dark_ink)] = 1.0
    return without_edge_marks(without_printed_lines(ink)), paper.astype(np.float32)


def filled_marks(paper: np.ndarray, dark_ink: bool) -> np.ndarray:
    """Where the estimated ``paper`` light (H, W) is a mark too wide for :func:`paper_light` to take
    out: bool (H, W), True under :data:`FILLED_PAPER` of the page's light (over it, for light ink on a
    dark board) in patches under :data:`SHADED_PAPER` that do not reach the picture's edge."""
    if dark_ink:
        light = paper / max(float(np.percentile(paper, 90)), 1e-3)
    else:
        board = float(np.percentile(paper, 10))
        light = 1.0 - (paper - board) / max(1.0 - board, 1e-3)
    patches, n = ndimage.label(light < SHADED_PAPER)
    if n == 0:
        return np.zeros(paper.shape, bool)
    at_edge = np.unique(np.concatenate([patches[0], patches[-1], patches[:, 0], patches[:, -1]]))
    return np.isin(patches, np.setdiff1d(np.arange(1, n + 1), at_edge)) & (light < FILLED_PAPER)


def without_edge_marks(ink: np.ndarray) -> np.ndarray:
    """``ink`` (H, W) without faint separate marks that touch the picture's edge.

    What is left of a shadow's edge, the rim of the page or a fold runs into the edge of a photo,
    and is fainter than the pen (under EDGE_MARK_INK on average, where a stroke is about 1); a
    digit is framed inside the picture. The biggest mark always stays.
    """
    labels, n = ndimage.label(ink > INK_THRESHOLD, structure=np.ones((3, 3)))
    if n < 2:
        return ink
    index = np.arange(1, n + 1)
    masses = np.asarray(ndimage.sum(ink, labels, index))
    means = np.asarray(ndimage.mean(ink, labels, index))
    edge = np.zeros(n + 1, bool)
    edge[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = True
    faint = [k for k in index if edge[k] and means[k - 1] < EDGE_MARK_INK and k - 1 != masses.argmax()]
    if not faint:
        return ink
    out = ink.copy()
    out[np.isin(labels, faint)] = 0.0
    return out


def without_printed_lines(ink: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """``ink`` (H, W) without the printed lines of ruled or squared paper (what is over ``threshold``
    is looked at).

    A line is a band :data:`LINE_BAND` pixels wide, tilted at most
    :data:`LINE_TILT_DEGREES` from the horizontal (or the vertical), with ink in
    at least PRINTED_LINE_SPAN of the columns (rows) it crosses: people leave a
    margin around what they write, so no digit's bar spans the whole picture.
    The band's ink is erased except where a stroke crosses it (ink just above
    and just below).
    """
    mask = ink > threshold
    if not mask.any():
        return ink
    out = ink
    for horizontal in (True, False):
        m = mask if horizontal else mask.T
        for top, tilt in _line_bands(m):
            out = out.copy() if out is ink else out
            view = out if horizontal else out.T
            rows, cols = view.shape
            x = np.arange(cols)
            y0 = np.floor(top + x * tilt).astype(int) - 1  # the band, a pixel wider on each side
            y1 = y0 + LINE_BAND + 2
            above, below = m[np.clip(y0 - 2, 0, rows - 1), x], m[np.clip(y1 + 1, 0, rows - 1), x]
            for dy in range(LINE_BAND + 2):
                y = y0 + dy
                ok = (y >= 0) & (y < rows) & ~(above & below)
                view[y[ok], x[ok]] = 0.0
    return out


def _line_bands(mask: np.ndarray) -> list[tuple[float, float]]:
    """(row where the band starts at column 0, rise per column) of every near-horizontal printed
    line in bool ``mask`` (H, W)."""
    ys, xs = np.nonzero(mask)
    w = mask.shape[1]
    found: list[tuple[float, float]] = []
    if np.unique(xs).size < PRINTED_LINE_SPAN * w:
        return found  # too few columns hold ink for any line to cross them (most pictures)
    candidates = []  # (columns covered, top, tilt) of every band that crosses the picture, at any tilt
    for degrees in np.arange(-LINE_TILT_DEGREES, LINE_TILT_DEGREES + 1e-6, 0.5):
        tilt = float(np.tan(np.radians(degrees)))
        offset = ys - xs * tilt  # the row each pixel's line starts at, at this tilt
        low = float(np.floor(offset.min()))
        band = ((offset - low) // LINE_BAND).astype(np.int64)
        seen = np.zeros((int(band.max()) + 1) * w, bool)
        seen[band * w + xs] = True
        covered = seen.reshape(-1, w).sum(axis=1)
        candidates += [(int(covered[b]), low + b * LINE_BAND, tilt)
                       for b in np.flatnonzero(covered >= PRINTED_LINE_SPAN * w)]
    # The best-covered tilt of each line wins; its neighbours at other tilts are the same line.
    for _, top, tilt in sorted(candidates, reverse=True):
        if all(abs(top - t) > 2 * LINE_BAND for t, _ in found):
            found.append((top, tilt))
    return found


def reduce_if_huge(picture: np.ndarray | Image.Image) -> np.ndarray:
    """A picture (any of :func:`to_ink`'s inputs) reduced so its longer side is at most MAX_WORK_SIDE."""
    a = np.asarray(picture)
    longer = max(a.shape[:2])
    if longer <= MAX_WORK_SIDE:
        return a
    scale = MAX_WORK_SIDE / longer
    size = (max(1, round(a.shape[1] * scale)), max(1, round(a.shape[0] * scale)))
    if a.dtype == np.uint8:
        return np.asarray(Image.fromarray(a).resize(size, Image.Resampling.BOX))
    channels = a[:, :, None] if a.ndim == 2 else a
    out = [np.asarray(Image.fromarray(channels[:, :, k].astype(np.float32), mode="F").resize(size, Image.Resampling.BOX))
           for k in range(channels.shape[2])]
    return np.stack(out, axis=-1) if a.ndim == 3 else out[0]
