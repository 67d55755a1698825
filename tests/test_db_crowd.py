"""Classes under a crowd, on SQLite and PostgreSQL: many pressing Join or Create at the same
instant (real threads, real connections), names that look alike, and a script guessing codes.

What must hold is held by the database (a unique index on the nickname's key, a lock on the
teacher while counting classes): a race ends in a ``ClassError`` with a plain message, never an
``IntegrityError``, and never in two students with one name.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, insert, select, text

from digitlab import db
from digitlab.db import classes, visitors
from digitlab.db.engine import current_version, database_url
from digitlab.db.nicknames import LOOKALIKES, nickname_key
from digitlab.db.schema import SCHEMA_VERSION, memberships

pytestmark = pytest.mark.usefixtures("database")


def race(*calls) -> list[str]:
    """Run the calls in threads started together; each one's outcome: "ok", the ClassError's
    message, or the name of any other exception (which is the bug)."""
    outcomes: list[str | None] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int, call) -> None:
        start.wait()
        try:
            call()
            outcomes[i] = "ok"
        except classes.ClassError as e:
            outcomes[i] = str(e)
        except Exception as e:  # noqa: BLE001 - that is what the test looks for
            outcomes[i] = f"{type(e).__name__}: {e}"

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


class HoldAfterNameCheck:
    """Make every join wait, right after it looked whether the nickname is free, until ``parties``
    joins have looked (or a second has passed): the window in which two can both see it free."""

    def __init__(self, parties: int):
        self.barrier = threading.Barrier(parties)

    def __call__(self, conn, cursor, statement, *args) -> None:
        s = statement.lower()
        if s.lstrip().startswith("select") and "from memberships" in s and "nickname" in s:
            try:
                self.barrier.wait(timeout=1)
            except threading.BrokenBarrierError:
                pass  # the other one is held out by a lock: nothing to wait for


@pytest.mark.parametrize("first, second", [("Kim", "Kim"), ("Kim", "KIM"), ("Ana", "Аna"), ("Ana", "Ａｎａ"),
                                           ("Émile", "émile")])
def test_two_joining_at_the_same_instant_with_one_name_one_gets_in_the_other_a_message(first, second):
    c = classes.create(visitors.new_id(), "Year 5 blue")
    a, b = visitors.new_id(), visitors.new_id()
    hold = HoldAfterNameCheck(2)
    event.listen(db.engine(), "after_cursor_execute", hold)
    try:
        outcomes = race(lambda: classes.join(a, c.code, first), lambda: classes.join(b, c.code, second))
    finally:
        event.remove(db.engine(), "after_cursor_execute", hold)
    assert outcomes.count("ok") == 1, outcomes
    refused = [o for o in outcomes if o != "ok"]
    assert len(refused) == 1 and refused[0].startswith("Someone in this class is already called"), outcomes
    assert len(_members(c.id)) == 1


def _members(class_id: int) -> list[str]:
    with db.engine().connect() as conn:
        return conn.execute(select(memberships.c.nickname).where(memberships.c.class_id == class_id)).scalars().all()


def test_a_crowd_joining_with_the_same_name_never_raises_anything_else():
    # The loop: 80 pairs pressing Join at once; 63 and 51 of them ended without a traceback.
    c = classes.create(visitors.new_id(), "Year 5 blue")
    for i in range(20):
        name = f"Kim {i}"
        outcomes = race(*[lambda v=visitors.new_id(), n=n: classes.join(v, c.code, n)
                          for n in (name, name.upper(), name, name.lower())])
        assert outcomes.count("ok") == 1, outcomes
        assert all(o == "ok" or o.startswith("Someone in this class is already called") for o in outcomes), outcomes
    assert len(_members(c.id)) == 20


@pytest.mark.parametrize("taken, same", [
    ("Ana", ["ana", "ANA", "Аna", "АNА", "Ａｎａ", " Ana  "]),  # Cyrillic А; full-width; spaces
    ("Émile", ["émile", "ÉMILE", "E\u0301mile", "Émile"]),  # the accent as one character or two
    ("Straße", ["STRASSE", "strasse"]),
    ("Bob", ["ВОВ", "Вob"]),  # Cyrillic capitals Ve and O
])
def test_nicknames_that_look_alike_are_one_name_on_every_database(taken, same):
    c = classes.create(visitors.new_id(), "Year 5 blue")
    classes.join(visitors.new_id(), c.code, taken)
    for other in same:
        with pytest.raises(classes.ClassError, match="already called"):
            classes.join(visitors.new_id(), c.code, other)
    classes.join(visitors.new_id(), c.code, taken + "a")  # a different name is still free
    assert len(_members(c.id)) == 2


def test_the_lookalike_table_maps_greek_and_cyrillic_letters_to_latin_ones():
    import unicodedata

    for source, target in LOOKALIKES.items():
        assert unicodedata.name(source).split()[0] in ("GREEK", "CYRILLIC"), source
        assert target.isascii() and target.isalpha() and len(target) == 1, target
        assert unicodedata.normalize("NFKC", source) == source  # NFKC runs first: a key it changes is never met
    assert nickname_key("Ana") == nickname_key("Аna") == nickname_key("Ａｎａ") == "ana"
    assert nickname_key("Ian") != nickname_key("lan")  # Latin letters are not folded into each other


def test_thirty_classes_made_at_once_stop_at_the_limit():
    teacher = visitors.new_id()
    classes.create(teacher, "The first")  # the teacher is known: their first write is no longer an insert
    outcomes = race(*[lambda i=i: classes.create(teacher, f"Class {i}") for i in range(30)])
    made = outcomes.count("ok")
    assert made == classes.MAX_CLASSES_PER_TEACHER - 1, outcomes
    assert all(o == "ok" or o.startswith("You have 20 classes, the most") for o in outcomes), outcomes
    assert len(classes.taught(teacher)) == classes.MAX_CLASSES_PER_TEACHER


def test_wrong_codes_slow_down_the_visitor_and_the_address_that_tried_them_and_nobody_else():
    c = classes.create(visitors.new_id(), "Year 5 blue")
    wrong = next(code for code in ("XXXXXX", "YYYYYY") if code != c.code)
    guesser = visitors.new_id()
    for _ in range(classes.MAX_WRONG_CODES_PER_VISITOR):
        with pytest.raises(classes.ClassError, match="No class has the code"):
            classes.join(guesser, wrong, "Gus", "10.0.0.66")
    with pytest.raises(classes.ClassError, match="wrong class codes in the last minute"):
        classes.join(guesser, c.code, "Gus", "10.0.0.66")  # even the right code, for a minute
    # A script making a new visitor for every try is held back by its address.
    for _ in range(classes.MAX_WRONG_CODES_PER_ADDRESS - classes.MAX_WRONG_CODES_PER_VISITOR):
        with pytest.raises(classes.ClassError, match="No class has the code"):
            classes.join(visitors.new_id(), wrong, "Gus", "10.0.0.66")
    with pytest.raises(classes.ClassError, match="came from your network in the last minute"):
        classes.join(visitors.new_id(), c.code, "Gus", "10.0.0.66")
    # Everyone else on the server joins as usual: another address, or none known.
    assert classes.join(visitors.new_id(), c.code, "Ada", "10.0.0.7").id == c.id
    assert classes.join(visitors.new_id(), c.code, "Bo").id == c.id
    # A minute on, the guesser may try again.
    later = visitors.now() + timedelta(seconds=61)
    assert classes.join(guesser, c.code, "Gus", "10.0.0.66", when=later).id == c.id


def test_the_migration_gives_existing_members_their_key_and_keeps_everyone():
    teacher = visitors.new_id()
    c = classes.create(teacher, "Year 5 blue")
    students = [visitors.new_id() for _ in range(4)]
    e = create_engine(database_url())
    with e.begin() as conn:  # made back into a version-2 database, as it was before nickname keys and addresses
        conn.execute(text("DROP INDEX ux_memberships_class_nickname_key"))
        conn.execute(text("ALTER TABLE memberships DROP COLUMN nickname_key"))
        conn.execute(text("DROP TABLE wrong_codes"))
        conn.execute(text("DROP INDEX ix_drawings_address_created"))
        conn.execute(text("ALTER TABLE drawings DROP COLUMN address"))
        conn.execute(text("UPDATE schema_version SET version = 2"))
        # Members version 2 let in: Émile and émile (two names on SQLite), Ana and Аna (Cyrillic А).
        for minute, (v, nick) in enumerate(zip(students, ["Émile", "émile", "Ana", "Аna"])):
            conn.execute(insert(visitors.visitors).values(id=v, created=visitors.now()))
            conn.execute(text("INSERT INTO memberships (class_id, visitor_id, nickname, joined) VALUES (:c, :v, :n, :j)"),
                         {"c": c.id, "v": v, "n": nick, "j": visitors.now() + timedelta(minutes=minute)})
    e.dispose()
    db.dispose_all()  # as a server started on it would: the next use migrates
    assert classes.taught(teacher)[0].students == 4  # nobody dropped
    with db.engine().connect() as conn:
        assert current_version(conn) == SCHEMA_VERSION
        keys = dict(conn.execute(select(memberships.c.nickname, memberships.c.nickname_key)).all())
    assert keys == {"Émile": "émile", "émile": f"émile#{students[1]}", "Ana": "ana", "Аna": f"ana#{students[3]}"}
    classes.join(visitors.new_id(), c.code, "EMILE")  # no accent: another name
    for taken in ("ÉMILE", "ana"):
        with pytest.raises(classes.ClassError, match="already called"):
            classes.join(visitors.new_id(), c.code, taken)


def test_one_visitors_wrong_codes_never_lock_out_another():
    # The script: 60 wrong codes, and the right code was refused to everyone on the server.
    c = classes.create(visitors.new_id(), "Year 5 blue")
    wrong = next(code for code in ("XXXXXX", "YYYYYY") if code != c.code)
    guesser = visitors.new_id()
    for _ in range(60):
        with pytest.raises(classes.ClassError):
            classes.join(guesser, wrong, "Gus")
    assert classes.join(visitors.new_id(), c.code, "Ada").id == c.id
