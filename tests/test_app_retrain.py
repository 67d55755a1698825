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
