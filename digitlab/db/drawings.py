"""A visitor's own drawings: the 28x28 the model saw, the original picture, the true label.

Every function takes the visitor id and touches only that visitor's rows.
Quotas keep one visitor (or a held-down button) from filling the database, and one
network address (where a new session, a new visitor, is free) from filling it in a day.
Any failure of the database is a :class:`~digitlab.db.engine.DatabaseError` with a plain message.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from PIL import Image
from sqlalchemy import delete, func, insert, select

from digitlab.db import visitors as vis
from digitlab.db.engine import reading, writing
from digitlab.db.schema import drawings
from digitlab.words import count_words

SIDE = 28
# A class lesson: every digit ten times is 100 drawings; twice that leaves room to redo.
MAX_DRAWINGS_PER_VISITOR = 200
# Drawing, checking and saving one digit takes a person ~5 s (our browser tests: ~3 s at
# full speed); 12 a minute is 5 s each, a 300-click burst is stopped after 12.
MAX_SAVES_PER_MINUTE = 12
# Saves from one network address in a day, by every visitor there (a new session is a new visitor,
# so the per-visitor limit alone bounds nothing). A class of 30 behind one school address, each
# saving every digit ten times: 3,000; at most PICTURE_MAX_BYTES + 784 bytes each, that is at most
# ~150 MB a day from one address (canvas drawings are ~2 KB: ~8 MB).
MAX_SAVES_PER_ADDRESS_PER_DAY = 3000
# The original picture is kept to show it again, not to read it (the 28x28 is kept apart), so it
# is kept small: at most this many bytes. A canvas drawing (300 px, ink and black) is a PNG of
# ~1-2 KB and stays lossless. A photo is a JPEG: the PNG of a noisy phone photo cost 334 KB (sigma-12
# noise on paper, 4000x3000 JPEG decoded at 1000x750, shrunk to 600) and of pure noise 706 KB;
# as JPEG they cost 8.7 KB and 37.9 KB (measured with the test's pictures: tests/test_db_storage.py).
PICTURE_MAX_BYTES = 50_000
PICTURE_MAX_SIDE = 600
# Tried in turn for a picture whose PNG is over the limit, until one fits: (longest side, JPEG quality).
JPEG_STEPS = ((600, 85), (600, 75), (480, 75), (400, 70), (320, 70), (240, 70), (160, 60))


class QuotaExceeded(RuntimeError):
    """The visitor may not save more now; the message says why and what to do."""


@dataclass(frozen=True)
class Drawings:
    """A visitor's drawings, oldest first: images uint8 (N, 28, 28), labels uint8 (N,), ids int (N,)."""

    images: np.ndarray
    labels: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _image_bytes(image: np.ndarray) -> bytes:
    a = np.asarray(image)
    if a.shape != (SIDE, SIDE):
        raise ValueError(f"expected a 28x28 image, got {a.shape}")
    if a.dtype != np.uint8:  # the preprocessed float image, ink in [0, 1]
        a = np.round(np.clip(a, 0, 1) * 255).astype(np.uint8)
    return a.tobytes()


def _encoded(img: Image.Image, side: int, fmt: str, **options) -> bytes:
    img = img.copy()
    img.thumbnail((side, side))
    buf = io.BytesIO()
    img.save(buf, format=fmt, optimize=True, **options)
    return buf.getvalue()


def _picture_bytes(picture: np.ndarray | None) -> bytes | None:
    """The original picture, uint8 (H, W[, C]), as PNG if that fits :data:`PICTURE_MAX_BYTES`
    (a canvas drawing), else as the largest JPEG of :data:`JPEG_STEPS` that does (a photo)."""
    if picture is None:
        return None
    img = Image.fromarray(np.asarray(picture, np.uint8))
    png = _encoded(img, PICTURE_MAX_SIDE, "PNG")
    if len(png) <= PICTURE_MAX_BYTES:
        return png
    if img.mode in ("RGBA", "LA"):  # a photo with transparency: its paper shows as white
        img = Image.alpha_composite(Image.new("RGBA", img.size, "white"), img.convert("RGBA"))
    img = img.convert("L" if img.mode in ("L", "LA") else "RGB")
    for side, quality in JPEG_STEPS:
        jpeg = _encoded(img, side, "JPEG", quality=quality)
        if len(jpeg) <= PICTURE_MAX_BYTES:
            break
    return jpeg  # the last step (160 px) holds even 160x160 pixels of pure noise in 12 KB


