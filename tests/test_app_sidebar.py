"""The sidebar's model picker under AppTest, alone (AppTest loses the sidebar of the full
app on a second run, because of the retraining panel's timed fragment)."""

import pytest
from streamlit.testing.v1 import AppTest

from digitlab.store import SHIPPED_ID, ModelStore

from tests.helpers import tiny_model


def picker_page():
    from ui.sidebar import model_picker

    model_picker()


@pytest.mark.trained_model
def test_picking_a_model_activates_it_and_a_change_elsewhere_is_followed():
    store = ModelStore()
    other = store.save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00"})
    at = AppTest.from_function(picker_page, default_timeout=60)
    at.run()
    assert at.sidebar.selectbox[0].value == SHIPPED_ID
    at.sidebar.selectbox[0].set_value(other.id).run()
    assert store.active_id() == other.id
    assert any("**tiny**" in c.value for c in at.sidebar.caption)

    store.set_active(SHIPPED_ID)  # another tab, or the retraining dialog
    at.run()
    assert store.active_id() == SHIPPED_ID  # the stale widget value did not win
    assert at.sidebar.selectbox[0].value == SHIPPED_ID


def test_a_model_that_cannot_be_activated_is_reported(monkeypatch):
    store = ModelStore()
    other = store.save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00"})
    at = AppTest.from_function(picker_page, default_timeout=60)
    at.run()
    import shutil

    shutil.rmtree(store.path_of(other.id))  # deleted from another shell meanwhile
    at.sidebar.selectbox[0].set_value(other.id).run()
    assert store.active_id() == SHIPPED_ID
    assert any(other.id in e.value for e in at.sidebar.error)
