"""digitlab.dubious.reference: a second opinion on the test images from a model that never saw them."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest

from digitlab import dubious
from digitlab.dubious import cache, reference
from digitlab.dubious.__main__ import main as cli_main
from digitlab.store import SHIPPED_ID, ModelStore


def test_join_is_a_deterministic_symmetric_distribution_in_which_either_opinion_can_rule_a_digit_out():
    rng = np.random.default_rng(0)
    a, b = rng.dirichlet(np.ones(10), 50), rng.dirichlet(np.ones(10), 50)
    j = reference.join(a, b)
    assert j.dtype == np.float32 and j.shape == (50, 10)
    assert np.allclose(j.sum(axis=1), 1, atol=1e-5)
    assert np.array_equal(j, reference.join(a, b)) and np.allclose(j, reference.join(b, a))
    sure = np.eye(10)[[3]] * 0.999 + 0.0001  # one opinion: surely a 3
    doubt = np.full((1, 10), 0.1)  # the other: no idea
    assert reference.join(sure, doubt)[0].argmax() == 3
    ruled_out = np.full((1, 10), 1 / 9)
    ruled_out[0, 3] = 0.0  # the other: anything but a 3
    assert reference.join(sure, ruled_out)[0, 3] < reference.join(sure, doubt)[0, 3] / 100
    with pytest.raises(ValueError, match="one shape"):
        reference.join(a, b[:10])


def test_a_model_made_from_other_data_is_refused_as_the_reference():
    info = {"data_fingerprint": "aaaa"}
    reference.check_out_of_sample(info, "m", "aaaa")
    with pytest.raises(reference.ReferenceRefused, match="may have seen the test images"):
        reference.check_out_of_sample(info, "m", "bbbb")
    with pytest.raises(reference.ReferenceRefused, match="does not name"):
        reference.check_out_of_sample({}, "m", "aaaa")
    assert "there is no model 'nonexistent'" in reference.problem("nonexistent", "aaaa")


@pytest.mark.mnist
@pytest.mark.trained_model
def test_the_reference_reads_the_test_images_only_and_its_opinion_is_joined_in(small_dubious_run, mnist):
    alone, _ = small_dubious_run
    joined = reference.add(alone, SHIPPED_ID, mnist)
    # The training split keeps the fold models' evidence alone: the reference learned those images.
    for name in ("labels", "probs", "votes", "folds"):
        assert np.array_equal(getattr(joined.train, name), getattr(alone.train, name))
    assert joined.train.reference_probs is None
    second = joined.test.reference_probs
    assert second.shape == (10000, 10) and (second.argmax(1) == mnist.y_test).mean() > 0.99
    assert np.array_equal(joined.test.probs, reference.join(alone.test.probs, second))
    assert np.array_equal(joined.test.votes, alone.test.votes)
    assert joined.settings == replace(alone.settings, reference=SHIPPED_ID)
    info = ModelStore().get(SHIPPED_ID).info
    assert joined.meta["reference"]["trained_as"] == info["trained_as"]
    assert joined.meta["fold_test_accuracy"] == alone.meta["test_accuracy"]
    # Saved and read back: the second opinion is kept, and the key names the reference.
    path = dubious.save(joined)
    back = dubious.read(path)
    assert back.settings == joined.settings and np.allclose(back.test.reference_probs, second, atol=1e-3)
    assert cache.file_name(joined.settings, mnist.fingerprint) != cache.file_name(alone.settings, mnist.fingerprint)


@pytest.mark.mnist
@pytest.mark.trained_model
def test_cli_refuses_a_reference_trained_on_other_data_with_a_message(mnist, capsys, monkeypatch):
    store = ModelStore()
    copy = store.root / "other-data"
    shutil.copytree(store.path_of(SHIPPED_ID), copy)
    info = json.loads((copy / "run.json").read_text())
    (copy / "run.json").write_text(json.dumps({**info, "data_fingerprint": "0123456789abcdef"}))
    # Refused before any fold model trains (none of these settings' results exists yet).
    monkeypatch.setattr("digitlab.training.train", lambda *a, **k: pytest.fail("trained before checking"))
    code = cli_main(["rank", "--split", "test", "--top", "3", "--preset", "seed003-mlp512-rmsprop", "--folds", "2",
                     "--epochs", "1", "--subset", "200", "--reference", "other-data"])
    err = capsys.readouterr().err
    assert code == 1 and "may have seen the test images" in err and "--no-reference" in err


def test_results_made_before_reference_models_read_as_the_fold_models_alone(tmp_path):
    shipped = sorted(cache.SHIPPED_DIR.glob("oof-*-5833a8e168ee.npz"))
    assert shipped, "the fold models' shipped result (the reference is joined onto it)"
    old = dubious.read(shipped[0])
    assert old.settings.reference is None and old.test.reference_probs is None
    assert not old.settings.augment and not old.settings.tta  # made before those settings, so without them
    assert old.settings.key() == "5833a8e168ee"


@pytest.mark.mnist
@pytest.mark.trained_model
def test_the_page_shows_the_second_opinion_on_a_test_image_and_offers_it_when_computing(
        small_dubious_run, mnist, isolated_dirs, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.helpers import ROOT, activate_tiny_model

    monkeypatch.setattr(cache, "SHIPPED_DIR", isolated_dirs / "nothing-shipped")
    monkeypatch.setenv("DIGITLAB_VISITORS_TRAIN", "1")  # AppTest is a visitor: the form is shown to whoever may train
    dubious.save(reference.add(small_dubious_run[0], SHIPPED_ID, mnist))  # into this test's cache
    activate_tiny_model()  # the nearest images need a model; a tiny one costs nothing
    at = AppTest.from_file(str(ROOT / "main.py"), default_timeout=120)
    at.switch_page("pages/dubious.py")
    at.run()
    assert not at.exception, at.exception
    at.radio(key="dubious-split").set_value("test").run()
    assert not at.exception, at.exception
    assert any(f"Model '{SHIPPED_ID}' (trained on the training images only) reads" in m.value for m in at.markdown)
    assert any("a second opinion" in m.value for m in at.markdown)
    offered = at.checkbox(key="dubious-again-reference")
    assert not offered.disabled and offered.value is (dubious.Settings().reference == SHIPPED_ID)
