"""Which database, one engine per process, the schema kept up to date, and the database's
failures turned into one plain sentence.

An SQLite file in the user-data folder by default: embedded, nothing to start,
so ``streamlit run app.py`` just works. ``DIGITLAB_DATABASE_URL`` names another,
e.g. ``postgresql://postgres@127.0.0.1:5432/digitlab`` for several app servers
sharing one (a ``postgresql://`` URL uses the psycopg 3 driver).

The database is not the app: it may be gone, slow, damaged, full or misconfigured
while the app runs, and come back (even re-created empty). So:

- every use goes through :func:`reading` or :func:`writing`, which turn any driver
  failure into a :class:`DatabaseError` whose message is one plain sentence (the
  driver's own words go to the server's log, for the operator);
- :func:`engine` checks the schema again (and makes it again if it is gone) after any
  failure, and at most every :data:`CHECK_SECONDS` otherwise; :func:`check` checks it now;
- a database that could not be reached is not tried again for :data:`RETRY_SECONDS`:
  in between every use fails at once, so a hung server costs one page a wait, not all;
- PostgreSQL gets a connect and a statement timeout, SQLite a busy timeout.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from digitlab import paths
from digitlab.db.schema import MIGRATIONS, SCHEMA_VERSION, schema_version

ENV_VAR = "DIGITLAB_DATABASE_URL"
SQLITE_FILE = "digitlab.sqlite3"
# A writer waits this long for another's transaction before SQLite says "locked". Saves
# are single-row inserts (milliseconds), so only a stuck process reaches it.
SQLITE_BUSY_MS = 10_000
# PostgreSQL: how long to wait for a connection (libpq's connect_timeout, whole seconds, at
# least 2), and for one statement of a reading() or writing() (statement_timeout, set for its
# transaction only: the training lock's connection waits for its hand-over on purpose). The
# app's reads and writes take milliseconds; a lock held elsewhere, or a server swamped, costs a
# page at most this long.
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 10_000
# How long a session waits for a free pooled connection (SQLAlchemy's default is 30 s).
POOL_TIMEOUT_S = 10
# After the database could not be reached, uses fail at once for this long before it is tried
# again: a hung server (connect timeout 5 s) then delays one use in 10 s, not every page.
RETRY_SECONDS = 10.0
# Without a failure, the schema is looked at again (two small queries) at most this often, so a
# database re-created empty behind the app's back gets its tables back within this time.
CHECK_SECONDS = 10.0
# Any fixed 64-bit number, the same in every process: PostgreSQL serialises migrations with it.
MIGRATION_LOCK_KEY = 0x44_4C_4D_49_47  # "DLMIG"

log = logging.getLogger(__name__)

# Why the database cannot be used, in words a visitor can read (the end of a sentence).
UNREACHABLE = "the database cannot be reached"
DAMAGED = "the database is damaged"
FULL = "the database is full"
READ_ONLY = "the database cannot be written to"
SLOW = "the database did not answer in time"
MISCONFIGURED = "the server's database setting is wrong"
NEWER = "the database was made by a newer Digit Lab"
SCHEMA_GONE = "the database was just emptied; it is being set up again"


class DatabaseError(RuntimeError):
    """The database cannot be used. ``str()`` is one plain sentence for a visitor; ``reason`` is its
    cause in a few words (one of this module's constants); ``detail`` is the driver's words, for the
    operator (the server's log, the command line), never for a page."""

    def __init__(self, message: str, reason: str = UNREACHABLE, detail: str = ""):
        super().__init__(message)
        self.reason = reason
        self.detail = detail


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
    """The URL without its password, for the operator's messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "a URL SQLAlchemy cannot parse"  # it may hold a password: never repeat it


# --------------------------------------------------------------------------- failures in words

# PostgreSQL's SQLSTATE classes and codes (PostgreSQL manual, appendix A) -> the reason.
_PG_STATES = {"53100": FULL, "57014": SLOW, "55P03": SLOW, "XX001": DAMAGED, "XX002": DAMAGED,
              "25006": READ_ONLY, "3D000": UNREACHABLE, "42P01": SCHEMA_GONE, "3F000": SCHEMA_GONE}
_PG_CLASSES = {"08": UNREACHABLE, "28": MISCONFIGURED, "57": UNREACHABLE, "53": UNREACHABLE}
# Messages without a SQLSTATE (SQLite's; psycopg's own, before it reaches a server) -> the reason.
_WORDS = (("malformed", DAMAGED), ("not a database", DAMAGED), ("disk i/o", DAMAGED),
                 ("full", FULL), ("readonly", READ_ONLY), ("read-only", READ_ONLY), ("locked", SLOW),
                 ("busy", SLOW), ("no such table", SCHEMA_GONE), ("unable to open", UNREACHABLE),
                 ("timeout", SLOW), ("timed out", SLOW), ("invalid", MISCONFIGURED))


def reason_of(e: BaseException) -> str:
    """Why ``e`` (a driver's, SQLAlchemy's or the file system's error) means the database cannot be used."""
    if isinstance(e, DatabaseError):
        return e.reason
    if isinstance(e, (ArgumentError, NoSuchModuleError, ImportError)):
        return MISCONFIGURED
    if isinstance(e, OSError):
        if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return READ_ONLY
        return FULL if e.errno in (errno.ENOSPC, errno.EDQUOT) else UNREACHABLE
    orig = getattr(e, "orig", None) or e
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        return _PG_STATES.get(state) or _PG_CLASSES.get(state[:2], UNREACHABLE)
    words = str(orig).lower()
    return next((reason for word, reason in _WORDS if word in words), UNREACHABLE)


def _error(message: str, e: BaseException) -> DatabaseError:
    detail = e.detail if isinstance(e, DatabaseError) else f"{type(e).__name__}: {getattr(e, 'orig', None) or e}"
    return DatabaseError(message, reason_of(e), detail)


# --------------------------------------------------------------------------- one engine per URL


@dataclass
class _State:
    """What this process knows of one database."""

    engine: Engine | None = None
    checked: float | None = None  # when its schema was last found current; None: look again
    failed: tuple[float, DatabaseError] | None = None  # when and why it last could not be used
    file: tuple[int, int] | None = None  # SQLite: (device, inode) of the file it opened


_states: dict[str, _State] = {}
_lock = threading.Lock()


def engine() -> Engine:
    """The engine for :func:`database_url`, its schema up to date (looked at again after a failure,
    else every :data:`CHECK_SECONDS`). Raises :class:`DatabaseError` if the database cannot be used."""
    return _ready(force=False)


def check() -> None:
    """Look at the database now: reachable, its schema current (made again if it is gone).
    Raises :class:`DatabaseError` if it cannot be used; within :data:`RETRY_SECONDS` of a
    failure, at once, without trying again."""
    _ready(force=True)


def _ready(force: bool) -> Engine:
    url = database_url()
    with _lock:
        s = _states.setdefault(url, _State())
        now = time.monotonic()
        if s.failed and now - s.failed[0] < RETRY_SECONDS:
            last = s.failed[1]
            raise DatabaseError(str(last), last.reason, last.detail)  # a new one: a raise adds to its traceback
        try:
            if s.engine is None:
                s.engine = _make(url)
            if _sqlite_file_replaced(s):
                s.engine.dispose()  # the pool's connections hold the old file open
                s.checked = None
            if force or s.checked is None or now - s.checked > CHECK_SECONDS:
                _bring_up_to_date(s)
                s.checked = now
        except (SQLAlchemyError, DatabaseError, OSError, ImportError) as e:  # ImportError: a URL's driver is missing
            reason = reason_of(e)
            error = _error(reason[:1].upper() + reason[1:] + ".", e)
            log.warning("Digit Lab's database %s cannot be used: %s", describe(url), error.detail)
            s.failed, s.checked = (now, error), None
            if s.engine is not None:
                s.engine.dispose()
            raise error from e
        if s.failed:
            log.warning("Digit Lab's database %s can be used again", describe(url))
            s.failed = None
        return s.engine


def _failed(message: str, e: BaseException) -> DatabaseError:
    """A use failed: the next one looks at the schema (and the connection) again; the operator's log
    gets the driver's words (a failure of the engine itself was logged where it happened)."""
    with _lock:
        s = _states.get(database_url())
        if s is not None:
            s.checked = None
    error = _error(message, e)
    if not isinstance(e, DatabaseError):
        log.warning("%s (%s)", message, error.detail)
    return error


@contextmanager
def reading(what: str) -> Iterator[Connection]:
    """A connection to :func:`engine` for reading ``what`` ("Your saved drawings"); any failure is a
    :class:`DatabaseError` saying "<what> cannot be read now: <reason>."."""
    try:
        with engine().connect() as conn:
            _time_limit(conn)
            yield conn
    except (SQLAlchemyError, DatabaseError, OSError) as e:
        raise _failed(f"{what} cannot be read now: {reason_of(e)}.", e) from e


@contextmanager
def writing(doing: str) -> Iterator[Connection]:
    """A transaction on :func:`engine`; the database failing inside it (a disk full, a file made
    read-only, a server gone) is a :class:`DatabaseError` saying "<doing> failed: <reason>.
    Nothing was changed.". A broken constraint (``IntegrityError``, e.g. a class code taken)
    stays the caller's to handle."""
    try:
        with engine().begin() as conn:
            _time_limit(conn)
            yield conn
    except IntegrityError:
        raise
    except (SQLAlchemyError, DatabaseError, OSError) as e:
        raise _failed(f"{doing} failed: {reason_of(e)}. Nothing was changed.", e) from e


def _time_limit(conn: Connection) -> None:
    """PostgreSQL: cut off any statement of this transaction after :data:`STATEMENT_TIMEOUT_MS`."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT_MS)}"))


def dispose_all() -> None:
    """Close every engine's connections and forget what is known of each database (tests; a forked process)."""
    with _lock:
        for s in _states.values():
            if s.engine is not None:
                s.engine.dispose()
        _states.clear()


def _sqlite_path(e: Engine) -> Path | None:
    database = e.url.database if e.dialect.name == "sqlite" else None
    return Path(database) if database and database != ":memory:" and not database.startswith("file:") else None


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _sqlite_file_replaced(s: _State) -> bool:
    """The SQLite file was deleted or replaced since it was opened (a pooled connection would go
    on reading the deleted file, and refuse to write to it)."""
    path = _sqlite_path(s.engine)
    return path is not None and s.file is not None and _file_id(path) != s.file


def _bring_up_to_date(s: _State) -> None:
    """Make the schema current if it is not (a database re-created empty gets its tables again)."""
    path = _sqlite_path(s.engine)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)  # the user-data folder itself may have gone
    with s.engine.connect() as conn:
        current = current_version(conn) == SCHEMA_VERSION
    if not current:
        migrate(s.engine)
    if path is not None:
        s.file = _file_id(path)


def _make(url: str) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        e = create_engine(u, pool_timeout=POOL_TIMEOUT_S)

        @event.listens_for(e, "connect")
        def _sqlite_pragmas(conn, _record) -> None:
            # WAL: readers never wait for a writer; foreign keys are off in SQLite unless asked.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
        return e
    if u.get_backend_name() == "postgresql" and "connect_timeout" not in u.query:  # the URL's own wins
        u = u.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    return create_engine(u, pool_pre_ping=True, pool_timeout=POOL_TIMEOUT_S)


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
        raise DatabaseError("The database was made by a newer Digit Lab.", NEWER,
                            f"it has schema version {version}; this Digit Lab knows up to {SCHEMA_VERSION}")
    for step in MIGRATIONS[version:]:
        step(conn)
    if version == 0:
        conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
    elif version < SCHEMA_VERSION:
        conn.execute(schema_version.update().values(version=SCHEMA_VERSION))
    return SCHEMA_VERSION
