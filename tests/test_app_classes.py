"""The Classes page under AppTest: a teacher makes a class, students join, the teacher sees their drawings."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitlab.db import classes, drawings, visitors
from tests.helpers import ROOT, activate_tiny_model

JOIN, CREATE = "FormSubmitter:join-class-Join", "FormSubmitter:new-class-Create"


def page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "classes.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.usefixtures("database")
def test_a_teacher_makes_a_class_students_join_and_the_teacher_sees_their_drawings(monkeypatch):
    monkeypatch.setenv("DIGITLAB_ALLOW_TRAINING", "0")
    activate_tiny_model()
    teacher = page()
    teacher.text_input(key="class-new-name").input("Year 5 blue")
    teacher.button(key=CREATE).click().run()
    assert not teacher.exception, teacher.exception
    code = classes.taught(teacher.session_state["visitor_id"])[0].code
    assert any(code in m.value for m in teacher.markdown if "class-code" in m.value)

    student = page()
    student.text_input(key="class-join-code").input(code.lower())
    student.text_input(key="class-join-nickname").input("Ada")
    student.button(key=JOIN).click().run()
    assert any("as <b>Ada</b>" in m.value for m in student.markdown if "class-joined" in m.value)
    me = student.session_state["visitor_id"]
    start = visitors.now()
    for i in range(3):
        drawings.save(me, np.eye(28, dtype=np.float32), i, when=start + timedelta(seconds=10 * i))

    other = page()  # a second student takes the same nickname: refused, with a message that says why
    other.text_input(key="class-join-code").input(code)
    other.text_input(key="class-join-nickname").input("Ada")
    other.button(key=JOIN).click().run()
    assert any(e.value.startswith("Someone in this class is already called Ada") for e in other.error)

    teacher.run()
    line = next(m.value for m in teacher.markdown if "class-accuracy" in m.value)
    assert "3 drawings from 1 student (of 1 student who joined)" in line
    assert "the model in use (" in line  # its name as a name, not spliced into the sentence
    names = [b.proto.label for b in teacher.get("download_button")]
    assert any(".npz" in n for n in names) and any("CSV" in n for n in names)
    assert any("switched off" in i.value for i in teacher.info)  # no retraining on a public server
    assert classes.class_drawings(teacher.session_state["visitor_id"], classes.taught(
        teacher.session_state["visitor_id"])[0].id).drawings.labels.tolist() == [0, 1, 2]
    with pytest.raises(classes.ClassError):  # the student cannot read the class's drawings
        classes.class_drawings(me, classes.taught(teacher.session_state["visitor_id"])[0].id)


@pytest.mark.trained_model
@pytest.mark.usefixtures("database")
def test_a_refused_nickname_is_not_shown_again_after_the_visitor_left_the_page(monkeypatch):
    monkeypatch.setenv("DIGITLAB_ALLOW_TRAINING", "0")
    c = classes.create(visitors.new_id(), "Year 5 blue")
    classes.join(visitors.new_id(), c.code, "Ada")
    at = AppTest.from_file(str(ROOT / "main.py"), default_timeout=120)
    at.switch_page("pages/classes.py").run()
    at.text_input(key="class-join-code").input(c.code)
    at.text_input(key="class-join-nickname").input("ADA")
    at.button(key=JOIN).click().run()
    refused = [e.value for e in at.error]
    assert refused and refused[0].startswith("Someone in this class is already called ADA"), refused
    at.run()  # a rerun of the page (another widget, a fragment) keeps it
    assert [e.value for e in at.error] == refused
    at.switch_page("pages/training.py").run()
    at.switch_page("pages/classes.py").run()  # today: the old refusal, still there
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == []


@pytest.mark.usefixtures("database")
def test_counts_on_the_classes_page_are_in_words(monkeypatch):
    monkeypatch.setenv("DIGITLAB_ALLOW_TRAINING", "0")
    activate_tiny_model()
    teacher, student = visitors.new_id(), visitors.new_id()
    c = classes.create(teacher, "Year 5 blue")
    classes.join(student, c.code, "Ada")
    drawings.save(student, np.eye(28, dtype=np.float32), 1)
    at = AppTest.from_file(str(ROOT / "pages" / "classes.py"), default_timeout=120)
    at.session_state["visitor_id"] = teacher
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="class-chosen").format_func(c.id) == f"Year 5 blue — code {c.code} — 1 student"
    assert at.expander[0].label.startswith("The class's drawings (1 drawing,")
    at = AppTest.from_file(str(ROOT / "pages" / "classes.py"), default_timeout=120)
    at.session_state["visitor_id"] = student
    at.run()
    assert any(cap.value.startswith("Your saved drawings (1 drawing) count for your classes") for cap in at.caption)
