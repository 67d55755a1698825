"""The sidebar's model picker under AppTest, alone (AppTest loses the sidebar of the full
app on a second run, because of the retraining panel's timed fragment).

A visitor's pick lasts for their session; the server's model changes only by the
operator (the CLI, or this sidebar when training is allowed)."""

import pytest
from streamlit.testing.v1 import AppTest

from digitlab.store import SHIPPED_ID, ModelStore

from tests.helpers import read_only, tiny_model


def picker_page():
    from ui.sidebar import model_picker
    from ui import resources

    model_picker()
    import streamlit as st

    st.markdown(f"uses:{resources.chosen_model_id()}")


def session() -> AppTest:
    at = AppTest.from_function(picker_page, default_timeout=60)
    at.run()
    return at


def uses(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("uses:"))[5:]


@pytest.mark.trained_model
def test_a_visitors_pick_is_theirs_alone(monkeypatch):
    monkeypatch.setenv("DIGITLAB_ALLOW_TRAINING", "0")
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
def test_the_operator_changes_the_servers_model_when_training_is_allowed(monkeypatch):
    monkeypatch.setenv("DIGITLAB_ALLOW_TRAINING", "1")
    store = ModelStore()
    other = store.save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00"})
    a = session()
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
    monkeypatch.setenv("DIGITLAB_ALLOW_TRAINING", "1")
    store = ModelStore()
    other = store.save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00"})
    a = session()
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
