"""The retrain sidebar under AppTest: shown, hidden for public deployments, busy message."""

import pytest
from streamlit.testing.v1 import AppTest

from digitlab.models import DEFAULT_PRESET, PRESETS
from tests.helpers import ROOT


def run_app(monkeypatch, allow: str | None):
    if allow is None:
        monkeypatch.delenv("DIGITLAB_ALLOW_TRAINING", raising=False)
    else:
        monkeypatch.setenv("DIGITLAB_ALLOW_TRAINING", allow)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def has_retrain_button(at) -> bool:
    return any(b.label == "Retrain" for b in at.sidebar.button)


@pytest.mark.trained_model
def test_retrain_settings_are_in_the_sidebar(monkeypatch):
    at = run_app(monkeypatch, None)
    assert has_retrain_button(at)
    assert at.sidebar.selectbox(key="rt-preset").value == DEFAULT_PRESET == "cnn"
    assert at.sidebar.number_input(key=f"rt-epochs-{DEFAULT_PRESET}").value == PRESETS[DEFAULT_PRESET].epochs


@pytest.mark.parametrize("value", ["0", "false"])
@pytest.mark.trained_model
def test_training_can_be_switched_off_for_public_deployments(monkeypatch, value):
    at = run_app(monkeypatch, value)
    assert not has_retrain_button(at)
    assert not any("Retrain" in s.value for s in at.sidebar.subheader)


def test_progress_says_starting_until_the_first_batch():
    from ui.job_panel import progress_words

    assert progress_words({"kind": "train", "state": "running"}) == "starting…"
    assert progress_words({"epoch": 0, "epochs": None, "batch": 0, "batches": None}) == "starting…"
    assert progress_words({"epoch": 2, "epochs": 10, "batch": 31, "batches": 235}) == "epoch 2/10 · batch 31/235"
    assert progress_words({"phase": "preparing"}) == "starting… drawing the extra training images"


@pytest.mark.trained_model
def test_the_training_form_is_collapsed_and_explained(monkeypatch):
    at = run_app(monkeypatch, None)
    assert [e.label for e in at.sidebar.expander] == ["Train a model"]
    assert any("again and again" in c.value for c in at.sidebar.caption)
    assert at.sidebar.number_input(key=f"rt-epochs-{DEFAULT_PRESET}").help  # each setting explained


def form_page():
    import streamlit as st

    from ui.retrain import settings_form

    if not st.session_state.get("training-runs"):  # the form is hidden while a training runs
        settings_form()


def test_the_training_form_remembers_its_settings():
    # Alone: AppTest loses the full app's sidebar on a second run (the panel's timed fragment).
    at = AppTest.from_function(form_page, default_timeout=60)
    at.run()
    at.number_input(key=f"rt-epochs-{DEFAULT_PRESET}").set_value(7).run()
    at.toggle(key="rt-quick").set_value(True).run()
    # A widget's state is dropped on a run that does not draw it; what the user set is kept beside it.
    at.session_state["training-runs"] = True
    at.run()
    at.session_state["training-runs"] = False
    at.run()
    assert at.number_input(key=f"rt-epochs-{DEFAULT_PRESET}").value == 7
    assert at.toggle(key="rt-quick").value is True
