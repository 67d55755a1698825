"""Pen strokes as another hand would draw them (digitlab.synth.hands): varied, yet the same digit."""

import numpy as np
import pytest

from digitlab.synth import hands, pendigits

ZIGZAG = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 0.0], [1.5, 0.5]])


def path_length(points: np.ndarray) -> float:
    return float(np.hypot(*np.diff(points, axis=0).T).sum())


def test_resample_spaces_points_evenly_and_keeps_the_ends():
    p = hands.resample(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.5]]), step=0.1)
    gaps = np.hypot(*np.diff(p, axis=0).T)
    assert np.allclose(gaps, gaps[0], atol=1e-9) and gaps[0] <= 0.1
    assert np.allclose(p[0], [0, 0]) and np.allclose(p[-1], [1, 0.5])
    assert np.isclose(path_length(p), 1.5)


def test_haste_cuts_corners_but_the_pen_lands_and_lifts_where_it_did():
    calm = hands.smooth(ZIGZAG, 0.0)
    assert np.isclose(path_length(calm), path_length(ZIGZAG), rtol=0.005)  # no haste: the same path, resampled
    cut = [np.hypot(*(hands.smooth(ZIGZAG, sigma) - [0.5, 0.5]).T).min() for sigma in (0.03, hands.HASTE, 0.1)]
    assert 0.01 < cut[0] < cut[1] < cut[2]  # the hastier, the further the path passes from the corner
    hasty = hands.smooth(ZIGZAG, hands.HASTE)
    assert path_length(hasty) < 0.98 * path_length(ZIGZAG)
    assert np.allclose(hasty[[0, -1]], ZIGZAG[[0, -1]])


def test_one_warp_moves_every_stroke_of_a_digit_alike():
    rng = np.random.default_rng(0)
    field = hands.warp_field(rng, 0.1)
    crossing = np.array([[0.3, 0.6]])
    first = hands.warp(np.array([[0.0, 0.0], [0.3, 0.6]]), field)
    second = hands.warp(np.array([[0.3, 0.6], [1.0, 1.0]]), field)
    assert np.allclose(first[1], second[0])  # strokes that met still meet
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 21), np.linspace(0, 1, 21)), -1).reshape(-1, 2)
    moved = hands.warp(grid, field) - grid
    assert 0.01 < np.abs(moved).max() <= 0.1 + 1e-9  # two waves of half the strength a direction
    assert np.allclose(hands.warp(crossing, hands.warp_field(rng, 0.0)), crossing)


def test_another_hand_varies_a_digit_within_the_unit_square_and_repeats_with_its_seed():
    four = [np.array([[0.3, 0.0], [0.1, 0.6], [0.8, 0.6]]), np.array([[0.6, 0.2], [0.6, 1.0]])]
    a = hands.another_hand(four, np.random.default_rng(1))
    b = hands.another_hand(four, np.random.default_rng(1))
    c = hands.another_hand(four, np.random.default_rng(2))
    assert len(a) == 2 and all(s.dtype == np.float32 for s in a)
    every = np.concatenate(a)
    assert every.min() >= -1e-6 and every.max() <= 1 + 1e-6 and np.isclose(np.ptp(every, axis=0).max(), 1.0)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(x.shape == y.shape and np.allclose(x, y) for x, y in zip(a, c))
    with pytest.raises(ValueError):
        hands.another_hand([], np.random.default_rng(0))


def test_render_images_redraws_the_share_asked_and_nothing_without_it():
    data = pendigits.load(split="train").subset_at(np.arange(0, 3000, 30))
    plain, _ = pendigits.render_images(data, seed=4, canvas=150, supersample=2)
    again, _ = pendigits.render_images(data, seed=4, canvas=150, supersample=2, other_hands=0.0)
    varied, _ = pendigits.render_images(data, seed=4, canvas=150, supersample=2, other_hands=0.5)
    assert np.array_equal(plain, again)
    changed = (plain != varied).any(axis=(1, 2)).mean()
    assert 0.3 < changed < 0.7
    with pytest.raises(ValueError, match="share"):
        pendigits.render_images(data, seed=4, other_hands=1.5)


@pytest.mark.trained_model
def test_the_shipped_model_still_reads_digits_drawn_by_another_hand(shipped_classifier):
    """Another hand varies a digit, it never makes it another: the shipped model reads the train writers'
    digits (which it learned) about as well redrawn at the strongest settings as drawn as they were."""
    data = pendigits.load(split="train").subset_at(np.arange(0, 7494, 15))
    rng = np.random.default_rng(5)
    varied = pendigits.PenDigits([hands.another_hand(strokes, rng, strength=1.0) for strokes in data.strokes],
                                 data.labels, data.writers, data.splits)
    plain_images, plain_which = pendigits.render_images(data, seed=5)
    varied_images, varied_which = pendigits.render_images(varied, seed=5)
    plain = (shipped_classifier.probabilities(plain_images).argmax(1) == data.labels[plain_which]).mean()
    redrawn = (shipped_classifier.probabilities(varied_images).argmax(1) == data.labels[varied_which]).mean()
    assert plain > 0.98 and redrawn > plain - 0.03
