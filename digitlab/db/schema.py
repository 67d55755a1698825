"""The tables, and the ordered migrations that make them.

Every visitor's data carries their id, and every query in :mod:`digitlab.db`
filters on it: that is what keeps one visitor's drawings and marks from another.

The schema's version is the row in ``schema_version``; :data:`MIGRATIONS`
step ``i`` takes a database from version ``i`` to ``i + 1``. A new version adds a
function at the end; a step already shipped is never edited.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import (Column, Connection, DateTime, ForeignKey, Integer, LargeBinary, MetaData, PrimaryKeyConstraint,
                        SmallInteger, String, Table, UniqueConstraint, text)

metadata = MetaData()

VISITOR_ID_LENGTH = 32  # uuid4().hex

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

visitors = Table(
    "visitors", metadata,
    Column("id", String(VISITOR_ID_LENGTH), primary_key=True),
    Column("created", DateTime(timezone=True), nullable=False),
)

drawings = Table(
    "drawings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("visitor_id", String(VISITOR_ID_LENGTH), ForeignKey("visitors.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("label", SmallInteger, nullable=False),
    Column("image", LargeBinary, nullable=False),  # the 28x28 the model saw: 784 raw uint8 bytes, row by row
    Column("picture", LargeBinary, nullable=True),  # the original drawing or photo, PNG (None for imported files)
    Column("created", DateTime(timezone=True), nullable=False, index=True),
)

marks = Table(
    "marks", metadata,
    Column("visitor_id", String(VISITOR_ID_LENGTH), ForeignKey("visitors.id", ondelete="CASCADE"), nullable=False),
    Column("split", String(8), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("mark", String(16), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("visitor_id", "split", "idx"),
)

classes = Table(
    "classes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("name", String(80), nullable=False),
    Column("teacher_id", String(VISITOR_ID_LENGTH), ForeignKey("visitors.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created", DateTime(timezone=True), nullable=False),
)

memberships = Table(
    "memberships", metadata,
    Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    Column("visitor_id", String(VISITOR_ID_LENGTH), ForeignKey("visitors.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("nickname", String(40), nullable=False),
    Column("joined", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("class_id", "visitor_id"),
    UniqueConstraint("class_id", "nickname"),
)

# Old files brought in once (own_digits/, dubious_marks.json): a row per import that ran.
imports = Table(
    "imports", metadata,
    Column("name", String(40), primary_key=True),
    Column("done", DateTime(timezone=True), nullable=False),
    Column("report", String(400), nullable=False),
)


def _v1(conn: Connection) -> None:
    """The version table, visitors, drawings, marks, classes, memberships, imports."""
    metadata.create_all(conn, tables=[schema_version, visitors, drawings, marks, classes, memberships, imports])


def _v2(conn: Connection) -> None:
    """Listing a visitor's drawings oldest first and counting their last minute's saves use this."""
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_drawings_visitor_created ON drawings (visitor_id, created)"))


MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2]
SCHEMA_VERSION = len(MIGRATIONS)
