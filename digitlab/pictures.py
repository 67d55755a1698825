"""Small images made big for people, never blurred (a big one is shrunk to fit), and sheets of many.

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


# A picture smaller than this on its longer side is shown enlarged to at least this: a 28x28 digit
# 8x (as the Draw page's 28x28 are shown), a 1x1 picture 224x; the grey frame shows where a white or
# transparent one ends on the white page.
SHOWN_MIN_SIDE = 224
FRAME_GREY = 160


def for_showing(picture: np.ndarray) -> tuple[np.ndarray, int]:
    """uint8 (H, W), (H, W, 3) or (H, W, 4) -> (the picture to show, how many times it was enlarged).

    A picture at least SHOWN_MIN_SIDE on its longer side is returned as it is (scale 1); a smaller
    one is enlarged by the smallest whole factor that reaches it, nearest neighbour (its pixels
    stay sharp squares, as in the 28x28), inside a 2-pixel grey frame (opaque, for RGBA).
    """
    a = to_uint8(picture)
    longer = max(a.shape[:2])
    if longer >= SHOWN_MIN_SIDE:
        return a, 1
    scale = -(-SHOWN_MIN_SIDE // longer)
    big = enlarge(a, scale)
    out = np.full((big.shape[0] + 4, big.shape[1] + 4) + big.shape[2:], FRAME_GREY, np.uint8)
    if a.ndim == 3 and a.shape[2] == 4:
        out[..., 3] = 255  # the frame opaque
    out[2:-2, 2:-2] = big
    return out, scale


def fit_square(image: np.ndarray, side: int) -> np.ndarray:
    """(side, side) uint8: a 2-D image centred on black, enlarged by the largest whole factor that fits
    ``side`` (sharp pixels); one bigger than ``side`` is shrunk to fit instead (each new pixel the mean
    of those it covers), never cut: a photo's cut-out digit can be hundreds of pixels wide."""
    a = to_uint8(image)
    h, w = a.shape
    if max(h, w) > side:
        from PIL import Image

        f = side / max(h, w)
        big = np.asarray(Image.fromarray(a).resize((max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.BOX))
    else:
        big = enlarge(a, side // max(h, w))
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


def captioned_sheet(images: np.ndarray, captions: list[str], columns: int, scale: int = 2,
                    colours: list[tuple[int, int, int]] | None = None) -> np.ndarray:
    """uint8 (N, 28, 28) and N short captions -> one RGB uint8 grid image.

    Like :func:`sheet` but each thumbnail has a line of text
    under it (true label, prediction, confidence), drawn into the picture: one
    image on the page instead of N widgets. ``colours``: the text colour of each.
    """
    from PIL import Image, ImageDraw, ImageFont

    n = len(images)
    if n != len(captions):
        raise ValueError(f"{n} images but {len(captions)} captions")
    font = ImageFont.load_default(size=12)  # Pillow's embedded font: no system fonts needed
    side, gap, text_h = 28 * scale, 4, 16
    width = max(side, 76)  # room for a caption like "4 as 9 100%"
    rows = max(1, -(-n // columns))
    out = Image.new("RGB", (columns * (width + gap) + gap, rows * (side + text_h + gap) + gap), (40, 40, 40))
    draw = ImageDraw.Draw(out)
    for i, (image, caption) in enumerate(zip(images, captions)):
        r, c = divmod(i, columns)
        x, y = gap + c * (width + gap), gap + r * (side + text_h + gap)
        out.paste(Image.fromarray(enlarge(image, scale)), (x + (width - side) // 2, y))
        colour = colours[i] if colours else (230, 230, 230)
        draw.text((x + width // 2, y + side + 1), caption, fill=colour, font=font, anchor="ma")
    return np.asarray(out)


def labelled_tiles(images: np.ndarray, captions: list[str], scale: int = 2, band: int = 13,
                   highlight: list[int] | tuple[int, ...] = ()) -> np.ndarray:
    """uint8 (N, 28, 28) and N short captions -> uint8 (N, 28*scale + band, 28*scale).

    Each digit enlarged with its caption in a dark band underneath, ready for
    ``digitlab.pictures.sheet`` (one image for a whole page of results). The
    tiles at positions ``highlight`` get a light band with dark text.
    """
    from PIL import Image, ImageDraw, ImageFont

    side = images.shape[1] * scale
    font = ImageFont.load_default(size=band - 2)
    tiles = np.zeros((len(images), side + band, images.shape[2] * scale), np.uint8)
    for t, (im, text) in enumerate(zip(images, captions)):
        tiles[t, :side] = enlarge(im, scale)
        lit = t in highlight
        strip = Image.new("L", (tiles.shape[2], band), 230 if lit else 25)
        _draw_caption(ImageDraw.Draw(strip), text, font, tiles.shape[2], band, ink=0 if lit else 235)
        tiles[t, side:] = np.asarray(strip)
    return tiles


def _draw_caption(draw, text: str, font, width: int, height: int, ink: int = 235) -> None:
    """Centred text, in a smaller font if it would not fit (ranks of five digits on a 56-px tile);
    "→" is drawn as lines, since Pillow's bundled font has no arrow glyph."""
    from PIL import ImageFont

    parts = text.split("→")
    arrow = max(6, height // 2)
    while True:
        widths = [draw.textlength(p, font=font) for p in parts]
        total = sum(widths) + (arrow + 2) * (len(parts) - 1)
        if total <= width - 2 or font.size <= 7:
            break
        font = ImageFont.load_default(size=font.size - 1)
        arrow = max(5, arrow - 1)
    x, mid = (width - total) / 2, height / 2
    for k, (part, w) in enumerate(zip(parts, widths)):
        draw.text((x, mid), part, fill=ink, font=font, anchor="lm")
        x += w
        if k < len(parts) - 1:
            head = arrow / 3
            draw.line([(x + 1, mid), (x + arrow, mid)], fill=ink, width=1)
            draw.line([(x + arrow - head, mid - head), (x + arrow, mid), (x + arrow - head, mid + head)],
                      fill=ink, width=1)
            x += arrow + 2
