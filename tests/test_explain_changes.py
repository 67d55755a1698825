"""digitlab.explain: corruptions, counterfactuals, pictures, and every preset's network looked inside.

Most tests use tiny Keras models (tests/explain_models.py); those marked ``trained_model`` use the shipped one.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from digitlab.explain import Network
from digitlab.explain import corruptions as C
from digitlab.explain import pictures as P
from digitlab.explain.counterfactual import counterfactuals, smallest_change
from digitlab.preprocess import preprocess
from digitlab.synth.stroke_digits import plain, render

from tests.explain_models import tiny_tanh, bar, drawn, mlp, cnn, shipped  # noqa: F401 - fixtures among them
from tests.helpers import stroke_picture


# ------------------------------------------------------------------ corruptions


def test_corruptions_keep_shape_dtype_and_range():
    x = drawn(8)
    for out in (C.rotate(x, 33), C.shift(x, 2.5, -3), C.thicken(x, 1.5), C.thin(x, 0.7), C.erase(x, 0.4, "left"),
                C.corrupt(x, degrees=-20, right=1, down=2, stroke_pixels=1, erase_fraction=0.3, erase_side="bottom")):
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert out.min() >= 0 and out.max() <= 1


def test_nothing_changes_at_zero():
    x = drawn(6)
    for out in (C.rotate(x, 0), C.shift(x, 0, 0), C.thicken(x, 0), C.thin(x, 0), C.erase(x, 0), C.corrupt(x)):
        np.testing.assert_array_equal(out, x)
    assert C.rotate(x, 0) is not x and C.shift(x) is not x  # copies, never the image itself


def test_rotate_turns_a_bar_and_360_comes_back():
    vertical = C.rotate(bar(horizontal=True), 90)
    assert vertical[6:22, 13:15].mean() > 0.9 and vertical[13:15, 4:10].max() < 0.1
    np.testing.assert_allclose(C.rotate(bar(), 360), bar(), atol=1e-5)


def test_shift_moves_ink_right_and_down():
    out = C.shift(bar(), 3, 2)
    np.testing.assert_array_equal(out[15:17, 9:25], 1.0)
    assert out[13, 6] == 0.0


def test_thicken_adds_ink_and_thin_takes_it():
    x = drawn(0)
    assert C.thicken(x, 1).sum() > C.thicken(x, 0.5).sum() > x.sum() > C.thin(x, 0.5).sum() > C.thin(x, 1).sum()
    one = C.thicken(bar(), 1)
    assert one[12:16, 6:22].min() == 1.0 and one[11, 10] == 0  # one pixel on each side
    assert C.stroke(x, -1).sum() == C.thin(x, 1).sum() and C.stroke(x, 1).sum() == C.thicken(x, 1).sum()
    with pytest.raises(ValueError):
        C.thicken(x, -1)


def test_erase_rubs_out_part_of_the_ink_box_from_a_side():
    x = bar(horizontal=False)  # rows 6-21
    top = C.erase(x, 0.5, "top")
    assert top[6:14].max() == 0 and np.all(top[14:22, 13:15] == 1)
    bottom = C.erase(x, 0.25, "bottom")
    assert bottom[18:22].max() == 0 and np.all(bottom[6:18, 13:15] == 1)
    assert C.erase(x, 1.0, "left").max() == 0
    np.testing.assert_array_equal(C.erase(np.zeros((28, 28), np.float32), 0.5), 0)
    with pytest.raises(ValueError):
        C.erase(x, 0.5, "middle")
    with pytest.raises(ValueError):
        C.erase(x, 1.5)


def test_corruptions_refuse_other_shapes():
    with pytest.raises(ValueError, match="28x28"):
        C.rotate(np.zeros((20, 20), np.float32), 10)


# ------------------------------------------------------------------ counterfactuals


def _check_counterfactual(c, x):
    assert c.image.shape == (28, 28) and c.image.dtype == np.float32
    assert c.image.min() >= 0 and c.image.max() <= 1
    np.testing.assert_allclose(c.change, c.image - x, atol=1e-6)
    assert c.l1 == pytest.approx(c.added + c.removed) and c.l2 <= c.l1 + 1e-6


def test_counterfactual_reaches_its_target_with_a_tiny_model():
    mlp = Network(tiny_tanh())
    x = drawn(1)
    now = int(mlp.probabilities(x).argmax())
    targets = [d for d in range(10) if d != now][:3]
    found = counterfactuals(mlp.margins, x, targets)
    for c, t in zip(found, targets):
        _check_counterfactual(c, x)
        assert c.target == t and c.reached and c.read_as == t and c.steps >= 1
        assert int(mlp.probabilities(c.image).argmax()) == t


def test_counterfactual_of_the_digit_it_already_reads_is_no_change(mlp):
    x = drawn(1)
    now = int(mlp.probabilities(x).argmax())
    c = counterfactuals(mlp.margins, x, [now])[0]
    assert c.reached and c.steps == 0 and c.l1 == 0


def test_counterfactual_gives_up_after_max_steps(mlp):
    x = drawn(1)
    now = int(mlp.probabilities(x).argmax())
    c = counterfactuals(mlp.margins, x, [(now + 1) % 10], max_steps=0)[0]
    assert not c.reached and c.l1 == 0


def test_counterfactual_stops_where_no_pixel_can_help():
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    w, b = model.layers[-1].get_weights()
    model.layers[-1].set_weights([np.zeros_like(w), np.arange(10, dtype=np.float32)])  # always 9, whatever the ink
    c = counterfactuals(Network(model).margins, drawn(1), [3])[0]
    assert not c.reached and c.steps == 0 and c.read_as == 9


@pytest.mark.trained_model
def test_smallest_change_makes_the_shipped_model_read_another_digit(shipped):
    x = drawn(7)
    assert int(shipped.probabilities(x).argmax()) == 7
    c = smallest_change(shipped.margins, x, 7)
    _check_counterfactual(c, x)
    assert c.reached and c.target != 7 and int(shipped.probabilities(c.image).argmax()) == c.target
    assert c.l1 < 30  # a few strokes' worth of ink, not a new drawing
    nine = counterfactuals(shipped.margins, x, [9])[0]
    assert nine.reached and int(shipped.probabilities(nine.image).argmax()) == 9


# ------------------------------------------------------------------ pictures


def test_signed_colours_are_symmetric_around_zero():
    v = np.array([[-2.0, 0.0, 2.0, 1.0]], np.float32)
    rgb = P.signed_rgb(v)
    assert rgb.shape == (1, 4, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(rgb[0, 0], P.BLUE.astype(np.uint8))
    np.testing.assert_array_equal(rgb[0, 1], [0, 0, 0])
    np.testing.assert_array_equal(rgb[0, 2], P.RED.astype(np.uint8))
    assert rgb[0, 3, 0] == round(P.RED[0] / 2)
    assert P.signed_rgb(v, block=3).shape == (3, 12, 3)
    assert P.symmetric_scale(np.zeros(3)) == 1.0


def test_overlay_colours_the_digit_by_the_map():
    x = bar()
    s = np.zeros((28, 28), np.float32)
    s[13, 6], s[13, 7] = 1.0, -1.0
    out = P.overlay(x, s, block=2)
    assert out.shape == (56, 56, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[26, 12], P.RED.astype(np.uint8))
    np.testing.assert_array_equal(out[26, 14], P.BLUE.astype(np.uint8))
    assert out[28, 20, 0] == out[28, 20, 1] == out[28, 20, 2] > 0  # plain grey ink elsewhere
    change = np.zeros((28, 28), np.float32)
    change[0, 0], change[13, 6] = 1.0, -1.0
    c = P.change_overlay(x, change)
    np.testing.assert_array_equal(c[0, 0], P.GREEN.astype(np.uint8))
    np.testing.assert_array_equal(c[13, 6], P.MAGENTA.astype(np.uint8))


def test_feature_maps_strongest_first_in_one_sheet():
    maps = np.zeros((10, 10, 5), np.float32)
    for c in range(5):
        maps[..., c] = c  # channel 4 strongest
    assert list(P.strongest_first(maps)) == [4, 3, 2, 1, 0]
    grid = P.feature_map_sheet(maps, limit=4, columns=2, side=20)
    assert grid.dtype == np.uint8 and grid.ndim == 2
    assert grid[3 + 5, 3 + 5] == 255  # first tile is the strongest channel, white on the layer's scale


def test_unit_strip_greys_for_relu_and_colours_for_signed_layers():
    relu = P.unit_strip(np.arange(100, dtype=np.float32), per_row=64, cell=5)
    assert relu.shape == (10, 320, 3) and relu.dtype == np.uint8
    signed = P.unit_strip(np.array([-1.0, 1.0], np.float32), per_row=2, cell=5)
    np.testing.assert_array_equal(signed[2, 2], P.BLUE.astype(np.uint8))
    np.testing.assert_array_equal(signed[2, 7], P.RED.astype(np.uint8))


def test_weight_tiles_and_colour_bar_are_pictures():
    tiles = P.weight_tiles(np.random.default_rng(0).normal(size=(3, 28, 28)).astype(np.float32), ["a", "b", "c"])
    assert tiles.dtype == np.uint8 and tiles.shape[2] == 3 and tiles.shape[1] == 3 * 112 + 2 * 3
    bar_img = P.colour_bar(0.5, "against", "for")
    assert bar_img.shape == (34, 280, 3)


def test_a_map_goes_back_onto_the_drawing_over_the_digits_box():
    picture = stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)])
    steps = preprocess(picture)
    top, left = P.placement(steps.image, steps.fitted)
    np.testing.assert_array_equal(steps.image[top : top + steps.fitted.shape[0], left : left + steps.fitted.shape[1]],
                                  steps.fitted)
    back = P.onto_drawing(np.ones((28, 28), np.float32), steps)
    t, l, b, r = steps.box
    assert back.shape == steps.ink.shape and back.dtype == np.float32
    assert np.all(back[t:b, l:r] == 1) and back.sum() == (b - t) * (r - l)


# ------------------------------------------------------------------ every preset


@pytest.mark.parametrize("preset", ["seed000-mlp784", "seed001-mlp1024", "seed002-softmax784",
                                    "seed003-mlp512-rmsprop", "default", "cnn-padded"])
def test_every_presets_network_can_be_looked_inside(preset):
    # Untrained, built from the preset: what matters is that every view works for every architecture.
    from digitlab.explain import SALIENCY_METHOD
    from digitlab.explain import views as V
    from digitlab.models import get_preset

    keras.utils.set_random_seed(0)
    net = Network(get_preset(preset).build())
    steps = preprocess(render(plain(7)))
    layer_views = V.layer_views(net, steps.image)
    assert [v.info for v in layer_views] == net.layers
    kinds = net.kinds()
    assert any(v.picture is not None for v in layer_views)
    if "Conv2D" in kinds:
        assert sum(v.picture is not None for v in layer_views if v.info.kind == "Conv2D") == \
            sum(1 for i in net.layers if i.kind == "Conv2D")
    else:
        assert any(v.weights is not None for v in layer_views)  # an MLP's first-layer weights
    assert (net.hidden_softmax() is not None) == (preset == "seed002-softmax784")
    assert any(v.z01 is not None for v in layer_views) == (preset == "seed002-softmax784")
    digit = int(net.probabilities(steps.image).argmax())
    s = V.saliency_view(net, steps, digit, SALIENCY_METHOD)
    assert s.on_image.shape == (280, 280, 3) and s.on_drawing.shape == (*steps.ink.shape, 3)
    changed = V.changed_view(net, steps.image, degrees=30, erase_fraction=0.3)
    assert changed.probabilities.shape == (10,) and changed.picture.dtype == np.uint8
    cf = V.counterfactual_view(net, steps.image, digit, (digit + 1) % 10)
    assert cf.found is not None and cf.found.target == (digit + 1) % 10


@pytest.mark.trained_model
def test_a_change_that_leaves_ten_equal_bars_is_said_to_be_no_digit_as_the_answer_says(shipped):
    from digitlab.explain.views import changed_view
    from digitlab.inference import NO_DIGIT_BELOW

    four = drawn(4)
    upright = changed_view(shipped, four)
    assert upright.sees_a_digit and upright.words(4).startswith(f"it still reads **{upright.digit}**")
    turned = changed_view(shipped, four, degrees=60)  # the shipped model's probabilities go flat
    best = float(turned.probabilities.max())
    assert best < NO_DIGIT_BELOW and not turned.sees_a_digit
    words = turned.words(4)
    assert words.startswith("it now sees **no digit**") and f"{best:.0%}" in words and "reads" not in words
    assert turned.words(None).startswith("it still sees **no digit**")  # a drawing it saw no digit in either
    seven = changed_view(shipped, drawn(7))
    assert seven.words(None).startswith(f"it now reads **{seven.digit}**")


@pytest.mark.trained_model
def test_a_counterfactual_reads_its_digit_as_an_answer_would_not_on_top_of_flat_bars(shipped):
    # Pushed only until the target is on top, the shipped model's 7 went flat: "it reads 9 (9: 10%)".
    from digitlab.explain.views import counterfactual_view
    from digitlab.inference import NO_DIGIT_BELOW

    seven = drawn(7)
    on_top = counterfactuals(shipped.margins, seven, [9])[0]
    # Only on top is not enough: the model of 2026-12-06 reached it with 9 at 10%, bars flat; this one
    # reaches 50% (a model's own matter), so the share is what the assertions below ask for.
    assert on_top.reached and on_top.read_as == 9
    m_plain, _, _ = shipped.margins(seven[None], [9])
    m_share, _, _ = shipped.margins(seven[None], [9], share=NO_DIGIT_BELOW)
    assert m_share[0] <= m_plain[0]  # the smaller of the two conditions
    view = counterfactual_view(shipped, seven, 7, 9)
    assert view.found.reached and view.found.read_as == 9 and view.found.probabilities[9] >= NO_DIGIT_BELOW
    anything = counterfactual_view(shipped, seven, None)  # a drawing read as no digit: any digit is a change
    assert anything.found is not None and anything.found.probabilities.max() >= NO_DIGIT_BELOW


def test_a_change_read_under_the_unsure_share_is_said_to_be_not_sure():
    from digitlab.explain.views import ChangedView
    from digitlab.inference import UNSURE_BELOW

    p = np.full(10, (1 - 0.47) / 9, np.float32)
    p[2] = 0.47
    words = ChangedView(drawn(2), p, np.zeros((1, 1, 3), np.uint8)).words(3)
    assert words.startswith("it now reads **2** (47%)") and "not sure" in words and f"{UNSURE_BELOW:.0%}" in words
    sure = np.full(10, 0.01, np.float32)
    sure[2] = 0.91
    assert "not sure" not in ChangedView(drawn(2), sure, np.zeros((1, 1, 3), np.uint8)).words(2)
