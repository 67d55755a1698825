"""A visitor's marks on dubious labels: "label wrong", "ambiguous" or "label fine", per MNIST image.

The marks' meaning (the CSV export, which images a retraining leaves out) is in
:mod:`digitlab.dubious.marks`; here they are only stored, per visitor, in the
same ``{"train:500": {"split", "index", "mark", "when"}}`` shape it uses.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from digitlab.data import check_split, split_size
from digitlab.db import visitors as vis
from digitlab.db.engine import reading, writing
from digitlab.db.schema import marks

MARKS = ("label wrong", "ambiguous", "label fine")


def check_mark(split: str, index: int, mark: str | None) -> None:
    check_split(split)
    if mark is not None and mark not in MARKS:
        raise ValueError(f"mark must be one of {MARKS}, not {mark!r}")
    size = split_size(split)
    if not 0 <= int(index) < size:
        raise ValueError(f"{split} image index must be from 0 to {size - 1}")


def load(visitor_id: str) -> dict[str, dict]:
    """The visitor's marks, keyed ``"split:index"``."""
    vis.check(visitor_id)
    with reading("Your marks") as conn:
        rows = conn.execute(select(marks).where(marks.c.visitor_id == visitor_id)).all()
    return {f"{r.split}:{r.idx}": {"split": r.split, "index": r.idx, "mark": r.mark,
                                   "when": r.created.isoformat(timespec="seconds")} for r in rows}


def set_mark(visitor_id: str, split: str, index: int, mark: str | None) -> dict[str, dict]:
    """Mark image ``index`` of ``split`` for the visitor (``None`` removes it); returns their marks."""
    vis.check(visitor_id)
    check_mark(split, index, mark)
    with writing("Saving the mark") as conn:
        vis.ensure(conn, visitor_id)
        if mark is None:
            conn.execute(delete(marks).where(marks.c.visitor_id == visitor_id, marks.c.split == split,
                                             marks.c.idx == int(index)))
        else:
            _upsert(conn, visitor_id, split, int(index), mark)
    return load(visitor_id)


def _upsert(conn, visitor_id: str, split: str, index: int, mark: str) -> None:
    """Insert or replace one mark in one statement: two tabs marking the same image both succeed."""
    stmt = vis.dialect_insert(conn, marks).values(visitor_id=visitor_id, split=split, idx=index, mark=mark,
                                                  created=vis.now())
    conn.execute(stmt.on_conflict_do_update(index_elements=["visitor_id", "split", "idx"],
                                            set_={"mark": stmt.excluded.mark, "created": stmt.excluded.created}))


def set_many(conn, visitor_id: str, entries: list[dict]) -> int:
    """Insert checked ``{"split", "index", "mark", "when"?}`` entries in ``conn``'s transaction (the import)."""
    vis.ensure(conn, visitor_id)
    n = 0
    for e in entries:
        _upsert(conn, visitor_id, e["split"], e["index"], e["mark"])
        n += 1
    return n
