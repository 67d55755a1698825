"""Classrooms: a teacher makes a class and gets a short code; students join with it and a nickname.

A student's saved drawings count for every class they are in. Only the
class's teacher (the visitor who made it) sees its drawings.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from digitlab.db import visitors as vis
from digitlab.db.drawings import Drawings, from_rows
from digitlab.db.engine import engine, writing
from digitlab.db.schema import classes, drawings, memberships

# Read aloud or off a board: no 0/O, 1/I/L, 5/S, 2/Z, 8/B to confuse. 6 of these 25
# characters are 244 million codes; a class guessed at random is one in millions.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
NICKNAME = re.compile(r"^[\w .'-]{1,40}$")
# Shown to every student of the class: letters, digits and plain punctuation only, so a name
# can carry no markup (no < > for HTML, no [ ] * _ ` for Markdown links and emphasis).
CLASS_NAME = re.compile(r"^[^\W_]([^\W_]|[ .,'&()/:#+!?-]){0,79}$")
MAX_CLASSES_PER_TEACHER = 20
# Wrong codes tried on this server in a minute, by anyone: a class of 30 mistyping now and then
# stays far below it; a script guessing codes gets 1 a second, weeks for one class in 244 million
# codes. Per server, not per visitor: a new session is a new visitor.
MAX_WRONG_CODES_PER_MINUTE = 60
_wrong_codes: deque[float] = deque()
_wrong_codes_lock = threading.Lock()


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


def create(teacher_id: str, name: str) -> ClassInfo:
    """A new class taught by ``teacher_id``; its code is new and unique."""
    vis.check(teacher_id)
    name = " ".join(str(name).split())
    if not name:
        raise ClassError("give the class a name")
    if not CLASS_NAME.match(name):
        raise ClassError("a class name is up to 80 letters, digits, spaces and . , ' & ( ) / : # + ! ? -, "
                         "starting with a letter or digit")
    for _ in range(5):  # a clash is one in millions; retrying is cheaper than reserving
        code = _new_code()
        try:
            with writing("Making the class") as conn:
                vis.ensure(conn, teacher_id)
                n = len(conn.execute(select(classes.c.id).where(classes.c.teacher_id == teacher_id)).all())
                if n >= MAX_CLASSES_PER_TEACHER:
                    raise ClassError(f"you have {n} classes, the most one teacher can have")
                class_id = conn.execute(insert(classes).values(code=code, name=name, teacher_id=teacher_id,
                                                               created=vis.now()).returning(classes.c.id)).scalar_one()
            return ClassInfo(int(class_id), code, name, 0)
        except IntegrityError:
            continue
    raise ClassError("could not find a free class code; try again")


def join(visitor_id: str, code: str, nickname: str) -> ClassInfo:
    """Join the class with ``code`` as ``nickname`` (unique in the class); joining again renames."""
    vis.check(visitor_id)
    nickname = " ".join(str(nickname).split())
    if not NICKNAME.match(nickname):
        raise ClassError("a nickname is 1 to 40 letters, digits, spaces, dots, dashes or apostrophes")
    code = normal_code(code)
    if len(code) != CODE_LENGTH or set(code) - set(CODE_ALPHABET):
        raise ClassError(f"a class code is {CODE_LENGTH} letters and digits, like the one your teacher gave you")
    _check_wrong_codes()
    with writing("Joining the class") as conn:
        row = conn.execute(select(classes).where(classes.c.code == code)).first()
        if row is None:
            with _wrong_codes_lock:
                _wrong_codes.append(time.monotonic())
            raise ClassError(f"no class has the code {code}: check it with your teacher")
        taken = conn.execute(select(memberships.c.visitor_id).where(  # Ana and ana are one name to a class
            memberships.c.class_id == row.id, func.lower(memberships.c.nickname) == nickname.lower())).scalar()
        if taken is not None and taken != visitor_id:
            raise ClassError(f"someone in this class is already called {nickname}: pick another nickname")
        vis.ensure(conn, visitor_id)
        conn.execute(delete(memberships).where(memberships.c.class_id == row.id,
                                               memberships.c.visitor_id == visitor_id))
        conn.execute(insert(memberships).values(class_id=row.id, visitor_id=visitor_id, nickname=nickname,
                                                joined=vis.now()))
    return ClassInfo(int(row.id), row.code, row.name, 0)


def _check_wrong_codes() -> None:
    """Refuse a join for now if :data:`MAX_WRONG_CODES_PER_MINUTE` wrong codes came in the last minute."""
    with _wrong_codes_lock:
        while _wrong_codes and _wrong_codes[0] < time.monotonic() - 60:
            _wrong_codes.popleft()
        if len(_wrong_codes) >= MAX_WRONG_CODES_PER_MINUTE:
            raise ClassError("too many wrong class codes were tried on this server in the last minute: "
                             "wait a minute, then try again")


def leave(visitor_id: str, class_id: int) -> None:
    vis.check(visitor_id)
    with writing("Leaving the class") as conn:
        conn.execute(delete(memberships).where(memberships.c.class_id == int(class_id),
                                               memberships.c.visitor_id == visitor_id))


def joined(visitor_id: str) -> list[tuple[ClassInfo, str]]:
    """The classes the visitor is in, with their nickname in each."""
    vis.check(visitor_id)
    with engine().connect() as conn:
        rows = conn.execute(select(classes, memberships.c.nickname).join(
            memberships, memberships.c.class_id == classes.c.id).where(memberships.c.visitor_id == visitor_id)
            .order_by(classes.c.created)).all()
    return [(ClassInfo(int(r.id), r.code, r.name, 0), r.nickname) for r in rows]


def taught(teacher_id: str) -> list[ClassInfo]:
    """The classes ``teacher_id`` made, oldest first, with how many students each has."""
    vis.check(teacher_id)
    with engine().connect() as conn:
        rows = conn.execute(select(classes).where(classes.c.teacher_id == teacher_id)
                            .order_by(classes.c.created, classes.c.id)).all()
        out = []
        for r in rows:
            n = len(conn.execute(select(memberships.c.visitor_id).where(memberships.c.class_id == r.id)).all())
            out.append(ClassInfo(int(r.id), r.code, r.name, n))
    return out


def class_drawings(teacher_id: str, class_id: int) -> ClassDrawings:
    """Every drawing of the class's students, by student then age; only for the class's teacher."""
    vis.check(teacher_id)
    with engine().connect() as conn:
        owner = conn.execute(select(classes.c.teacher_id).where(classes.c.id == int(class_id))).scalar()
        if owner != teacher_id:
            raise ClassError("only the class's teacher sees its drawings")
        rows = conn.execute(
            select(drawings.c.id, drawings.c.label, drawings.c.image, memberships.c.nickname)
            .join(memberships, memberships.c.visitor_id == drawings.c.visitor_id)
            .where(memberships.c.class_id == int(class_id))
            .order_by(memberships.c.nickname, drawings.c.created, drawings.c.id)).all()
    rows = [r for r in rows if len(r.image) == 28 * 28]
    return ClassDrawings(from_rows(rows), np.array([r.nickname for r in rows], dtype=object))
