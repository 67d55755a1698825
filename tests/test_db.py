"""The visitors' database, on SQLite and on PostgreSQL: isolation, quotas, marks, classes,
the schema's versions, and the old files imported once."""

from __future__ import annotations

import json
import struct
import threading
import time
import zlib
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import event, select

from digitlab import db
from digitlab.db import classes, drawings, legacy, marks, visitors
from digitlab.db.engine import current_version
from digitlab.db.schema import SCHEMA_VERSION, schema_version
from tests.helpers import read_only

pytestmark = pytest.mark.usefixtures("database")

A, B = visitors.new_id(), visitors.new_id()


def digit(value: int = 1) -> np.ndarray:
    a = np.zeros((28, 28), np.float32)
    a[4:24, 12:16] = value / 9 if value else 0.5
    return a


def test_schema_is_created_at_the_current_version_and_kept():
    with db.engine().connect() as conn:
        assert current_version(conn) == SCHEMA_VERSION
        assert conn.execute(select(schema_version.c.version)).scalars().all() == [SCHEMA_VERSION]
    db.dispose_all()
    with db.engine().connect() as conn:  # a second start migrates nothing and adds no row
        assert conn.execute(select(schema_version.c.version)).scalars().all() == [SCHEMA_VERSION]


def test_a_visitor_sees_only_their_own_drawings():
    first = drawings.save(A, digit(7), 7, picture=np.full((300, 300, 4), 200, np.uint8))
    drawings.save(A, digit(3), 3)
    assert drawings.count(A) == 2 and drawings.count(B) == 0
    assert len(drawings.load(B)) == 0
    mine = drawings.load(A)
    assert mine.labels.tolist() == [7, 3] and mine.images.shape == (2, 28, 28) and mine.images.dtype == np.uint8
    assert mine.images[0].max() == round(7 / 9 * 255)
    assert drawings.picture(A, first)[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawings.picture(B, first) is None  # B cannot fetch A's picture by its id
    assert not drawings.delete_one(B, first)  # nor delete it
    assert drawings.count(A) == 2
    assert drawings.delete_one(A, first) and drawings.load(A).labels.tolist() == [3]


@pytest.mark.parametrize("bad", ["", "../x", "A" * 32, "0" * 31, None, "imported' OR 1=1"])
def test_a_malformed_visitor_id_is_refused(bad):
    with pytest.raises(ValueError):
        drawings.load(bad)
    with pytest.raises(ValueError):
        marks.set_mark(bad, "train", 1, "ambiguous")


def test_saves_per_minute_are_limited_with_a_clear_message():
    for _ in range(drawings.MAX_SAVES_PER_MINUTE):
        drawings.save(A, digit(), 1)
    with pytest.raises(drawings.QuotaExceeded, match="in the last minute"):
        drawings.save(A, digit(), 1)
    drawings.save(B, digit(), 1)  # another visitor is not held back
    later = visitors.now() + timedelta(seconds=61)
    drawings.save(A, digit(), 1, when=later)  # a minute on, A may save again


def test_drawings_per_visitor_are_limited(monkeypatch):
    monkeypatch.setattr(drawings, "MAX_DRAWINGS_PER_VISITOR", 3)
    start = visitors.now()
    for i in range(3):
        drawings.save(A, digit(), 1, when=start + timedelta(minutes=2 * i))
    with pytest.raises(drawings.QuotaExceeded, match="the most one visitor can keep"):
        drawings.save(A, digit(), 1, when=start + timedelta(minutes=10))
    assert drawings.count(A) == 3


def test_two_tabs_saving_at_once_cannot_both_slip_under_the_quota(monkeypatch):
    # Both tabs count before either inserts: hold that window open with a pause after each count.
    monkeypatch.setattr(drawings, "MAX_DRAWINGS_PER_VISITOR", 2)
    drawings.save(A, digit(), 1)  # a visitor already known: their first write is no longer an insert
    e = db.engine()

    def pause_after_count(conn, cursor, statement, *args) -> None:
        if "count(" in statement.lower():
            time.sleep(0.3)

    event.listen(e, "after_cursor_execute", pause_after_count)
    outcomes: list[str] = []

    def save() -> None:
        try:
            drawings.save(A, digit(), 1)
            outcomes.append("saved")
        except drawings.QuotaExceeded:
            outcomes.append("refused")

    try:
        tabs = [threading.Thread(target=save) for _ in range(2)]
        for t in tabs:
            t.start()
        for t in tabs:
            t.join()
    finally:
        event.remove(e, "after_cursor_execute", pause_after_count)
    assert sorted(outcomes) == ["refused", "saved"]
    assert drawings.count(A) == 2


def test_marks_are_per_visitor():
    marks.set_mark(A, "train", 500, "label wrong")
    marks.set_mark(A, "test", 7, "ambiguous")
    assert marks.load(B) == {}
    marks.set_mark(B, "train", 500, None)  # B "clearing" changes nothing of A's
    assert set(marks.load(A)) == {"train:500", "test:7"}
    marks.set_mark(A, "train", 500, "label fine")
    assert marks.load(A)["train:500"]["mark"] == "label fine"
    marks.set_mark(A, "train", 500, None)
    assert set(marks.load(A)) == {"test:7"}
    with pytest.raises(ValueError):
        marks.set_mark(A, "train", 60000, "ambiguous")
    with pytest.raises(ValueError):
        marks.set_mark(A, "train", 1, "nonsense")


def test_a_class_collects_its_students_drawings_for_its_teacher_only():
    teacher, outsider = visitors.new_id(), visitors.new_id()
    c = classes.create(teacher, "  Year 5  blue ")
    assert c.name == "Year 5 blue" and len(c.code) == classes.CODE_LENGTH
    drawings.save(A, digit(1), 1)
    drawings.save(B, digit(2), 2)
    drawings.save(outsider, digit(3), 3)
    classes.join(A, c.code.lower(), "Ada")
    classes.join(B, f"{c.code[:3]}-{c.code[3:]}", "Bo")
    for same in ("Ada", "ada", "ADA"):
        with pytest.raises(classes.ClassError, match="already called"):
            classes.join(outsider, c.code, same)
    with pytest.raises(classes.ClassError, match="No class has the code"):
        classes.join(outsider, "XXXXXX", "Cy")
    got = classes.class_drawings(teacher, c.id)
    assert sorted(got.drawings.labels.tolist()) == [1, 2] and sorted(got.students.tolist()) == ["Ada", "Bo"]
    assert classes.taught(teacher)[0].students == 2
    assert [info.code for info, nick in classes.joined(A)] == [c.code]
    with pytest.raises(classes.ClassError, match="Only the class's teacher"):
        classes.class_drawings(A, c.id)
    classes.leave(B, c.id)
    assert classes.class_drawings(teacher, c.id).drawings.labels.tolist() == [1]


@pytest.mark.parametrize("name", ['<img src=x onerror="alert(1)">', "[prize](https://example.com)", "**loud**",
                                  "`code`", "x" * 81])
def test_a_class_name_that_could_carry_markup_is_refused(name):
    # The name is shown to every student of the class: it must not be able to become a link or a script.
    with pytest.raises(classes.ClassError, match="A class name is"):
        classes.create(A, name)
    assert classes.taught(A) == []
    assert classes.create(A, "Math & Science: 7/8 (Mrs. O'Neil)!").name == "Math & Science: 7/8 (Mrs. O'Neil)!"


@pytest.mark.parametrize("code", ["", "ACD", "ACDEFGH", "<b>x</b>", "ACDE-"])
def test_a_malformed_class_code_is_refused_with_what_a_code_looks_like(code):
    with pytest.raises(classes.ClassError, match="A class code is 6 letters and digits"):
        classes.join(A, code, "Ada")


@pytest.mark.parametrize("code, unused", [("ABCDEF", "B"), ("ACDE0O", "0 or O"), ("K7QX5S", "5 or S"),
                                          ("ILOVE8", "I, L, O or 8")])
def test_a_code_with_characters_codes_never_use_says_which_they_are(code, unused):
    # Six letters and digits, as the message used to ask for: say what is wrong with them.
    with pytest.raises(classes.ClassError) as refused:
        classes.join(A, code, "Ada")
    message = str(refused.value)
    assert message.startswith(f"Class codes never use {unused}:"), message
    assert "A C D E F G H J K M N P Q R T U V W X Y" in message and "3 4 6 7 9" in message


def _png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def test_old_files_are_imported_once_and_kept(isolated_dirs):
    from PIL import Image

    user = isolated_dirs / "user"
    folder = user / "own_digits"
    folder.mkdir(parents=True)
    Image.fromarray(np.full((28, 28), 255, np.uint8)).save(folder / "20260101-120000-0123abcd_4.png")
    (folder / "20260101-120001-0123abce_5.png").write_bytes(_png_header_claiming(60000, 60000))
    (user / "dubious_marks.json").write_text(json.dumps(
        {"format": 1, "marks": {"train:500": {"split": "train", "index": 500, "mark": "label wrong"}}}))
    report = legacy.import_old_files()
    assert any("1 marks" in line for line in report)
    assert any("1 drawings" in line and "0123abce_5" in line for line in report)  # the bomb is named, not decoded
    assert drawings.load(visitors.IMPORTED).labels.tolist() == [4]
    assert set(marks.load(visitors.IMPORTED)) == {"train:500"}
    assert (user / "own_digits.imported").is_dir() and (user / "dubious_marks.json.imported").is_file()
    folder.mkdir()  # a new old-style folder appearing later is not imported twice
    assert legacy.import_old_files() == []


@pytest.mark.parametrize("content", ['{"marks": []}', '{"marks": {"train:1": {"index": 1, "mark": "ambiguous"}}}',
                                     '{"format": 1, "marks": {"train:1": {"split": "tr'])
def test_a_damaged_marks_file_is_set_aside_never_overwritten(isolated_dirs, content):
    user = isolated_dirs / "user"
    user.mkdir(parents=True)
    (user / "dubious_marks.json").write_text(content)
    report = legacy.import_old_files()
    aside = list(user.glob("dubious_marks.json.damaged-*"))
    assert len(aside) == 1 and aside[0].read_text() == content
    assert "set aside" in report[0]
    assert marks.load(visitors.IMPORTED) == {}
    marks.set_mark(A, "train", 1, "ambiguous")  # marking works on, and writes no file
    assert aside[0].read_text() == content and not (user / "dubious_marks.json").exists()


def test_a_damaged_marks_file_in_a_read_only_folder_is_left_there_and_saving_goes_on(isolated_dirs, database):
    if not database.startswith("postgresql"):
        pytest.skip("SQLite's own file is in that folder")
    user = isolated_dirs / "user"
    user.mkdir(parents=True)
    (user / "dubious_marks.json").write_text("{not json")
    with read_only(user):
        report = legacy.import_old_files()
        assert "left in place" in report[0], report
        marks.set_mark(A, "train", 1, "ambiguous")
        assert legacy.import_old_files() == []  # done once, not again every minute
    assert (user / "dubious_marks.json").read_text() == "{not json" and set(marks.load(A)) == {"train:1"}


def test_adopt_gives_the_imported_data_to_a_visitor(isolated_dirs, capsys):
    from digitlab.db.__main__ import main

    user = isolated_dirs / "user"
    user.mkdir(parents=True)
    (user / "dubious_marks.json").write_text(json.dumps(
        {"marks": {"test:3": {"split": "test", "index": 3, "mark": "ambiguous"}}}))
    assert main(["import"]) == 0
    assert main(["adopt", A]) == 0
    assert set(marks.load(A)) == {"test:3"} and marks.load(visitors.IMPORTED) == {}
    assert main(["info"]) == 0
    assert "schema version" in capsys.readouterr().out
