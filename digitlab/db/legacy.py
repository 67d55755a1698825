"""Bringing in, once, what Digit Lab kept in files before it had a database.

- ``user_data/own_digits/*.png``: drawings named ``<time>-<id>_<label>.png``;
- ``user_data/dubious_marks.json``: ``{"format": 1, "marks": {"train:500": {...}}}``.

Both belonged to the one user of the machine; they go to the visitor
:data:`~digitlab.db.visitors.IMPORTED` (``python -m digitlab.db adopt`` gives them
to a browser's visitor id). The files are then renamed ``*.imported``, never
deleted. A file that cannot be read whole is set aside as ``*.damaged-<time>``
and reported: nothing is overwritten, nothing is dropped silently.
"""

from __future__ import annotations

import io
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import insert, select

from digitlab import paths
from digitlab.data import SPLITS, split_size
from digitlab.db import marks as db_marks
from digitlab.db import visitors as vis
from digitlab.db.engine import writing
from digitlab.db.schema import drawings, imports

OWN_DIGITS = "own_digits"
MARKS_FILE = "dubious_marks.json"
NAME = re.compile(r"^(?P<stamp>\d{8}-\d{6})-(?P<id>[0-9a-f]{8})_(?P<label>\d)\.png$")
# A saved drawing was 28x28: anything claiming more pixels than a 280x280 canvas is not one.
MAX_PIXELS = 280 * 280


def _set_aside(path: Path, why: str) -> str:
    """Rename a damaged file out of the way (never overwrite it); in a read-only folder, leave it."""
    aside = path.with_name(f"{path.name}.damaged-{datetime.now():%Y%m%d-%H%M%S}")
    try:
        path.rename(aside)
    except OSError as e:
        return f"{path.name} {why}: left in place, not imported ({e.strerror or e})"
    return f"{path.name} {why}: set aside as {aside.name}"


def read_marks_file(path: Path) -> list[dict]:
    """The entries of an old marks file; ``ValueError`` saying what is wrong if it is not one, whole."""
    import json

    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"is not readable JSON ({e})") from e
    entries = data.get("marks") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ValueError('holds no "marks" object')
    out = []
    for key, e in entries.items():
        ok = (isinstance(e, dict) and e.get("split") in SPLITS and isinstance(e.get("index"), int)
              and e.get("mark") in db_marks.MARKS)
        if not ok or not 0 <= e["index"] < split_size(e["split"]):
            raise ValueError(f"has a malformed entry {key!r}")
        out.append({"split": e["split"], "index": e["index"], "mark": e["mark"]})
    return out


def _read_png(path: Path) -> np.ndarray | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(path.read_bytes()))
            if img.width * img.height > MAX_PIXELS:
                return None  # checked before decoding: a bomb is never expanded
            a = np.asarray(img.convert("L"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    return a if a.shape == (28, 28) else None


def import_old_files(user_data: Path | None = None) -> list[str]:
    """Import the old files if there are any and it was not done; returns what happened, one line each."""
    root = Path(user_data) if user_data else paths.user_data_dir()
    folder, marks_path = root / OWN_DIGITS, root / MARKS_FILE
    if not folder.is_dir() and not marks_path.is_file():
        return []
    report: list[str] = []
    with writing("Importing the old files") as conn:
        if conn.execute(select(imports.c.name).where(imports.c.name == "files")).first() is not None:
            return []
        vis.ensure(conn, vis.IMPORTED)
        if marks_path.is_file():
            try:
                entries = read_marks_file(marks_path)
            except ValueError as e:
                report.append(_set_aside(marks_path, str(e)))
            else:
                report.append(f"{db_marks.set_many(conn, vis.IMPORTED, entries)} marks from {MARKS_FILE}")
        if folder.is_dir():
            n, bad = 0, []
            for p in sorted(folder.glob("*.png")):
                m = NAME.match(p.name)
                a = _read_png(p) if m else None
                if a is None:
                    bad.append(p.name)
                    continue
                when = datetime.strptime(m["stamp"], "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
                conn.execute(insert(drawings).values(visitor_id=vis.IMPORTED, label=int(m["label"]),
                                                     image=a.astype(np.uint8).tobytes(), picture=None, created=when))
                n += 1
            report.append(f"{n} drawings from {OWN_DIGITS}/" + (f"; not drawings, left there: {', '.join(bad)}"
                                                                   if bad else ""))
        conn.execute(insert(imports).values(name="files", done=vis.now(), report="; ".join(report)[:400]))
    # Renamed only once the rows are committed: a crash before leaves the files to import again.
    # A folder that cannot be renamed (read-only) keeps them; the import row says it was done.
    for path, suffix in ((folder, ".imported"), (marks_path, ".imported")):
        if path.exists():
            try:
                path.rename(path.with_name(path.name + suffix))
            except OSError as e:
                report.append(f"{path.name} imported but left in place ({e.strerror or e})")
    return report
