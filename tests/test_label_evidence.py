"""The extra evidence about a label: test-time augmentation, neighbours' labels, temperature; realistic flips."""

import numpy as np

from benchmarks.label_noise import flip_labels, plausible_flips, score
from digitlab.dubious import evidence


def test_tta_variants_keep_shape_and_range_and_start_with_the_image():
    x = np.zeros((3, 28, 28), np.float32)
    x[:, 8:20, 12:16] = 1.0
    variants = evidence.tta_variants(x)
    from digitlab.inference import TTA_SHIFTS

    assert len(variants) == 1 + len(TTA_SHIFTS) + len(evidence.TTA_DEGREES)
    assert np.array_equal(variants[0], x)
    for v in variants:
        assert v.shape == x.shape and v.dtype == np.float32 and 0 <= v.min() and v.max() <= 1
    assert not np.array_equal(variants[1], x) and abs(variants[-1].sum() - x.sum()) < 0.1 * x.sum()


def test_tta_probabilities_are_the_plain_answer_and_the_mean_over_variants():
    calls = []

    def model(images):
        calls.append(images)
        return np.tile(np.eye(10, dtype=np.float32)[len(calls) % 10], (len(images), 1))

    plain, tta = evidence.tta_probabilities(model, np.zeros((2, 28, 28), np.float32))
    assert plain.shape == tta.shape == (2, 10) and plain[0, 1] == 1.0
    np.testing.assert_allclose(tta.sum(axis=1), 1.0, rtol=1e-6)
    assert (tta > 0).sum(axis=1)[0] == len(calls)  # every variant had its say


def test_neighbour_labels_are_the_shares_of_the_nearest_references():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, 16))
    reference = np.repeat(centres, 20, axis=0) + 0.05 * rng.normal(size=(200, 16))
    labels = np.repeat(np.arange(10), 20)
    labels[:3] = 9  # three of the 0s carry a wrong label
    query = centres[[0, 4]] + 0.05 * rng.normal(size=(2, 16))
    shares = evidence.neighbour_labels(query, reference, labels, k=10)
    assert shares.shape == (2, 10) and np.allclose(shares.sum(axis=1), 1.0)
    assert shares[1, 4] == 1.0
    assert 0.5 <= shares[0, 0] < 1.0 and shares[0, 9] > 0


def test_temperature_is_found_and_one_changes_nothing():
    rng = np.random.default_rng(1)
    logits = 2.0 * rng.normal(size=(4000, 10))
    honest = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(10, p=p) for p in honest])  # labels drawn from it: it is calibrated
    assert 0.8 < evidence.fit_temperature(honest, labels) < 1.25
    overconfident = evidence.with_temperature(honest, 1 / 3)
    np.testing.assert_allclose(evidence.with_temperature(honest, 1.0), honest, rtol=1e-5)
    assert 2.0 < evidence.fit_temperature(overconfident, labels) < 4.5  # undoes the sharpening


def test_plausible_flips_pick_atypical_digits_that_the_reference_reads_right_and_are_seeded():
    rng = np.random.default_rng(2)
    labels = np.repeat(np.arange(10), 500).astype(np.uint8)
    reference = rng.dirichlet(np.ones(10) * 0.3, len(labels)).astype(np.float32)
    reference[np.arange(len(labels)), labels] += 1.0
    reference /= reference.sum(axis=1, keepdims=True)
    noisy, flipped = plausible_flips(labels, reference, 0.003, seed=0)
    again, flipped_again = plausible_flips(labels, reference, 0.003, seed=0)
    assert len(flipped) == 15 and np.array_equal(flipped, flipped_again) and np.array_equal(noisy, again)
    assert (noisy[flipped] != labels[flipped]).all() and (np.delete(noisy, flipped) == np.delete(labels, flipped)).all()
    second = np.argsort(reference[flipped], axis=1)[:, -2]
    assert np.array_equal(noisy[flipped], second)  # to what the reference finds next most likely
    own = reference[np.arange(len(labels)), labels]
    assert own[flipped].max() < np.median(own)  # among the least typical
    _, randomly = flip_labels(noisy, 0.01, seed=1, avoid=flipped)
    assert not np.isin(randomly, flipped).any()


def test_scores_leave_the_other_flips_out_before_counting():
    order = np.array([7, 1, 2, 3, 4, 5, 6, 0, 8, 9] + list(range(10, 200)))
    s = score(order, flipped=np.array([1, 2]), leave_out=np.array([7]), method="m")
    assert s.precision[2] == 1.0 and s.recall_2n == 1.0
