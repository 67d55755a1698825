"""Reading image files a user hands us, with checks before any decoding.

Used by the predict CLI and the app's upload: a file that is too big, not an
image, or a decompression bomb is refused with a message saying which. A big
JPEG is decoded already reduced (``Image.draft``).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from digitlab.ink import MAX_WORK_SIDE

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 25_000_000  # a 5000x5000 photo; Pillow refuses bombs far past this
ALLOWED_FORMATS = {"PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"}


class BadImage(ValueError):
    """The file cannot be used as a picture of a digit; the message says why."""


def read_image(source: str | Path | bytes) -> np.ndarray:
    """A file path or the file's bytes -> uint8 array (H, W), (H, W, 3) or (H, W, 4)."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    if len(data) == 0:
        raise BadImage("the file is empty")
    if len(data) > MAX_BYTES:
        raise BadImage(f"the file is {len(data) / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.format not in ALLOWED_FORMATS:
                raise BadImage(f"{img.format} files are not accepted; use PNG or JPEG")
            if img.format == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale, still at least MAX_WORK_SIDE (the preprocessing reduces to
                # that anyway): a 24-megapixel photo is never held at full size (predict CLI peak 1,158 MB before),
                # and a 48- or 108-megapixel phone photo is decoded at 1/8, within the limit below.
                img.draft(img.mode, (MAX_WORK_SIDE, MAX_WORK_SIDE))
            if img.width * img.height > MAX_PIXELS:  # after draft: the size that will really be decoded
                raise BadImage(f"the image is {img.width}x{img.height} pixels; the limit is {MAX_PIXELS:,} pixels "
                               "(a 5000x5000 picture): crop it around the digit or save it smaller")
            img.load()
    except BadImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise BadImage(f"not a readable image ({type(e).__name__})") from e
    except (OSError, ValueError, SyntaxError) as e:
        raise BadImage(f"the image is damaged or truncated ({e})") from e
    if img.mode not in ("L", "RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB")
    return np.asarray(img)
