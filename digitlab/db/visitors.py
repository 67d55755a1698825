"""Anonymous visitors: an id each, made by the server and kept in the visitor's browser.

The id is the only key to a visitor's data, so it is random (128 bits) and
checked at every door of this package: a malformed one is refused, never
matched loosely.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from sqlalchemy import Connection, select, text

from digitlab.db.schema import ADDRESS_LENGTH, visitors

VISITOR_ID = re.compile(r"^[0-9a-f]{32}$")
# Files from before the database (one user per machine) are imported for this visitor;
# no browser can present it (not 32 hex digits), so only `python -m digitlab.db adopt` hands it on.
IMPORTED = "imported"


def new_id() -> str:
    return uuid.uuid4().hex


def check(visitor_id: str) -> str:
    """``visitor_id`` if it is one (32 hex digits, or :data:`IMPORTED`), else ``ValueError``."""
    if not isinstance(visitor_id, str) or not (VISITOR_ID.match(visitor_id) or visitor_id == IMPORTED):
        raise ValueError("not a visitor id")
    return visitor_id


def check_address(address: str | None) -> str | None:
    """A visitor's network address as the app got it (None: unknown), else ``ValueError``. It is only
    counted and stored, never parsed, so any short text will do (a proxy may hand on a name)."""
    if address is not None and (not isinstance(address, str) or not address or len(address) > ADDRESS_LENGTH):
        raise ValueError("not a network address")
    return address


def now() -> datetime:
    return datetime.now(timezone.utc)


def dialect_insert(conn: Connection, table):
    """An INSERT that can say ON CONFLICT (SQLite and PostgreSQL both speak it)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def ensure(conn: Connection, visitor_id: str) -> None:
    """Record the visitor on their first write (page views alone write nothing). Two tabs' first
    writes may race: the second insert is a no-op, not an error."""
    check(visitor_id)
    if conn.execute(select(visitors.c.id).where(visitors.c.id == visitor_id)).first() is None:
        conn.execute(dialect_insert(conn, visitors).values(id=visitor_id, created=now()).on_conflict_do_nothing())


def serialise(conn: Connection, visitor_id: str) -> None:
    """Until ``conn``'s transaction ends, the visitor's other writes wait (PostgreSQL: an
    advisory lock on the id; SQLite: its one write lock, taken now). Any other key (e.g.
    "address 203.0.113.9") serialises the writes that name it the same way; take a visitor's
    lock before any other, so that two transactions never wait for each other.

    SQLite lets one writer at a time in, but Python's driver begins a transaction only at its
    first write: two tabs could both count a visitor's drawings before either inserted, and both
    slip under a quota (tests/test_db.py holds that window open). A write that changes nothing
    takes the lock before anything is counted.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:v))"), {"v": visitor_id})
    elif conn.dialect.name == "sqlite":
        conn.execute(visitors.update().where(visitors.c.id == visitor_id).values(id=visitor_id))


def recorded(visitor_id: str) -> bool:
    """Whether the database recorded ``visitor_id`` (their first write did): an id the server issued."""
    from digitlab.db.engine import engine

    check(visitor_id)
    with engine().connect() as conn:
        return conn.execute(select(visitors.c.id).where(visitors.c.id == visitor_id)).first() is not None
