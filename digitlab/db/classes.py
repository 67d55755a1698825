"""Classrooms: a teacher makes a class and gets a short code; students join with it and a nickname.

A student's saved drawings count for every class they are in. Only the
class's teacher (the visitor who made it) sees its drawings.

What must hold when a crowd presses at once is held by the database, not by a check
before a write: a nickname once per class (a unique index on its key,
:mod:`digitlab.db.nicknames`), a teacher's number of classes (counted under a lock on the
teacher), and the wrong codes tried (rows in ``wrong_codes``, per visitor and per address,
so a script guessing codes is slowed down without locking anyone else out).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from digitlab.db import visitors as vis
from digitlab.db.drawings import Drawings, from_rows
from digitlab.db.engine import reading, writing
from digitlab.db.nicknames import nickname_key
from digitlab.db.schema import classes, drawings, memberships, wrong_codes
from digitlab.words import count_words

# Read aloud or off a board: no 0/O, 1/I/L, 5/S, 2/Z, 8/B to confuse. 6 of these 25
# characters are 244 million codes; a class guessed at random is one in millions.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
NICKNAME = re.compile(r"^[\w .'-]{1,40}$")
# Shown to every student of the class: letters, digits and plain punctuation only, so a name
# can carry no markup (no < > for HTML, no [ ] * _ ` for Markdown links and emphasis).
CLASS_NAME = re.compile(r"^[^\W_]([^\W_]|[ .,'&()/:#+!?-]){0,79}$")
MAX_CLASSES_PER_TEACHER = 20
# Wrong codes in the last minute before a join is refused for a minute. Per visitor: a person
# mistyping does not get to 10. Per address: a class of 30 behind one school address, mistyping
# now and then, stays under 30; a script there, making a new visitor per try, gets 30 a minute:
# with 100 classes on the server, ~2.4 million tries (8 weeks) per class found in 244 million codes.
# Others elsewhere are never held back.
MAX_WRONG_CODES_PER_VISITOR = 10
MAX_WRONG_CODES_PER_ADDRESS = 30
WRONG_CODE_WINDOW = timedelta(minutes=1)
WRONG_CODES_KEPT = timedelta(hours=1)


class ClassError(ValueError):
    """A class cannot be made or joined as asked; the message says why."""


@dataclass(frozen=True)
class ClassInfo:
    id: int
    code: str
    name: str
    students: int


@dataclass(frozen=True)
class ClassDrawings:
    """The drawings of a class's students: :class:`Drawings` plus who drew each (nickname, (N,))."""

    drawings: Drawings
    students: np.ndarray

    def __len__(self) -> int:
        return len(self.drawings)


def normal_code(code: str) -> str:
    return re.sub(r"[\s-]", "", str(code)).upper()


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def check_code(code: str) -> str:
    """``code`` as stored (upper case, no spaces or dashes); ``ClassError`` saying what a code is made of if it is not one."""
    code = normal_code(code)
    unused = sorted(set(code) - set(CODE_ALPHABET), key=code.index)
    if unused and all(c.isascii() and c.isalnum() for c in unused):
        # e.g. ABCDEF: six letters, as asked, but B is never in a code (it looks like 8).
        raise ClassError(f"Class codes never use {_listed(unused)}: they are made of the letters "
                         f"{' '.join(c for c in CODE_ALPHABET if c.isalpha())} and the digits "
                         f"{' '.join(c for c in CODE_ALPHABET if c.isdigit())}. Check the code with your teacher.")
    if len(code) != CODE_LENGTH or unused:
        raise ClassError(f"A class code is {CODE_LENGTH} letters and digits, like the one your teacher gave you.")
    return code


def _listed(chars: list[str]) -> str:
    return chars[0] if len(chars) == 1 else ", ".join(chars[:-1]) + " or " + chars[-1]


def check_nickname(nickname: str) -> str:
    """The nickname as kept (NFKC, spaces collapsed); ``ClassError`` if it is not one."""
    nickname = unicodedata.normalize("NFKC", " ".join(str(nickname).split()))
    if not NICKNAME.match(nickname):
        raise ClassError("A nickname is 1 to 40 letters, digits, spaces, dots, dashes or apostrophes.")
    return nickname


def create(teacher_id: str, name: str) -> ClassInfo:
    """A new class taught by ``teacher_id``; its code is new and unique. Raises ``ClassError``
    past :data:`MAX_CLASSES_PER_TEACHER`, however many are made at once."""
    vis.check(teacher_id)
    name = " ".join(str(name).split())
    if not name:
        raise ClassError("Give the class a name.")
    if not CLASS_NAME.match(name):
        raise ClassError("A class name is up to 80 letters, digits, spaces and . , ' & ( ) / : # + ! ? -, "
                         "starting with a letter or digit.")
    for _ in range(5):  # a clash is one in millions; retrying is cheaper than reserving
        code = _new_code()
        try:
            with writing("Making the class") as conn:
                vis.serialise(conn, teacher_id)  # 30 presses at once are counted one after another
                vis.ensure(conn, teacher_id)
                n = conn.execute(select(func.count()).where(classes.c.teacher_id == teacher_id)).scalar_one()
                if n >= MAX_CLASSES_PER_TEACHER:
                    raise ClassError(f"You have {count_words(n, 'class', 'classes')}, the most one teacher can have.")
                class_id = conn.execute(insert(classes).values(code=code, name=name, teacher_id=teacher_id,
                                                               created=vis.now()).returning(classes.c.id)).scalar_one()
            return ClassInfo(int(class_id), code, name, 0)
        except IntegrityError:
            continue
    raise ClassError("Could not find a free class code; try again.")


