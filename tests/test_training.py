import subprocess
import sys

import numpy as np
import pytest

from digitlab.jobs.lock import TrainingBusy, TrainingLock, is_held
from digitlab.metrics import confusion
from digitlab.models import DEFAULT_PRESET, PRESET_ALIASES, PRESETS, canonical_preset, feature_model, get_preset
from digitlab.store import ModelStore
from digitlab.cancel import Cancelled
from digitlab.models import TrainConfig
from digitlab.training import split_indices, train
from tests.helpers import ROOT


def test_split_is_disjoint_complete_and_seeded():
    tr, va = split_indices(1000, 0.2, seed=3)
    assert len(va) == 200 and len(np.intersect1d(tr, va)) == 0
    assert sorted(np.concatenate([tr, va])) == list(range(1000))
    assert np.array_equal(va, split_indices(1000, 0.2, seed=3)[1])
    assert not np.array_equal(va, split_indices(1000, 0.2, seed=4)[1])


@pytest.mark.parametrize("bad", [
    dict(epochs=0), dict(batch_size=0), dict(validation_split=0.95), dict(keep_best=True, validation_split=0.0),
    dict(subset=5),
])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError):
        TrainConfig("seed003-mlp512-rmsprop", **bad).resolved()


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(KeyError, match="seed000-mlp784"):
        TrainConfig("nope").resolved()


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_a_softmax_over_ten_digits(name):
    model = PRESETS[name].build()
    out = np.asarray(model(np.zeros((2, 28, 28), np.float32)))
    assert out.shape == (2, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    assert feature_model(model)(np.zeros((1, 28, 28), np.float32)).shape[0] == 1


def test_confusion_matrix_counts():
    cm = confusion(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), n=3)
    assert cm.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


