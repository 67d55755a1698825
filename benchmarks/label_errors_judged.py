"""Finding MNIST's real label errors: rankings scored against images that people judged by eye.

    python -m benchmarks.label_errors_judged [score] [--result FILE ...] [--method M ...] [--top 15 50 100]
    python -m benchmarks.label_errors_judged add --judge NAME ANSWERS.csv

Synthetic label flips are not the errors MNIST has (issue 24), so this benchmark
uses a pool of MNIST images (the top candidates of several rankings, plus random
controls) that independent judges named by looking at the pictures alone; how
the pool was made is in ``benchmarks/data/mnist_judged/README.md``.

An answer is a digit ``0``-``9``, ``x`` (no digit at all), ``?a/b`` (could be a
or b) or ``?`` (cannot tell). Against the image's MNIST label each answer is
one of three votes (:func:`vote`): *label* (the label's digit), *other* (another
digit, ``x``, or ``?a/b`` with the label neither a nor b: the judge says it is
not the label) or *either* (``?`` or ``?a/b`` with the label among them). An
image's verdict (:func:`verdict`) is *wrong* when more than half of its judges
vote *other*, *right* when more than half vote *label*, else *ambiguous* (ties
included). Positives: "wrong", and, more leniently, "wrong or ambiguous".

``score`` prints, for every result (default: every shipped and cached one) and
ranking method, per split: precision in the top k, where an image nobody
judged counts as a miss (so the figure is a lower bound) and the number of such
images is printed beside it (a new ranking may reach outside the pool: judge
them in a new round, ``benchmarks/label_errors_pool.py``). Above that: the
judges' agreement (Fleiss' kappa over the answers 0-9, x and ?; agreement per
pair of judges) and their accuracy on the controls. ``add`` checks one judge's
``id,answer`` CSV against the pool and appends it to ``judgments.csv``.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data" / "mnist_judged"
POOL_HEADER = ("id", "split", "index", "label", "round", "sources")
JUDGMENTS_HEADER = ("judge", "id", "answer")
CONTROL = "control"  # the source of the random images that measure the judges, not the rankings
TOPS = (15, 50, 100)
_ANSWER = re.compile(r"^(?:(?P<digit>[0-9])|(?P<none>x)|\?(?:(?P<a>[0-9])/(?P<b>[0-9]))?)$")


@dataclass(frozen=True)
class PoolImage:
    id: str
    split: str
    index: int
    label: int
    round: int
    sources: tuple[str, ...]  # "result/method@rank" or "control"

    @property
    def control(self) -> bool:
        return CONTROL in self.sources


def parse_answer(text: str) -> str:
    """A judge's answer in its plain form: ``"0"``-``"9"``, ``"x"``, ``"?"`` or ``"?a/b"`` (a < b).

    ``ValueError`` with the answer quoted for anything else (an empty answer included).
    """
    t = re.sub(r"\s+", "", text).lower()
    m = _ANSWER.match(t)
    if not m:
        raise ValueError(f"{text!r} is not an answer: a digit 0-9, x (no digit), ?a/b (could be a or b) or ?")
    if m["digit"] or m["none"]:
        return t
    if m["a"] is None:
        return "?"
    a, b = sorted((m["a"], m["b"]))
    return "?" if a == b else f"?{a}/{b}"


def vote(answer: str, label: int) -> str:
    """``"label"``, ``"other"`` or ``"either"``: what a (parsed) answer says about ``label`` (module doc)."""
    if answer == str(label):
        return "label"
    if answer.startswith("?"):
        return "either" if answer == "?" or str(label) in answer[1:].split("/") else "other"
    return "other"


def verdict(answers: list[str], label: int) -> str | None:
    """``"wrong"``, ``"right"`` or ``"ambiguous"`` by a strict majority of the votes; None if unjudged."""
    if not answers:
        return None
    votes = Counter(vote(a, label) for a in answers)
    if 2 * votes["other"] > len(answers):
        return "wrong"
    if 2 * votes["label"] > len(answers):
        return "right"
    return "ambiguous"


def category(answer: str) -> str:
    """The answer's category for agreement: the digit, ``x``, or ``?`` for any doubtful answer."""
    return "?" if answer.startswith("?") else answer


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa of int (items, categories) rating counts; items may have different numbers of
    raters (at least 2 each: others are left out), each item's agreement weighted equally."""
    counts = np.asarray(counts, np.float64)
    n = counts.sum(axis=1)
    counts, n = counts[n >= 2], n[n >= 2]
    if len(counts) == 0:
        return float("nan")
    p_item = ((counts * (counts - 1)).sum(axis=1) / (n * (n - 1))).mean()
    p_cat = counts.sum(axis=0) / n.sum()
    expected = float((p_cat ** 2).sum())
    return float("nan") if expected == 1.0 else float((p_item - expected) / (1.0 - expected))


