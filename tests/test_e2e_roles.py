"""Two browsers on one server: the operator on the server's own machine, and a visitor from elsewhere.

The visitor comes "from another machine" the way a proxy on this one would bring them: every request
of their browser carries X-Forwarded-For (uvicorn takes a loopback proxy's word for the address),
sent by Playwright on loopback. The operator starts a training; the visitor sees only that the server
is busy, with no control over it, no way to train or to change the server's model, and nothing of
its outcome.
"""

from __future__ import annotations

import re

import pytest

from appdriver import app_env, choose, exceptions, open_app, streamlit_server, switch
from digitlab.store import ModelStore
from tests.helpers import mnist_path, tiny_model

ELSEWHERE = {"X-Forwarded-For": "203.0.113.7"}  # TEST-NET-3: an address no machine here has


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e-roles")
    env = app_env(d, DIGITLAB_MNIST=mnist_path())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DIGITLAB_MODEL_STORE", str(d / "store"))
        ModelStore().save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00"})
    with streamlit_server(env) as url:
        yield url


@pytest.mark.slow  # a real training started and cancelled from the app
@pytest.mark.mnist
@pytest.mark.trained_model
@pytest.mark.browser
def test_a_visitor_from_elsewhere_has_no_operator_controls_and_cannot_touch_the_operators_job(app, new_page):
    operator = new_page()
    visitor = new_page(extra_http_headers=ELSEWHERE)
    open_app(operator, app)
    side = operator.locator("[data-testid=stSidebar]")
    side.locator("[data-testid=stExpander] summary", has_text="Train a model").click()
    # Thousands of batches (batch 15): it runs for as long as the test looks at it.
    choose(side.locator("[data-testid=stSelectbox]", has_text="Preset").get_by_role("combobox"), "seed002",
           typed="seed002")
    side.get_by_text("softmax", exact=False).first.wait_for(timeout=30_000)  # its description
    switch(side, "Quick try: train on the first 5,000 images only")
    side.get_by_role("button", name="Retrain").click()
    side.get_by_text("Training seed002-softmax784").wait_for(timeout=60_000)
    side.get_by_role("button", name="Cancel training").wait_for(timeout=30_000)

    open_app(visitor, app)
    vside = visitor.locator("[data-testid=stSidebar]")
    vside.get_by_text(re.compile("The server is busy with a training since")).wait_for(timeout=60_000)
    for control in ("Cancel training", "Retrain", "Make it the server's model", "Dismiss"):
        assert visitor.get_by_role("button", name=control).count() == 0, control
    assert vside.get_by_text("Train a model").count() == 0
    # The visitor may pick another model for themselves: it does not offer to make it the server's.
    choose(vside.locator("[data-testid=stSelectbox]").first.get_by_role("combobox"), "tiny")
    vside.get_by_text("untrained").first.wait_for(timeout=30_000)
    assert visitor.get_by_role("button", name="Make it the server's model").count() == 0

    side.get_by_role("button", name="Cancel training").click()
    side.get_by_text(re.compile("the training was cancelled", re.I)).wait_for(timeout=60_000)
    open_app(visitor, app)  # a reload: the outcome of someone else's training is not theirs
    vside.get_by_text("Model", exact=True).first.wait_for(timeout=30_000)
    visitor.wait_for_timeout(1500)  # the sidebar's job panel draws within its first run
    assert vside.get_by_text(re.compile("cancelled", re.I)).count() == 0
    assert not exceptions(operator) and not exceptions(visitor), (exceptions(operator), exceptions(visitor))
