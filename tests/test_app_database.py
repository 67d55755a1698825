"""The pages when the database is gone, misconfigured, damaged, or dropped and made again while the
app runs (Streamlit's AppTest: the app's own process, its engines and caches, as a server's).

Every page loads, the Draw page still reads digits, what needs the database says in one sentence
what is unavailable, and when the database is back the app uses it again without a restart.
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitlab import db
from digitlab.db import drawings, visitors
from tests.helpers import ROOT, corrupt_table, postgres_database, stroke_picture
from tests.test_app_draw import canvas_state
from tests.test_db_outage import assert_plain, closed_port

engine = importlib.import_module("digitlab.db.engine")
SEVEN = [(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]


def open_app(visitor: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "main.py"), default_timeout=120)
    if visitor:
        at.session_state["visitor_id"] = visitor
    at.run()
    assert not at.exception, at.exception
    return at


def draw(at: AppTest, points=SEVEN) -> None:
    at.session_state["canvas"] = canvas_state(stroke_picture(points))
    at.run()
    assert not at.exception, at.exception
    assert [m.value for m in at.markdown if "digit-answer" in m.value], "the Draw page gave no answer"


def texts(at: AppTest) -> list[str]:
    return [e.value for kind in (at.caption, at.error, at.warning, at.info) for e in kind]


def saved_count(at: AppTest) -> str | None:
    found = [m.value for m in at.markdown if "own-count" in m.value]
    return found[0] if found else None


@pytest.mark.trained_model
@pytest.mark.parametrize("url, reason", [
    ("postgresql://postgres@127.0.0.1:{port}/test", "the database cannot be reached"),
    ("notaurl", "the server's database setting is wrong"),
])
def test_without_a_database_every_page_loads_and_the_draw_page_still_reads(monkeypatch, url, reason):
    monkeypatch.setenv(db.ENV_VAR, url.format(port=closed_port()))
    at = open_app()
    draw(at)
    assert f"Saving your digits is unavailable: {reason}." in texts(at)
    assert "draw-save" not in [b.key for b in at.button]
    for page in ("pages/classes.py", "pages/training.py", "pages/dataset.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
    at.switch_page("pages/classes.py").run()
    assert [e.value for e in at.error] == [f"Joining and teaching classes is unavailable: {reason}."]
    for shown in texts(at):
        if "database" in shown:
            assert_plain(shown)


@pytest.mark.trained_model
def test_a_damaged_page_in_the_sqlite_file_is_a_sentence_under_the_answer(isolated_dirs):
    me = visitors.new_id()
    start = visitors.now() - timedelta(days=1)
    for i in range(40):
        drawings.save(me, np.eye(28, dtype=np.float32), i % 10, when=start + timedelta(seconds=10 * i))
    path = Path(db.engine().url.database)
    db.dispose_all()
    corrupt_table(path, "drawings")
    at = open_app(me)
    draw(at)  # today: "database disk image is malformed", a traceback under the answer
    assert "Your saved drawings cannot be read now: the database is damaged." in texts(at)
    at.button(key="draw-save").click().run()
    assert not at.exception, at.exception
    assert "Saving the drawing failed: the database is damaged. Nothing was changed." in texts(at)
    at.switch_page("pages/classes.py").run()
    assert not at.exception, at.exception


@pytest.mark.trained_model
def test_the_sqlite_file_deleted_while_the_app_runs_is_made_again_and_saving_goes_on(isolated_dirs):
    at = open_app()
    draw(at)
    at.button(key="draw-save").click().run()
    assert "You have saved 1 digit<" in saved_count(at)
    path = Path(db.engine().url.database)
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    draw(at, [(0.2, 0.3), (0.8, 0.2), (0.5, 0.9)])  # a new drawing: a new, empty database
    assert saved_count(at) is None
    at.button(key="draw-save").click().run()
    assert not at.exception, at.exception
    assert "You have saved 1 digit<" in saved_count(at), texts(at)
    assert drawings.count(at.session_state["visitor_id"]) == 1 and path.exists()


@pytest.mark.postgres
@pytest.mark.trained_model
def test_postgresql_dropped_then_created_again_while_the_app_runs(monkeypatch):
    monkeypatch.setattr(engine, "RETRY_SECONDS", 0)  # in a real server: within 10 s of its return
    with postgres_database() as pg:
        monkeypatch.setenv(db.ENV_VAR, pg.url)
        at = open_app()
        draw(at)
        at.button(key="draw-save").click().run()
        assert "You have saved 1 digit<" in saved_count(at)
        pg.drop()
        draw(at, [(0.2, 0.3), (0.8, 0.2), (0.5, 0.9)])  # today: an OperationalError traceback
        assert "Saving your digits is unavailable: the database cannot be reached." in texts(at)
        at.switch_page("pages/classes.py").run()
        assert [e.value for e in at.error] == ["Joining and teaching classes is unavailable: the database "
                                               "cannot be reached."]
        pg.create()  # back, empty
        at.switch_page("pages/draw.py").run()
        draw(at, [(0.2, 0.2), (0.8, 0.3), (0.4, 0.9)])  # today: UndefinedTable until a restart
        at.button(key="draw-save").click().run()
        assert not at.exception, at.exception
        assert "You have saved 1 digit<" in saved_count(at), texts(at)
        at.switch_page("pages/classes.py").run()
        assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