def pairwise_agreement(answers: dict[str, dict[str, str]]) -> dict[tuple[str, str], tuple[float, int]]:
    """For each pair of judges: (share of the images both judged on which their categories agree, how many)."""
    out = {}
    for a, b in combinations(sorted(answers), 2):
        common = sorted(set(answers[a]) & set(answers[b]))
        if common:
            same = sum(category(answers[a][i]) == category(answers[b][i]) for i in common)
            out[(a, b)] = (same / len(common), len(common))
    return out


def read_pool(folder: Path = DATA) -> dict[str, PoolImage]:
    with open(Path(folder) / "pool.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["id"]: PoolImage(r["id"], r["split"], int(r["index"]), int(r["label"]), int(r["round"]),
                               tuple(s for s in r["sources"].split(";") if s)) for r in rows}


def read_judgments(folder: Path = DATA) -> dict[str, dict[str, str]]:
    """{judge: {id: parsed answer}}; ``ValueError`` naming the line for a bad answer or a repeated one."""
    path = Path(folder) / "judgments.csv"
    out: dict[str, dict[str, str]] = {}
    if not path.exists():
        return out
    with open(path, newline="") as f:
        for line, r in enumerate(csv.DictReader(f), start=2):
            mine = out.setdefault(r["judge"], {})
            if r["id"] in mine:
                raise ValueError(f"{path.name} line {line}: judge {r['judge']} answered {r['id']} twice")
            try:
                mine[r["id"]] = parse_answer(r["answer"])
            except ValueError as e:
                raise ValueError(f"{path.name} line {line}: {e}") from None
    return out


def answers_by_image(judgments: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    by_image: dict[str, list[str]] = {}
    for judge in sorted(judgments):
        for qid, answer in judgments[judge].items():
            by_image.setdefault(qid, []).append(answer)
    return by_image


def verdicts(pool: dict[str, PoolImage], judgments: dict[str, dict[str, str]]) -> dict[tuple[str, int], str]:
    """{(split, index): verdict} of every judged pool image."""
    by_image = answers_by_image(judgments)
    return {(im.split, im.index): v for qid, im in pool.items()
            if (v := verdict(by_image.get(qid, []), im.label)) is not None}


def precision_at(order: np.ndarray, judged: dict[int, str], k: int, lenient: bool = False) -> tuple[int, int]:
    """(positives, unjudged) among the first ``k`` image indices of ``order``, given one split's verdicts
    ``{index: verdict}``; positives are "wrong" (and "ambiguous" if ``lenient``)."""
    hits = {"wrong", "ambiguous"} if lenient else {"wrong"}
    top = [int(i) for i in order[:k]]
    return sum(judged.get(i) in hits for i in top), sum(i not in judged for i in top)


def judge_report(pool: dict[str, PoolImage], judgments: dict[str, dict[str, str]]) -> list[str]:
    """Lines on the judges: how many, agreement, accuracy on the controls, the verdicts per split."""
    if not judgments:
        return ["No judgments yet: every image counts as unjudged."]
    unknown = sorted({q for answers in judgments.values() for q in answers} - set(pool))
    if unknown:
        raise ValueError(f"judgments name ids not in the pool: {', '.join(unknown[:5])}")
    by_image = answers_by_image(judgments)
    cats = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "x", "?"]
    counts = np.array([[sum(category(a) == c for a in answers) for c in cats] for answers in by_image.values()])
    pairs = pairwise_agreement(judgments)
    per_image = Counter(len(a) for a in by_image.values())
    lines = [f"{len(judgments)} judges; {len(by_image)} of {len(pool)} pool images judged "
             f"({', '.join(f'{n} by {k}' for k, n in sorted(per_image.items()))}); "
             f"Fleiss' kappa {fleiss_kappa(counts):.3f} (answers 0-9, x, ?)"]
    if pairs:
        shares = [s for s, _ in pairs.values()]
        lines.append(f"agreement per pair of judges: mean {np.mean(shares):.1%}, lowest {min(shares):.1%} "
                     f"({len(pairs)} pairs)")
    for judge in sorted(judgments):
        controls = [(judgments[judge][q], pool[q].label) for q in judgments[judge] if pool[q].control]
        if controls:
            said = Counter(vote(a, label) for a, label in controls)
            lines.append(f"judge {judge}: {len(judgments[judge])} answers; on {len(controls)} controls "
                         f"{said['label'] / len(controls):.1%} the label, {said['either']} unsure, "
                         f"{said['other']} another answer")
    found = verdicts(pool, judgments)
    for split in ("train", "test"):
        v = Counter(found[key] for key in found if key[0] == split)
        controls = Counter(found.get((im.split, im.index)) for im in pool.values() if im.control and im.split == split)
        lines.append(f"{split}: {v['wrong']} wrong, {v['ambiguous']} ambiguous, {v['right']} right; of its "
                     f"controls {controls['wrong']} wrong, {controls['ambiguous']} ambiguous")
    return lines


