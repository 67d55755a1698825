"""The tables, and the ordered migrations that make them.

Every visitor's data carries their id, and every query in :mod:`digitlab.db`
filters on it: that is what keeps one visitor's drawings and marks from another.

The schema's version is the row in ``schema_version``; :data:`MIGRATIONS`
step ``i`` takes a database from version ``i`` to ``i + 1``. A new version adds a
function at the end; a step already shipped is never edited.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import (Column, Connection, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData,
                        PrimaryKeyConstraint, SmallInteger, String, Table, UniqueConstraint, inspect, select, text)

from digitlab.db.nicknames import nickname_key

metadata = MetaData()

VISITOR_ID_LENGTH = 32  # uuid4().hex
# An IPv6 address is at most 45 characters written out (with an IPv4 tail); room for a zone id.
ADDRESS_LENGTH = 64
# A nickname is at most 40 characters; its key (digitlab.db.nicknames) is at most 3 times as long
# (a casefold writes one character as up to 3), plus "#" and a visitor id for the duplicates of v3.
NICKNAME_KEY_LENGTH = 160

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
    Column("picture", LargeBinary, nullable=True),  # the original drawing or photo, PNG or JPEG (None for imported files)
    Column("created", DateTime(timezone=True), nullable=False, index=True),
    Column("address", String(ADDRESS_LENGTH), nullable=True),  # the network address it came from (v4); None: unknown
    Index("ix_drawings_address_created", "address", "created"),
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
    # The nickname as compared (digitlab.db.nicknames): Ana, ANA, Аna and Ａｎａ are one name to a class.
    # Nullable only because a column added to a table with rows must be (v3 fills it at once).
    Column("nickname_key", String(NICKNAME_KEY_LENGTH), nullable=True),
    PrimaryKeyConstraint("class_id", "visitor_id"),
    UniqueConstraint("class_id", "nickname"),
    Index("ux_memberships_class_nickname_key", "class_id", "nickname_key", unique=True),
)

# Wrong class codes tried in the last minutes, by whom and from where: a join is refused for a
# while to a visitor, or an address, that tried too many (digitlab.db.classes). Rows older than
# an hour are deleted as new ones come.
wrong_codes = Table(
    "wrong_codes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("visitor_id", String(VISITOR_ID_LENGTH), nullable=False),  # no foreign key: a guesser is not recorded
    Column("address", String(ADDRESS_LENGTH), nullable=True),
    Column("created", DateTime(timezone=True), nullable=False, index=True),
    Index("ix_wrong_codes_visitor_created", "visitor_id", "created"),
    Index("ix_wrong_codes_address_created", "address", "created"),
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


def _has_column(conn: Connection, table: Table, column: str) -> bool:
    return column in {c["name"] for c in inspect(conn).get_columns(table.name)}


# Steps from v3 on may find their change made already: _v1 makes its tables from the definitions
# above as they are today, so a database created new has every column at once.


def _v3(conn: Connection) -> None:
    """Nicknames compared the same way on SQLite and PostgreSQL, one per class enforced by the
    database (a unique index, so two joining at the same instant cannot both take one), and the
    wrong class codes tried, per visitor and address.

    Existing members get their nickname's key. Two already in one class whose nicknames now
    compare equal (Émile and émile were two names on SQLite; Ana and Аna on both) both stay: the
    later one's key gets "#" and its visitor id, so nobody is dropped; a new member cannot take
    either name.
    """
    if not _has_column(conn, memberships, "nickname_key"):
        conn.execute(text(f"ALTER TABLE memberships ADD COLUMN nickname_key VARCHAR({NICKNAME_KEY_LENGTH})"))
    rows = conn.execute(select(memberships.c.class_id, memberships.c.visitor_id, memberships.c.nickname)
                        .where(memberships.c.nickname_key.is_(None))
                        .order_by(memberships.c.class_id, memberships.c.joined, memberships.c.visitor_id)).all()
    taken = {(r.class_id, r.nickname_key) for r in conn.execute(
        select(memberships.c.class_id, memberships.c.nickname_key).where(memberships.c.nickname_key.is_not(None)))}
    for r in rows:
        key = nickname_key(r.nickname)
        if (r.class_id, key) in taken:
            key = f"{key}#{r.visitor_id}"
        taken.add((r.class_id, key))
        conn.execute(memberships.update().where(memberships.c.class_id == r.class_id,
                                                memberships.c.visitor_id == r.visitor_id).values(nickname_key=key))
    conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS ux_memberships_class_nickname_key "
                      "ON memberships (class_id, nickname_key)"))
    metadata.create_all(conn, tables=[wrong_codes])  # made here only: _v1 names the tables it makes


def _v4(conn: Connection) -> None:
    """The network address each drawing came from, so what one address stores in a day can be bounded."""
    if not _has_column(conn, drawings, "address"):
        conn.execute(text(f"ALTER TABLE drawings ADD COLUMN address VARCHAR({ADDRESS_LENGTH})"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_drawings_address_created ON drawings (address, created)"))


MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3, _v4]
SCHEMA_VERSION = len(MIGRATIONS)
