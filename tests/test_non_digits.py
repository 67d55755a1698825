"""Drawings that are no digit, for teaching the model to say so."""

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from digitlab.synth.non_digits import CLOSED_SHAPES, KINDS, LETTERS, non_digit_images, random_drawing
from digitlab.synth.stroke_digits import render


@pytest.mark.parametrize("kind", [*KINDS, *CLOSED_SHAPES])
def test_every_kind_draws_strokes_inside_the_unit_square(kind):
    rng = np.random.default_rng(0)
    for _ in range(5):
        name, strokes = random_drawing(rng, [kind])
        points = np.concatenate([np.asarray(s, float) for s in strokes])
        assert name == kind and points.shape[1] == 2 and len(points) >= 2
        assert points.min() >= -1e-6 and points.max() <= 1 + 1e-6
        assert render(strokes)[..., 3].any()  # something is drawn


def test_kinds_differ_from_each_other():
    rng = np.random.default_rng(1)
    hatch = render(random_drawing(rng, ["hatching"])[1])[..., 3] > 127
    star = render(random_drawing(rng, ["star"])[1])[..., 3] > 127
    assert (hatch != star).mean() > 0.05


def test_letters_that_look_like_digits_are_left_out():
    assert not set(LETTERS) & set("OoIlSsZzBbGgq")


def test_images_are_mnist_shaped_seeded_and_named():
    a, kinds = non_digit_images(30, seed=3, canvas=150, supersample=2)
    b, _ = non_digit_images(30, seed=3, canvas=150, supersample=2)
    assert a.dtype == np.uint8 and a.shape[1:] == (28, 28) and 20 <= len(a) <= 30
    assert np.array_equal(a, b) and len(kinds) == len(a) and set(kinds) <= set(KINDS)
    assert not np.array_equal(a, non_digit_images(30, seed=4, canvas=150, supersample=2)[0])


def test_closed_shapes_are_drawn_only_when_named_and_are_not_a_0s_oval():
    _, default = non_digit_images(40, seed=5, canvas=150, supersample=2)
    assert not set(default) & set(CLOSED_SHAPES)
    _, named = non_digit_images(40, seed=5, kinds=list(CLOSED_SHAPES), canvas=150, supersample=2)
    assert set(named) == set(CLOSED_SHAPES)
    rng = np.random.default_rng(6)
    for kind in CLOSED_SHAPES:  # closed, but far from convex: a bite, or lobes
        (outline,) = random_drawing(rng, [kind])[1]
        p = np.asarray(outline)
        area = 0.5 * abs(np.dot(p[:-1, 0], p[1:, 1]) - np.dot(p[1:, 0], p[:-1, 1]))
        assert area < 0.92 * ConvexHull(p).volume, kind  # an oval fills its hull


def test_squashed_flowers_are_longer_one_way_and_round_ones_are_not():
    """stretched_lobed squashes a flower to 0.35-0.8 of its width: its outline's principal axes differ by
    more than 1.2 (an ellipse's by 1/0.8 at least); a round flower's (3-6 lobes, symmetric) hardly differ."""
    def axes_ratio(kind: str, seed: int) -> float:  # the shape itself, before random_drawing's jitter
        (outline,) = CLOSED_SHAPES[kind](np.random.default_rng(seed))
        spread = np.linalg.eigvalsh(np.cov(np.asarray(outline).T))
        return float(np.sqrt(spread[1] / spread[0]))

    squashed = [axes_ratio("stretched lobed", s) for s in range(20)]
    round_ = [axes_ratio("lobed", s) for s in range(20)]
    assert min(squashed) > 1.2 and max(round_) < 1.15, (squashed, round_)
