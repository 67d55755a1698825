"""benchmarks/label_errors_pool.py: who gets judged, the blind sheets, and a later round that adds to the pool."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from benchmarks import label_errors_judged as judged
from benchmarks import label_errors_pool as pool_round
from digitlab import dubious
from digitlab.dubious import cache

pytestmark = pytest.mark.filterwarnings("ignore:May not flag all label issues")


def confident_result(labels: dict[str, np.ndarray], wrong: dict[str, list[int]], fingerprint: str) -> dubious.Result:
    """Fold models that read every image as its label, except ``wrong[split]``, read as label + 1, each
    surer of the label than the one before; their neighbours agree with the models."""
    evidence = {}
    for split, y in labels.items():
        y = np.asarray(y, np.int64)
        read = y.copy()
        read[wrong[split]] = (y[wrong[split]] + 1) % 10
        probs = np.full((len(y), 10), 0.001, np.float32)
        probs[np.arange(len(y)), read] = 0.991
        for k, i in enumerate(wrong[split]):
            probs[i, y[i]] = 10.0 ** -(len(wrong[split]) - k + 2)
        probs /= probs.sum(axis=1, keepdims=True)
        neighbours = np.zeros((len(y), 10), np.float32)
        neighbours[np.arange(len(y)), read] = 1.0
        votes = np.repeat(read[:, None], 5, axis=1).astype(np.int8)
        evidence[split] = dubious.Evidence(labels=y.astype(np.uint8), probs=probs, votes=votes, neighbours=neighbours,
                                           folds=(np.arange(len(y)) % 5).astype(np.int8) if split == "train" else None)
    # The fold models shipped on 2026-11-30 (named cnn-20ep-aug-tta below).
    return dubious.Result(dubious.Settings(ensemble=False), fingerprint, train=evidence["train"], test=evidence["test"])


def test_the_combined_ranking_as_shipped_before_ties_at_1_and_breaks_them_by_self_confidence():
    labels = np.zeros(4, np.uint8)
    probs = np.array([[0.4, 0.6], [0.01, 0.99], [0.9, 0.1], [0.2, 0.8]], np.float32)
    probs = np.hstack([probs, np.zeros((4, 8), np.float32)])
    neighbours = np.zeros((4, 10), np.float32)
    neighbours[:, 0] = [0.0, 0.0, 0.5, 0.0]  # three with no neighbour agreeing: 1 - sqrt(0) = 1, a tie
    e = dubious.Evidence(labels=labels, probs=probs, votes=np.zeros((4, 5), np.int8), neighbours=neighbours)
    result = dubious.Result(dubious.Settings(), "t", train=e, test=e)
    assert judged.combined_v1(result, "test").tolist() == [1, 3, 0, 2]  # p(label) 0.01, 0.2, 0.4; then 2
    assert list(judged.orders(result, "test")) == [*dubious.METHODS, "combined-v1"]


def test_controls_are_random_outside_the_candidates_and_the_same_for_the_same_seed():
    taken = {("test", i) for i in range(0, 50)} | {("train", 3)}

    def draw(seed: int) -> list:
        return pool_round.controls({"test": 60, "train": 10}, taken, 5, np.random.default_rng(seed))

    chosen = draw(1)
    assert len(chosen) == 10 and len(set(chosen)) == 10 and not set(chosen) & taken
    assert sorted(s for s, _ in chosen) == ["test"] * 5 + ["train"] * 5
    assert all(50 <= i < 60 for s, i in chosen if s == "test")
    assert draw(1) == chosen and draw(2) != chosen


def test_a_judging_sheet_shows_each_image_4x_with_its_id_under_it():
    images = np.zeros((7, 28, 28), np.uint8)
    images[:, 10:18, 12:16] = 255  # a bar in each
    sheet = pool_round.judging_sheet(images, [f"q{k:04d}" for k in range(1, 8)])
    side, gap, band = 28 * pool_round.SCALE, pool_round.GAP, pool_round.ID_BAND
    assert sheet.shape == (2 * (side + band + gap) + gap, 6 * (side + gap) + gap, 3)  # 7 tiles, 6 a row
    assert max(sheet.shape[:2]) <= 1400  # an image viewer shows it without shrinking much
    tile = sheet[gap : gap + side, gap : gap + side, 0]
    assert tile[0, 0] == 0 and tile[10 * 4, 12 * 4] == 255 and tile[10 * 4 - 1, 12 * 4] == 0  # 4x, nearest
    under = sheet[gap + side : gap + side + band, gap : gap + side, 0]
    assert under.min() < 100 and under.max() > 200  # dark text on the light page
    assert (sheet[gap + side + band + gap :, 2 * (side + gap) :, 0] == 235).all()  # the empty places are page
    with pytest.raises(ValueError, match="7 images but 6 ids"):
        pool_round.judging_sheet(images, ["q"] * 6)


@pytest.mark.mnist
def test_a_round_pools_the_candidates_and_controls_blindly_and_a_second_round_only_adds(mnist, tmp_path):
    labels = {"train": mnist.y_train, "test": mnist.y_test}
    result = confident_result(labels, {"train": [11, 22, 33, 44], "test": [5, 6, 7]}, mnist.fingerprint)
    path = cache.save(result, tmp_path / "results")
    data, sheets = tmp_path / "data", tmp_path / "round1"
    args = ["--data", str(data), "--result", str(path), "--test-top", "2", "--train-top", "3", "--controls", "4"]
    assert pool_round.main([*args, "--sheets", str(sheets)]) == 0
    pool = judged.read_pool(data)
    assert list(pool) == [f"q{k:04d}" for k in range(1, 14)]  # 2 + 3 candidates, 4 + 4 controls
    by_image = {(im.split, im.index): im for im in pool.values()}
    assert {k for k, im in by_image.items() if not im.control} == {("test", 5), ("test", 6), ("train", 11),
                                                                    ("train", 22), ("train", 33)}
    assert "cnn-20ep-aug-tta/self_confidence@1" in by_image[("train", 11)].sources
    assert "cnn-20ep-aug-tta/combined-v1@2" in by_image[("train", 22)].sources
    assert all(im.label == labels[im.split][im.index] and im.round == 1 for im in pool.values())
    in_id_order = [(im.split, im.index) for im in pool.values()]
    assert in_id_order != sorted(in_id_order)  # shuffled: an id says nothing of the split, index or source
    assert sorted(p.name for p in sheets.iterdir()) == ["INSTRUCTIONS.md", "answers-template.csv", "sheet-01.png"]
    with open(sheets / "answers-template.csv", newline="") as f:
        assert [r["id"] for r in csv.DictReader(f)] == list(pool)
    assert Image.open(sheets / "sheet-01.png").size == (6 * 134 + 22, 3 * 160 + 22)  # 13 images, 6 a row
    assert pool_round.main([*args, "--sheets", str(sheets)]) == 2  # a round's sheets are never overwritten

    deeper = [*args[:-4], "--test-top", "3", "--train-top", "4", "--controls", "1"]
    assert pool_round.main([*deeper, "--sheets", str(tmp_path / "round2")]) == 0
    added = {q: im for q, im in judged.read_pool(data).items() if q not in pool}
    assert list(added) == [f"q{k:04d}" for k in range(14, 18)]  # test 7, train 44, two controls
    assert {(im.split, im.index) for im in added.values() if not im.control} == {("test", 7), ("train", 44)}
    assert all(im.round == 2 and (im.split, im.index) not in by_image for im in added.values())
