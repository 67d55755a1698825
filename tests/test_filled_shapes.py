"""Filled shapes (never training data) and what the preprocessing makes of them: not a digit.

A disc, a blob or a heart coloured in on the canvas, or solid in a photo, was read as a 0; they are
refused before the model (as a dot or a blob, or as a shape coloured in), and real digits are not.
"""

import numpy as np
import pytest

from digitlab.ink import filled_marks, ink_and_paper, to_ink
from digitlab.preprocess import FILLED_SHARE, filled_share, preprocess
from digitlab.synth import pendigits
from digitlab.synth.filled_shapes import OUTLINES, coloured_in, outline, scanlines, solid_picture
from digitlab.synth.photo_like import CONDITIONS, photo, with_tilt

REFUSED = {"dot", "filled"}


@pytest.mark.parametrize("kind", OUTLINES)
def test_every_outline_is_closed_inside_the_unit_square_and_spans_it(kind):
    rng = np.random.default_rng(0)
    for _ in range(5):
        p = outline(kind, rng)
        assert p.ndim == 2 and p.shape[1] == 2 and len(p) >= 4
        np.testing.assert_allclose(p[0], p[-1], atol=1e-9)  # closed
        assert p.min() >= 0.0 and p.max() <= 1.0
        assert np.ptp(p, axis=0).max() == pytest.approx(0.96)  # the longer side spans the square
    with pytest.raises(ValueError, match="unknown shape"):
        outline("moon", rng)


def test_scanlines_fill_a_square_edge_to_edge_at_their_spacing_every_other_one_backwards():
    square = np.array([[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9], [0.1, 0.1]])
    lines = scanlines(square, 0.1, angle=0.0)
    assert len(lines) == 8  # 0.8 tall, one every 0.1
    for n, ((x0, y0), (x1, y1)) in enumerate(lines):
        assert y0 == pytest.approx(y1) and 0.1 < y0 < 0.9
        assert sorted([x0, x1]) == pytest.approx([0.1, 0.9])
        assert (x1 < x0) == (n % 2 == 1)
    turned = scanlines(square, 0.1, angle=np.pi / 2)  # the same square filled with vertical lines
    assert len(turned) == 8 and all(a[0] == pytest.approx(b[0]) for a, b in turned)


def test_pictures_are_what_the_canvas_and_a_camera_give_seeded():
    kind, drawing = coloured_in(np.random.default_rng(1))
    assert kind in OUTLINES and drawing.dtype == np.uint8 and drawing.shape == (300, 300, 4)
    assert drawing[..., 3].any() and (drawing[..., :3] == 255).all()  # white ink in the alpha
    kind, picture = solid_picture(np.random.default_rng(1))
    assert kind in OUTLINES and picture.dtype == np.uint8 and picture.shape == (280, 280, 3)
    assert np.ptp(picture) > 100
    for make in (coloured_in, solid_picture):
        a, b = make(np.random.default_rng(2)), make(np.random.default_rng(2))
        assert a[0] == b[0] and np.array_equal(a[1], b[1])


def test_filled_share_is_near_zero_for_strokes_and_high_for_a_disc():
    yy, xx = np.mgrid[0:28, 0:28]
    r = np.hypot(yy - 14, xx - 14)
    ring = ((r > 8) & (r < 10.5)).astype(np.float32)  # a 0 with an MNIST-like pen
    disc = (r < 10).astype(np.float32)
    assert filled_share(ring) < 0.05 < FILLED_SHARE < filled_share(disc)
    assert filled_share(np.zeros((28, 28), np.float32)) == 0.0


def test_shapes_coloured_in_on_the_canvas_are_refused_and_never_come_out_blank():
    rng = np.random.default_rng(3)
    problems = [preprocess(coloured_in(rng)[1]).problem for _ in range(60)]
    assert "empty" not in problems  # colouring in most of the canvas once read as "nothing drawn"
    assert sum(p in REFUSED for p in problems) >= 0.6 * len(problems), problems


def test_a_filled_shape_in_a_photo_is_ink_all_over_not_a_ring():
    rng = np.random.default_rng(4)
    problems = []
    for _ in range(40):
        _, picture = solid_picture(rng)
        problems.append(preprocess(picture).problem)
    assert all(p in REFUSED for p in problems), problems
    # The disc's middle is ink, not paper (the paper's estimate had swallowed it: only its rim was left).
    picture = np.full((280, 280), 235, np.uint8)
    yy, xx = np.mgrid[0:280, 0:280]
    picture[np.hypot(yy - 140, xx - 140) < 90] = 30
    ink = to_ink(picture)
    assert ink[140, 140] == 1.0 and ink[10, 10] == 0.0


def test_a_shadow_is_never_taken_for_a_filled_mark():
    rng = np.random.default_rng(5)
    data = pendigits.load(split="train")
    for i in rng.choice(len(data), 12, replace=False):
        for name in ("shadow", "uneven light"):
            picture = photo([s.tolist() for s in data.strokes[i]], with_tilt(CONDITIONS[name], rng), rng)
            _, paper = ink_and_paper(picture)
            assert not filled_marks(paper, dark_ink=True).any(), name


def test_real_pen_digits_are_not_refused_as_filled():
    rng = np.random.default_rng(6)
    data = pendigits.load(split="train")
    chosen = rng.choice(len(data), 300, replace=False)
    images, _ = pendigits.render_images(data.subset_at(np.sort(chosen)), seed=6)
    assert all(filled_share(im / 255.0) <= FILLED_SHARE for im in images)


@pytest.mark.mnist
def test_hardly_any_mnist_digit_is_taken_for_a_filled_shape(mnist):
    shares = np.array([filled_share(x / 255.0) for x in mnist.x_test])
    assert (shares > FILLED_SHARE).mean() <= 0.001  # 4 of 10,000 (thick 6s and 8s), README

