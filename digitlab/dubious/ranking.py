"""Ranking a split by how likely each label is wrong (:data:`~digitlab.dubious.settings.METHODS`), as CSV or a picture."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from digitlab.dubious.settings import CSV_HEADER, DEFAULT_METHOD, METHODS, NEEDS_NEIGHBOURS, Evidence, Result


# Files made before 2026-12-06 store probabilities as float16 (digitlab.dubious.cache), whose smallest step
# is 2**-24: a probability below 2**-25 is stored as 0. A stored 0 counts as 2**-25, the most it can have
# been, so its surprise is finite and above that of the smallest stored probability (7.53 against 7.22).
# Newer files store logarithms, which keep far smaller probabilities; they count from the same floor, so
# that a surprise means the same in every result (7.53 at most).
P_FLOOR = 2.0 ** -25
# The neighbours' share of the given label, smoothed as a binomial proportion with Jeffreys' prior
# ((k + 1/2) / (n + 1) for k of n = evidence.NEIGHBOURS neighbours): never 0, so that the combined score
# does not saturate at 1 for the ~110 training images none of whose neighbours carry their label.
NEIGHBOUR_PRIOR = 0.5


@dataclass(frozen=True)
class Ranking:
    """One split ranked by one method.

    ``order`` int64 (N,): image indices, most dubious first. ``score`` float64
    (N,), by image index: higher is more dubious, 0 or more, never the same for
    two images unless their evidence is (see :func:`rank`). ``given`` and
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


