"""digitlab.dubious: folds, the cache, rankings, marks and CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
from dataclasses import replace

import numpy as np
import pytest

from digitlab import dubious
from digitlab.dubious import marks as label_marks
from digitlab.db import marks as db_marks
from digitlab.db import visitors
from digitlab.dubious import cache, folds
from digitlab.pictures import labelled_tiles
from tests.helpers import ROOT, SMALL_DUBIOUS

SMALL = dubious.Settings.for_preset(**SMALL_DUBIOUS)

# --------------------------------------------------------------------------- folds


def test_folds_are_stratified_seeded_and_give_every_sample_exactly_one_fold():
    labels = np.repeat(np.arange(10), [50, 61, 47, 55, 52, 49, 58, 60, 45, 53])
    folds = dubious.fold_assignment(labels, 5, seed=3)
    assert folds.dtype == np.int8 and folds.shape == labels.shape
    assert set(np.unique(folds)) == set(range(5))  # every sample has a fold, all folds used
    for digit in range(10):  # stratified: each digit spread evenly over the folds
        counts = np.bincount(folds[labels == digit], minlength=5)
        assert counts.max() - counts.min() <= 1
    assert np.array_equal(folds, dubious.fold_assignment(labels, 5, seed=3))
    assert not np.array_equal(folds, dubious.fold_assignment(labels, 5, seed=4))


@pytest.fixture(scope="module")
def small_result(small_dubious_run):
    return small_dubious_run


@pytest.mark.mnist
def test_no_training_image_is_scored_by_a_model_that_trained_on_it(small_result, mnist):
    result, calls = small_result
    n = SMALL.subset
    assert len(calls) == SMALL.folds
    assert np.array_equal(result.train.folds, dubious.fold_assignment(mnist.y_train[:n], SMALL.folds, SMALL.seed))
    for k, (config, info) in enumerate(calls):
        held_out = set(np.flatnonzero(result.train.folds == k).tolist())
        trained_on = set(range(n)) - set(config.exclude)
        assert config.subset == n and config.validation_split == 0 and not config.augment
        assert held_out == set(config.exclude), f"fold {k} model did not leave out exactly its fold"
        assert not held_out & trained_on
        assert info["train_images"] == len(trained_on)
    # Each row's probabilities came from its own fold's model: the out-of-fold vote is their argmax.
    oof_votes = result.train.votes[np.arange(n), result.train.folds]
    assert np.array_equal(oof_votes, result.train.probs.argmax(axis=1))
    np.testing.assert_allclose(result.train.probs.sum(axis=1), 1, atol=1e-4)
    # The test set is scored by all K fold models, none of which saw it: its probabilities are their mean.
    assert result.test.probs.shape == (10000, 10) and result.test.votes.shape == (10000, SMALL.folds)
    assert result.meta["fingerprint"] == mnist.fingerprint and len(result.meta["fold_accuracy"]) == SMALL.folds
    # Models that trained on an image fit it better than the one that never saw it.
    in_sample = np.mean([result.train.votes[result.train.folds != k, k] == mnist.y_train[:n][result.train.folds != k]
                         for k in range(SMALL.folds)])
    assert in_sample > np.mean(result.meta["fold_accuracy"])


@pytest.mark.mnist
def test_saved_result_reads_back_the_same(small_result):
    result, _ = small_result
    back = dubious.read(dubious.save(result))
    assert back.settings == SMALL.resolved() and back.fingerprint == result.fingerprint
    np.testing.assert_allclose(back.train.probs, result.train.probs, atol=2e-3)  # stored as float16
    np.testing.assert_allclose(back.test.probs, result.test.probs, atol=2e-3)
    for split, name in (("train", "labels"), ("train", "folds"), ("train", "votes"), ("test", "labels"),
                        ("test", "votes")):
        assert np.array_equal(getattr(back.split(split), name), getattr(result.split(split), name)), (split, name)
    assert not list(back.path.parent.glob(".tmp-*"))


@pytest.mark.mnist
def test_cache_is_used_only_for_the_same_data_and_settings(small_result, mnist, monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "SHIPPED_DIR", tmp_path / "none-shipped")
    result, _ = small_result
    dubious.save(result)
    assert dubious.load(SMALL, mnist.fingerprint) is not None
    # Settings are compared once resolved: naming the preset's own batch size is the same settings.
    assert dubious.load(replace(SMALL, batch_size=128), mnist.fingerprint) is not None
    for other in (replace(SMALL, epochs=None), replace(SMALL, seed=1), replace(SMALL, folds=4), replace(SMALL, epochs=2),
                  replace(SMALL, subset=700), replace(SMALL, preset="seed000-mlp784")):
        assert dubious.load(other, mnist.fingerprint) is None, other
    relabelled = replace(mnist, y_train=np.roll(mnist.y_train, 1))
    assert relabelled.fingerprint != mnist.fingerprint
    assert dubious.load(SMALL, relabelled.fingerprint) is None

    # ensure(): a hit never trains; a miss computes and caches under the new key.
    def no_training(*args, **kwargs):
        raise AssertionError("computed although the cache holds this result")

    monkeypatch.setattr(folds, "compute", no_training)
    assert dubious.ensure(SMALL, mnist).path.name == dubious.file_name(SMALL, mnist.fingerprint)
    monkeypatch.setattr(folds, "compute", lambda s, m, **kw: replace(result, settings=s.resolved(),
                                                                        fingerprint=m.fingerprint))
    fresh = dubious.ensure(replace(SMALL, seed=1), mnist)
    assert fresh.path.name == dubious.file_name(replace(SMALL, seed=1), mnist.fingerprint)
    assert dubious.load(replace(SMALL, seed=1), mnist.fingerprint) is not None


@pytest.mark.mnist
def test_a_file_whose_contents_do_not_match_its_name_is_not_used(small_result, mnist, monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "SHIPPED_DIR", tmp_path / "none-shipped")
    result, _ = small_result
    path = dubious.save(result)
    other = replace(SMALL, seed=7)
    os.replace(path, path.parent / dubious.file_name(other, mnist.fingerprint))
    assert dubious.load(other, mnist.fingerprint) is None
    (path.parent / dubious.file_name(SMALL, mnist.fingerprint)).write_bytes(b"not a zip file")
    assert dubious.load(SMALL, mnist.fingerprint) is None


@pytest.mark.mnist
def test_shipped_results_are_found_after_the_cache(small_result, monkeypatch, tmp_path):
    result, _ = small_result
    shipped = tmp_path / "shipped"
    monkeypatch.setattr(cache, "SHIPPED_DIR", shipped)
    dubious.save(result, shipped)
    found = dubious.load(SMALL, result.fingerprint)
    assert found is not None and found.path.parent == shipped
    assert dubious.available(result.fingerprint) == [found.path]
    assert dubious.available("0000000000000000") == []


@pytest.mark.mnist
def test_damaged_or_mislabelled_result_files_are_not_offered(small_result, monkeypatch, tmp_path):
    result, _ = small_result
    monkeypatch.setattr(cache, "SHIPPED_DIR", tmp_path / "none-shipped")
    good = dubious.save(result)
    whole = good.read_bytes()
    middle = len(whole) // 2  # zeroed bytes inside a member: a CRC error only when that member is read
    damage = {"notazip": b"not a zip file", "zeroed0": whole[:middle] + bytes(64) + whole[middle + 64:],
              "truncated": whole[: len(whole) * 2 // 3], "empty0000": b""}
    for name, data in damage.items():
        (good.parent / f"oof-{result.fingerprint}-{name}.npz").write_bytes(data)
    with np.load(good) as f:  # a whole file whose description lacks a field
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["fingerprint"]
    np.savez(good.parent / f"oof-{result.fingerprint}-nofingerpr.npz", **{**arrays, "meta": np.array(json.dumps(meta))})
    other = dubious.save(replace(result, fingerprint="another-copy-of-mnist"))
    os.replace(other, good.parent / f"oof-{result.fingerprint}-otherdata000.npz")  # named for this data, is not
    assert dubious.available(result.fingerprint) == [good]
    reasons = dict((p.name, why) for p, why in dubious.damaged(result.fingerprint))
    for name in [*damage, "nofingerpr"]:
        assert "damaged" in reasons[f"oof-{result.fingerprint}-{name}.npz"], reasons
    assert "another copy" in reasons[f"oof-{result.fingerprint}-otherdata000.npz"]
    assert good.name not in reasons


def test_results_made_before_the_neighbours_offer_only_the_rankings_they_can():
    result, wrong = synthetic_result()
    older = replace(result, train=replace(result.train, neighbours=None), test=replace(result.test, neighbours=None))
    assert dubious.methods_of(result) == list(dubious.METHODS)
    assert "neighbours" not in dubious.methods_of(older) and "self_confidence" in dubious.methods_of(older)
    with pytest.raises(ValueError, match="compute it again"):
        dubious.rank(older, "train", "combined")


def test_the_combined_ranking_is_the_same_every_time():
    result, _ = synthetic_result(seed=5)
    a, b = dubious.rank(result, "train", "combined"), dubious.rank(result, "train", "combined")
    assert np.array_equal(a.order, b.order) and np.array_equal(a.score, b.score)


# --------------------------------------------------------------------------- rankings


def synthetic_result(n: int = 400, folds: int = 5, seed: int = 0) -> tuple[dubious.Result, np.ndarray]:
    """Confident, right probabilities, except for ``wrong`` images whose label is another digit."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 10, n)
    probs = np.full((n, 10), 0.01, np.float32)
    probs[np.arange(n), truth] = 0.91
    probs += rng.uniform(0, 0.02, probs.shape).astype(np.float32)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = truth.copy()
    wrong = np.array([5, 50, 123, 321])
    labels[wrong] = (truth[wrong] + 3) % 10
    votes = np.repeat(truth[:, None], folds, axis=1).astype(np.int8)
    votes[wrong[:2], :2] = labels[wrong[:2], None]  # two wrong ones are half-memorised
    neighbours = np.full((n, 10), 0.02, np.float32)  # most nearest images carry the true digit
    neighbours[np.arange(n), truth] = 0.82
    train = dubious.Evidence(labels=labels.astype(np.uint8), probs=probs, votes=votes,
                             folds=np.arange(n, dtype=np.int8) % folds, neighbours=neighbours)
    test = dubious.Evidence(labels=labels.astype(np.uint8), probs=probs, votes=votes, neighbours=neighbours)
    return dubious.Result(dubious.Settings(), "synthetic", train=train, test=test), wrong


