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
    assert any("3 drawings from 1 student (of 1 student who joined)" in m.value for m in teacher.markdown if "class-accuracy" in m.value)
    names = [b.proto.label for b in teacher.get("download_button")]
    assert any(".npz" in n for n in names) and any("CSV" in n for n in names)
    assert any("switched off" in i.value for i in teacher.info)  # no retraining on a public server
    assert classes.class_drawings(teacher.session_state["visitor_id"], classes.taught(
        teacher.session_state["visitor_id"])[0].id).drawings.labels.tolist() == [0, 1, 2]
    with pytest.raises(classes.ClassError):  # the student cannot read the class's drawings
        classes.class_drawings(me, classes.taught(teacher.session_state["visitor_id"])[0].id)