def join(visitor_id: str, code: str, nickname: str, address: str | None = None, *,
         when: datetime | None = None) -> ClassInfo:
    """Join the class with ``code`` as ``nickname`` (one name in the class, as
    :func:`~digitlab.db.nicknames.nickname_key` compares them); joining again renames.

    ``address``: the network address the visitor came from (None: unknown); a visitor or an
    address that tried too many wrong codes in the last minute is refused for a while.
    """
    vis.check(visitor_id)
    nickname = check_nickname(nickname)
    code = check_code(code)
    address = vis.check_address(address)
    key, now = nickname_key(nickname), when or vis.now()
    try:
        with writing("Joining the class") as conn:
            vis.serialise(conn, visitor_id)  # one visitor's two tabs join one after the other
            if address is not None:
                vis.serialise(conn, f"address {address}")  # always after the visitor's lock: no deadlock
            _check_wrong_codes(conn, visitor_id, address, now)
            row = conn.execute(select(classes).where(classes.c.code == code)).first()
            if row is None:
                conn.execute(delete(wrong_codes).where(wrong_codes.c.created < now - WRONG_CODES_KEPT))
                conn.execute(insert(wrong_codes).values(visitor_id=visitor_id, address=address, created=now))
            else:
                if _holder(conn, row.id, key) not in (None, visitor_id):
                    raise _taken(nickname)
                vis.ensure(conn, visitor_id)
                conn.execute(delete(memberships).where(memberships.c.class_id == row.id,
                                                       memberships.c.visitor_id == visitor_id))
                conn.execute(insert(memberships).values(class_id=row.id, visitor_id=visitor_id, nickname=nickname,
                                                        nickname_key=key, joined=now))
    except IntegrityError:
        # Another visitor took a name that is the same to this class between the look and the
        # insert (the unique index on the key): the same answer as when it was taken before.
        raise _taken(nickname) from None
    if row is None:  # said after the wrong code is committed
        raise ClassError(f"No class has the code {code}: check it with your teacher.")
    return ClassInfo(int(row.id), row.code, row.name, 0)


def _holder(conn, class_id: int, key: str) -> str | None:
    return conn.execute(select(memberships.c.visitor_id).where(
        memberships.c.class_id == class_id, memberships.c.nickname_key == key)).scalar()


def _taken(nickname: str) -> ClassError:
    return ClassError(f"Someone in this class is already called {nickname}, or a name that looks the same: "
                      "pick another nickname.")


def _check_wrong_codes(conn, visitor_id: str, address: str | None, now: datetime) -> None:
    """Refuse a join for now if the visitor, or their address, tried too many wrong codes in the last minute."""
    since = wrong_codes.c.created > now - WRONG_CODE_WINDOW
    mine = conn.execute(select(func.count()).where(wrong_codes.c.visitor_id == visitor_id, since)).scalar_one()
    if mine >= MAX_WRONG_CODES_PER_VISITOR:
        raise ClassError(f"That is {count_words(mine, 'wrong class code')} in the last minute: wait a minute, then "
                         "check the code with your teacher and try again.")
    if address is not None:
        here = conn.execute(select(func.count()).where(wrong_codes.c.address == address, since)).scalar_one()
        if here >= MAX_WRONG_CODES_PER_ADDRESS:
            raise ClassError(f"{count_words(here, 'wrong class code')} came from your network in the last minute: "
                             "wait a minute, then try again.")


def leave(visitor_id: str, class_id: int) -> None:
    vis.check(visitor_id)
    with writing("Leaving the class") as conn:
        conn.execute(delete(memberships).where(memberships.c.class_id == int(class_id),
                                               memberships.c.visitor_id == visitor_id))


def joined(visitor_id: str) -> list[tuple[ClassInfo, str]]:
    """The classes the visitor is in, with their nickname in each."""
    vis.check(visitor_id)
    with reading("Your classes") as conn:
        rows = conn.execute(select(classes, memberships.c.nickname).join(
            memberships, memberships.c.class_id == classes.c.id).where(memberships.c.visitor_id == visitor_id)
            .order_by(classes.c.created)).all()
    return [(ClassInfo(int(r.id), r.code, r.name, 0), r.nickname) for r in rows]


def taught(teacher_id: str) -> list[ClassInfo]:
    """The classes ``teacher_id`` made, oldest first, with how many students each has."""
    vis.check(teacher_id)
    with reading("Your classes") as conn:
        rows = conn.execute(select(classes).where(classes.c.teacher_id == teacher_id)
                            .order_by(classes.c.created, classes.c.id)).all()
        out = []
        for r in rows:
            n = conn.execute(select(func.count()).where(memberships.c.class_id == r.id)).scalar_one()
            out.append(ClassInfo(int(r.id), r.code, r.name, int(n)))
    return out


def class_drawings(teacher_id: str, class_id: int) -> ClassDrawings:
    """Every drawing of the class's students, by student then age; only for the class's teacher."""
    vis.check(teacher_id)
    with reading("The class's drawings") as conn:
        owner = conn.execute(select(classes.c.teacher_id).where(classes.c.id == int(class_id))).scalar()
        if owner != teacher_id:
            raise ClassError("Only the class's teacher sees its drawings.")
        rows = conn.execute(
            select(drawings.c.id, drawings.c.label, drawings.c.image, memberships.c.nickname)
            .join(memberships, memberships.c.visitor_id == drawings.c.visitor_id)
            .where(memberships.c.class_id == int(class_id))
            .order_by(memberships.c.nickname, drawings.c.created, drawings.c.id)).all()
    rows = [r for r in rows if len(r.image) == 28 * 28]
    return ClassDrawings(from_rows(rows), np.array([r.nickname for r in rows], dtype=object))
