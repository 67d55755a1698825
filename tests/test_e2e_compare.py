"""The old-vs-new comparison in a real browser, for a new model that is worse than the active one.

No training: a (tiny, untrained) model is stored and its training job recorded as done, as a
finished training leaves them; the sidebar then offers the comparison.
"""

import re

import pytest
from playwright.sync_api import expect

from digitlab import jobs, tasks
from digitlab.tasks import train as training_task
from digitlab.fileio import write_json_atomic
from digitlab.store import SHIPPED_ID, ModelStore
from appdriver import app_env, open_app, streamlit_server
from tests.helpers import mnist_path, tiny_model


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e-compare")
    store = ModelStore(d / "store")
    predictions = [7] * 10_000  # reads every test digit as 7: 10.28% right
    run = store.save(tiny_model(), {"preset": "seed003-mlp512-rmsprop", "test_accuracy": 0.1028,
                                    "test_predictions": predictions, "training_seconds": 12.0,
                                    "started": "2026-11-29T18:45:44+00:00", "config": {"subset": 5000}})
    outcome = training_task.Outcome(run.id, 0.1028, 12.0, [])
    status = jobs.Status("0123456789ab", "train", "Training seed003-mlp512-rmsprop", jobs.State.DONE,
                         "2026-11-29T18:45:44", owner="f" * 32, result=tasks.to_json(outcome))
    write_json_atomic(jobs.job_dir(status.id, d / "store") / "status.json", status.to_json())
    with streamlit_server(app_env(d, DIGITLAB_MNIST=mnist_path())) as url:
        yield url, store, run


@pytest.mark.mnist
@pytest.mark.trained_model
@pytest.mark.browser
def test_a_worse_new_model_is_flagged_and_keeping_the_current_one_is_the_default(app, new_page):
    url, store, run = app
    page = new_page(viewport=(1400, 1000))
    open_app(page, url)
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("seed003-mlp512-rmsprop · 29 Nov 18:45 · 10.28% · quick try").first.wait_for(
        timeout=30_000)  # the finished training, by its readable name
    sidebar.get_by_role("button", name="Compare with the model in use").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("The new model is worse").wait_for(timeout=60_000)
    keep = dialog.get_by_role("button", name="Keep the current model")
    assert keep.get_attribute("data-testid") == "stBaseButton-primary"
    assert dialog.get_by_role("button", name="Make it the server's model anyway").get_attribute(
        "data-testid") == "stBaseButton-secondary"
    dialog.get_by_text(re.compile(r"^first 60 of [\d,]+$")).first.wait_for(timeout=30_000)
    keep.click()
    expect(page.get_by_role("dialog")).to_have_count(0, timeout=30_000)
    assert store.active_id() == SHIPPED_ID
    assert run.id in [r.id for r in store.runs()]  # the new one stays stored, unused
