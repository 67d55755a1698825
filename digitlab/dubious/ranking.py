"""Ranking a split by how likely each label is wrong (:data:`~digitlab.dubious.settings.METHODS`), as CSV or a picture."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from digitlab.dubious.settings import CSV_HEADER, DEFAULT_METHOD, METHODS, NEEDS_NEIGHBOURS, Result


@dataclass(frozen=True)
class Ranking:
    """One split ranked by one method.

    ``order`` int64 (N,): image indices, most dubious first. ``score`` float32
    (N,), by image index: higher is more dubious (0-1). ``given`` and
    ``suggested`` (the most likely digit) by image index. ``flagged`` bool (N,):
    cleanlab's label issues (the same for every method).
    """

    split: str
    method: str
    order: np.ndarray
    score: np.ndarray
    given: np.ndarray
    suggested: np.ndarray
    flagged: np.ndarray

    def __len__(self) -> int:
        return len(self.order)

    @property
    def positions(self) -> np.ndarray:
        """0-based position of every image index in ``order``."""
        pos = np.empty(len(self.order), np.int64)
        pos[self.order] = np.arange(len(self.order))
        return pos

    def rank_of(self, index: int) -> int:
        """1-based rank of image ``index`` (1 = most dubious)."""
        return int(np.flatnonzero(self.order == index)[0]) + 1

    def rows(self, start: int = 0, stop: int | None = None) -> list[tuple[int, int, int, int, float]]:
        """(rank, index, given, suggested, score) for ranks ``start+1 .. stop``."""
        return [(start + i + 1, int(j), int(self.given[j]), int(self.suggested[j]), float(self.score[j]))
                for i, j in enumerate(self.order[start:stop])]


def _flagged(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cleanlab's label issues, ranked by normalized margin: (ranked indices, mask)."""
    from cleanlab.filter import find_label_issues

    # n_jobs=1: cleanlab would otherwise fork a process pool inside the app.
    ranked = np.asarray(find_label_issues(labels, probs, return_indices_ranked_by="normalized_margin",
                                          n_jobs=1), dtype=np.int64)
    mask = np.zeros(len(labels), bool)
    mask[ranked] = True
    return ranked, mask


def rank(result: Result, split: str, method: str = DEFAULT_METHOD) -> Ranking:
    """Rank ``split`` of ``result`` by ``method`` (one of :data:`METHODS`)."""
    from cleanlab.rank import get_label_quality_scores

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    if method not in methods_of(result):
        raise ValueError(f"the {method} ranking needs the neighbours' evidence, which this result lacks "
                         "(made before it existed): compute it again")
    evidence = result.split(split)
    labels = evidence.labels.astype(np.int64)
    probs = evidence.probs
    suggested = probs.argmax(axis=1)
    ranked_issues, flagged = _flagged(labels, probs)

    def quality_score(name: str) -> np.ndarray:
        return (1.0 - get_label_quality_scores(labels, probs, method=name)).astype(np.float32)

    if method == "fold_agreement":
        votes = evidence.votes
        disagree = (votes != labels[:, None]).sum(axis=1)
        tie_break = quality_score("self_confidence")
        score = (disagree / votes.shape[1]).astype(np.float32)
        order = np.lexsort((np.arange(len(labels)), -tie_break, -disagree))
    elif method in NEEDS_NEIGHBOURS:
        rows = np.arange(len(labels))
        share = evidence.neighbours[rows, labels]
        if method == "combined":
            share = np.sqrt(share * probs[rows, labels])
        score = (1.0 - share).astype(np.float32)
        order = np.lexsort((np.arange(len(labels)), -quality_score("self_confidence"), -score))
    elif method == "confident_learning":
        score = quality_score("normalized_margin")
        rest = np.flatnonzero(~flagged)
        rest = rest[np.argsort(-score[rest], kind="stable")]
        order = np.concatenate([ranked_issues, rest])
    else:
        score = quality_score(method)
        order = np.argsort(-score, kind="stable")
    return Ranking(split, method, order.astype(np.int64), score, labels, suggested, flagged)


def methods_of(result: Result) -> list[str]:
    """The ranking methods ``result`` has the evidence for, in :data:`METHODS` order."""
    has_neighbours = result.train.neighbours is not None and result.test.neighbours is not None
    return [m for m in METHODS if has_neighbours or m not in NEEDS_NEIGHBOURS]


def ranking_csv(ranking: Ranking, top: int) -> str:
    """The CLI's CSV: header ``rank,index,given_label,suggested_label,score``, most dubious first."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for r, i, g, s, score in ranking.rows(0, top):
        w.writerow((r, i, g, s, f"{score:.6f}"))
    return out.getvalue()


def top_sheet(ranking: Ranking, images: np.ndarray, top: int = 20, columns: int = 10, scale: int = 3) -> np.ndarray:
    """uint8 grid of the ``top`` most dubious images, captioned "#index given→suggested"."""
    from digitlab.pictures import labelled_tiles, sheet

    idx = ranking.order[:top]
    captions = [f"#{i} {ranking.given[i]}→{ranking.suggested[i]}" for i in idx]
    return sheet(labelled_tiles(images[idx], captions, scale=scale, band=5 * scale), columns=columns, scale=1)
