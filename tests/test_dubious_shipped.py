"""The shipped dubious-labels result: the default settings rank both splits from it, never computing.

Issue 24: ``python -m digitlab.dubious rank --split test --top 50`` and ``--split train --top 200`` come
from the result in ``precomputed/dubious/``, the CLI contract unchanged, no ties among the first 200 rows.
"""

from __future__ import annotations

import csv
import io

import pytest

from digitlab import dubious
from digitlab.dubious import cache, folds
from digitlab.dubious.__main__ import main as cli_main


def never(*args, **kwargs):
    raise AssertionError("the default settings computed their result instead of using the shipped one")


@pytest.mark.mnist
@pytest.mark.parametrize("split, top", [("test", 50), ("train", 200)])
def test_the_default_ranking_comes_from_the_shipped_result_without_computing(split, top, mnist, monkeypatch,
                                                                              capsys):
    import digitlab.training

    for name in ("compute", "compute_and_save", "ensure"):
        monkeypatch.setattr(folds, name, never)
    monkeypatch.setattr(digitlab.training, "train", never)
    assert cli_main(["rank", "--split", split, "--top", str(top)]) == 0
    out = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(out.out)))
    assert tuple(rows[0]) == dubious.CSV_HEADER and len(rows) == top + 1
    shipped = dubious.load(dubious.Settings(), mnist.fingerprint)
    assert cache.is_shipped(shipped.path)
    expected = dubious.rank(shipped, split, dubious.DEFAULT_METHOD)
    assert [int(r[1]) for r in rows[1:]] == [int(i) for i in expected.order[:top]]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, top + 1))
    scores = [float(r[4]) for r in rows[1:]]
    assert scores == sorted(scores, reverse=True) and len({r[4] for r in rows[1:]}) == top  # no ties
    assert "computing" not in out.err
