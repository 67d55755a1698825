"""Styles MNIST lacks, made from real digits: each stroke lands where that style puts it."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitlab.preprocess import preprocess
from digitlab.synth.styles import (STYLES, base_line, crossbar_line, flag_line, make_style, slash_line, stem_direction,
                             styled_digits, with_lines)


def drawn(lines: list[tuple[tuple[float, float], tuple[float, float]]], width: int = 3) -> np.ndarray:
    """A uint8 (28, 28) MNIST-style digit drawn from straight lines ((x0, y0), (x1, y1))."""
    img = Image.new("L", (28, 28), 0)
    for a, b in lines:
        ImageDraw.Draw(img).line([a, b], fill=255, width=width)
    return (preprocess(np.asarray(img)).image * 255).astype(np.uint8)


def ring() -> np.ndarray:
    img = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(img).ellipse((8, 4, 20, 24), outline=255, width=3)
    return (preprocess(np.asarray(img)).image * 255).astype(np.uint8)


ONE = [((14, 4), (14, 24))]
SEVEN = [((7, 5), (21, 5)), ((21, 5), (12, 24))]


def test_stem_direction_points_down_along_the_stroke():
    assert np.allclose(stem_direction(drawn(ONE) / 255), [0, 1], atol=0.05)
    dx, dy = stem_direction(drawn([((18, 4), (10, 24))]) / 255)  # leaning right, like "/"
    assert dy > 0 and dx < 0 and abs(dx / dy - (-8 / 20)) < 0.15


def test_a_flag_adds_ink_left_of_the_top_and_stays_mnist_style():
    one = drawn(ONE)
    flagged = with_lines(one, [flag_line(one, from_stem_degrees=45, length=0.35)])
    assert flagged is not None and flagged.dtype == np.uint8 and flagged.shape == (28, 28)
    rows, cols = np.nonzero(flagged > 127)
    top_rows = rows < rows.min() + 8
    # The flag reaches well left of the stem near the top, not at the bottom.
    assert cols[top_rows].min() < cols[~top_rows].min() - 3
    com = np.array(np.nonzero(flagged)).T.mean(axis=0)
    assert np.all(np.abs(com - 14) < 3)


def test_a_flag_too_flat_for_a_1_is_not_made():
    assert flag_line(drawn(ONE), from_stem_degrees=75, length=0.35) is None  # 15 degrees below horizontal: a 7's bar


def test_a_base_is_a_horizontal_bar_at_the_foot_of_the_stem():
    one = drawn(ONE)
    (x0, y0), (x1, y1) = base_line(one, width=0.6)
    rows = np.flatnonzero((one > 127).any(axis=1))
    assert y0 == y1 == rows[-1] and x0 < 14 < x1 and abs((x1 - x0) - 0.6 * (rows[-1] - rows[0] + 1)) < 1e-6
    based = with_lines(one, [base_line(one, width=0.6)])
    bottom = np.flatnonzero((based > 127).any(axis=1))[-1]
    assert (based[bottom - 2 : bottom + 1] > 127).any(axis=0).sum() > 3 * (based[10] > 127).sum()  # wide foot


def test_a_slash_crosses_the_zero_through_its_middle_and_rises_to_the_right():
    zero = ring()
    (x0, y0), (x1, y1) = slash_line(zero, degrees=60, length=1.1)
    assert x1 > x0 and y1 < y0  # "/": up to the right (y points down)
    rows, cols = np.nonzero(zero > 127)
    mid = ((x0 + x1) / 2, (y0 + y1) / 2)
    assert abs(mid[0] - (cols.min() + cols.max()) / 2) < 1 and abs(mid[1] - (rows.min() + rows.max()) / 2) < 1
    slashed = with_lines(zero, [((x0, y0), (x1, y1))])
    assert slashed[13:15, 12:16].max() > 200  # ink in the middle of the ring, where a plain 0 has none
    assert zero[13:15, 12:16].max() < 50


def test_a_crossbar_lies_across_the_stem_of_a_seven():
    seven = drawn(SEVEN)
    (x0, y0), (x1, y1) = crossbar_line(seven, down=0.5, width=0.4)
    stem = np.flatnonzero(seven[int(round(y0))] > 127).mean()
    assert x0 < stem < x1 and abs(y0 - y1) < 1e-6


@pytest.mark.parametrize("name", list(STYLES))
def test_each_style_uses_only_its_digit_and_is_seeded(name):
    digit = STYLES[name][0]
    sources = {0: ring(), 1: drawn(ONE), 7: drawn(SEVEN)}
    other = next(d for d in sources if d != digit)
    images = np.stack([sources[digit]] * 3 + [sources[other]] * 3)
    labels = np.array([digit] * 3 + [other] * 3)
    a, b = make_style(name, images, labels, 8, seed=1), make_style(name, images, labels, 8, seed=1)
    assert 0 < len(a) <= 8 and a.dtype == np.uint8 and np.array_equal(a, b)
    assert len(make_style(name, images[3:], labels[3:], 8, seed=1)) == 0  # none of its digit: nothing made
    assert len(make_style(name, images, labels, 0, seed=1)) == 0


def test_styled_digits_labels_each_image_with_its_digit():
    images = np.stack([ring(), drawn(ONE), drawn(SEVEN)] * 4)
    labels = np.array([0, 1, 7] * 4)
    x, y = styled_digits(images, labels, {"slashed 0": 1.0, "7 with a crossbar": 0.5}, seed=0)
    assert len(x) == len(y) and set(y.tolist()) <= {0, 7} and (y == 0).sum() == 4 and (y == 7).sum() == 2
