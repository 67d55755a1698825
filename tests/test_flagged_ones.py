import numpy as np
from PIL import Image, ImageDraw

from digitlab.flagged_ones import add_flag, flagged_ones, stem_direction
from digitlab.preprocess import preprocess


def stick(top: tuple[float, float], bottom: tuple[float, float], width: int = 3) -> np.ndarray:
    """A uint8 (28, 28) MNIST-style 1 drawn from ``top`` to ``bottom`` (x, y)."""
    img = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(img).line([top, bottom], fill=255, width=width)
    return (preprocess(np.asarray(img)).image * 255).astype(np.uint8)


def test_stem_direction_points_down_along_the_stroke():
    assert np.allclose(stem_direction(stick((14, 4), (14, 24)) / 255), [0, 1], atol=0.05)
    dx, dy = stem_direction(stick((18, 4), (10, 24)) / 255)  # leaning right, like "/"
    assert dy > 0 and dx < 0 and abs(dx / dy - (-8 / 20)) < 0.15


def test_a_flag_adds_ink_left_of_the_top_and_stays_mnist_style():
    one = stick((14, 4), (14, 24))
    flagged = add_flag(one, from_stem_degrees=45, length=0.35)
    assert flagged is not None and flagged.dtype == np.uint8 and flagged.shape == (28, 28)
    rows, cols = np.nonzero(flagged > 127)
    top_rows = rows < rows.min() + 8
    # The flag reaches well left of the stem near the top, not at the bottom.
    assert cols[top_rows].min() < cols[~top_rows].min() - 3
    assert flagged.sum() > one.sum()
    com = np.array(np.nonzero(flagged)).T.mean(axis=0)
    assert np.all(np.abs(com - 14) < 3)


def test_a_flag_too_flat_for_a_1_is_not_made():
    one = stick((14, 4), (14, 24))
    assert add_flag(one, from_stem_degrees=75, length=0.35) is None  # 15 degrees below horizontal: a 7's bar


def test_only_1s_are_used_and_the_result_is_seeded():
    ones = np.stack([stick((14 + s, 4), (14 - s, 24)) for s in (-2, 0, 2)])
    sevens = np.zeros((3, 28, 28), np.uint8)
    images, labels = np.concatenate([ones, sevens]), np.array([1, 1, 1, 7, 7, 7])
    a, b = flagged_ones(images, labels, 10, seed=1), flagged_ones(images, labels, 10, seed=1)
    assert 0 < len(a) <= 10 and a.dtype == np.uint8 and np.array_equal(a, b)
    assert len(flagged_ones(sevens, np.full(3, 7), 10, seed=1)) == 0
    assert len(flagged_ones(images, labels, 0, seed=1)) == 0
