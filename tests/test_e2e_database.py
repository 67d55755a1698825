"""A real server whose database goes away while it runs, and comes back empty (a real browser).

PostgreSQL: ``DROP DATABASE`` (as when its server restarts with its data gone), then ``CREATE
DATABASE``. SQLite: the file deleted. Meanwhile every page loads and the Draw page reads digits;
what needs the database says so in one sentence; once it is back, saving works again, with no
restart of the app.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from appdriver import (DIGIT_STROKES, app_env, canvas_box, chromium, draw_strokes, exceptions, streamlit_server,
                       wait_for_answer, wait_until_settled)
from tests.helpers import postgres_database


def draw_and_read(page, url: str, digit: int) -> None:
    page.goto(url)
    page.get_by_text("Draw a digit", exact=False).first.wait_for(timeout=60_000)
    box = canvas_box(page)
    draw_strokes(page, DIGIT_STROKES[digit], box, left=0.15, top=0.1, size=0.75)
    assert wait_for_answer(page, strokes=len(DIGIT_STROKES[digit]), timeout=60) == str(digit)
    wait_until_settled(page)  # the "Your own digits" box too


def save_and_see_count(page, count: str) -> None:
    page.get_by_role("button", name="Save it").click()
    page.locator(".own-count", has_text=f"You have saved {count}").wait_for(timeout=30_000)


def open_classes(page) -> None:
    page.locator("[data-testid=stSidebarNav]").get_by_text("Classes").click()
    page.get_by_role("heading", name="Classes").wait_for(timeout=60_000)


@pytest.mark.trained_model
@pytest.mark.browser
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_database_lost_and_made_again_while_the_server_runs(kind, tmp_path):
    with ExitStack() as stack:
        env = app_env(tmp_path)
        if kind == "postgres":
            pg = stack.enter_context(postgres_database())
            env["DIGITLAB_DATABASE_URL"] = pg.url
        url = stack.enter_context(streamlit_server(env))
        page = stack.enter_context(chromium())

        draw_and_read(page, url, 7)
        save_and_see_count(page, "1 digit")

        if kind == "sqlite":
            sqlite_file = tmp_path / "user" / "digitlab.sqlite3"
            for leftover in Path(sqlite_file.parent).glob(sqlite_file.name + "*"):
                leftover.unlink()
        else:
            pg.drop()
            draw_and_read(page, url, 3)  # the model needs no database: still read
            page.get_by_text("Saving your digits is unavailable: the database cannot be reached.").wait_for(
                timeout=30_000)
            assert not exceptions(page), exceptions(page)  # today: OperationalError, in the sidebar too
            open_classes(page)
            page.get_by_text("Joining and teaching classes is unavailable: the database cannot be reached.").wait_for(
                timeout=30_000)
            assert not exceptions(page), exceptions(page)
            pg.create()  # back, empty

        # Back: within RETRY_SECONDS (10 s) of the last failed try, saving works again; no restart.
        deadline = time.monotonic() + 90
        while True:
            draw_and_read(page, url, 4)
            assert not exceptions(page), exceptions(page)  # today: UndefinedTable on every page
            if page.get_by_role("button", name="Save it").count():
                # A new, empty database, not the lost one still open (SQLite today: its old count, and
                # a save that fails because the file it writes to was deleted).
                assert page.locator(".own-count").count() == 0, page.locator(".own-count").all_inner_texts()
                break
            assert time.monotonic() < deadline, "saving did not come back"
            time.sleep(2)
        save_and_see_count(page, "1 digit")  # a new, empty database: this one is its first
        if kind == "sqlite":
            assert sqlite_file.exists()
        open_classes(page)
        page.get_by_role("button", name="Join").wait_for(timeout=30_000)
        assert not exceptions(page), exceptions(page)