def _flagged(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """cleanlab's label issues (confident learning, prune by noise rate): bool mask (N,)."""
    from cleanlab.filter import find_label_issues

    # n_jobs=1: cleanlab would otherwise fork a process pool inside the app.
    return np.asarray(find_label_issues(labels, probs, n_jobs=1), bool)


def surprise(p: np.ndarray) -> np.ndarray:
    """-log10 of probabilities (float64), from :data:`P_FLOOR`: 0 for certainty, 1 for a chance in ten,
    7.53 at most. Unlike 1 - p it keeps its resolution where the label is least likely."""
    return -np.log10(np.maximum(np.asarray(p, np.float64), P_FLOOR))


def label_surprise(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """float64 (N,): the surprise of the given label, -log10 p(label) (self-confidence, with resolution)."""
    return surprise(probs[np.arange(len(labels)), labels])


def margin_surprise(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """float64 (N,): -log10 of cleanlab's normalized margin, (1 + p(label) - p(best other digit)) / 2.

    Computed as p(label) + (the digits neither the label nor the best other) / 2, which is the same for
    rows that sum to 1 but does not round to 0 when the best other digit has nearly all of it.
    """
    rows = np.arange(len(labels))
    p = np.asarray(probs, np.float64)
    given = p[rows, labels]
    other = p.copy()
    other[rows, labels] = -1.0
    best_other = other.argmax(axis=1)
    rest = p.sum(axis=1) - given - p[rows, best_other]
    return surprise(given + np.maximum(rest, 0.0) / 2)


def neighbour_surprise(neighbours: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """float64 (N,): -log10 of the given label's share among the nearest training images, smoothed
    (:data:`NEIGHBOUR_PRIOR`) so that a share of 0 is a large surprise but not an infinite one."""
    from digitlab.dubious.evidence import NEIGHBOURS

    share = np.asarray(neighbours, np.float64)[np.arange(len(labels)), labels]
    return surprise((NEIGHBOURS * share + NEIGHBOUR_PRIOR) / (NEIGHBOURS + 2 * NEIGHBOUR_PRIOR))


def neighbour_voters(evidence: Evidence) -> int:
    """How many nearest training images ``evidence.neighbours`` pools per image: 10 for each model that
    never saw it (one per set of fold models for a training image; every fold model for a test image)."""
    from digitlab.dubious.evidence import NEIGHBOURS

    return NEIGHBOURS * (evidence.sets_of_fold_models if evidence.folds is not None else evidence.votes.shape[1])


def neighbours_against(evidence: Evidence, labels: np.ndarray) -> np.ndarray:
    """float64 (N,) whole numbers: of the nearest training images behind ``evidence.neighbours`` (10 of
    each out-of-fold model's for a training image, 10 of each of the K fold models' for a test image, whose
    shares are their mean), how many carry another label than ``labels``."""
    voters = neighbour_voters(evidence)
    share = np.asarray(evidence.neighbours, np.float64)[np.arange(len(labels)), labels]
    return np.rint(voters * (1.0 - share))  # float16 shares are k / voters within far less than 1 / voters


def _ordered(*keys: np.ndarray) -> np.ndarray:
    """Indices by the first key, highest first, ties by the next key, and so on, then the lower index."""
    n = len(keys[0])
    return np.lexsort((np.arange(n), *(-np.asarray(k, np.float64) for k in reversed(keys)))).astype(np.int64)


def _with_fraction(whole: np.ndarray, tie_break: np.ndarray) -> np.ndarray:
    """A count (0, 1, 2...) with a surprise folded in as its fraction, s / (1 + s): the score orders by the
    count, then by the surprise, and two images with other surprises never print the same score."""
    return np.asarray(whole, np.float64) + tie_break / (1.0 + tie_break)


def rank(result: Result, split: str, method: str = DEFAULT_METHOD) -> Ranking:
    """Rank ``split`` of ``result`` by ``method`` (one of :data:`METHODS`).

    Scores, higher is more dubious; surprises are -log10 of a probability (:func:`surprise`), and each
    method's ties are broken by a second criterion, then by the lower image index:

    - ``self_confidence``: the given label's surprise; ties by the margin's.
    - ``normalized_margin``: the surprise of cleanlab's normalized margin; ties by the label's surprise.
    - ``confident_learning``: cleanlab's flagged issues first, then the rest, each part by
      ``normalized_margin`` (its score).
    - ``fold_agreement``: the fold models voting for another digit (a whole number), plus the label's
      surprise s as a fraction, s / (1 + s).
    - ``neighbours``: how many of the nearest training images carry another label (of the out-of-fold
      model's 10 for a training image, of the K fold models' 10 each for a test image), plus s / (1 + s)
      likewise.
    - ``combined``: the mean of the label's surprise and the smoothed neighbours' share's
      (:func:`neighbour_surprise`), i.e. -log10 of their geometric mean; ties by the label's surprise.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    if method not in methods_of(result):
        raise ValueError(f"the {method} ranking needs the neighbours' evidence, which this result lacks "
                         "(made before it existed): compute it again")
    evidence = result.split(split)
    labels = evidence.labels.astype(np.int64)
    probs = evidence.probs
    suggested = probs.argmax(axis=1)
    flagged = _flagged(labels, probs)
    label = label_surprise(probs, labels)

    if method == "self_confidence":
        score, order = label, _ordered(label, margin_surprise(probs, labels))
    elif method in ("normalized_margin", "confident_learning"):
        score = margin_surprise(probs, labels)
        order = _ordered(score, label)
        if method == "confident_learning":
            order = np.concatenate([order[flagged[order]], order[~flagged[order]]])
    elif method == "fold_agreement":
        disagree = (evidence.votes != labels[:, None]).sum(axis=1)
        score, order = _with_fraction(disagree, label), _ordered(disagree, label)
    elif method == "neighbours":
        against = neighbours_against(evidence, labels)
        score, order = _with_fraction(against, label), _ordered(against, label)
    else:  # combined
        score = (label + neighbour_surprise(evidence.neighbours, labels)) / 2
        order = _ordered(score, label)
    return Ranking(split, method, order, score.astype(np.float64), labels, suggested, flagged)


def methods_of(result: Result) -> list[str]:
    """The ranking methods ``result`` has the evidence for, in :data:`METHODS` order."""
    has_neighbours = result.train.neighbours is not None and result.test.neighbours is not None
    return [m for m in METHODS if has_neighbours or m not in NEEDS_NEIGHBOURS]


def score_text(score: float) -> str:
    """A score as the CSVs print it: 8 significant digits, enough that two scores that differ in the
    ranking's first thousand rows print differently (six decimals merged up to 89 of them)."""
    return f"{score:.8g}"


def ranking_csv(ranking: Ranking, top: int) -> str:
    """The CLI's CSV: header ``rank,index,given_label,suggested_label,score``, most dubious first."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for r, i, g, s, score in ranking.rows(0, top):
        w.writerow((r, i, g, s, score_text(score)))
    return out.getvalue()


def top_sheet(ranking: Ranking, images: np.ndarray, top: int = 20, columns: int = 10, scale: int = 3) -> np.ndarray:
    """uint8 grid of the ``top`` most dubious images, captioned "#index given→suggested"."""
    from digitlab.pictures import labelled_tiles, sheet

    idx = ranking.order[:top]
    captions = [f"#{i} {ranking.given[i]}→{ranking.suggested[i]}" for i in idx]
    return sheet(labelled_tiles(images[idx], captions, scale=scale, band=5 * scale), columns=columns, scale=1)
