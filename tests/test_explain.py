"""digitlab.explain: the network opened up and its saliency maps.

Most tests use tiny Keras models (tests/explain_models.py); those marked ``trained_model`` use the shipped one.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from digitlab.explain import Network
from digitlab.explain.saliency import (METHODS, available, delete_random_ink, delete_top, deletion_count, grad_cam,
                                       gradient_times_input, integrated_gradients, occlusion, saliency,
                                       smoothgrad_times_input)
from digitlab.preprocess import preprocess
from digitlab.synth.stroke_digits import plain, render

from tests.explain_models import bar, drawn, mlp, cnn, shipped  # noqa: F401 - fixtures among them


# ------------------------------------------------------------------ the network


def test_layers_list_every_layer_with_its_output_shape(cnn):
    assert [(i.kind, i.shape) for i in cnn.layers] == [
        ("Reshape", (28, 28, 1)), ("Conv2D", (24, 24, 4)), ("MaxPooling2D", (12, 12, 4)), ("Conv2D", (10, 10, 6)),
        ("Flatten", (600,)), ("Dense", (10,))]
    assert cnn.layers[1].activation == "relu" and cnn.layers[0].activation is None
    assert cnn.layers[-1].as_json() == {"name": cnn.layers[-1].name, "shape": [10]}


def test_activations_are_every_layers_output_and_the_last_is_the_answer(cnn):
    x = drawn(7)
    acts = cnn.activations(x)
    assert [a.shape for a in acts] == [i.shape for i in cnn.layers]
    assert all(a.dtype == np.float32 for a in acts)
    np.testing.assert_allclose(acts[-1], cnn.model(x[None], training=False).numpy()[0], atol=1e-6)
    np.testing.assert_allclose(acts[-1], cnn.probabilities(x)[0], atol=1e-6)


def test_model_input_is_the_array_the_model_takes():
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    net = Network(model)
    x = drawn(1)
    assert net.model_input(x).shape == (28, 28, 1) and net.model_input(x).dtype == np.float32
    np.testing.assert_allclose(net.probabilities(x)[0], model(x[None, :, :, None]).numpy()[0], atol=1e-6)


def test_a_model_that_does_not_take_28x28_is_refused():
    model = keras.Sequential([keras.Input((32, 32)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    with pytest.raises(ValueError, match="28x28"):
        Network(model)


def test_gradients_of_the_logit_are_the_first_layers_weights_for_a_linear_model():
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    net = Network(model)
    assert net.has_logits
    w, b = model.layers[-1].get_weights()
    x = drawn(3)
    scores, grads = net.gradients(np.stack([x, x]), [3, 5])
    np.testing.assert_allclose(scores, [x.ravel() @ w[:, 3] + b[3], x.ravel() @ w[:, 5] + b[5]], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grads[0], w[:, 3].reshape(28, 28), atol=1e-6)
    with pytest.raises(ValueError, match="unknown score"):
        net.gradients(x, 3, score="loss")


def test_margins_say_how_far_a_digit_is_from_winning(mlp):
    x = drawn(2)
    p = mlp.probabilities(x)[0]
    top = int(p.argmax())
    m, g, probs = mlp.margins(np.stack([x] * 10), np.arange(10))
    assert m.shape == (10,) and g.shape == (10, 28, 28) and probs.shape == (10, 10)
    assert m[top] > 0 and all(m[d] <= 0 for d in range(10) if d != top)


def test_first_dense_weights_are_an_mlps_28x28_images_and_none_for_a_cnn(mlp, cnn):
    name, w = mlp.first_dense_weights()
    assert name == "hidden" and w.shape == (16, 28, 28) and w.dtype == np.float32
    np.testing.assert_allclose(w[5], mlp.model.get_layer("hidden").get_weights()[0][:, 5].reshape(28, 28))
    assert cnn.first_dense_weights() is None


def test_a_softmax_hidden_layer_is_found_as_seed_002_has_it(mlp, cnn):
    from digitlab.models import softmax784

    from digitlab.store import ModelStore

    assert Network(softmax784()).hidden_softmax() == "z"
    store = ModelStore()
    loaded, _ = store.load(store.save(softmax784(), {"preset": "seed002-softmax784"}).id)
    assert Network(loaded).hidden_softmax() == "z"  # as stored and read back, too
    assert mlp.hidden_softmax() is None and cnn.hidden_softmax() is None


def test_last_conv_is_found_for_a_cnn_only(mlp, cnn):
    assert cnn.last_conv == cnn.layers[3].name and mlp.last_conv is None
    assert "grad-cam" in available(cnn) and "grad-cam" not in available(mlp)


# ------------------------------------------------------------------ saliency


def test_integrated_gradients_are_complete_for_a_nonlinear_model(mlp):
    # Completeness: the attributions add up to score(x) - score(blank), up to the integral's error.
    x = drawn(4)
    d = int(mlp.probabilities(x).argmax())
    for score in ("logit", "probability"):
        grads = lambda images, t, s=score: mlp.gradients(images, t, s)  # noqa: E731
        ig = integrated_gradients(grads, x, d, steps=64)
        s_x, _ = grads(x[None], [d])
        s_0, _ = grads(np.zeros((1, 28, 28), np.float32), [d])
        assert ig.shape == (28, 28) and ig.dtype == np.float32
        assert abs(ig.sum() - (s_x[0] - s_0[0])) <= 0.02 * abs(s_x[0] - s_0[0]) + 1e-4, score
        assert np.all(ig[x == 0] == 0)  # no ink, no attribution (blank baseline)


@pytest.mark.trained_model
def test_integrated_gradients_are_complete_for_the_shipped_cnn(shipped):
    x = drawn(7)
    grads = lambda images, t: shipped.gradients(images, t, "logit")  # noqa: E731
    ig = integrated_gradients(grads, x, 7, steps=64)
    s_x, _ = grads(x[None], [7])
    s_0, _ = grads(np.zeros((1, 28, 28), np.float32), [7])
    assert abs(ig.sum() - (s_x[0] - s_0[0])) <= 0.05 * abs(s_x[0] - s_0[0])


def test_gradient_times_input_is_the_gradient_on_the_ink(mlp):
    x = drawn(5)
    g = gradient_times_input(lambda images, t: mlp.gradients(images, t), x, 5)
    _, grad = mlp.gradients(x, 5)
    np.testing.assert_allclose(g, x * grad[0], atol=1e-6)


def test_smoothgrad_is_the_gradient_for_a_linear_model_and_repeatable(mlp):
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    net = Network(model)
    x = drawn(2)
    s = smoothgrad_times_input(net.gradients, x, 2)
    # A linear logit has the same gradient everywhere: the noise changes nothing.
    np.testing.assert_allclose(s, x * model.layers[-1].get_weights()[0][:, 2].reshape(28, 28), atol=1e-6)
    a, b = smoothgrad_times_input(mlp.gradients, x, 2), smoothgrad_times_input(mlp.gradients, x, 2)
    np.testing.assert_array_equal(a, b)  # seeded: the same drawing gives the same map
    assert a.dtype == np.float32 and np.all(a[x == 0] == 0)


def test_occlusion_of_a_pixel_the_model_ignores_is_zero():
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    w, b = model.layers[-1].get_weights()
    w[0, :] = 0.0  # pixel (0, 0) means nothing to any digit
    model.layers[-1].set_weights([w, b])
    net = Network(model)
    x = bar()
    x[0, 0] = 1.0
    s = occlusion(net.probabilities, x, 3, patch=1)
    assert s.shape == (28, 28) and s.dtype == np.float32
    assert abs(s[0, 0]) < 1e-7
    assert np.all(s[x == 0] == 0)  # nothing to rub out there
    assert np.abs(s[13:15, 6:22]).max() > 1e-4  # the bar does matter
    p = net.probabilities(x)[0, 3]
    rubbed = x.copy()
    rubbed[13, 10] = 0
    assert s[13, 10] == pytest.approx(p - net.probabilities(rubbed)[0, 3], abs=1e-6)


@pytest.mark.trained_model
def test_occlusion_on_the_page_maps_a_digit_the_model_is_sure_of(shipped):
    # By its probability, a 100%-sure digit's map was blank: one pixel less leaves p at 1.0 in float32.
    from digitlab.explain.saliency import saliency

    x = drawn(3)
    assert shipped.probabilities(x)[0].max() > 0.9999
    by_probability = occlusion(shipped.probabilities, x, 3, patch=1)
    on_the_page = saliency(shipped, x, 3, "occlusion-1")
    assert np.abs(on_the_page).max() > 100 * max(np.abs(by_probability).max(), 1e-9)
    rubbed = x.copy()
    r, c = np.unravel_index(np.argmax(on_the_page), x.shape)
    rubbed[r, c] = 0  # its reddest pixel: rubbed out alone, the digit's logit falls by what the map says
    assert on_the_page[r, c] == pytest.approx(shipped.logits(x)[0, 3] - shipped.logits(rubbed)[0, 3], rel=1e-3)


def test_occlusion_with_larger_patches_shares_the_fall(mlp):
    x = drawn(0)
    s = occlusion(mlp.probabilities, x, 0, patch=3)
    assert s.shape == (28, 28) and np.isfinite(s).all()
    with pytest.raises(ValueError):
        occlusion(mlp.probabilities, x, 0, patch=0)


def test_grad_cam_weighs_maps_by_their_mean_gradient():
    maps = np.zeros((3, 3, 2), np.float32)
    maps[0, 0, 0] = 1.0  # channel 0 fires top-left
    maps[2, 2, 1] = 1.0  # channel 1 bottom-right
    grads = np.zeros_like(maps)
    grads[..., 0], grads[..., 1] = 1.0, -1.0  # channel 0 helps the digit, channel 1 hurts it
    cam = grad_cam(maps, grads)
    assert cam.shape == (28, 28) and cam.dtype == np.float32
    assert cam[0, 0] == pytest.approx(1.0) and cam[27, 27] == 0.0  # relu drops the hurt
    signed = grad_cam(maps, grads, relu=False)
    assert signed[27, 27] == pytest.approx(-1.0)
    with pytest.raises(ValueError):
        grad_cam(maps, grads[..., :1])


def test_every_method_gives_a_28x28_map(cnn, mlp):
    x = drawn(9)
    for net in (cnn, mlp):
        for method in available(net):
            s = saliency(net, x, 9, method)
            assert s.shape == (28, 28) and s.dtype == np.float32 and np.isfinite(s).all(), method
    assert set(available(cnn)) == set(METHODS)
    with pytest.raises(ValueError, match="unknown saliency method"):
        saliency(mlp, x, 9, "lime")


def test_delete_top_removes_the_most_salient_pixels_only():
    x = np.full((28, 28), 0.5, np.float32)
    s = np.zeros((28, 28), np.float32)
    s.ravel()[:50] = np.arange(50, 0, -1)
    out = delete_top(x, s)
    assert deletion_count() == 39
    assert np.all(out.ravel()[:39] == 0) and np.all(out.ravel()[39:] == 0.5)
    few = np.zeros((28, 28), np.float32)
    few[0, :3] = 1.0
    assert (delete_top(x, few) == 0).sum() == 3  # pixels that were no evidence are never taken


def test_delete_random_ink_takes_ink_only():
    x = bar()
    out = delete_random_ink(x, np.random.default_rng(0))
    assert (x > 0).sum() == 32 and out.max() == 0  # fewer than 39 ink pixels: all of them
    assert out.dtype == np.float32 and x.max() == 1  # the image itself untouched
    big = np.ones((28, 28), np.float32)
    assert (delete_random_ink(big, np.random.default_rng(1)) == 0).sum() == 39
    faint = bar() * 0.1  # fainter than what counts as ink: nothing to take
    faint[0, :5] = 1.0
    out = delete_random_ink(faint, np.random.default_rng(2))
    np.testing.assert_array_equal(out[1:], faint[1:])
    assert out[0, :5].max() == 0


@pytest.mark.trained_model
def test_the_chosen_saliency_passes_the_deletion_test_on_drawn_digits_shipped(shipped):
    # The README's table in small (20 drawings, not 1,540): taking the salient pixels away hurts far more
    # than taking random ink away. The margin here is 2x, not the table's 3x: few, thin-penned drawings.
    from digitlab.explain import SALIENCY_METHOD

    images = np.stack([preprocess(render(plain(d), pen=pen)).image for d in range(10) for pen in (16, 28)])
    n = len(images)
    answers = shipped.probabilities(images).argmax(1)
    rng = np.random.default_rng(0)
    salient = np.stack([delete_top(x, saliency(shipped, x, int(d), SALIENCY_METHOD)) for x, d in zip(images, answers)])
    random = np.stack([delete_random_ink(x, rng) for x in images])
    p = shipped.probabilities(images)[np.arange(n), answers]
    fall_salient = (p - shipped.probabilities(salient)[np.arange(n), answers]).mean()
    fall_random = (p - shipped.probabilities(random)[np.arange(n), answers]).mean()
    assert fall_salient >= 0.3 and fall_salient >= 2 * fall_random, (fall_salient, fall_random)
