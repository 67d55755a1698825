"""Which database, one engine per process, and the schema brought up to date.

An SQLite file in the user-data folder by default: embedded, nothing to start,
so ``streamlit run app.py`` just works. ``DIGITLAB_DATABASE_URL`` names another,
e.g. ``postgresql://postgres@127.0.0.1:5432/digitlab`` for several app servers
sharing one (a ``postgresql://`` URL uses the psycopg 3 driver).
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.engine import make_url

from digitlab import paths
from digitlab.db.schema import MIGRATIONS, SCHEMA_VERSION, schema_version

ENV_VAR = "DIGITLAB_DATABASE_URL"
SQLITE_FILE = "digitlab.sqlite3"
# A writer waits this long for another's transaction before SQLite says "locked". Saves
# are single-row inserts (milliseconds), so only a stuck process reaches it.
SQLITE_BUSY_MS = 10_000
# Any fixed 64-bit number, the same in every process: PostgreSQL serialises migrations with it.
MIGRATION_LOCK_KEY = 0x44_4C_4D_49_47  # "DLMIG"


class DatabaseError(RuntimeError):
    """The database cannot be used; the message says which one and why."""


def database_url() -> str:
    """``DIGITLAB_DATABASE_URL``, else the SQLite file in the user-data folder."""
    url = os.environ.get(ENV_VAR, "").strip()
    if not url:
        return f"sqlite:///{paths.user_data_dir() / SQLITE_FILE}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def engine() -> Engine:
    """The engine for :func:`database_url`, made once per process with its schema up to date."""
    url = database_url()
    with _lock:
        if url not in _engines:
            _engines[url] = _make(url)
        return _engines[url]


@contextmanager
def writing(doing: str) -> Iterator[Connection]:
    """A transaction on :func:`engine`; the database failing inside it (a disk full, a file made
    read-only, a server gone) is a :class:`DatabaseError` that says what was not done. A broken
    constraint (``IntegrityError``, e.g. a class code taken) stays the caller's to handle."""
    try:
        with engine().begin() as conn:
            yield conn
    except IntegrityError:
        raise
    except SQLAlchemyError as e:
        raise DatabaseError(f"{doing} failed: the database refused ({type(e).__name__}: "
                            f"{getattr(e, 'orig', None) or e}). Nothing was changed; try again later.") from e


def dispose_all() -> None:
    """Close every engine's connections (tests; a forked process)."""
    with _lock:
        for e in _engines.values():
            e.dispose()
        _engines.clear()


def _make(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        e = create_engine(url)

        @event.listens_for(e, "connect")
        def _sqlite_pragmas(conn, _record) -> None:
            # WAL: readers never wait for a writer; foreign keys are off in SQLite unless asked.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
    else:
        e = create_engine(url, pool_pre_ping=True)
    try:
        migrate(e)
    except Exception as exc:  # noqa: BLE001 - any driver error means the same: this database is unusable
        e.dispose()
        raise DatabaseError(f"cannot use the database {describe(url)}: {type(exc).__name__}: {exc}") from exc
    return e


def current_version(conn) -> int:
    if not conn.dialect.has_table(conn, schema_version.name):
        return 0
    return conn.execute(select(schema_version.c.version)).scalar() or 0


def migrate(e: Engine) -> int:
    """Run the migrations this database has not had yet; returns its version.

    One process at a time (an advisory lock in PostgreSQL, a file lock beside an SQLite file),
    so two servers starting together do not both create the tables.
    """
    if is_postgres(e):
        with e.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            return _migrate(conn)
    # SQLite: a file lock beside the database (pysqlite begins transactions lazily, after
    # the "does the table exist?" reads, so its own lock would come too late).
    with open(f"{e.url.database}.migrate-lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        with e.begin() as conn:
            return _migrate(conn)


def _migrate(conn) -> int:
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise DatabaseError(f"the database has schema version {version}; this Digit Lab knows up to "
                            f"{SCHEMA_VERSION}. Update Digit Lab.")
    for step in MIGRATIONS[version:]:
        step(conn)
    if version == 0:
        conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
    elif version < SCHEMA_VERSION:
        conn.execute(schema_version.update().values(version=SCHEMA_VERSION))
    return SCHEMA_VERSION
