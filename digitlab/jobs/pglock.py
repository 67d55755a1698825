"""The training lock across app servers: a PostgreSQL advisory lock, when the visitors'
database is PostgreSQL (``DIGITLAB_DATABASE_URL``).

Taken next to the file lock (:mod:`digitlab.jobs.lock`), which still hands the
lock to a job's runner process. An advisory lock belongs to a database session,
so it cannot be inherited: the runner queues for it *before* the app lets go
(:func:`wait_in_queue`), and the app releases it only once it sees the runner
waiting (:meth:`AdvisoryLock.hand_over`). PostgreSQL grants a released lock to
the session queued for it; anyone else's ``pg_try_advisory_lock`` conflicts with
the queued request and fails, so no other server slips in between.

The key is (a constant, a hash of the schema): deployments (and tests) in
different schemas of one database do not block each other. A server or
runner that dies loses its session, and with it the lock.
"""

from __future__ import annotations

import time
import zlib

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from digitlab import db

KEY_CLASS = 0x444C  # "DL": the first of the two int4 keys
HAND_OVER_SECONDS = 30.0  # a runner starts (Python, SQLAlchemy, a connection) in ~1 s; a loaded machine, more


def enabled() -> bool:
    """True when the database is PostgreSQL: only then can servers on other machines share the lock."""
    return db.database_url().startswith("postgresql")


def _key(conn: Connection) -> tuple[int, int]:
    schema = conn.execute(text("SELECT current_schema()")).scalar() or "public"
    return KEY_CLASS, zlib.crc32(schema.encode()) & 0x7FFFFFFF


def _connect() -> Connection:
    return db.engine().connect().execution_options(isolation_level="AUTOCOMMIT")


class AdvisoryLock:
    """One session's hold on the lock: :meth:`try_acquire`, then :meth:`release` or :meth:`hand_over`."""

    def __init__(self):
        self.conn: Connection | None = None

    def try_acquire(self) -> bool:
        conn = _connect()
        k1, k2 = _key(conn)
        if conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": k1, "b": k2}).scalar():
            self.conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        if self.conn is not None:
            try:
                k1, k2 = _key(self.conn)
                self.conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), {"a": k1, "b": k2})
            finally:
                self.conn.close()  # closing the session would release it anyway
                self.conn = None

    def hand_over(self, timeout: float = HAND_OVER_SECONDS) -> bool:
        """Release once another session queues for the lock (the runner); False if none did in time
        (then it is released anyway: the runner, if it comes, takes it)."""
        if self.conn is None:
            return False
        k1, k2 = _key(self.conn)
        deadline = time.monotonic() + timeout
        queued = False
        while not queued and time.monotonic() < deadline:
            queued = bool(self.conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND classid = :a AND objid = :b AND objsubid = 2"), {"a": k1, "b": k2}).scalar())
            if not queued:
                time.sleep(0.02)
        self.release()
        return queued


def wait_in_queue(timeout: float = HAND_OVER_SECONDS) -> Connection:
    """In the runner: block until the lock is ours (the app hands it over); keep the returned
    connection open while the job runs. ``TimeoutError`` if it never comes."""
    conn = _connect()
    k1, k2 = _key(conn)
    conn.execute(text(f"SET lock_timeout = '{int(timeout * 1000)}ms'"))
    try:
        conn.execute(text("SELECT pg_advisory_lock(:a, :b)"), {"a": k1, "b": k2})
    except Exception as e:  # noqa: BLE001 - the driver's lock-timeout error
        conn.close()
        raise TimeoutError(f"the training lock was not handed over within {timeout:.0f} s") from e
    conn.execute(text("SET lock_timeout = 0"))
    return conn


def held() -> bool:
    """True while any session holds the lock. Reads pg_locks only: never takes it, even for a moment.
    With the database away nobody can tell: False (this only informs; taking the lock still fails)."""
    try:
        with _connect() as conn:
            k1, k2 = _key(conn)
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND classid = :a AND objid = :b AND objsubid = 2"), {"a": k1, "b": k2}).scalar())
    except (db.DatabaseError, SQLAlchemyError):
        return False
