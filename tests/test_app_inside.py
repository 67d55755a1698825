"""The Draw page's inside view under Streamlit's AppTest (no browser): the canvas state is injected."""

from __future__ import annotations

import keras
import pytest
from streamlit.testing.v1 import AppTest

from digitlab.explain import SALIENCY_METHOD
from digitlab.store import ModelStore

from tests.helpers import ROOT, stroke_picture
from tests.test_app_draw import canvas_state

SEVEN = [(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]


def drawn_seven() -> AppTest:
    at = AppTest.from_file(str(ROOT / "main.py"), default_timeout=180)
    at.run()
    at.session_state["canvas"] = canvas_state(stroke_picture(SEVEN))
    at.run()
    assert not at.exception, at.exception
    return at


def marker(at, css_class: str) -> str | None:
    return next((m.value for m in at.markdown if css_class in m.value), None)


def open_inside(at) -> None:
    at.toggle(key="draw-inside").set_value(True).run()
    assert not at.exception, at.exception


@pytest.mark.trained_model
def test_closed_by_default_and_nothing_of_it_is_computed():
    at = drawn_seven()
    assert at.toggle(key="draw-inside").value is False
    assert marker(at, "inside-changed") is None and marker(at, "inside-saliency") is None


@pytest.mark.trained_model
def test_opened_it_shows_the_layers_the_saliency_and_the_sliders_which_change_the_answer():
    at = drawn_seven()
    open_inside(at)
    texts = " ".join(m.value for m in at.markdown)
    assert "conv2d" in texts and "Conv2D" in texts and "Dense" in texts  # every layer, by name and kind
    assert f'data-method="{SALIENCY_METHOD}"' in marker(at, "inside-saliency")
    before = marker(at, "inside-changed")
    assert 'data-digit="7"' in before
    at.slider(key="draw-degrees").set_value(90).run()
    assert not at.exception, at.exception
    assert marker(at, "inside-changed") != before
    at.button(key="draw-reset").click().run()
    assert at.slider(key="draw-degrees").value == 0 and marker(at, "inside-changed") == before


@pytest.mark.trained_model
def test_it_stays_open_for_the_next_drawing_after_clear():
    at = drawn_seven()
    open_inside(at)
    at.button(key="clear").click().run()
    assert marker(at, "inside-changed") is None  # nothing drawn, nothing to look inside
    one = canvas_state(stroke_picture([(0.5, 0.1), (0.5, 0.9)]))
    one["drawing"]["raw"]["objects"].append({"type": "path", "n": 2})  # not the drawing from before Clear
    at.session_state["canvas"] = one
    at.run()
    assert not at.exception, at.exception
    assert at.toggle(key="draw-inside").value is True and 'data-digit="1"' in marker(at, "inside-changed")


@pytest.mark.trained_model
def test_every_saliency_method_can_be_shown():
    at = drawn_seven()
    open_inside(at)
    from digitlab.explain.saliency import METHODS

    assert at.selectbox(key="draw-method").options == list(METHODS.values())  # the shipped CNN: every method
    for method, label in METHODS.items():
        at.selectbox(key="draw-method").select(label).run()
        assert not at.exception, (method, at.exception)
        assert f'data-method="{method}"' in marker(at, "inside-saliency")


@pytest.mark.trained_model
def test_the_counterfactual_is_found_on_demand():
    at = drawn_seven()
    open_inside(at)
    assert marker(at, "inside-counterfactual") is None
    at.button(key="draw-cf-find").click().run()
    assert not at.exception, at.exception
    found = marker(at, "inside-counterfactual")
    assert found is not None and 'data-target="7"' not in found
    assert any("Add ink at the green pixels" in m.value for m in at.markdown)
    at.selectbox(key="draw-cf-target").select(9).run()
    at.button(key="draw-cf-find").click().run()
    assert 'data-target="9"' in marker(at, "inside-counterfactual")


def _activate(model, preset: str) -> None:
    store = ModelStore()
    run = store.save(model, {"preset": preset, "started": "2026-01-01T00:00:00"})
    store.set_active(run.id)


def test_an_mlp_shows_its_first_layers_weights():
    keras.utils.set_random_seed(0)
    _activate(keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(32, activation="relu"),
                                keras.layers.Dense(10, activation="softmax")]), "tiny-mlp")
    at = drawn_seven()
    open_inside(at)
    captions = [img.caption for element in at.get("image") for img in element.proto.imgs]
    assert any("What the 6 units that fired most look for" in c for c in captions), captions
    methods = at.selectbox(key="draw-method").options
    assert not any("Grad-CAM" in m for m in methods)


@pytest.mark.mnist
def test_a_seed_002_model_puts_the_drawing_on_the_test_sets_hidden_scatter(monkeypatch, mnist):
    from digitlab.models import softmax784

    monkeypatch.setenv("DIGITLAB_MNIST", mnist.source)
    _activate(softmax784(), "seed002-softmax784")
    at = drawn_seven()
    open_inside(at)
    assert any("z[0] =" in m.value for m in at.markdown)
    assert any("the star is your drawing" in c.value for c in at.caption)


@pytest.mark.trained_model
def test_a_four_turned_until_its_bars_go_flat_is_said_to_be_no_digit():
    from digitlab.synth.stroke_digits import plain, render

    at = AppTest.from_file(str(ROOT / "main.py"), default_timeout=180)
    at.run()
    at.session_state["canvas"] = canvas_state(render(plain(4)))
    at.run()
    open_inside(at)
    at.slider(key="draw-degrees").set_value(60).run()
    assert not at.exception, at.exception
    assert 'data-seen="false"' in marker(at, "inside-changed")
    said = next(m.value for m in at.markdown if m.value.startswith("What the network now gets"))
    assert "it now sees **no digit**" in said and "reads" not in said  # not "it now reads 0 (10%)"
