"""A visitor's own drawings: the 28x28 the model saw, the original picture, the true label.

Every function takes the visitor id and touches only that visitor's rows.
Quotas keep one visitor (or a held-down button) from filling the database.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from PIL import Image
from sqlalchemy import delete, func, insert, select

from digitlab.db import visitors as vis
from digitlab.db.engine import engine, writing
from digitlab.db.schema import drawings

SIDE = 28
# A class lesson: every digit ten times is 100 drawings; twice that leaves room to redo.
MAX_DRAWINGS_PER_VISITOR = 200
# Drawing, checking and saving one digit takes a person ~5 s (our browser tests: ~3 s at
# full speed); 12 a minute is 5 s each, a 300-click burst is stopped after 12.
MAX_SAVES_PER_MINUTE = 12
# The original picture is kept as PNG, shrunk to this side at most: a canvas is 300 px,
# and a phone photo would otherwise cost megabytes per row.
PICTURE_MAX_SIDE = 600


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


def _picture_png(picture: np.ndarray | None) -> bytes | None:
    if picture is None:
        return None
    img = Image.fromarray(np.asarray(picture, np.uint8))
    img.thumbnail((PICTURE_MAX_SIDE, PICTURE_MAX_SIDE))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def save(visitor_id: str, image: np.ndarray, label: int, picture: np.ndarray | None = None,
         *, when: datetime | None = None) -> int:
    """Save a (28, 28) image (float ink in [0, 1] or uint8) with its true label; returns its id.

    ``picture``: the original drawing or photo, uint8 (H, W[, C]). Raises
    :class:`QuotaExceeded` past :data:`MAX_DRAWINGS_PER_VISITOR` or :data:`MAX_SAVES_PER_MINUTE`.
    """
    vis.check(visitor_id)
    if not 0 <= int(label) <= 9:
        raise ValueError("label must be a digit 0-9")
    row = {"visitor_id": visitor_id, "label": int(label), "image": _image_bytes(image),
           "picture": _picture_png(picture), "created": when or vis.now()}
    with writing("Saving the drawing") as conn:
        vis.serialise(conn, visitor_id)  # two tabs saving at once cannot both slip under a quota
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
    with engine().connect() as conn:
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
    with engine().connect() as conn:
        return conn.execute(select(func.count()).where(drawings.c.visitor_id == visitor_id)).scalar_one()


def stamp(visitor_id: str) -> tuple[int, int]:
    """(how many, the newest id): changes whenever the visitor saves or deletes; a cache key."""
    vis.check(visitor_id)
    with engine().connect() as conn:
        n, last = conn.execute(select(func.count(), func.max(drawings.c.id))
                               .where(drawings.c.visitor_id == visitor_id)).one()
    return int(n), int(last or 0)


def picture(visitor_id: str, drawing_id: int) -> bytes | None:
    """The original picture (PNG bytes) of one of the visitor's drawings, or None."""
    vis.check(visitor_id)
    with engine().connect() as conn:
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
