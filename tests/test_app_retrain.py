"""The retrain sidebar under AppTest: for whom it is shown, hidden for public deployments, busy message.

AppTest sends no request headers, so its session is never "on the server's machine": it is a visitor,
who becomes the operator by entering the operator secret, as a browser elsewhere would."""

import pytest
from streamlit.testing.v1 import AppTest

from digitlab.models import DEFAULT_PRESET, PRESETS
from tests.helpers import ROOT


SECRET = "let me in, it is my server"


def run_app(monkeypatch, allow: str | None, visitors_train: str | None = "1"):
    for var, value in (("DIGITLAB_ALLOW_TRAINING", allow), ("DIGITLAB_VISITORS_TRAIN", visitors_train)):
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    at = AppTest.from_file(str(ROOT / "main.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def sign_in(at, secret: str) -> None:
    at.sidebar.text_input(key="operator-secret").input(secret)
    next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception


def has_retrain_button(at) -> bool:
    return any(b.label == "Retrain" for b in at.sidebar.button)


@pytest.mark.trained_model
def test_retrain_settings_are_in_the_sidebar(monkeypatch):
    at = run_app(monkeypatch, None)
    assert has_retrain_button(at)
    assert at.sidebar.selectbox(key="rt-preset").value == DEFAULT_PRESET == "cnn-shapes"
    assert at.sidebar.number_input(key=f"rt-epochs-{DEFAULT_PRESET}").value == PRESETS[DEFAULT_PRESET].epochs


@pytest.mark.parametrize("value", ["0", "false"])
@pytest.mark.trained_model
def test_training_can_be_switched_off_for_public_deployments(monkeypatch, value):
    at = run_app(monkeypatch, value)
    assert not has_retrain_button(at)
    assert not any("Retrain" in s.value for s in at.sidebar.subheader)


@pytest.mark.trained_model
def test_a_visitor_sees_no_training_where_visitors_may_not_train(monkeypatch):
    at = run_app(monkeypatch, None, visitors_train=None)
    assert not has_retrain_button(at)
    assert not any(b.label == "Make it the server's model" for b in at.sidebar.button)


def sign_in_page():
    import streamlit as st

    from ui.sidebar import operator_sign_in
    from ui.visitor import keep_in_browser, who

    keep_in_browser()
    operator_sign_in()
    st.markdown(f"operator: {who().operator}")


def open_sign_in(monkeypatch) -> AppTest:
    # Alone: AppTest loses the full app's sidebar on a second run (the panel's timed fragment).
    monkeypatch.setenv("DIGITLAB_OPERATOR_SECRET", SECRET)
    at = AppTest.from_function(sign_in_page, default_timeout=60)
    at.run()
    return at


def is_operator(at) -> bool:
    return any(m.value == "operator: True" for m in at.markdown)


def test_the_operator_secret_makes_this_browser_the_operator_until_it_signs_out(monkeypatch):
    at = open_sign_in(monkeypatch)
    assert not is_operator(at)
    sign_in(at, "a guess")
    assert any("not the operator secret" in e.value for e in at.sidebar.error) and not is_operator(at)
    sign_in(at, SECRET)
    assert is_operator(at) and any("You run this server" in c.value for c in at.sidebar.caption)
    # The token for the browser's cookie: an HMAC of this visitor id, nothing else.
    from digitlab import identity

    assert identity.is_operator_token(at.session_state["visitor_id"], at.session_state["operator_cookie_write"])
    next(b for b in at.sidebar.button if b.label.startswith("Stop being the operator")).click().run()
    assert not is_operator(at) and at.session_state["operator_cookie_write"] == ""


def test_wrong_secrets_from_one_address_are_limited(monkeypatch):
    from ui import sidebar

    monkeypatch.setattr(sidebar, "_wrong_secrets", {})
    at = open_sign_in(monkeypatch)
    for _ in range(sidebar.WRONG_SECRETS_PER_10_MINUTES):
        sign_in(at, "guess")
    sign_in(at, SECRET)  # even the right one, now: a script guessing gets ten tries in ten minutes
    assert any("Too many wrong secrets" in e.value for e in at.sidebar.error) and not is_operator(at)


def test_progress_says_starting_until_the_first_batch():
    from digitlab.jobs import State, Status
    from ui.job_panel import progress_words

    def status(**fields) -> Status:
        return Status("a" * 12, "train", "Training", State.RUNNING, "2026-01-01T00:00:00",
                      phase=fields.pop("phase", "training"), fields=fields)

    assert progress_words(status()) == "starting…"
    assert progress_words(status(epoch=0, epochs=None, batch=0, batches=None)) == "starting…"
    assert progress_words(status(epoch=2, epochs=10, batch=31, batches=235)) == "epoch 2/10 · batch 31/235"
    assert progress_words(status(phase="preparing")) == "starting… drawing the extra training images"


@pytest.mark.trained_model
def test_the_training_form_is_collapsed_and_explained(monkeypatch):
    at = run_app(monkeypatch, None)
    assert [e.label for e in at.sidebar.expander] == ["Train a model"]
    assert any("again and again" in c.value for c in at.sidebar.caption)
    assert at.sidebar.number_input(key=f"rt-epochs-{DEFAULT_PRESET}").help  # each setting explained


def form_page():
    import streamlit as st

    from ui.retrain import settings_form

    if not st.session_state.get("form-hidden"):  # the form is hidden while a training runs
        settings_form()


def test_the_training_form_remembers_its_settings():
    # Alone: AppTest loses the full app's sidebar on a second run (the panel's timed fragment).
    at = AppTest.from_function(form_page, default_timeout=60)
    at.run()
    at.number_input(key=f"rt-epochs-{DEFAULT_PRESET}").set_value(7).run()
    at.toggle(key="rt-quick").set_value(True).run()
    # A widget's state is dropped on a run that does not draw it; what the user set is kept beside it.
    at.session_state["form-hidden"] = True
    at.run()
    at.session_state["form-hidden"] = False
    at.run()
    assert at.number_input(key=f"rt-epochs-{DEFAULT_PRESET}").value == 7
    assert at.toggle(key="rt-quick").value is True


def test_a_setting_whose_change_callback_never_ran_is_still_kept():
    """A change Streamlit applied without calling its on_change (a run replaced by a newer one while
    the sidebar redrew) is kept from the next run that draws it; an untouched widget is not "set"."""
    at = AppTest.from_function(form_page, default_timeout=60)
    at.run()
    assert "rt-quick" not in at.session_state["kept"]  # drawn twice, never set: the form stays collapsed
    at.session_state["rt-quick"] = True  # the value, without the callback
    at.run()
    at.session_state["form-hidden"] = True
    at.run()
    at.session_state["form-hidden"] = False
    at.run()
    assert at.toggle(key="rt-quick").value is True
