"""Fold-model recipes on the judged MNIST images: results alone, calibrated, and unlike ones joined.

    python -m benchmarks.label_errors_recipes [--result FILE ...] [--method M ...] [--top 15 50 100]

Scores, as ``benchmarks/label_errors_judged.py`` does (same table, same verdicts),
every result given (default: every shipped and cached one made from all of
MNIST) and, made from them without training anything
(:mod:`digitlab.dubious.ensemble`):

- ``+cal``: each fold model's probabilities at the temperature that makes them
  honest on the fold it never saw (the test images' mean: one temperature);
- ``A & B``: two results' evidence joined (geometric mean of the probabilities,
  votes side by side, neighbours' shares averaged), for every pair that cut
  the training images into the same folds; and each pair calibrated first.

A compact table comes first (wrong in the top 15/50/100 per split, for the
methods asked), the full one after.
"""

from __future__ import annotations

import argparse
import sys
from itertools import combinations
from pathlib import Path

import numpy as np

from benchmarks.label_errors_judged import (DATA, TOPS, judge_report, orders, precision_at, read_judgments,
                                            read_pool, result_files, result_name, score_table, verdicts)


def variants(results: list, pairs: bool = True) -> list[tuple[str, object]]:
    """(name, result) for every result, calibrated, and every joinable pair (plain and calibrated)."""
    from digitlab.dubious import ensemble

    named = [(result_name(r.settings), r) for r in results]
    out = [*named, *((f"{n}+cal", ensemble.calibrate(r)) for n, r in named)]
    if pairs:
        for (na, a), (nb, b) in combinations(named, 2):
            try:
                out.append((f"{na} & {nb}", ensemble.join([a, b])))
                out.append((f"{na} & {nb} +cal", ensemble.join([ensemble.calibrate(a), ensemble.calibrate(b)])))
            except ValueError as e:
                print(f"not joined: {na} and {nb}: {e}", file=sys.stderr)
    return out


def compact(rows: list[tuple[str, str, str, np.ndarray]], found: dict, tops: tuple[int, ...]) -> list[str]:
    """One line per (result, method): wrong in the top k, test then train (strict verdicts)."""
    by_key: dict[tuple[str, str], dict[str, str]] = {}
    for name, method, split, order in rows:
        judged = {i: v for (s, i), v in found.items() if s == split}
        cells = []
        for k in tops:
            hits, unjudged = precision_at(order, judged, k)
            cells.append(f"{hits}" + (f" ({unjudged}?)" if unjudged else ""))
        by_key.setdefault((name, method), {})[split] = " / ".join(cells)
    head = f"| result | method | test wrong@{'/'.join(map(str, tops))} | train wrong@{'/'.join(map(str, tops))} |"
    return [head, "|---|---|---|---|"] + [f"| {n} | {m} | {v.get('test', '')} | {v.get('train', '')} |"
                                         for (n, m), v in by_key.items()]


def main(argv: list[str] | None = None) -> int:
    from digitlab.dubious import cache

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--result", nargs="+", help="result files (default: every shipped and cached one)")
    ap.add_argument("--method", nargs="+", help="ranking methods (default: every one a result has evidence for)")
    ap.add_argument("--top", nargs="+", type=int, default=list(TOPS))
    ap.add_argument("--no-pairs", action="store_true", help="the results alone and calibrated, no joined pairs")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args(argv)
    pool, judgments = read_pool(args.data), read_judgments(args.data)
    print("\n".join(judge_report(pool, judgments)))
    found = verdicts(pool, judgments)
    results = [r for r in (cache.read(Path(p)) for p in args.result or result_files()) if not r.settings.subset]
    rows = []
    for name, result in variants(results, pairs=not args.no_pairs):
        for split in ("test", "train"):
            rows += [(name, m, split, o) for m, o in orders(result, split, args.method).items() if m != "combined-v1"]
    tops = tuple(args.top)
    print("\n" + "\n".join(compact(rows, found, tops)))
    print("\n(n (u?): n wrong among the top k, u of them never judged and counted as misses)\n")
    print("\n".join(score_table(rows, found, tops)))
    return 0


if __name__ == "__main__":
    import digitlab  # noqa: F401 - quiets TensorFlow before it is imported

    sys.exit(main())
