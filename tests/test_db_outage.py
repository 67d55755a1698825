"""The database is not the app: gone, hung, slow, damaged, full or misconfigured, every library call
fails with a DatabaseError whose message is one plain sentence, and the app recovers, without a
restart, when the database comes back (even re-created empty). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import importlib
import re
import socket
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import numpy as np
import psycopg
import pytest
from sqlalchemy import event, text

from digitlab import db
from digitlab.db import classes, drawings, marks, visitors
from tests.helpers import corrupt_table, postgres_database, postgres_schema

engine = importlib.import_module("digitlab.db.engine")  # the module: digitlab.db.engine is also a function

A = visitors.new_id()


def digit(value: int = 1) -> np.ndarray:
    a = np.zeros((28, 28), np.float32)
    a[4:24, 12:16] = value / 9 if value else 0.5
    return a


def assert_plain(message: str) -> None:
    """One or two sentences, capitalised, with no class name, path, address or driver in them."""
    assert re.fullmatch(r"[A-Z][^\n]*\.", message), message
    assert message.count(". ") <= 1, message
    assert not re.search(r"Error|Exception|/|\\|127\.0\.0\.1|sqlite|psycopg|postgres|SQL", message), message


def every_use_fails_plainly(reason: str) -> None:
    """Each reading and writing call fails with a DatabaseError saying ``reason``, plainly."""
    calls = [lambda: drawings.count(A), lambda: drawings.load(A), lambda: drawings.stamp(A),
             lambda: marks.load(A), lambda: classes.joined(A), lambda: classes.taught(A),
             lambda: drawings.save(A, digit(), 1), lambda: marks.set_mark(A, "train", 1, "ambiguous"),
             lambda: classes.create(A, "Year 5"), lambda: db.check()]
    for call in calls:
        with pytest.raises(db.DatabaseError) as failed:
            call()
        assert_plain(str(failed.value))
        assert reason in str(failed.value).lower(), str(failed.value)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens on it once closed


class SilentServer:
    """A loopback port that accepts connections and never answers: a database server that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.accepted.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()
        for s in self.accepted:
            s.close()


def in_thread(call, timeout: float):
    """``call()`` in a thread: (finished, its exception or None). A call still running after
    ``timeout`` seconds (a hang) is left behind as a daemon."""
    result: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            result.append(None)
        except BaseException as e:  # noqa: BLE001 - handed to the test
            result.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    return (not t.is_alive()), (result[0] if result else None)


# --------------------------------------------------------------------------- gone or misconfigured


def test_an_unreachable_postgresql_is_one_plain_sentence_on_every_call(monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, f"postgresql://postgres@127.0.0.1:{closed_port()}/test")
    monkeypatch.setattr(engine, "RETRY_SECONDS", 0)  # each call tries again: each one must say it plainly
    every_use_fails_plainly("the database cannot be reached")


@pytest.mark.parametrize("url", ["notaurl", "mysql://someone@127.0.0.1/digitlab", "postgresql://"
                                 "postgres@127.0.0.1:5432/test?sslmode=sometimes"])
def test_a_bad_database_setting_is_one_plain_sentence(monkeypatch, url):
    monkeypatch.setenv(db.ENV_VAR, url)
    monkeypatch.setattr(engine, "RETRY_SECONDS", 0)
    with pytest.raises(db.DatabaseError) as failed:
        drawings.count(A)
    assert_plain(str(failed.value))
    assert str(failed.value) == "Your saved drawings cannot be read now: the server's database setting is wrong."
    assert failed.value.detail  # the driver's words are kept for the operator's log


def test_a_hung_server_costs_one_wait_then_fails_at_once_until_it_is_tried_again(monkeypatch):
    server = SilentServer()
    try:
        monkeypatch.setenv(db.ENV_VAR, f"postgresql://postgres@127.0.0.1:{server.port}/test")
        monkeypatch.setattr(engine, "CONNECT_TIMEOUT_S", 2)
        done, error = in_thread(lambda: drawings.count(A), timeout=60)  # today: waits for ever
        assert done, "a hung database server hung the call"
        assert isinstance(error, db.DatabaseError), error
        assert_plain(str(error))
        tries = len(server.accepted)
        assert tries >= 1
        # Within RETRY_SECONDS every use fails at once, without knocking again.
        for _ in range(5):
            with pytest.raises(db.DatabaseError, match="did not answer in time|cannot be reached"):
                marks.load(A)
        assert len(server.accepted) == tries
        monkeypatch.setattr(engine, "RETRY_SECONDS", 0)  # ... then it is tried again
        with pytest.raises(db.DatabaseError):
            db.check()
        assert len(server.accepted) > tries
    finally:
        server.close()


# --------------------------------------------------------------------------- slow


