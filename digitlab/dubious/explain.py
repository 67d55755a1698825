"""The evidence about one image's label in plain words: what the fold models said, how sure, what its
nearest training images are labelled, and whether all that agrees with the label.

For the Dubious labels page (``ui/label_evidence.py``); pure functions of a
:class:`~digitlab.dubious.settings.Result`, so the words always say what the
shown result holds. Markdown (``**bold**``) is the only markup.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitlab.dubious.settings import Result

# "Sure" and "unsure" as the page says them: a digit the models give 90% or more they are sure of; below
# 60% (the rest shared by other digits) they are unsure. A label under 10% is one they reject.
SURE, FAIRLY_SURE, REJECTED = 0.9, 0.6, 0.1
# The image the seeds asked about: the tutorials this app grew from asked whether training image #500,
# labelled 3, is really a 3 (README, "Where it comes from"). Named here so the page can say why it is featured.
SEEDS_EXAMPLE = ("train", 500)


@dataclass(frozen=True)
class Explanation:
    """``verdict``: :func:`verdict_of`; ``summary``: one sentence saying it; ``lines``: the evidence, one
    sentence each (markdown); ``neighbours``: what the nearest training images are labelled, or None."""

    verdict: str
    summary: str
    lines: list[str]
    neighbours: str | None = None


def sureness(p: float) -> str:
    """How sure a probability is, in words."""
    return "sure" if p >= SURE else "fairly sure" if p >= FAIRLY_SURE else "unsure"


def percent(p: float) -> str:
    """A probability as a person reads it: whole percents, "under 1%" / "over 99%" rather than 0% / 100%."""
    if p < 0.005:
        return "under 1%"
    if p > 0.995:
        return "over 99%"
    return f"{p:.0%}"


def label_counts(shares: np.ndarray, voters: int) -> str:
    """Neighbours' label shares (10,) over ``voters`` images -> "7 labelled 5, 2 labelled 3, 1 labelled 8"."""
    counts = np.rint(np.asarray(shares, np.float64) * voters).astype(int)
    order = sorted((d for d in range(10) if counts[d] > 0), key=lambda d: (-counts[d], d))
    return ", ".join(f"{counts[d]} labelled {d}" for d in order)


def verdict_of(probs: np.ndarray, label: int) -> str:
    """What the models' probabilities (10,) say of ``label``: ``"agree"`` (90% or more), ``"lean"`` (it is
    their best digit, under 90%), ``"doubt"`` (another digit is, the label keeps 10% or more) or
    ``"disagree"`` (another digit is, the label under 10%)."""
    p = np.asarray(probs, np.float64)
    if p[label] >= SURE:
        return "agree"
    if int(p.argmax()) == label:
        return "lean"
    return "doubt" if p[label] >= REJECTED else "disagree"


def summary_sentence(verdict: str, probs: np.ndarray, label: int) -> str:
    """One sentence: whether the models agree with ``label``, with the figures."""
    p = np.asarray(probs, np.float64)
    best = int(p.argmax())
    runner_up = int(np.argsort(-p, kind="stable")[1])
    if verdict == "agree":
        return f"The models **agree with the label**: they read {label} ({percent(p[label])})."
    if verdict == "lean":
        return (f"The models **lean to the label** but are not sure: {label} {percent(p[label])}, "
                f"{runner_up} {percent(p[runner_up])}.")
    if verdict == "doubt":
        return (f"The models **doubt the label**: they read {best} ({percent(p[best])}) and give "
                f"{label} {percent(p[label])}.")
    return (f"The models **disagree with the label**: they read {best} ({percent(p[best])}) and give "
            f"{label} {percent(p[label])}.")


def explain(result: Result, split: str, index: int) -> Explanation:
    """The evidence about image ``index`` of ``split`` in ``result`` (module doc)."""
    from digitlab.dubious.evidence import NEIGHBOURS
    from digitlab.dubious.ranking import neighbour_voters

    e = result.split(split)
    label = int(e.labels[index])
    probs = np.asarray(e.probs[index], np.float64)
    best = int(probs.argmax())
    votes = [int(v) for v in e.votes[index]]
    lines = []
    one = e.folds is not None and e.sets_of_fold_models == 1  # "the model ... gives", "the models ... give"
    gives = "" if best == label else f", and give{'s' if one else ''} the label {label} {percent(probs[label])}"
    if e.folds is not None:
        n_folds, sets = int(e.folds.max()) + 1, e.sets_of_fold_models
        oof = [int(e.folds[index]) + k * n_folds for k in range(sets)]
        who = ("The fold model that never saw this image reads" if sets == 1 else
               f"The {sets} fold models that never saw this image (one of each set), together, read")
        lines.append(f"{who} **{best}**, {sureness(probs[best])} ({percent(probs[best])}){gives}.")
        others = [v for k, v in enumerate(votes) if k not in oof]
        against = [v for v in others if v != label]
        if against:
            lines.append(f"Of the {len(others)} fold models that learned it as a {label}, {len(against)} still read "
                         f"another digit ({', '.join(map(str, against))}): even taught the label, they could not "
                         "learn it.")
        else:
            lines.append(f"The {len(others)} fold models that learned it as a {label} all read {label}: "
                         "weak evidence, as they may simply remember the label.")
        voters = neighbour_voters(e)
        where = (f"its {NEIGHBOURS} nearest training images, as that model sees them" if sets == 1 else
                 f"its nearest training images ({NEIGHBOURS} as each of those models sees them, {voters} in all)")
    else:
        joined = "" if e.reference_probs is None else f" joined with model {result.settings.reference!r}"
        lines.append(f"The {len(votes)} fold models (none saw it), averaged{joined}, read **{best}**, "
                     f"{sureness(probs[best])} ({percent(probs[best])}){gives}. One by one, "
                     f"{sum(v == best for v in votes)} of {len(votes)} read {best} "
                     f"(votes: {', '.join(map(str, votes))}).")
        voters = neighbour_voters(e)
        where = f"its nearest training images ({NEIGHBOURS} for each fold model, {voters} in all)"
    neighbours = None
    if e.neighbours is not None:
        neighbours = label_counts(np.asarray(e.neighbours[index], np.float64), voters)
        lines.append(f"Of {where}: {neighbours}.")
    if e.reference_probs is not None:
        ref = np.asarray(e.reference_probs[index], np.float64)
        lines.append(f"Model {result.settings.reference!r} (trained on the training images only) reads "
                     f"**{int(ref.argmax())}** ({percent(ref.max())}) and gives the label {label} "
                     f"{percent(ref[label])}.")
    verdict = verdict_of(probs, label)
    return Explanation(verdict, summary_sentence(verdict, probs, label), lines, neighbours)


def seeds_example(result: Result) -> str | None:
    """Why train #500 is featured and what ``result`` says of it now (markdown), or None if it lacks it."""
    split, index = SEEDS_EXAMPLE
    e = result.split(split)
    if index >= len(e.labels):
        return None
    label = int(e.labels[index])
    x = explain(result, split, index)
    near = f" Its nearest training images: {x.neighbours}." if x.neighbours else ""
    return (f"**Why #{index}?** The tutorials this app grew from asked whether training image #{index}, "
            f"labelled {label}, is really a {label}. {x.summary}{near}")