def score_table(rankings: list[tuple[str, str, str, np.ndarray]], found: dict[tuple[str, int], str],
                tops: tuple[int, ...] = TOPS) -> list[str]:
    """A markdown table: one row per (result name, method, split, order): per k, wrong / wrong or
    ambiguous among the top k, and how many of them nobody judged."""
    head = (["result", "method", "split"] + [f"wrong@{k}" for k in tops] + [f"wrong or ambiguous@{k}" for k in tops]
            + [f"unjudged@{k}" for k in tops])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, method, split, order in rankings:
        judged = {i: v for (s, i), v in found.items() if s == split}
        strict = [precision_at(order, judged, k) for k in tops]
        lenient = [precision_at(order, judged, k, lenient=True) for k in tops]
        cells = ([name, method, split] + [f"{p}/{k}" for (p, _), k in zip(strict, tops)]
                 + [f"{p}/{k}" for (p, _), k in zip(lenient, tops)] + [str(u) for _, u in strict])
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def combined_v1(result, split: str) -> np.ndarray:
    """The combined ranking as shipped on 2026-11-30: 1 - sqrt(share x p(label)), the share unsmoothed (so
    ~110 training images tie at 1), ties by self-confidence, then by the lower index."""
    e = result.split(split)
    rows = np.arange(len(e.labels))
    y = e.labels.astype(np.int64)
    p = e.probs[rows, y].astype(np.float32)
    primary = (1.0 - np.sqrt(e.neighbours[rows, y].astype(np.float32) * p)).astype(np.float32)
    return np.lexsort((rows, -(1.0 - p), -primary)).astype(np.int64)


def orders(result, split: str, methods: list[str] | None = None) -> dict[str, np.ndarray]:
    """{method: image indices, most dubious first} of every ranking ``result`` has the evidence for (or of
    ``methods``), with ``combined-v1`` (:func:`combined_v1`) beside ``combined``."""
    from digitlab import dubious

    have = dubious.methods_of(result)
    have += ["combined-v1"] if "combined" in have else []
    out = {}
    for m in methods or have:
        if m in have:
            out[m] = combined_v1(result, split) if m == "combined-v1" else dubious.rank(result, split, m).order
    return out


def result_name(settings) -> str:
    """A short name of the fold models, e.g. ``cnn-20ep-aug-tta``, ``cnn-20ep-aug-mnist-tta`` (augmented MNIST
    alone, without the preset's extra images), ``cnn-20ep-aug-both-tta`` (the two joined: ``ensemble``) or
    ``cnn-padded-3ep``."""
    s = settings.resolved()
    return "-".join([s.preset, f"{s.epochs}ep"] + (["aug"] if s.augment else [])
                    + (["both"] if s.ensemble else [] if s.extras else ["mnist"])
                    + (["tta"] if s.tta else [])
                    + ([f"seed{s.seed}"] if s.seed else []) + ([f"ref-{s.reference}"] if s.reference else []))


