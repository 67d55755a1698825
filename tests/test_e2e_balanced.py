"""Two app servers behind a real load balancer (HAProxy, sticky by cookie) on one PostgreSQL.

The route `python -m deploy.balanced` ships: each browser stays on the server of its first request
(its websocket, its saves); a drawing saved through one server is the visitor's through the other,
and a job running on the shared store is seen through both. (Two servers side by side without the
balancer, test_e2e_replicas until 2026-12-06, is folded in here.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from digitlab import jobs
from appdriver import DIGIT_STROKES, app_env, chromium_browser, draw_strokes, exceptions, open_app, wait_for_answer
from deploy.balanced import AFFINITY_COOKIE, HAPROXY, balanced
from tests.helpers import postgres_schema, wait_for_job


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not Path(HAPROXY).exists():
        pytest.fail("this test needs HAProxy: apt-get install haproxy (./test.sh installs it)")
    d = tmp_path_factory.mktemp("e2e-balanced")
    env = app_env(d)
    with postgres_schema() as url, balanced(url, env=env, folder=d / "logs") as running:
        yield running, env


def cookie(page, name: str) -> dict:
    return next(c for c in page.context.cookies() if c["name"] == name)


@pytest.mark.slow  # two servers, each loading the model on its first visitor, and a job seen through both
@pytest.mark.postgres
@pytest.mark.trained_model
@pytest.mark.browser
def test_two_servers_behind_haproxy_keep_each_visitor_on_one_and_share_their_data_and_jobs(servers, monkeypatch):
    servers, env = servers
    with chromium_browser() as browser:
        a = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        b = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        box = open_app(a, servers["url"])
        draw_strokes(a, DIGIT_STROKES[7], box, left=0.15, top=0.1, size=0.75)
        assert wait_for_answer(a, strokes=len(DIGIT_STROKES[7])) == "7"  # the websocket went where the page came from
        a.get_by_role("button", name="Save it").click()
        a.locator(".own-count", has_text="You have saved 1 digit").wait_for(timeout=30_000)

        box = open_app(b, servers["url"])
        draw_strokes(b, DIGIT_STROKES[3], box, left=0.15, top=0.1, size=0.75)
        assert wait_for_answer(b, strokes=len(DIGIT_STROKES[3])) == "3"
        assert b.locator(".own-count").count() == 0  # A's drawing is A's
        first, second = cookie(a, AFFINITY_COOKIE), cookie(b, AFFINITY_COOKIE)
        assert first["httpOnly"] and {first["value"], second["value"]} == {"app1", "app2"}  # one each

        # A moves to the other server (as when theirs goes down): same visitor, same drawing.
        other = "app2" if first["value"] == "app1" else "app1"
        a.context.add_cookies([{**first, "value": other}])
        box = open_app(a, servers["url"])
        assert cookie(a, AFFINITY_COOKIE)["value"] == other
        draw_strokes(a, DIGIT_STROKES[1], box, left=0.15, top=0.1, size=0.75)
        wait_for_answer(a, strokes=len(DIGIT_STROKES[1]))
        a.locator(".own-count", has_text="You have saved 1 digit").wait_for(timeout=30_000)

        # A job started on the shared model store (as either server's Retrain would) is seen through both.
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        job = jobs.start("count", "tests.job_kinds:count", {"n": 400, "step": 0.1}, title="Counting",
                         about="counting", source="server one")
        try:
            for server in (other, first["value"]):
                a.context.add_cookies([{**first, "value": server}])
                a.goto(servers["url"])
                # A visitor through the balancer is no operator: they are told the server is busy (its
                # progress and Cancel are for the job's owner and the operator: test_e2e_roles).
                a.locator("[data-testid=stSidebar]").get_by_text("The server is busy with").wait_for(timeout=60_000)
                assert cookie(a, AFFINITY_COOKIE)["value"] == server
        finally:
            jobs.cancel(job.id)
            wait_for_job(job.id, timeout=30)
        assert not exceptions(a) and not exceptions(b), (exceptions(a), exceptions(b))
