"""The sidebar's model picker under AppTest, alone (AppTest loses the sidebar of the full
app on a second run, because of the retraining panel's timed fragment).

A visitor's pick lasts for their session; the server's model changes only by the
operator (the CLI, or this sidebar); a model a visitor trained is listed for them alone.
AppTest sends no headers (it is never "on the server's machine"): the operator signs in
with the secret, as from another machine."""

import pytest
from streamlit.testing.v1 import AppTest

from digitlab.store import SHIPPED_ID, ModelStore

from tests.helpers import read_only, tiny_model


SECRET = "the operator's secret"


def picker_page():
    from ui.sidebar import model_picker, operator_sign_in
    from ui import resources

    model_picker()
    operator_sign_in()
    import streamlit as st

    st.markdown(f"uses:{resources.chosen_model_id()}")


def session(operator: bool = False) -> AppTest:
    at = AppTest.from_function(picker_page, default_timeout=60)
    at.run()
    if operator:
        at.sidebar.text_input(key="operator-secret").input(SECRET)
        next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    return at


@pytest.fixture(autouse=True)
def operator_secret(monkeypatch):
    monkeypatch.setenv("DIGITLAB_OPERATOR_SECRET", SECRET)


def uses(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("uses:"))[5:]


@pytest.mark.trained_model
def test_a_visitors_pick_is_theirs_alone(monkeypatch):
    store = ModelStore()
    other = store.save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00"})
    a, b = session(), session()
    a.sidebar.selectbox[0].set_value(other.id).run()
    assert uses(a) == other.id and any("**tiny**" in c.value for c in a.sidebar.caption)
    assert store.active_id() == SHIPPED_ID  # the server's model did not change
    b.run()
    assert uses(b) == SHIPPED_ID
    assert not [x for x in a.sidebar.button if x.key == "model-activate"]  # visitors cannot change it


@pytest.mark.trained_model
def test_the_operator_changes_the_servers_model(monkeypatch):
    store = ModelStore()
    other = store.save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00"})
    a = session(operator=True)
    a.sidebar.selectbox[0].set_value(other.id).run()
    a.sidebar.button(key="model-activate").click().run()
    assert store.active_id() == other.id
    assert uses(session()) == other.id  # a new visitor starts with it


@pytest.mark.trained_model
def test_a_visitor_who_never_picked_follows_the_operators_change():
    store = ModelStore()
    other = store.save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00"})
    a = session()
    assert uses(a) == SHIPPED_ID
    store.set_active(other.id)  # the operator, from the shell
    a.run()
    assert uses(a) == other.id and a.sidebar.selectbox[0].value == other.id


def test_a_read_only_store_is_reported_and_the_message_survives_reruns(monkeypatch, isolated_dirs):
    store = ModelStore()
    other = store.save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00"})
    a = session(operator=True)
    with read_only(store.root):
        a.sidebar.selectbox[0].set_value(other.id).run()
        a.sidebar.button(key="model-activate").click().run()
        for _ in range(3):  # the retraining panel redraws the sidebar every second
            assert any("cannot be written" in e.value for e in a.sidebar.error)
            a.run()
        assert store.active_id() == SHIPPED_ID
        assert uses(a) == other.id  # the visitor still uses what they picked
    a.sidebar.button(key="model-error-ok").click().run()
    assert not a.sidebar.error


@pytest.mark.trained_model
def test_a_model_a_visitor_trained_is_theirs_alone_and_never_the_servers():
    store = ModelStore()
    a = session()
    mine = store.save(tiny_model(), {"preset": "tiny", "description": "A's", "started": "2026-01-01T00:00",
                                     "owner": a.session_state["visitor_id"]})
    a.run()
    assert len(a.sidebar.selectbox[0].options) == 2  # the shipped model and A's own
    a.sidebar.selectbox[0].set_value(mine.id).run()
    assert uses(a) == mine.id
    assert not [x for x in a.sidebar.button if x.key == "model-activate"]
    b = session()
    assert len(b.sidebar.selectbox[0].options) == 1  # the shipped model only: A's is A's
    operator = session(operator=True)
    operator.sidebar.selectbox[0].set_value(mine.id).run()  # the operator sees it ...
    assert not [x for x in operator.sidebar.button if x.key == "model-activate"]  # ... and cannot make it the server's


def training_section_page():
    from ui.retrain import _finished_and_form

    _finished_and_form(None, [], [])


@pytest.mark.parametrize("visitors_train", ["0", "1"])
def test_a_visitor_who_may_not_train_is_told_so_where_the_form_would_be(monkeypatch, visitors_train):
    monkeypatch.setenv("DIGITLAB_VISITORS_TRAIN", visitors_train)
    at = AppTest.from_function(training_section_page, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    said = [c.value for c in at.caption if "no-training" in c.value]
    if visitors_train == "1":
        assert not said and [e.label for e in at.expander] == ["Train a model"]
    else:
        assert said and "Only the person who runs this server can start trainings here." in said[0]
        assert not at.expander