def result_files() -> list[Path]:
    """Every shipped and cached dubious-labels result."""
    from digitlab.dubious import cache

    return sorted(cache.SHIPPED_DIR.glob("oof-*.npz")) + sorted(cache.cache_folder().glob("oof-*.npz"))


def _score(args: argparse.Namespace) -> int:
    from digitlab.dubious import cache

    pool, judgments = read_pool(args.data), read_judgments(args.data)
    print("\n".join(judge_report(pool, judgments)))
    found = verdicts(pool, judgments)
    rankings = []
    for path in args.result or result_files():
        result = cache.read(Path(path))
        if result.settings.subset:
            print(f"skipped {path}: made from the first {result.settings.subset:,} training images only")
            continue
        for im in pool.values():  # the pool's labels are this result's: the same copy of MNIST
            if int(result.split(im.split).labels[im.index]) != im.label:
                raise ValueError(f"{path} labels {im.split} #{im.index} {result.split(im.split).labels[im.index]}, "
                                 f"the pool {im.label}: another copy of MNIST")
        for split in ("test", "train"):
            rankings += [(result_name(result.settings), method, split, order)
                         for method, order in orders(result, split, args.method).items()]
    print()
    print("\n".join(score_table(rankings, found, tuple(args.top))))
    print("\n(x/k: positives among the top k; an unjudged image counts as a miss, see the unjudged columns.)")
    in_pool, deepest = {(im.split, im.index) for im in pool.values()}, max(args.top)
    for name, method, split, order in rankings:
        outside = sum((split, int(i)) not in in_pool for i in order[:deepest])
        if outside:
            print(f"{name} {method} {split}: {outside} of its top {deepest} are outside the pool "
                  "(judge them in a new round: benchmarks/label_errors_pool.py)")
    return 0


def _add(args: argparse.Namespace) -> int:
    pool, judgments = read_pool(args.data), read_judgments(args.data)
    if args.judge in judgments:
        print(f"error: judge {args.judge!r} already has answers in judgments.csv", file=sys.stderr)
        return 2
    with open(args.answers, newline="") as f:
        rows = list(csv.DictReader(f))
    new, problems = [], []
    for line, r in enumerate(rows, start=2):
        qid = (r.get("id") or "").strip()
        try:
            answer = parse_answer(r.get("answer") or "")
        except ValueError as e:
            problems.append(f"line {line} ({qid}): {e}")
            continue
        if qid not in pool:
            problems.append(f"line {line}: {qid!r} is not an id of the pool")
        elif any(q == qid for q, _ in new):
            problems.append(f"line {line}: {qid} answered twice")
        else:
            new.append((qid, answer))
    if problems:
        print("error: nothing added:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    path = Path(args.data) / "judgments.csv"
    if not path.exists():
        path.write_text(",".join(JUDGMENTS_HEADER) + "\n")
    with open(path, "a", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows((args.judge, q, a) for q, a in new)
    print(f"added {len(new)} answers of judge {args.judge} ({len(pool) - len(new)} pool images not answered)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score", help="precision of each ranking on the judged images (the default command)")
    s.add_argument("--result", nargs="+", help="result files (default: every shipped and cached one)")
    s.add_argument("--method", nargs="+", help="ranking methods (default: every one the result has evidence for, "
                                               "and combined-v1, the combined ranking as shipped on 2026-11-30)")
    s.add_argument("--top", nargs="+", type=int, default=list(TOPS), help="the k of precision in the top k")
    a = sub.add_parser("add", help="append one judge's answers (a CSV id,answer) to judgments.csv")
    a.add_argument("--judge", required=True, help="the judge's name, e.g. j1")
    a.add_argument("answers", type=Path)
    for q in (s, a):
        q.add_argument("--data", type=Path, default=DATA, help="the folder of pool.csv and judgments.csv")
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("score", "add", "-h", "--help"):
        argv = ["score", *argv]
    args = ap.parse_args(argv)
    return _add(args) if args.command == "add" else _score(args)


if __name__ == "__main__":
    import digitlab  # noqa: F401 - quiets TensorFlow before it is imported

    sys.exit(main())
