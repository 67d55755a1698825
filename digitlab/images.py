"""Reading image files a user hands us, with checks before any decoding.

Used by the predict and explain CLIs and the app's upload. A path is looked at
before it is read (a folder, a device, a pipe or a file over the size limit is
refused at once, and never more than ``MAX_BYTES + 1`` bytes are read); a file
that is not an image, or a decompression bomb, is refused with a message saying
which, in plain words. A big JPEG is decoded already reduced (``Image.draft``).

What comes out is what a viewer shows: turned upright by the EXIF orientation
phones write, and in 8 bits a channel (L, RGB or RGBA) whatever depth and mode
the file holds (see :func:`to_8_bits`), so every form of a picture reaches the
same ink map.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digitlab.ink import MAX_WORK_SIDE

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 25_000_000  # a 5000x5000 photo; Pillow refuses bombs far past this
ALLOWED_FORMATS = {"PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"}
FORMAT_NAMES = "PNG, JPEG, TIFF, BMP, GIF or WEBP"
# How the files Pillow may still refuse begin (PNG, JPEG and TIFF specifications), to say which it was.
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"II*\0": "TIFF", b"MM\0*": "TIFF"}
# EXIF tag 0x0112: how to turn the stored pixels to view them; 1 is "as stored", 2-8 turn and/or mirror.
ORIENTATION_TAG = 0x0112
# TIFF tags that say what a greyscale sample really is; Pillow's mode "I" is 32-bit signed whatever the
# file held (TIFF 6.0: BitsPerSample 258, SampleFormat 339 with 1 = unsigned (the default), 2 = signed;
# PhotometricInterpretation 262 with 0 = WhiteIsZero).
BITS_PER_SAMPLE, SAMPLE_FORMAT, PHOTOMETRIC = 258, 339, 262
SIGNED, WHITE_IS_ZERO = 2, 0


class BadImage(ValueError):
    """The file cannot be used as a picture of a digit; the message says why, in plain words."""


def read_file(path: str | Path) -> bytes:
    """The bytes of the regular file ``path``, at most ``MAX_BYTES``; BadImage otherwise.

    Looked at before it is opened: a folder, a device (``/dev/zero``), a pipe (a FIFO would
    block the read until someone writes) or a file over the limit (a sparse 3 GB file) is
    refused without reading a byte; the file is then read through one descriptor whose type and
    size are checked again (it may have been swapped in between), and never past ``MAX_BYTES + 1``.
    """
    try:
        kind = _regular_file_problem(os.stat(path))
        if kind:
            raise BadImage(kind)
        # O_NONBLOCK: a FIFO put there since the stat must not block the open.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise BadImage("there is no such file") from None
    except PermissionError:
        raise BadImage("it cannot be read: permission denied") from None
    except OSError as e:
        raise BadImage(f"it cannot be read ({e.strerror or e})") from None
    with os.fdopen(fd, "rb") as f:
        kind = _regular_file_problem(os.fstat(fd))
        if kind:
            raise BadImage(kind)
        try:
            data = f.read(MAX_BYTES + 1)
        except OSError as e:
            raise BadImage(f"it cannot be read ({e.strerror or e})") from None
    if len(data) > MAX_BYTES:  # it grew after the stat
        raise BadImage(_too_big(len(data)))
    return data


def _regular_file_problem(st: os.stat_result) -> str | None:
    """Why a file with this stat cannot be read as a picture, or None if it is a regular file of a good size."""
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        return "it is a folder, not a picture file"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "it is a pipe or a socket, not a picture file: save the picture to a file first"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "it is a device, not a picture file"
    if not stat.S_ISREG(mode):
        return "it is not a regular file"
    if st.st_size > MAX_BYTES:
        return _too_big(st.st_size)
    return None


def _too_big(size: int) -> str:
    limit, mb = MAX_BYTES // 2**20, f"{size / 2**20:,.1f}"
    return f"the file is {f'over {limit}' if mb == f'{limit}.0' else mb} MB; the limit is {limit} MB"


def read_image(source: str | Path | bytes) -> np.ndarray:
    """A file path or the file's bytes -> uint8 array (H, W), (H, W, 3) or (H, W, 4), upright.

    BadImage (its message in plain words, for the user) if it cannot be used.
    """
    data = read_file(source) if isinstance(source, (str, Path)) else bytes(source)
    if len(data) == 0:
        raise BadImage("the file is empty")
    if len(data) > MAX_BYTES:
        raise BadImage(_too_big(len(data)))
    with warnings.catch_warnings():
        # Pillow warns when it skips damaged metadata ("Tag data larger than file", "Corrupt EXIF data")
        # and past ~89 megapixels, before anything is decoded (and refuses past twice that). Neither is
        # for the user: our own limit, checked on the size that will really be decoded, is lower; a
        # 108-megapixel phone JPEG (under 10 MB) was refused by that warning before it could be decoded at 1/8.
        warnings.simplefilter("ignore")
        return np.asarray(to_8_bits(upright(_decode(data))))


def _decode(data: bytes) -> Image.Image:
    """The file's bytes -> a loaded Pillow image, at most MAX_PIXELS (a big JPEG decoded reduced)."""
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in ALLOWED_FORMATS:
            raise BadImage(f"{img.format} pictures are not read here: save it as {FORMAT_NAMES}")
        if img.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 scale, still at least MAX_WORK_SIDE (the preprocessing reduces to
            # that anyway): a 24-megapixel photo is never held at full size (predict CLI peak 1,158 MB before),
            # and a 48- or 108-megapixel phone photo is decoded at 1/8, within the limit below. The turn by
            # the EXIF orientation comes after decoding and keeps the number of pixels.
            img.draft(img.mode, (MAX_WORK_SIDE, MAX_WORK_SIDE))
        if img.width * img.height > MAX_PIXELS:  # after draft: the size that will really be decoded
            raise BadImage(f"the image is {img.width}x{img.height} pixels; the limit is {MAX_PIXELS:,} pixels "
                           "(a 5000x5000 picture): crop it around the digit or save it smaller")
        img.load()
    except BadImage:
        raise
    except UnidentifiedImageError as e:
        kind = next((name for magic, name in SIGNATURES.items() if data.startswith(magic)), None)
        if kind:  # Pillow knows the format but not this kind of it (a 64-bit float TIFF) or it is damaged
            raise BadImage(f"it is a {kind} file of a kind not read here, or damaged: save it again as an "
                           "ordinary 8- or 16-bit picture") from e
        raise BadImage(f"it is not a picture, or not one saved as {FORMAT_NAMES}") from e
    except Image.DecompressionBombError as e:
        raise BadImage("it claims to be far bigger than any photo (over 178 million pixels), so it is not "
                       "opened") from e
    except Exception as e:  # noqa: BLE001 - Pillow's parsers raise many kinds on damaged bytes (OSError,
        # SyntaxError, ValueError, TypeError "Missing dimensions" for a TIFF, struct.error, ...)
        raise BadImage("the picture is damaged or cut short") from e
    return img


def upright(img: Image.Image) -> Image.Image:
    """``img`` (loaded) turned and mirrored in place as its EXIF orientation says, as a viewer shows it.

    Phones store a photo as the sensor saw it, with orientation 6 (turn 90° clockwise), 3 (180°)
    or 8 (90° counter-clockwise); 2, 4, 5 and 7 also mirror. A damaged EXIF block or an unknown
    value leaves the picture as stored. Pillow turns a TIFF by its own orientation tag when it
    loads it (and removes the tag), so it is not turned twice. Returns ``img``.
    """
    try:
        orientation = img.getexif().get(ORIENTATION_TAG)
    except Exception:  # noqa: BLE001 - a damaged EXIF block: Pillow's parsers raise many kinds
        return img
    if orientation in range(2, 9):
        try:
            # In place: the image keeps its format and TIFF tags, which grey_levels reads.
            ImageOps.exif_transpose(img, in_place=True)
        except Exception:  # noqa: BLE001 - the pixels are turned first; only rewriting the EXIF block is left
            pass
    return img


def to_8_bits(img: Image.Image) -> Image.Image:
    """Any mode Pillow reads -> an "L", "RGB" or "RGBA" image, 8 bits a channel.

    Greyscale of more than 8 bits (16-bit ``I;16*``, 32-bit integer ``I``, float ``F``) is
    scaled by :func:`grey_levels`: Pillow's own ``convert("L")`` clips instead (a 16-bit scan
    came out all white). 1-bit becomes L (0 or 255); anything with transparency (LA, a palette
    with a transparent colour, PA) RGBA; other colour modes (a palette, CMYK, YCbCr, LAB) RGB.
    A 16-bit RGB or RGBA PNG or TIFF is already reduced to 8 bits by Pillow when it opens it.
    """
    if img.mode in ("L", "RGB", "RGBA"):
        return img
    if img.mode.startswith(("I", "F")):
        return Image.fromarray(grey_levels(img))
    if img.mode == "1":
        return img.convert("L")
    transparent = "A" in img.getbands() or "a" in img.getbands() or "transparency" in img.info
    try:
        return img.convert("RGBA" if transparent else "RGB")
    except ValueError as e:  # a mode Pillow cannot convert ("La" and the like)
        raise BadImage("its colours are stored in a way not read here: save it as an ordinary PNG or JPEG") from e


def grey_levels(img: Image.Image) -> np.ndarray:
    """A greyscale image of more than 8 bits -> uint8 (H, W), its type's range onto 0-255.

    Scaled by the range of the type the file stores, never by the picture's own darkest and
    lightest (a faint scan stays faint, as it does in 8 bits): 16 bits by 65535; 32-bit
    integers (TIFF) by 2^32 - 1 if unsigned, by 2^31 - 1 if signed (a negative level is no
    light: black); 16-bit signed TIFF by 32767. Float has no fixed range: values within [0, 1]
    (the usual convention, 1 = white) are scaled by 255, other ranges by the picture's own
    minimum and maximum; not-a-number and infinite pixels count as paper (the lightest).
    A TIFF that says 0 is white (WhiteIsZero) is turned round, as Pillow does for 8 bits.
    """
    a = np.asarray(img)
    if img.mode == "F":
        levels = _float_levels(a.astype(np.float32, copy=False))
    else:
        bits, signed = _integer_type(img)
        if bits == 32 and not signed:
            a = a.view(np.uint32)  # Pillow holds a uint32 TIFF in int32: 4294967295 reads as -1
        top = 2 ** (bits - 1) - 1 if signed else 2**bits - 1
        levels = np.clip(a.astype(np.float32) * np.float32(255 / top), 0, 255)
    out = np.rint(levels).astype(np.uint8)
    if img.format == "TIFF" and _tiff_tag(img, PHOTOMETRIC) == WHITE_IS_ZERO:
        out = 255 - out
    return out


def _float_levels(a: np.ndarray) -> np.ndarray:
    """float (H, W) -> float32 (H, W) in 0-255."""
    finite = np.isfinite(a)
    if not finite.any():
        raise BadImage("it holds no grey levels at all (every pixel is not a number)")
    lo, hi = float(a[finite].min()), float(a[finite].max())
    if lo >= 0.0 and hi <= 1.0:
        lo, hi = 0.0, 1.0
    a = np.where(finite, a, np.float32(hi))
    span = hi - lo if hi > lo else 1.0
    return np.clip((a - np.float32(lo)) * np.float32(255 / span), 0, 255)


def _integer_type(img: Image.Image) -> tuple[int, bool]:
    """(bits, signed) of the integers the file stores for an ``I;16*`` or ``I`` image."""
    if img.mode.startswith("I;16"):
        return 16, img.mode.endswith("S")
    if img.format == "TIFF":
        bits = _tiff_tag(img, BITS_PER_SAMPLE)
        if bits in (8, 16, 32):
            return bits, _tiff_tag(img, SAMPLE_FORMAT) == SIGNED
    return 16, False  # "I" from any other file: a 16-bit PNG as older Pillows opened it (PNG holds 16 at most)


def _tiff_tag(img: Image.Image, tag: int) -> int | None:
    value = getattr(img, "tag_v2", {}).get(tag)
    if isinstance(value, tuple):
        value = value[0] if value else None
    return value if isinstance(value, int) else None


def read_or_say(path: str) -> np.ndarray | None:
    """The command-line tools' reading of one of their files: the picture, or None after saying on
    stderr why it cannot be used (the tools go on with the others and end with exit code 1)."""
    import sys

    try:
        return read_image(path)
    except (BadImage, OSError) as e:
        print(f"error: {path}: {e}", file=sys.stderr)
        return None
