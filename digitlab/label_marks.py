"""The user's marks on dubious labels: "label wrong", "ambiguous" or "label fine", per image.

Kept in ``user_data/dubious_marks.json``, read-modify-written under a file lock
and through a rename, so two tabs marking at once lose nothing and a crash never
leaves half a file. Exported as CSV, and used to leave images out of a retraining.
"""

from __future__ import annotations

import csv
import fcntl
import io
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digitlab import paths
from digitlab.data import SPLITS, check_split, split_size
from digitlab.fileio import read_json, write_json_atomic

if TYPE_CHECKING:
    from digitlab.dubious.ranking import Ranking

MARKS = ("label wrong", "ambiguous", "label fine")
MARKS_CSV_HEADER = ("index", "split", "given_label", "suggested_label", "score", "mark")


def marks_path() -> Path:
    return paths.user_data_dir() / "dubious_marks.json"


def load_marks(path: Path | None = None) -> dict[str, dict]:
    """All marks: ``{"train:500": {"split", "index", "mark", "when"}}``; empty if none or unreadable."""
    data = read_json(Path(path) if path else marks_path(), {})
    marks = data.get("marks", {}) if isinstance(data, dict) else {}
    return {k: v for k, v in marks.items() if isinstance(v, dict) and v.get("mark") in MARKS}


def set_mark(split: str, index: int, mark: str | None, path: Path | None = None) -> dict[str, dict]:
    """Mark image ``index`` of ``split`` (``None`` removes the mark); returns all marks.

    Read-modify-write under a file lock, written through a rename: two tabs
    marking at once lose nothing, and a crash never leaves half a file.
    """
    check_split(split)
    if mark is not None and mark not in MARKS:
        raise ValueError(f"mark must be one of {MARKS}, not {mark!r}")
    size = split_size(split)
    if not 0 <= int(index) < size:
        raise ValueError(f"{split} image index must be from 0 to {size - 1}")
    path = Path(path) if path else marks_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marks = load_marks(path)
        key = f"{split}:{int(index)}"
        if mark is None:
            marks.pop(key, None)
        else:
            marks[key] = {"split": split, "index": int(index), "mark": mark,
                          "when": datetime.now().isoformat(timespec="seconds")}
        write_json_atomic(path, {"format": 1, "marks": marks})
    return marks


def mark_of(marks: dict[str, dict], split: str, index: int) -> str | None:
    entry = marks.get(f"{split}:{int(index)}")
    return entry["mark"] if entry else None


def marks_csv(marks: dict[str, dict], rankings: dict[str, "Ranking"]) -> str:
    """CSV of every mark: ``index,split,given_label,suggested_label,score,mark``.

    Labels and score come from ``rankings[split]`` (the ranking the user looks
    at); they are left empty for a split that has no ranking.
    """
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(MARKS_CSV_HEADER)
    for entry in sorted(marks.values(), key=lambda e: (SPLITS.index(e["split"]), e["index"])):
        r, i = rankings.get(entry["split"]), entry["index"]
        if r is not None and i < len(r.given):
            w.writerow((i, entry["split"], int(r.given[i]), int(r.suggested[i]), f"{r.score[i]:.6f}", entry["mark"]))
        else:
            w.writerow((i, entry["split"], "", "", "", entry["mark"]))
    return out.getvalue()


def excluded_training_images(marks: dict[str, dict], ranking: "Ranking | None" = None, top: int = 0) -> tuple[int, ...]:
    """Training indices to leave out of a retraining: marked "label wrong", plus the top ``top`` of ``ranking``."""
    chosen = {e["index"] for e in marks.values() if e["split"] == "train" and e["mark"] == "label wrong"}
    if ranking is not None and top > 0:
        if ranking.split != "train":
            raise ValueError("only training images can be left out of training")
        chosen |= set(int(i) for i in ranking.order[:top])
    return tuple(sorted(chosen))
