"""Two `streamlit run` servers on two ports, one PostgreSQL and one model store: they behave as one.

A drawing saved through one is listed through the other (the browser sends the
same visitor cookie to both, as a load balancer's two replicas would get), and
a job running shows its progress in both.
"""

from __future__ import annotations

import pytest

from digitlab import jobs
from appdriver import (DIGIT_STROKES, app_env, draw_strokes, exceptions, open_app, streamlit_servers,
                       wait_for_answer)
from tests.helpers import postgres_schema, wait_for_job


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e-replicas")
    with postgres_schema() as url:
        env = app_env(d, DIGITLAB_DATABASE_URL=url, DIGITLAB_ALLOW_TRAINING="1")
        with streamlit_servers(env, env) as (one, two):  # started side by side
            yield one, two, env


@pytest.mark.slow  # two servers, each loading the model on its first visitor
@pytest.mark.postgres
@pytest.mark.trained_model
@pytest.mark.browser
def test_a_drawing_and_a_job_are_seen_through_both_servers(two_servers, page, monkeypatch):
    one, two, env = two_servers
    box = open_app(page, one)
    draw_strokes(page, DIGIT_STROKES[3], box, left=0.15, top=0.1, size=0.75)
    assert wait_for_answer(page, strokes=len(DIGIT_STROKES[3])) == "3"
    page.get_by_role("button", name="Save it").click()
    page.locator(".own-count", has_text="You have saved 1 digit").wait_for(timeout=30_000)

    box = open_app(page, two)
    draw_strokes(page, DIGIT_STROKES[3], box, left=0.15, top=0.1, size=0.75)
    wait_for_answer(page, strokes=len(DIGIT_STROKES[3]))
    page.locator(".own-count", has_text="You have saved 1 digit").wait_for(timeout=30_000)

    # A job started through either server (here: the shared store, as server one's Retrain would).
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    job = jobs.start("count", "tests.job_kinds:count", {"n": 400, "step": 0.1}, title="Counting",
                     about="counting", source="server one")
    try:
        for url in (two, one):
            page.goto(url)
            page.locator("[data-testid=stSidebar]").get_by_text("Counting").wait_for(timeout=60_000)
            page.locator("[data-testid=stSidebar]").get_by_text("step ", exact=False).first.wait_for(timeout=30_000)
        assert not exceptions(page), exceptions(page)
    finally:
        jobs.cancel(job.id)
        wait_for_job(job.id, timeout=30)
