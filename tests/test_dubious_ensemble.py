"""Unlike fold models joined, and probabilities calibrated per fold model (digitlab.dubious.ensemble)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from digitlab import dubious
from digitlab.dubious import ensemble, evidence, reference


def made(seed: int, *, folds: np.ndarray | None = None, sharpen: float = 1.0, n: int = 2000) -> dubious.Result:
    """The same labels, drawn from one set of honest probabilities; ``seed`` 0 has those, another seed
    models of its own (noise on them), ``sharpen`` > 1 overconfident ones (their logits times it)."""
    base = np.random.default_rng(0)
    logits = base.normal(0, 2, (n, 10))
    honest = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([base.choice(10, p=p) for p in honest], np.uint8)
    if seed:
        logits = logits + np.random.default_rng(seed).normal(0, 0.5, (n, 10))
    probs = np.exp(sharpen * logits)
    probs = (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
    folds = np.arange(n, dtype=np.int8) % 5 if folds is None else folds
    votes = np.tile(probs.argmax(1)[:, None], (1, 5)).astype(np.int8)
    share = np.eye(10, dtype=np.float32)[labels]
    common = dict(labels=labels, probs=probs, votes=votes, neighbours=share, plain_probs=probs)
    return dubious.Result(dubious.Settings(), "fp", train=dubious.Evidence(folds=folds, **common),
                          test=dubious.Evidence(**common), meta={"seconds": 10.0 * seed})


def test_joining_two_results_is_the_geometric_mean_of_their_probabilities_with_every_vote():
    a, b = made(1), made(2)
    j = ensemble.join([a, b])
    for split in dubious.SPLITS:
        np.testing.assert_allclose(j.split(split).probs, reference.join(a.split(split).probs, b.split(split).probs),
                                   rtol=1e-5, atol=1e-7)
        assert j.split(split).votes.shape == (2000, 10)
        assert np.array_equal(j.split(split).votes[:, 5:], b.split(split).votes)
    assert np.array_equal(j.train.folds, a.train.folds) and j.meta["seconds"] == 10.0 + 20.0
    np.testing.assert_allclose(j.test.probs.sum(axis=1), 1.0, rtol=1e-5)
    assert j.meta["test_accuracy"] == float((j.test.probs.argmax(1) == j.test.labels).mean())


def test_results_of_other_folds_are_not_joined():
    a = made(1)
    other = made(2, folds=np.roll(a.train.folds, 1))
    with pytest.raises(ValueError, match="other folds"):
        ensemble.join([a, other])
    with pytest.raises(ValueError, match="other copies of MNIST"):
        ensemble.join([a, replace(made(2), fingerprint="another")])


def test_calibration_softens_overconfident_fold_models_and_never_hurts_their_likelihood():
    over = made(0, sharpen=3.0)
    cal = ensemble.calibrate(over)
    t_train, t_test = cal.meta["calibration"]["train"], cal.meta["calibration"]["test"]
    assert len(t_train) == 5 and len(t_test) == 1 and min(t_train + t_test) > 2.5  # about 3: sharpened 3 times
    assert 0.8 < ensemble.calibrate(made(0)).meta["calibration"]["test"][0] < 1.25  # honest ones stay about 1

    def nll(e: dubious.Evidence) -> float:
        return float(-np.log(e.probs[np.arange(len(e.labels)), e.labels]).mean())

    for split in dubious.SPLITS:
        assert nll(cal.split(split)) < nll(over.split(split))
        assert np.array_equal(cal.split(split).probs.argmax(1), over.split(split).probs.argmax(1))
    # Each fold at its own temperature, fitted on its own images.
    rows = over.train.folds == 2
    np.testing.assert_allclose(cal.train.probs[rows], evidence.with_temperature(over.train.probs[rows], t_train[2]))


def test_a_label_one_set_gave_a_little_stays_above_one_both_gave_nothing_once_stored(tmp_path):
    # Stored probabilities are float16: below 2**-25 they are 0. Joined with a floor of 1e-12, a label one
    # set gave 0 and the other 1e-6 joined to 1e-9, was stored as 0 and tied with a label both gave 0.
    a, b = made(1), made(2)
    for result, given in ((a, (0.0, 0.0)), (b, (0.0, 1e-6))):
        for image, p in enumerate(given):
            row = result.train.probs[image]
            label = int(result.train.labels[image])
            rest = np.delete(np.arange(10), label)
            row[rest] *= (1 - p) / row[rest].sum()
            row[label] = p
    stored = dubious.read(dubious.save(ensemble.join([a, b]), tmp_path))
    score = dubious.rank(stored, "train", "self_confidence").score
    assert score[0] > score[1] > 5  # both a surprise above 5 (under 1e-5), the one both gave 0 the greater


def test_the_ensemble_setting_joins_its_two_cached_sets_without_training(monkeypatch):
    import digitlab.training

    from digitlab.dubious import cache, folds

    def never(*args, **kwargs):
        raise AssertionError("trained although both sets of fold models were cached")

    monkeypatch.setattr(digitlab.training, "train", never)
    settings = dubious.Settings(subset=300, ensemble=True)
    parts = settings.parts()
    for seed, part in enumerate(parts, start=1):
        dubious.save(replace(made(seed, n=300), settings=part.resolved()))
    mnist = type("Mnist", (), {"fingerprint": "fp"})()
    joined = folds.compute(settings, mnist)
    assert joined.settings == settings.resolved() and joined.train.votes.shape == (300, 10)
    expected = ensemble.join([cache.load(p, "fp") for p in parts])
    np.testing.assert_array_equal(joined.test.probs, expected.test.probs)
    assert [s["extras"] for s in joined.meta["joined"]] == [True, False]
