"""Real pen digits: loading, writers kept apart, drawn like the canvas."""

import gzip
import json

import numpy as np
import pytest

from digitlab.synth import pendigits


def sample(label, writer, split, strokes=None):
    return {"label": label, "writer": writer, "split": split, "source": "x",
            "strokes": strokes or [[[100, 100], [100, 400]], [[60, 150], [100, 100]]]}


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "pen.json.gz"
    with gzip.open(path, "wt") as f:
        json.dump([sample(1, "tra-w01", "train"), sample(7, "tra-w02", "train",
                   [[[50, 50], [450, 50], [200, 450]]]), sample(1, "tes-w01", "test")], f)
    return path


def test_unit_strokes_fill_the_square_by_the_longer_side_and_keep_the_aspect():
    s = pendigits.unit_strokes([[[100, 100], [100, 400]], [[60, 150], [100, 100]]])
    every = np.concatenate(s)
    assert every.min() >= 0 and every.max() <= 1 and np.isclose(np.ptp(every[:, 1]), 1.0)
    assert np.ptp(every[:, 0]) < 0.2  # a 1 stays narrow, centred
    assert abs(every[:, 0].mean() - 0.5) < 0.15


def test_load_splits_by_writer(small_file):
    data = pendigits.load(small_file)
    assert len(data) == 3 and data.labels.dtype == np.uint8
    train, test = data.split("train"), data.split("test")
    assert set(train.writers) == {"tra-w01", "tra-w02"} and set(test.writers) == {"tes-w01"}
    assert len(pendigits.load(small_file, split="test")) == 1
    with pytest.raises(ValueError):
        data.split("validation")


def test_a_missing_or_damaged_file_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv(pendigits.ENV_VAR, str(tmp_path / "nope.json"))
    with pytest.raises(pendigits.PenDigitsUnavailable, match=pendigits.ENV_VAR):
        pendigits.load()
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"')
    with pytest.raises(pendigits.PenDigitsUnavailable, match="not a readable"):
        pendigits.load(bad)


def test_render_images_gives_mnist_style_digits_per_copy(small_file):
    data = pendigits.load(small_file)
    images, which = pendigits.render_images(data, seed=0, copies=2, canvas=150, supersample=2)
    assert images.shape == (6, 28, 28) and images.dtype == np.uint8
    assert which.tolist() == [0, 1, 2, 0, 1, 2]
    assert not np.array_equal(images[0], images[3])  # another size and pen


def test_the_shipped_train_split_holds_only_the_30_train_writers():
    data = pendigits.load(pendigits.SHIPPED_TRAIN)
    assert len(data) == 7494 and set(data.splits) == {"train"}
    assert len(set(data.writers)) == 30 and all(w.startswith("tra-") for w in data.writers)
