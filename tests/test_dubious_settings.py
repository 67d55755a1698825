"""The dubious-label defaults: one home, and results made before a ranking's evidence existed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from digitlab import dubious
from digitlab.dubious import cache
from digitlab.dubious.__main__ import main as cli_main

# The result shipped before 2026-11-30: the padded CNN, 3 epochs, without the neighbours' evidence.
BEFORE = ["--preset", "cnn-padded", "--epochs", "3"]


def test_the_fold_preset_gets_the_default_recipe_and_others_their_own():
    d = dubious.Settings()
    assert (d.preset, d.epochs, d.augment, d.tta) == (dubious.FOLD_PRESET, dubious.FOLD_EPOCHS, True, True)
    padded = dubious.Settings.for_preset("cnn-padded", epochs=3)
    assert not padded.augment and not padded.tta and padded.reference is None
    assert padded.key() == "5833a8e168ee"  # the name of the result shipped before: still found


@pytest.mark.mnist
def test_rank_falls_back_on_self_confidence_for_a_result_without_the_default_rankings_evidence(capsys):
    assert cli_main(["rank", "--split", "test", "--top", "3", *BEFORE]) == 0
    out = capsys.readouterr()
    assert "ranking by self_confidence" in out.err and out.out.startswith("rank,index,given_label")
    assert len(out.out.splitlines()) == 4


@pytest.mark.mnist
def test_rank_refuses_an_explicit_method_the_result_has_no_evidence_for(capsys):
    assert cli_main(["rank", "--split", "test", "--top", "3", "--method", "combined", *BEFORE]) == 2
    err = capsys.readouterr().err
    assert "no evidence for --method combined" in err


# The keys of the results computed before the fold models could learn MNIST alone (issue 24): the files
# shipped in precomputed/dubious/ and the seed-003 MLP the judged benchmark's pool was made from.
OLD_KEYS = {"518c52177b42": dubious.Settings.for_preset("cnn", extras=True, ensemble=False),
            "5833a8e168ee": dubious.Settings.for_preset("cnn-padded", epochs=3),
            "9cd6c286cc4f": dubious.Settings.for_preset("seed003-mlp512-rmsprop")}


@pytest.mark.parametrize("key", sorted(OLD_KEYS))
def test_results_made_before_mnist_alone_keep_their_keys(key):
    assert OLD_KEYS[key].key() == key


def test_mnist_alone_is_a_setting_of_its_own_and_only_where_it_changes_what_is_learned():
    alone = dubious.Settings.for_preset("cnn", extras=False, ensemble=False)
    assert alone.key() not in OLD_KEYS and "augmented MNIST alone" in alone.describe()
    assert "with augmentation and extra images" in OLD_KEYS["518c52177b42"].describe()
    # Without augmentation, or for a preset with no extra images, nothing is left out: one training, one key.
    for preset, augment in (("cnn", False), ("cnn-padded", True), ("seed003-mlp512-rmsprop", False)):
        s = dubious.Settings.for_preset(preset, augment=augment)
        assert len({replace(s, extras=e, ensemble=b).key() for e in (False, True) for b in (False, True)}) == 1, preset
        assert replace(s, extras=False, ensemble=True).resolved() == replace(s, extras=True, ensemble=False).resolved()


def test_a_result_of_fold_models_that_learned_mnist_alone_reads_back_as_that(tmp_path):
    alone = dubious.Settings.for_preset("cnn", extras=False, ensemble=False, subset=300)
    n = 300
    e = dubious.Evidence(labels=np.zeros(n, np.uint8), probs=np.full((n, 10), 0.1, np.float32),
                         votes=np.zeros((n, 5), np.int8), folds=np.zeros(n, np.int8))
    path = dubious.save(dubious.Result(alone.resolved(), "fp", train=e, test=replace(e, folds=None)), tmp_path)
    assert path.name == f"oof-fp-{alone.key()}.npz"
    back = dubious.read(path)
    assert back.settings == alone.resolved() and not back.settings.extras
    assert back.settings.key() == alone.key()


def test_a_file_made_before_the_setting_reads_as_made_with_the_extra_images():
    old = dubious.read(sorted(cache.SHIPPED_DIR.glob("oof-*-518c52177b42.npz"))[0])
    assert "extras" not in old.meta["settings"]  # written before the setting existed
    assert old.settings.extras and old.settings.augment and old.settings.key() == "518c52177b42"


def test_the_default_joins_the_two_sets_of_fold_models_each_a_result_of_its_own():
    d = dubious.Settings()
    assert d.resolved().ensemble and d.key() not in OLD_KEYS
    with_extras, alone = d.parts()
    assert with_extras.key() == "518c52177b42"  # the set shipped on 2026-11-30: reused, not trained again
    assert not alone.extras and not alone.ensemble and alone.key() == replace(with_extras, extras=False).key()
    assert "two sets with augmentation (with the extra images, and MNIST alone), joined" in d.describe()
    assert replace(d, extras=False).key() == d.key()  # joined, whichever "extras" says
    assert OLD_KEYS["5833a8e168ee"].parts() == [OLD_KEYS["5833a8e168ee"].resolved()]


def test_the_shipped_results_have_short_names_that_tell_them_apart():
    # The page's picker showed describe(), whose first 50 characters were the same for all three
    # ("cnn, 5 folds, 20 epochs, batch 256, random seed 0, all") on a phone.
    labels = [dubious.read(p).settings.label() for p in sorted(cache.SHIPPED_DIR.glob("oof-*.npz"))]
    assert len(set(labels)) == len(labels) == 3 and all(len(label) <= 40 for label in labels)
    assert dubious.Settings().label() == "cnn, 20 epochs, both ways joined"
    assert OLD_KEYS["518c52177b42"].label() == "cnn, 20 epochs, with the extra images"
    assert replace(dubious.Settings(), ensemble=False, extras=False, seed=2).label() == "cnn, 20 epochs, MNIST alone, seed 2"
