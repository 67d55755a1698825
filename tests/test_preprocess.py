import numpy as np
import pytest

from digitlab.synth.canvas_like import Style, redraw
from digitlab.ink import to_ink
from digitlab.preprocess import MNIST_CENTRE, naive_resize, preprocess, without_stray_dots
from digitlab.synth.stroke_digits import render
from scipy import ndimage

from tests.helpers import stroke_picture

SEVEN = [(0.3, 0.3), (0.7, 0.3), (0.45, 0.8)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two images."""
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def shifted(points, dx, dy, scale=1.0):
    return [(0.5 + (x - 0.5) * scale + dx, 0.5 + (y - 0.5) * scale + dy) for x, y in points]


def test_output_is_mnist_shaped_and_centred_by_mass():
    p = preprocess(stroke_picture(SEVEN))
    assert p.is_digit
    assert p.image.shape == (28, 28) and p.image.dtype == np.float32
    assert 0.0 <= p.image.min() and p.image.max() <= 1.0
    assert max(p.fitted.shape) == 20
    com = ndimage.center_of_mass(p.image)
    assert abs(com[0] - MNIST_CENTRE[0]) <= 0.5 and abs(com[1] - MNIST_CENTRE[1]) <= 0.5


def test_aspect_ratio_is_kept():
    one = preprocess(stroke_picture([(0.5, 0.2), (0.5, 0.8)], pen=12))
    h, w = one.fitted.shape
    assert h == 20 and w < 8  # a "1" stays thin, not stretched to a square


@pytest.mark.parametrize("dx, dy", [(-0.2, -0.2), (0.2, 0.15), (0.2, -0.2)])
def test_shifted_digit_gives_nearly_the_same_image(dx, dy):
    centre = preprocess(stroke_picture(SEVEN)).image
    moved = preprocess(stroke_picture(shifted(SEVEN, dx, dy))).image
    assert similarity(centre, moved) > 0.97


def test_small_digit_in_a_corner_gives_nearly_the_same_image():
    big = preprocess(stroke_picture(SEVEN, pen=18)).image
    small = preprocess(stroke_picture(shifted(SEVEN, -0.33, -0.33, scale=0.3), pen=18 * 0.3)).image
    assert similarity(big, small) > 0.9


def test_thick_stroke_gives_nearly_the_same_image_after_stroke_normalisation():
    thin = preprocess(stroke_picture(SEVEN, pen=10), normalise_strokes=True).image
    thick = preprocess(stroke_picture(SEVEN, pen=30), normalise_strokes=True).image
    assert similarity(thin, thick) > 0.9


def test_stroke_normalisation_brings_a_very_thick_pen_closer():
    def pair(normalise):
        return [preprocess(stroke_picture(SEVEN, pen=pen), normalise_strokes=normalise).image for pen in (10, 40)]

    assert similarity(*pair(True)) > similarity(*pair(False)) + 0.1


def test_inverted_colours_give_the_same_image():
    alpha = stroke_picture(SEVEN)[..., 3]
    light_on_dark = np.stack([alpha] * 3, axis=-1)
    dark_on_light = 255 - light_on_dark
    a, b = preprocess(light_on_dark).image, preprocess(dark_on_light).image
    assert similarity(a, b) > 0.999
    assert similarity(a, preprocess(stroke_picture(SEVEN)).image) > 0.999  # RGBA canvas too


def test_coloured_ink_on_a_coloured_background():
    alpha = stroke_picture(SEVEN)[..., 3].astype(np.float32) / 255
    paper, ink = np.array([240, 230, 200]), np.array([20, 40, 160])
    photo = (paper * (1 - alpha[..., None]) + ink * alpha[..., None]).astype(np.uint8)
    assert similarity(preprocess(photo).image, preprocess(stroke_picture(SEVEN)).image) > 0.99


@pytest.mark.mnist
def test_mnist_digit_is_left_almost_unchanged(mnist):
    for image in mnist.x_test[:50]:
        assert similarity(preprocess(image).image, image.astype(np.float32)) > 0.85


@pytest.mark.mnist
def test_canvas_redrawn_mnist_digit_resembles_the_original(mnist):
    digit = mnist.x_test[0]
    drawn = redraw(digit, Style(size=150, pen=14, top=100, left=20))
    assert similarity(preprocess(drawn).image, digit.astype(np.float32)) > 0.7


def test_a_stray_dot_beside_the_digit_is_ignored():
    seven = stroke_picture(SEVEN)
    tapped = seven.copy()
    tapped[..., 3] = np.maximum(seven[..., 3], stroke_picture([(0.9, 0.9), (0.905, 0.9)])[..., 3])
    p, plain = preprocess(tapped), preprocess(seven)
    assert p.box == plain.box  # the box holds the 7, not the dot in the corner
    np.testing.assert_array_equal(p.image, plain.image)
    assert p.ink[252, 252] > 0.9  # the dot is still shown in the first step


# Digits drawn with strokes that do not touch: a 5 with a short bar apart, a 4 whose upright misses
# the crossbar, a 1 with a separate base.
APART = {
    5: [[(0.4, 0.05), (0.62, 0.05)], [(0.3, 0.2), (0.28, 0.48), (0.6, 0.45), (0.7, 0.7), (0.5, 0.9), (0.3, 0.85)]],
    4: [[(0.45, 0.1), (0.2, 0.6), (0.58, 0.6)], [(0.74, 0.3), (0.74, 0.9)]],
    1: [[(0.35, 0.25), (0.55, 0.08), (0.55, 0.78)], [(0.35, 0.95), (0.75, 0.95)]],
}


@pytest.mark.parametrize("digit", APART)
@pytest.mark.parametrize("pen", [5, 8, 10])
def test_a_short_separate_stroke_is_not_taken_for_a_stray_dot(digit, pen):
    ink = to_ink(render(APART[digit], box=(0.3, 0.3, 0.4), pen=pen))  # small: the strokes are few pens long
    assert ndimage.label(ink > 0.2, structure=np.ones((3, 3)))[1] == 2  # the strokes really are apart
    np.testing.assert_array_equal(without_stray_dots(ink), ink)


def test_empty_canvas_is_no_digit():
    blank = np.zeros((280, 280, 4), np.uint8)
    p = preprocess(blank)
    assert not p.is_digit and p.problem == "empty" and p.image is None


def test_a_dot_is_no_digit():
    dot = stroke_picture([(0.5, 0.5), (0.51, 0.5)], pen=20)
    assert preprocess(dot).problem == "dot"


def test_a_tiny_speck_is_no_digit():
    speck = stroke_picture([(0.1, 0.1), (0.12, 0.11)], pen=3)
    assert preprocess(speck).problem == "speck"


@pytest.mark.parametrize("value", [0, 255])
def test_all_ink_or_all_paper_is_no_digit(value):
    assert preprocess(np.full((100, 100), value, np.uint8)).problem == "empty"


def test_faint_noise_is_no_digit():
    noise = np.random.default_rng(0).integers(120, 135, (200, 200)).astype(np.uint8)
    assert not preprocess(noise).is_digit


def test_huge_image_is_reduced_and_still_read():
    p = preprocess(np.kron(stroke_picture(SEVEN)[..., 3], np.ones((8, 8), np.uint8)))  # 2240 x 2240
    assert p.is_digit and max(p.ink.shape) <= 560


def test_float_input_in_zero_one_is_accepted():
    alpha = stroke_picture(SEVEN)[..., 3]
    assert similarity(preprocess(alpha / 255.0).image, preprocess(alpha).image) > 0.999


@pytest.mark.parametrize("bad", [np.zeros((10, 10, 2)), np.zeros((4,)), np.zeros((0, 0))])
def test_unusable_arrays_raise_value_error(bad):
    with pytest.raises(ValueError):
        to_ink(bad)


def test_naive_resize_keeps_the_whole_canvas():
    small = stroke_picture(shifted(SEVEN, -0.33, -0.33, scale=0.3), pen=6)
    naive = naive_resize(small)
    assert naive.shape == (28, 28)
    assert ndimage.center_of_mass(naive)[0] < 8  # still up in the corner, unlike preprocess()


# Photos of a digit on paper (digitlab.synth.photo_like): the same digit, the same place, other light.
PHOTO_SEVEN = [[(0.2, 0.1), (0.85, 0.1), (0.45, 0.95)], [(0.35, 0.55), (0.75, 0.55)]]


def photographed(seed: int = 0, **conditions) -> np.ndarray:
    from digitlab.synth.photo_like import Conditions, photo

    return photo(PHOTO_SEVEN, Conditions(**conditions), np.random.default_rng(seed))


@pytest.mark.parametrize("conditions", [
    dict(light_gradient=0.6), dict(shadow=0.55), dict(ink="blue"), dict(ink="pencil"),
    dict(blur=1.5, paper_noise=6, jpeg_quality=40), dict(ruled=True),
])
def test_a_photo_in_bad_light_or_ink_gives_nearly_the_same_28x28_as_a_clean_scan(conditions):
    clean = preprocess(photographed()).image
    worse = preprocess(photographed(**conditions))
    assert worse.paper is not None  # a photo: the paper's light was estimated and divided out
    assert similarity(clean, worse.image) > 0.9, conditions


def test_a_small_digit_in_a_big_photo_is_found_and_the_photo_reduced():
    big = preprocess(photographed(digit_height=0.12, side=2000))
    assert max(big.ink.shape) == 560
    assert similarity(preprocess(photographed()).image, big.image) > 0.85


def test_the_shaded_paper_is_not_taken_for_ink():
    p = preprocess(photographed(seed=3, shadow=0.6, light_gradient=0.5))
    t, l, b, r = p.box
    assert (b - t) < 0.7 * p.ink.shape[0] and (r - l) < 0.7 * p.ink.shape[1]  # the 7's box, not the shadow's
    assert p.paper.min() < 0.7 * p.paper.max()  # the estimated paper shows the shadow


def test_printed_lines_are_removed_but_the_digit_crossing_them_kept():
    ink = np.zeros((200, 300), np.float32)
    ink[40:42, :] = ink[100:102, :] = ink[160:162, :] = 1.0  # ruled lines
    ink[60:150, 140:146] = 1.0  # a 1 crossing the middle line
    from digitlab.ink import without_printed_lines

    out = without_printed_lines(ink)
    assert out[40:42].max() == 0 and out[160:162].max() == 0
    assert out[100:102, 140:146].min() == 1.0  # where the stroke crosses, it stays
    assert out[100:102, :130].max() == 0
    assert out[60:150, 140:146].min() == 1.0


def test_the_paper_estimate_follows_light_that_dims_to_the_edge():
    from digitlab.ink import paper_light

    h, w = 300, 400
    paper = np.broadcast_to(np.linspace(0.95, 0.45, h)[:, None], (h, w)).astype(np.float32).copy()  # darker down
    # Within 2% of the light everywhere, the edge too. (Held flat past the edge, the estimate was 5% too
    # bright along the dark side: a strip of faint "ink" that hid small digits in phone photos.)
    assert np.abs(paper_light(paper, dark_ink=True) - paper).max() < 0.02
    # A ruled line 3 px from that edge: carried on past the edge, it came back as a bright line there and
    # lifted the estimate 2% up to 50 px away; the lower of the two estimates is kept.
    page = paper.copy()
    page[h - 5 : h - 3] *= 0.6
    assert np.abs(paper_light(page, dark_ink=True) - paper)[: h - 50].max() < 0.01


def test_chalk_on_a_dark_board_is_read_as_light_ink():
    alpha = stroke_picture(SEVEN)[..., 3].astype(np.float32) / 255
    board = np.linspace(0.1, 0.35, 280, dtype=np.float32)[None, :, None] * np.ones((280, 1, 3), np.float32)
    chalk = board * (1 - alpha[..., None]) + 0.9 * alpha[..., None]
    assert similarity(preprocess(chalk).image, preprocess(stroke_picture(SEVEN)).image) > 0.95


def test_what_the_canvas_sends_is_read_as_a_drawing_its_ink_the_strokes_themselves():
    from digitlab.ink import canvas_strokes

    # A 7 whose bar crosses the canvas. The canvas sends white strokes painted on its black
    # background, opaque everywhere: read as it is, it was taken for a photo (a paper step, the
    # bar's rows mostly erased as a printed line).
    sheet = stroke_picture([(0.03, 0.15), (0.97, 0.15), (0.45, 0.95)], size=300)
    sent = np.zeros_like(sheet)
    sent[..., :3], sent[..., 3] = sheet[..., 3:4], 255
    assert preprocess(sent).paper is not None  # the photo path
    steps = preprocess(canvas_strokes(sent))
    assert steps.paper is None and steps.is_digit
    np.testing.assert_array_equal(steps.ink, sheet[..., 3] / np.float32(255))  # every stroke, as drawn
    np.testing.assert_array_equal(canvas_strokes(sheet), sheet)  # a transparent sheet already: the same
    with pytest.raises(ValueError, match="RGBA"):
        canvas_strokes(sheet[..., :3])


def test_a_picture_refused_as_a_dot_still_has_a_28x28_to_save_but_an_empty_one_has_none():
    from digitlab.preprocess import image_for_saving

    dot = preprocess(stroke_picture([(0.5, 0.5), (0.505, 0.5)], pen=20))
    assert dot.problem == "dot"
    kept = image_for_saving(dot)
    assert kept.shape == (28, 28) and kept.dtype == np.float32 and kept.max() > 0.5
    np.testing.assert_allclose(ndimage.center_of_mass(kept), MNIST_CENTRE, atol=1.0)  # made as MNIST was
    seven = preprocess(stroke_picture(SEVEN))
    assert image_for_saving(seven) is seven.image
    assert image_for_saving(preprocess(np.zeros((280, 280, 4), np.uint8))) is None