@pytest.mark.parametrize("method", list(dubious.METHODS))
def test_every_ranking_puts_the_wrong_labels_first(method):
    result, wrong = synthetic_result()
    for split in dubious.SPLITS:
        r = dubious.rank(result, split, method)
        assert set(r.order[:4].tolist()) == set(wrong.tolist())
        assert sorted(r.order.tolist()) == list(range(400))  # every image exactly once
        assert np.array_equal(r.suggested[wrong], result.split(split).probs[wrong].argmax(1))
        assert np.array_equal(r.positions[r.order], np.arange(400))
        assert r.rank_of(int(r.order[0])) == 1
        assert (np.isfinite(r.score) & (r.score >= 0)).all()


def test_scores_mean_what_they_say():
    result, wrong = synthetic_result()
    p, y = result.train.probs, result.train.labels
    sc = dubious.rank(result, "train", "self_confidence")
    np.testing.assert_allclose(sc.score, -np.log10(p[np.arange(len(y)), y]), rtol=1e-6)  # the label's surprise
    assert (np.diff(sc.score[sc.order]) <= 0).all()
    fa = dubious.rank(result, "train", "fold_agreement")  # votes against, the surprise s as s / (1 + s)
    assert 5 < fa.score[wrong[2]] < 6 and 3 < fa.score[wrong[0]] < 4 and 0 < fa.score[0] < 0.1
    assert list(fa.order[:2]) == sorted(wrong[2:], key=lambda i: -sc.score[i])
    cl = dubious.rank(result, "train", "confident_learning")
    flagged = set(np.flatnonzero(cl.flagged).tolist())
    assert flagged and flagged <= set(wrong.tolist())  # cleanlab flags only wrong ones here
    assert set(cl.order[: len(flagged)].tolist()) == flagged  # and they come first