def test_a_statement_kept_waiting_is_cut_off_with_a_plain_sentence(database, monkeypatch):
    drawings.save(A, digit(), 1)
    db.dispose_all()  # new connections, with the shorter timeouts below
    if database.startswith("postgresql"):
        monkeypatch.setattr(engine, "STATEMENT_TIMEOUT_MS", 500)
        blocker = psycopg.connect(database)  # another session locks the table and keeps it
        blocker.execute("LOCK TABLE drawings IN ACCESS EXCLUSIVE MODE")
        call, expected = (lambda: drawings.count(A)), "Your saved drawings cannot be read now"
    else:
        monkeypatch.setattr(engine, "SQLITE_BUSY_MS", 500)
        blocker = sqlite3.connect(db.engine().url.database, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds SQLite's one write lock
        call, expected = (lambda: drawings.save(A, digit(), 2)), "Saving the drawing failed"
    try:
        done, error = in_thread(call, timeout=60)  # PostgreSQL today: waits as long as the lock is held
        assert done, "a locked table hung the call"
    finally:
        blocker.rollback()
        blocker.close()
    assert isinstance(error, db.DatabaseError), error
    assert_plain(str(error))
    assert str(error).startswith(f"{expected}: the database did not answer in time"), str(error)
    assert drawings.count(A) == 1  # and once the lock is gone, all is as before


# --------------------------------------------------------------------------- gone, and back


def test_the_sqlite_file_deleted_while_in_use_is_made_again(isolated_dirs):
    drawings.save(A, digit(), 1)
    path = Path(db.engine().url.database)
    for leftover in path.parent.glob(path.name + "*"):  # the file, its -wal and -shm
        leftover.unlink()
    assert drawings.count(A) == 0  # a new, empty database, not the deleted file still open
    drawings.save(A, digit(), 2)  # today: "attempt to write a readonly database" until a restart
    assert drawings.load(A).labels.tolist() == [2] and path.exists()


def test_the_user_data_folder_removed_while_in_use_is_made_again(isolated_dirs):
    import shutil

    drawings.save(A, digit(), 1)
    path = Path(db.engine().url.database)
    shutil.rmtree(path.parent)
    drawings.save(A, digit(), 2)
    assert drawings.load(A).labels.tolist() == [2] and path.exists()


@pytest.mark.postgres
def test_a_postgresql_database_dropped_then_created_again_is_used_again_without_a_restart(monkeypatch):
    monkeypatch.setattr(engine, "RETRY_SECONDS", 0)  # the wait between tries is tested above
    with postgres_database() as pg:
        monkeypatch.setenv(db.ENV_VAR, pg.url)
        drawings.save(A, digit(), 1)
        classes.create(A, "Year 5")
        pg.drop()  # DROP DATABASE, as in the issue (or PostgreSQL restarting, its data gone)
        every_use_fails_plainly("the database cannot be reached")
        pg.create()  # back, empty
        db.check()  # what every page does first: the schema is made again
        assert drawings.count(A) == 0 and classes.taught(A) == []
        drawings.save(A, digit(), 3)  # today: UndefinedTable until the server restarts
        assert drawings.load(A).labels.tolist() == [3]


@pytest.mark.postgres
def test_a_schema_emptied_behind_the_apps_back_is_made_again(monkeypatch):
    with postgres_schema() as url:
        monkeypatch.setenv(db.ENV_VAR, url)
        drawings.save(A, digit(), 1)
        schema = re.search(r"search_path%3D(\w+)", url)[1]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
            conn.execute(f"CREATE SCHEMA {schema}")
        # At most one call learns of it (within CHECK_SECONDS of the last look: today every call, until a
        # restart); the next finds the tables made again.
        try:
            n = drawings.count(A)
        except db.DatabaseError as e:
            assert_plain(str(e))
            n = drawings.count(A)
        assert n == 0
        drawings.save(A, digit(), 2)
        assert drawings.count(A) == 1
        db.dispose_all()


# --------------------------------------------------------------------------- damaged, full


def save_some(n: int = 40) -> None:
    start = visitors.now() - timedelta(days=1)
    for i in range(n):  # 10 s apart: under the saves-per-minute quota
        drawings.save(A, digit(i % 10), i % 10, when=start + timedelta(seconds=10 * i))


def test_a_damaged_page_of_the_sqlite_file_is_one_plain_sentence_and_the_rest_works(isolated_dirs):
    save_some()
    marks.set_mark(A, "train", 5, "ambiguous")
    path = Path(db.engine().url.database)
    db.dispose_all()
    corrupt_table(path, "drawings")
    for call, start in ((lambda: drawings.load(A), "Your saved drawings cannot be read now: the database is damaged."),
                        (lambda: drawings.save(A, digit(), 1), "Saving the drawing failed: the database is damaged.")):
        with pytest.raises(db.DatabaseError) as failed:
            call()
        assert_plain(str(failed.value))
        assert str(failed.value).startswith(start), str(failed.value)
    assert set(marks.load(A)) == {"train:5"}  # what the damage did not touch still works
    db.check()


def test_a_full_sqlite_database_is_one_plain_sentence(isolated_dirs):
    drawings.save(A, digit(), 1)
    e = db.engine()

    @event.listens_for(e, "connect")
    def no_room_to_grow(conn, _record) -> None:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")

    e.dispose()
    big = np.random.default_rng(0).integers(0, 256, (300, 300), dtype=np.uint8)  # a picture needing new pages
    with pytest.raises(db.DatabaseError) as failed:
        drawings.save(A, digit(), 2, picture=big)
    assert str(failed.value) == "Saving the drawing failed: the database is full. Nothing was changed."
    assert drawings.count(A) == 1
    with e.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM drawings")).scalar_one() == 1


def test_no_training_starts_while_the_database_that_holds_the_lock_across_servers_is_away(monkeypatch, tmp_path):
    from digitlab.jobs.lock import TrainingLock, is_held

    monkeypatch.setenv(db.ENV_VAR, f"postgresql://postgres@127.0.0.1:{closed_port()}/test")
    with pytest.raises(db.DatabaseError):
        TrainingLock({"preset": "cnn", "source": "test"}, root=tmp_path).acquire()
    assert not is_held(tmp_path)  # asking does not fail, and the file lock was let go:
    monkeypatch.delenv(db.ENV_VAR)
    TrainingLock({"preset": "cnn", "source": "test"}, root=tmp_path).acquire().release()