@pytest.mark.mnist
def test_short_training_reports_progress_and_learns(mnist):
    seen = []
    config = TrainConfig("seed003-mlp512-rmsprop", epochs=2, subset=3000, validation_split=0.2, keep_best=True)
    result = train(config, mnist, on_progress=seen.append, test_images=2000)  # scoring all 10,000 is not the point
    fractions = [p.fraction for p in seen if p.phase == "training"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert seen[-1].phase == "evaluating"
    info = result.info
    assert len(info["history"]) == 2 and "val_loss" in info["history"][0]
    best = 1 + int(np.argmin([h["val_loss"] for h in info["history"]]))
    assert info["best_epoch"] == best
    assert info["train_images"] == 2400 and info["validation_images"] == 600
    assert info["test_accuracy"] > 0.75  # 3,000 images, 2 epochs: far above chance (0.828 on these 2,000)
    # Measured on the first 2,000 test images, as asked, and run.json says so.
    assert info["test_images"] == 2000 and len(info["test_predictions"]) == 2000
    assert np.asarray(info["confusion_matrix"]).sum() == 2000
    assert result.test_probabilities.shape == (2000, 10)
    assert info["test_accuracy"] == np.mean(result.test_probabilities.argmax(1) == mnist.y_test[:2000])


@pytest.mark.mnist
def test_excluded_images_are_not_trained_on(mnist):
    config = TrainConfig("seed000-mlp784", epochs=1, subset=1000, exclude=(0, 1, 2, 999))
    result = train(config, mnist, test_images=0)  # nothing scored: not what this is about
    assert result.info["train_images"] == 996 and result.info["excluded_indices"] == [0, 1, 2, 999]
    assert result.info["test_images"] == 0 and "test_accuracy" not in result.info
    assert result.test_probabilities.shape == (0, 10)


@pytest.mark.mnist
@pytest.mark.parametrize("n", [-1, 10001])
def test_a_test_subset_beyond_the_test_set_is_refused_before_training(mnist, n):
    def no_training(*args, **kwargs):
        raise AssertionError("trained although the settings are wrong")

    with pytest.raises(ValueError, match="test_images must be from 0 to 10000"):
        train(TrainConfig("seed000-mlp784", epochs=1, subset=1000), mnist, on_progress=no_training, test_images=n)


@pytest.mark.mnist
def test_the_cnn_learns_pen_digits_styles_and_non_digits_only_when_augmenting(mnist):
    # Nothing scored (test_images=0): the test set is not what this is about.
    with_extras = train(TrainConfig("cnn", epochs=1, subset=1200), mnist, test_images=0).info
    tr, va = split_indices(1200, PRESETS["cnn"].validation_split, 0)
    made = with_extras["beyond_mnist"]
    extras = PRESETS["cnn"].extras
    # A subset gets its share of the pen digits, and non-digits as a share of its images.
    assert abs(made["pen digits"] - extras.pen_digits * 7494 * len(tr) / 60000) <= 2
    assert 0 < made["styles"] and 0.8 * extras.non_digits * len(tr) <= made["non-digits"] <= extras.non_digits * len(tr)
    assert with_extras["train_images"] == len(tr) + sum(made.values())
    assert with_extras["validation_images"] == len(va)  # the validation images stay MNIST's own
    assert 0.0 <= with_extras["history"][0]["accuracy"] <= 1.0  # accuracy over the digits only
    plain = train(TrainConfig("cnn", epochs=1, subset=1200, augment=False), mnist, test_images=0).info
    assert plain["beyond_mnist"] == {} and plain["train_images"] == len(tr)
    # MNIST alone, augmented (the dubious-labels fold models, issue 24): no extra image at all.
    alone = train(TrainConfig("cnn", epochs=1, subset=1200, extras=False), mnist, test_images=0).info
    assert alone["beyond_mnist"] == {} and alone["train_images"] == len(tr) and alone["config"]["augment"]


def test_non_digits_are_taught_a_flat_answer_and_digits_their_label():
    import tensorflow as tf

    from digitlab.training import DigitAccuracy, digit_or_uniform_loss
    from digitlab.training_data import NON_DIGIT_WEIGHT, NOT_A_DIGIT

    flat, sure = np.full(10, 0.1, np.float32), np.eye(10, dtype=np.float32)[3] * 0.99 + 0.001
    y = tf.constant([3, NOT_A_DIGIT, NOT_A_DIGIT])
    loss = digit_or_uniform_loss(y, tf.constant(np.stack([sure, flat, sure]))).numpy()
    assert loss[0] < 0.02  # the right digit, sure: no loss
    assert abs(loss[1] - NON_DIGIT_WEIGHT * np.log(10)) < 1e-4  # a flat answer to a non-digit: the least it can be
    assert loss[2] > 2.5 * loss[1]  # a confident digit for a non-digit costs much more
    metric = DigitAccuracy()
    metric.update_state(tf.constant([3, 5, NOT_A_DIGIT]), tf.constant(np.stack([sure, sure, sure])))
    assert abs(float(metric.result()) - 0.5) < 1e-6  # 1 of the 2 digits right; the non-digit does not count


@pytest.mark.mnist
def test_cancel_stops_between_batches(mnist):
    calls = []

    def stop_after_three():
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(Cancelled):
        train(TrainConfig("seed000-mlp784", epochs=5, subset=5000), mnist, should_stop=stop_after_three)
    assert len(calls) == 3


def test_second_lock_is_refused_with_who_holds_it(tmp_path):
    with TrainingLock({"preset": "cnn", "source": "test"}, root=tmp_path):
        assert is_held(tmp_path)
        with pytest.raises(TrainingBusy, match="preset cnn.*from test"):
            TrainingLock({"preset": "x"}, root=tmp_path).acquire()
    assert not is_held(tmp_path)
    TrainingLock({"preset": "x"}, root=tmp_path).acquire().release()


def test_old_preset_names_are_read_as_todays_and_one_preset_is_preselected():
    assert PRESET_ALIASES == {"default": "cnn"}  # the one place old names live
    assert canonical_preset("default") == "cnn" and canonical_preset("seed000-mlp784") == "seed000-mlp784"
    assert canonical_preset(None) is None
    assert get_preset("default") is PRESETS["cnn"] and "default" not in PRESETS
    assert TrainConfig("default").resolved().preset == "cnn"  # an old command line trains and records "cnn"
    assert DEFAULT_PRESET in PRESETS


@pytest.mark.trained_model
def test_a_run_stored_under_the_old_preset_name_is_read_as_cnn(isolated_dirs):
    from tests.helpers import tiny_model

    store = ModelStore()
    run = store.save(tiny_model(), {"preset": "default", "test_accuracy": 0.99, "started": "2026-11-23T17:38:59"})
    again = store.get(run.id)
    assert again.info["preset"] == "default"  # what was stored is not rewritten
    assert again.preset == "cnn" and "cnn" in again.label


def test_listing_the_presets_needs_no_tensorflow():
    code = "import sys; import digitlab.models, digitlab.store; print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_extra_images_are_drawn_once_and_again_when_anything_they_depend_on_changes(isolated_dirs):
    from digitlab.training_data import Extras, cache_key, cached_extra_training_data

    x = np.zeros((40, 28, 28), np.uint8)
    x[:, 4:24, 12:16] = 255  # forty 1s
    y = np.ones(40, np.uint8)
    extras = Extras(styles=(("1 with a flag", 0.5),), non_digits=0.25)
    first = cached_extra_training_data(extras, x, y, seed=0)
    cached = list((isolated_dirs / "cache" / "training_data").glob("*.npz"))
    assert len(cached) == 1 and first.counts["non-digits"] > 0
    again = cached_extra_training_data(extras, x, y, seed=0)
    assert np.array_equal(first.images, again.images) and first.counts == again.counts
    key = cache_key(extras, x, y, 0)
    assert key != cache_key(extras, x, y, 1) and key != cache_key(Extras(non_digits=0.25), x, y, 0)
    assert key != cache_key(extras, x[:-1], y[:-1], 0)
    cached[0].write_bytes(b"damaged")
    assert np.array_equal(cached_extra_training_data(extras, x, y, seed=0).images, first.images)


@pytest.mark.mnist
def test_a_diverging_training_stops_and_stores_nothing(mnist, monkeypatch):
    import dataclasses

    import keras

    from digitlab import models, training

    # A learning rate no preset has: the loss leaves the numbers within a few batches.
    wild = dataclasses.replace(get_preset("seed000-mlp784"), optimizer=lambda steps: keras.optimizers.SGD(1e12))
    monkeypatch.setitem(models.PRESETS, "seed000-mlp784", wild)
    store = ModelStore()
    before = [r.id for r in store.runs()]
    with pytest.raises(training.Diverged, match="nothing was saved"):
        train(TrainConfig("seed000-mlp784", epochs=2, subset=3000), mnist)
    assert [r.id for r in store.runs()] == before