def test_unknown_method_or_split_is_refused():
    result, _ = synthetic_result()
    with pytest.raises(ValueError, match="unknown method"):
        dubious.rank(result, "train", "vibes")
    with pytest.raises(ValueError, match="split"):
        dubious.rank(result, "validation")


def test_ranking_csv_has_the_contract_header_and_rows():
    result, wrong = synthetic_result()
    r = dubious.rank(result, "train", "self_confidence")
    rows = list(csv.reader(io.StringIO(dubious.ranking_csv(r, 3))))
    assert rows[0] == ["rank", "index", "given_label", "suggested_label", "score"]
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]
    for row in rows[1:]:
        i = int(row[1])
        assert i in wrong and int(row[2]) == result.train.labels[i] and int(row[3]) == result.train.probs[i].argmax()
        assert float(row[4]) == pytest.approx(r.score[i], abs=1e-6)


# --------------------------------------------------------------------------- marks and export


def test_marks_are_saved_and_survive_a_restart(isolated_dirs):
    me = visitors.new_id()
    db_marks.set_mark(me, "train", 500, "label wrong")
    db_marks.set_mark(me, "test", 12, "ambiguous")
    db_marks.set_mark(me, "train", 7, "label fine")
    db_marks.set_mark(me, "train", 7, None)  # cleared
    # A new process (the app restarted) reads the same marks from the database.
    code = f"import json; from digitlab.db import marks; print(json.dumps(marks.load({me!r})))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "DIGITLAB_USER_DATA": str(isolated_dirs / "user")})
    marks = json.loads(out.stdout)
    assert {k: v["mark"] for k, v in marks.items()} == {"train:500": "label wrong", "test:12": "ambiguous"}
    assert label_marks.mark_of(marks, "train", 500) == "label wrong" and label_marks.mark_of(marks, "train", 7) is None


