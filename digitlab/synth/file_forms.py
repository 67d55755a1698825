"""The same picture in the files phones, scanners and image tools write, to check that each is read alike.

A phone stores a photo as its sensor saw it, with an EXIF Orientation tag that tells a viewer
how to turn it (:func:`phone_jpeg`); a scanner's default is often 16-bit greyscale, and image
tools write 32-bit integer and float greyscale TIFF (:data:`DEEP_GREY`). Each form holds the
upright 8-bit picture exactly, up to JPEG's own loss: stored turned the other way under its
tag, or its grey levels put on the type's range (``v * 257`` in 16 bits, ``v / 255`` in float).
TIFF is written by ``tifffile`` and the 16-bit colour PNG by hand (:func:`png16`), not by
Pillow, which reads them: a reader's mistake cannot cancel a writer's.

Used by ``tests/test_picture_files.py`` and ``benchmarks/picture_files.py``; never training data.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image

# EXIF orientation -> the stored pixels of an upright picture (H, W[, C]): the inverse of the turn a
# viewer makes (EXIF 2.3, tag 0x0112: 6 = "the 0th row is the visual right side", view by turning
# 90° clockwise, so the sensor's picture is the view turned 90° counter-clockwise, np.rot90 k=1).
STORED: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],  # mirrored left-right
    3: lambda a: a[::-1, ::-1],  # 180°
    4: lambda a: a[::-1],  # mirrored top-bottom
    5: lambda a: np.swapaxes(a, 0, 1),  # mirrored on the main diagonal
    6: lambda a: np.rot90(a, 1),
    7: lambda a: np.rot90(np.swapaxes(a, 0, 1), 2),  # mirrored on the other diagonal
    8: lambda a: np.rot90(a, -1),
}
ORIENTATIONS = tuple(range(2, 9))  # the ones that turn or mirror
ORIENTATION_TAG = 0x0112


def phone_jpeg(picture: np.ndarray, orientation: int, quality: int = 92) -> bytes:
    """uint8 (H, W) or (H, W, 3) upright -> a JPEG storing it as a phone would, tagged ``orientation``."""
    img = Image.fromarray(np.ascontiguousarray(STORED[orientation](picture)))
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def png16(levels: np.ndarray) -> bytes:
    """uint16 (H, W), (H, W, 2), (H, W, 3) or (H, W, 4) -> a 16-bit grey, grey+alpha, RGB or RGBA PNG."""
    h, w = levels.shape[:2]
    channels = 1 if levels.ndim == 2 else levels.shape[2]
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]  # PNG spec, IHDR colour types
    rows = np.ascontiguousarray(levels, dtype=">u2").reshape(h, w * channels)
    raw = b"".join(b"\0" + row.tobytes() for row in rows)  # filter type 0 (none) on each row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def tiff(array: np.ndarray, **options) -> bytes:
    """Any array -> TIFF bytes by ``tifffile`` (its sample type is the array's dtype)."""
    import tifffile  # comes with scikit-image

    buf = io.BytesIO()
    tifffile.imwrite(buf, array, **options)
    return buf.getvalue()


def _scaled(grey: np.ndarray, top: int, dtype) -> np.ndarray:
    """uint8 levels 0-255 -> the same levels on 0-``top`` (exact for 16 and unsigned 32 bits: 255 divides them)."""
    return np.rint(grey.astype(np.float64) * (top / 255)).astype(dtype)


# name -> uint8 greyscale (H, W) upright -> the file's bytes, the same picture at a greater depth.
DEEP_GREY: dict[str, Callable[[np.ndarray], bytes]] = {
    "16-bit PNG": lambda g: png16(_scaled(g, 65535, np.uint16)),
    "16-bit TIFF": lambda g: tiff(_scaled(g, 65535, np.uint16)),
    "32-bit unsigned TIFF": lambda g: tiff(_scaled(g, 2**32 - 1, np.uint32)),
    "32-bit signed TIFF": lambda g: tiff(_scaled(g, 2**31 - 1, np.int32)),
    "float TIFF (0 to 1)": lambda g: tiff((g / 255).astype(np.float32)),
}
