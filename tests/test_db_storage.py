"""What a saved drawing costs, and how much one network address may store in a day (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from digitlab import db
from digitlab.db import drawings, visitors
from digitlab.db.schema import drawings as drawings_table
from digitlab.images import read_image
from tests.helpers import stroke_picture

pytestmark = pytest.mark.usefixtures("database")


def digit() -> np.ndarray:
    a = np.zeros((28, 28), np.float32)
    a[4:24, 12:16] = 1
    return a


def phone_photo(noise: float = 12.0) -> np.ndarray:
    """A 4000x3000 phone photo of a 1 on unevenly lit paper with sensor noise, as the app reads it
    (the JPEG decoded at a quarter: 1000x750)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:3000, 0:4000]
    paper = 200 + 40 * (x / 4000) - 30 * (y / 3000)
    img = np.stack([paper, paper * 0.97, paper * 0.9], -1)
    img[1000:2200, 1800:1950] *= 0.25
    img += rng.normal(0, noise, img.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(buf, format="JPEG", quality=92)
    return read_image(buf.getvalue())


def stored_picture(picture: np.ndarray) -> bytes:
    me = visitors.new_id()
    return drawings.picture(me, drawings.save(me, digit(), 1, picture))


@pytest.mark.parametrize("name", ["noisy phone photo", "pure noise", "canvas drawing"])
def test_a_saved_picture_costs_at_most_50_kb_and_a_drawing_stays_lossless(name):
    picture = {"noisy phone photo": phone_photo,
               "pure noise": lambda: np.random.default_rng(1).integers(0, 256, (1200, 1600, 3), dtype=np.uint8),
               "canvas drawing": lambda: stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)], size=300)}[name]()
    data = stored_picture(picture)
    assert len(data) <= 50_000, len(data)  # as PNG before: 334 KB and 706 KB
    shown = Image.open(io.BytesIO(data))
    if name == "canvas drawing":
        assert shown.format == "PNG" and np.array_equal(np.asarray(shown), picture)  # every stroke as drawn
    else:
        assert shown.format == "JPEG" and max(shown.size) <= drawings.PICTURE_MAX_SIDE
        assert shown.size[0] > shown.size[1]  # the photo's shape is kept


def test_what_one_address_saves_in_a_day_is_bounded_whoever_saves_it(monkeypatch):
    monkeypatch.setattr(drawings, "MAX_SAVES_PER_ADDRESS_PER_DAY", 3)
    start = visitors.now()
    for i in range(3):  # three visitors (a new session is a new visitor) at one address
        drawings.save(visitors.new_id(), digit(), 1, address="203.0.113.9", when=start + timedelta(minutes=i))
    with pytest.raises(drawings.QuotaExceeded) as refused:
        drawings.save(visitors.new_id(), digit(), 1, address="203.0.113.9", when=start + timedelta(minutes=5))
    assert str(refused.value) == ("3 drawings were saved from your network in the last day, the most one network may "
                                  "save. Save more tomorrow, or ask whoever runs this server to raise the limit.")
    drawings.save(visitors.new_id(), digit(), 1, address="198.51.100.4", when=start + timedelta(minutes=5))  # others
    drawings.save(visitors.new_id(), digit(), 1, address="203.0.113.9", when=start + timedelta(days=1, minutes=1))
    with db.engine().connect() as conn:  # each drawing keeps where it came from
        assert sorted(conn.execute(select(drawings_table.c.address)).scalars()) == (
            ["198.51.100.4"] + ["203.0.113.9"] * 4)