def save(visitor_id: str, image: np.ndarray, label: int, picture: np.ndarray | None = None,
         *, address: str | None = None, when: datetime | None = None) -> int:
    """Save a (28, 28) image (float ink in [0, 1] or uint8) with its true label; returns its id.

    ``picture``: the original drawing or photo, uint8 (H, W[, C]), kept in at most
    :data:`PICTURE_MAX_BYTES`. ``address``: the network address the visitor came from (None:
    unknown), recorded with the drawing. Raises :class:`QuotaExceeded` past
    :data:`MAX_DRAWINGS_PER_VISITOR`, :data:`MAX_SAVES_PER_MINUTE` or
    :data:`MAX_SAVES_PER_ADDRESS_PER_DAY`.
    """
    vis.check(visitor_id)
    if not 0 <= int(label) <= 9:
        raise ValueError("label must be a digit 0-9")
    address = vis.check_address(address)
    row = {"visitor_id": visitor_id, "label": int(label), "image": _image_bytes(image),
           "picture": _picture_bytes(picture), "created": when or vis.now(), "address": address}
    with writing("Saving the drawing") as conn:
        vis.serialise(conn, visitor_id)  # two tabs saving at once cannot both slip under a quota
        if address is not None:  # nor two visitors at one address (always after the visitor: no deadlock)
            vis.serialise(conn, f"address {address}")
            today = conn.execute(select(func.count()).where(
                drawings.c.address == address, drawings.c.created > row["created"] - timedelta(days=1))).scalar_one()
            if today >= MAX_SAVES_PER_ADDRESS_PER_DAY:
                raise QuotaExceeded(f"{count_words(today, 'drawing')} were saved from your network in the last day, "
                                    "the most one network may save. Save more tomorrow, or ask whoever runs this "
                                    "server to raise the limit.")
        vis.ensure(conn, visitor_id)
        mine = drawings.c.visitor_id == visitor_id
        total = conn.execute(select(func.count()).where(mine)).scalar_one()
        if total >= MAX_DRAWINGS_PER_VISITOR:
            raise QuotaExceeded(f"You have saved {total} drawings, the most one visitor can keep. Download "
                                "them to keep a copy, then delete some (Delete…, beside Download) to save more.")
        recent = conn.execute(select(func.count()).where(
            mine, drawings.c.created > row["created"] - timedelta(minutes=1))).scalar_one()
        if recent >= MAX_SAVES_PER_MINUTE:
            raise QuotaExceeded(f"That is {recent} saves in the last minute, the most allowed. "
                                "Wait a little before saving the next one.")
        return int(conn.execute(insert(drawings).values(**row).returning(drawings.c.id)).scalar_one())


def load(visitor_id: str) -> Drawings:
    """The visitor's drawings, oldest first."""
    vis.check(visitor_id)
    with reading("Your saved drawings") as conn:
        rows = conn.execute(select(drawings.c.id, drawings.c.label, drawings.c.image)
                            .where(drawings.c.visitor_id == visitor_id)
                            .order_by(drawings.c.created, drawings.c.id)).all()
    return from_rows(rows)


def from_rows(rows) -> Drawings:
    """Rows of (id, label, image bytes) -> :class:`Drawings`; a row whose image is not 784 bytes is skipped."""
    rows = [r for r in rows if len(r.image) == SIDE * SIDE]
    if not rows:
        return Drawings(np.zeros((0, SIDE, SIDE), np.uint8), np.zeros(0, np.uint8), np.zeros(0, np.int64))
    images = np.frombuffer(b"".join(r.image for r in rows), np.uint8).reshape(-1, SIDE, SIDE)
    return Drawings(images, np.array([r.label for r in rows], np.uint8), np.array([r.id for r in rows], np.int64))


def count(visitor_id: str) -> int:
    vis.check(visitor_id)
    with reading("Your saved drawings") as conn:
        return conn.execute(select(func.count()).where(drawings.c.visitor_id == visitor_id)).scalar_one()


def stamp(visitor_id: str) -> tuple[int, int]:
    """(how many, the newest id): changes whenever the visitor saves or deletes; a cache key."""
    vis.check(visitor_id)
    with reading("Your saved drawings") as conn:
        n, last = conn.execute(select(func.count(), func.max(drawings.c.id))
                               .where(drawings.c.visitor_id == visitor_id)).one()
    return int(n), int(last or 0)


def picture(visitor_id: str, drawing_id: int) -> bytes | None:
    """The original picture (PNG or JPEG bytes) of one of the visitor's drawings, or None."""
    vis.check(visitor_id)
    with reading("The saved picture") as conn:
        return conn.execute(select(drawings.c.picture).where(
            drawings.c.visitor_id == visitor_id, drawings.c.id == int(drawing_id))).scalar()


def delete_one(visitor_id: str, drawing_id: int) -> bool:
    """Delete one of the visitor's drawings; False if they have none with that id."""
    vis.check(visitor_id)
    with writing("Deleting the drawing") as conn:
        gone = conn.execute(delete(drawings).where(drawings.c.visitor_id == visitor_id,
                                                   drawings.c.id == int(drawing_id)))
    return gone.rowcount == 1


def delete_all(visitor_id: str) -> int:
    vis.check(visitor_id)
    with writing("Deleting the drawings") as conn:
        return conn.execute(delete(drawings).where(drawings.c.visitor_id == visitor_id)).rowcount


def to_npz_bytes(images: np.ndarray, labels: np.ndarray, **extra: np.ndarray) -> bytes:
    """An ``.npz`` with ``x`` uint8 (N, 28, 28) and ``y`` uint8 (N,), MNIST's layout (plus ``extra``)."""
    buf = io.BytesIO()
    np.savez_compressed(buf, x=images, y=labels, **extra)
    return buf.getvalue()