def test_marks_from_many_tabs_at_once_are_all_kept():
    me = visitors.new_id()
    threads = [threading.Thread(target=db_marks.set_mark, args=(me, "train", i, db_marks.MARKS[i % 3]))
               for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(db_marks.load(me)) == 24


@pytest.mark.parametrize("args, message", [
    (("train", 1, "wrong-ish"), "mark must be one of"),
    (("validation", 1, "ambiguous"), "split"),
    (("test", 10000, "ambiguous"), "from 0 to 9999"),
    (("train", -1, "ambiguous"), "from 0 to 59999"),
])
def test_bad_marks_are_refused(args, message):
    me = visitors.new_id()
    with pytest.raises(ValueError, match=message):
        db_marks.set_mark(me, *args)
    assert db_marks.load(me) == {}


def test_marks_csv_has_labels_suggestions_scores_and_marks():
    result, wrong = synthetic_result()
    rankings = {s: dubious.rank(result, s, "self_confidence") for s in dubious.SPLITS}
    me = visitors.new_id()
    db_marks.set_mark(me, "train", int(wrong[0]), "label wrong")
    db_marks.set_mark(me, "test", 3, "label fine")
    rows = list(csv.DictReader(io.StringIO(label_marks.marks_csv(db_marks.load(me), rankings))))
    assert list(rows[0]) == ["index", "split", "given_label", "suggested_label", "score", "mark"]
    assert [(r["split"], int(r["index"]), r["mark"]) for r in rows] == [
        ("train", int(wrong[0]), "label wrong"), ("test", 3, "label fine")]
    i = int(wrong[0])
    assert int(rows[0]["given_label"]) == result.train.labels[i]
    assert int(rows[0]["suggested_label"]) == result.train.probs[i].argmax() != result.train.labels[i]
    assert float(rows[0]["score"]) == pytest.approx(rankings["train"].score[i], abs=1e-6)
    # Without a ranking for a split, the mark is still exported, its evidence left empty.
    rows = list(csv.DictReader(io.StringIO(label_marks.marks_csv(db_marks.load(me), {"train": rankings["train"]}))))
    assert rows[1] == {"index": "3", "split": "test", "given_label": "", "suggested_label": "", "score": "",
                       "mark": "label fine"}


def test_retraining_leaves_out_marked_wrong_and_top_ranked():
    result, wrong = synthetic_result()
    r = dubious.rank(result, "train", "self_confidence")
    me = visitors.new_id()
    db_marks.set_mark(me, "train", 9, "label wrong")
    db_marks.set_mark(me, "train", 10, "ambiguous")
    db_marks.set_mark(me, "test", 11, "label wrong")
    marks = db_marks.load(me)
    assert label_marks.excluded_training_images(marks) == (9,)
    assert label_marks.excluded_training_images(marks, r, 4) == tuple(sorted([9, *wrong.tolist()]))
    with pytest.raises(ValueError, match="training images"):
        label_marks.excluded_training_images(marks, dubious.rank(result, "test"), 3)


def test_labelled_tiles_and_sheet_shapes():
    images = np.zeros((3, 28, 28), np.uint8)
    tiles = labelled_tiles(images, ["1: 3→5", "2: 7→1", "#59999 0→6"], scale=2, band=12)
    assert tiles.shape == (3, 68, 56) and tiles.dtype == np.uint8
    assert tiles[:, 56:].max() > 200  # the captions were drawn
    long = labelled_tiles(images[:1], ["44657: 9→9"], scale=2, band=13)[0, 56:]  # a five-digit rank
    inked = np.flatnonzero(long.max(axis=0) > 120)
    assert inked[0] > 0 and inked[-1] < long.shape[1] - 1, inked  # whole: neither end cut off by the tile's edge
    lit = labelled_tiles(images, ["a", "b", "c"], scale=2, band=12, highlight=[1])
    assert lit[1, 56:].mean() > 150 > 60 > lit[0, 56:].mean()  # the chosen one stands out
    result, _ = synthetic_result()
    grid = dubious.top_sheet(dubious.rank(result, "train"), np.zeros((400, 28, 28), np.uint8), top=20, columns=10)
    tile_h, tile_w, gap = 28 * 3 + 15, 28 * 3, 2  # scale 3, a caption band of 15 pixels
    assert grid.shape == (2 * (tile_h + gap) + gap, 10 * (tile_w + gap) + gap)  # 20 tiles, 10 a row
    assert grid[gap + 28 * 3 : gap + tile_h, gap : gap + tile_w].max() > 200  # the first caption was drawn
