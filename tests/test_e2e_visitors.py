"""Two visitors in two browsers (two Playwright contexts: separate cookies, as two people).

A saves a drawing and marks a dubious label; B sees none of it; B's model choice
does not change A's; A's reload keeps A's data (the visitor id is in A's cookie).
"""

from __future__ import annotations

import shutil

import pytest

from digitlab import dubious
from digitlab.store import ModelStore
from appdriver import DIGIT_STROKES, app_env, choose, draw_strokes, exceptions, open_app, streamlit_server, wait_for_answer
from tests.helpers import tiny_model


@pytest.fixture(scope="module")
def app_url(small_dubious_run, tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e-visitors")
    env = app_env(d, DIGITLAB_ALLOW_TRAINING="0")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        dubious.save(small_dubious_run[0])
        ModelStore().save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00"})
    with streamlit_server(env) as url:
        yield url
    shutil.rmtree(d / "cache", ignore_errors=True)


def sidebar_model(page) -> str:
    """What the sidebar says of the model this visitor uses (preset — description, accuracy)."""
    return page.locator("[data-testid=stSidebar] [data-testid=stCaptionContainer]",
                        has_text="MNIST test accuracy").first.inner_text()


def open_dubious_500(page, url: str) -> None:
    page.goto(url)
    page.get_by_text("Draw a digit", exact=False).first.wait_for(timeout=60_000)
    page.locator("[data-testid=stSidebarNav]").get_by_text("Dubious labels").click()
    # Generous: this page loads the ranking and the model's features, and the machine may be shared.
    page.get_by_role("button", name="Show train #500").click(timeout=90_000)
    page.get_by_text("Train image #500").wait_for(timeout=90_000)


@pytest.mark.slow  # three visits of the Dubious labels page and two drawings
@pytest.mark.mnist
@pytest.mark.trained_model
@pytest.mark.browser
def test_two_visitors_see_only_their_own(app_url, new_page):
    a, b = new_page(), new_page()

    # A draws a 7, saves it, and marks train #500.
    box = open_app(a, app_url)
    draw_strokes(a, DIGIT_STROKES[7], box, left=0.15, top=0.1, size=0.75)
    assert wait_for_answer(a, strokes=len(DIGIT_STROKES[7])) == "7"
    a.get_by_role("button", name="Save it").click()
    a.locator(".own-count", has_text="You have saved 1 digit").wait_for(timeout=30_000)
    open_dubious_500(a, app_url)
    a.get_by_role("button", name="Label wrong").click()
    a.locator(".dubious-mark", has_text="label wrong").wait_for(timeout=30_000)
    assert any(c["name"] == "digitlab_visitor" for c in a.context.cookies())

    # B sees no drawing of A's and no mark; B picks another model.
    box = open_app(b, app_url)
    draw_strokes(b, DIGIT_STROKES[1], box, left=0.15, top=0.1, size=0.75)
    wait_for_answer(b, strokes=len(DIGIT_STROKES[1]))
    b.get_by_text("Save drawings with their true label").wait_for(timeout=30_000)
    assert b.locator(".own-count").count() == 0
    open_dubious_500(b, app_url)
    b.locator(".dubious-mark", has_text="none").wait_for(timeout=30_000)
    assert b.locator(".dubious-mark-count").count() == 0
    assert b.get_by_role("button", name="Download the marks (CSV)").count() == 0
    choose(b.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first.get_by_role("combobox"), "tiny",
           typed="tiny", timeout=60)
    b.locator("[data-testid=stSidebar] [data-testid=stCaptionContainer]", has_text="tiny").first.wait_for(
        timeout=30_000)

    # A, reloading, still has the server's model, their drawing and their mark.
    open_dubious_500(a, app_url)
    a.locator(".dubious-mark", has_text="label wrong").wait_for(timeout=30_000)
    assert "tiny" not in sidebar_model(a) and "cnn" in sidebar_model(a)
    a.locator("[data-testid=stSidebarNav]").get_by_text("Draw").click()
    a.locator(".own-count", has_text="You have saved 1 digit").wait_for(timeout=60_000)
    assert not exceptions(a) and not exceptions(b), (exceptions(a), exceptions(b))
