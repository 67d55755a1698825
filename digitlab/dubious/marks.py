"""What a visitor's marks on dubious labels mean: "label wrong", "ambiguous" or "label fine".

The marks are kept per visitor in the database (:mod:`digitlab.db.marks`, which names them), as
``{"train:500": {"split", "index", "mark", "when"}}``; here they are exported as
CSV and used to leave images out of a retraining.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from digitlab.data import SPLITS
from digitlab.dubious.ranking import score_text

if TYPE_CHECKING:
    from digitlab.dubious.ranking import Ranking

MARKS_CSV_HEADER = ("index", "split", "given_label", "suggested_label", "score", "mark")


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
            w.writerow((i, entry["split"], int(r.given[i]), int(r.suggested[i]), score_text(r.score[i]), entry["mark"]))
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
