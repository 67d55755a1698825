"""Classrooms: the teacher's report and exports, and retraining with the class's drawings (a job)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitlab import classroom, jobs, tasks
from digitlab.db import classes, drawings, visitors
from digitlab.roles import NotAllowed, Who
from digitlab.store import ModelStore
from digitlab.tasks import class_retrain as class_task
from tests.helpers import ROOT, activate_tiny_model, wait_for_job


def test_report_per_student_per_digit_and_confusion():
    labels = np.array([1, 1, 2, 3])
    students = np.array(["ada", "ada", "bo", "bo"], dtype=object)
    p = np.eye(10)[[1, 7, 2, 2]]
    r = classroom.report(labels, students, p)
    assert r.accuracy == 0.5 and r.per_student == {"ada": (1, 2), "bo": (1, 2)}
    assert r.per_digit[1] == 0.5 and r.per_digit[2] == 1 and r.per_digit[3] == 0 and np.isnan(r.per_digit[0])
    assert r.confusion[1, 7] == 1 and r.confusion[3, 2] == 1 and r.confusion.sum() == 4
    rows = list(csv.DictReader(io.StringIO(classroom.to_csv(labels, students, p))))
    assert rows[1] == {"student": "ada", "label": "1", "predicted": "7", "confidence": "1.0000"}


def test_held_out_students_are_never_trained_on():
    students = np.array([s for s in "abcdef" for _ in range(3)], dtype=object)
    train, test = classroom.split_students(students)
    assert not set(students[train]) & set(students[test]) and (train | test).all()
    assert len(set(students[test])) == 2
    with pytest.raises(ValueError, match="at least two students"):
        classroom.split_students(np.array(["a", "a"], dtype=object))


@pytest.mark.usefixtures("database")
def test_retraining_with_a_class_runs_as_a_job_and_compares_on_held_out_students(monkeypatch):
    model_id = activate_tiny_model()
    teacher = visitors.new_id()
    c = classes.create(teacher, "4B")
    rng = np.random.default_rng(0)
    start = visitors.now()
    for n, name in enumerate(["ada", "bo", "cy"]):
        student = visitors.new_id()
        classes.join(student, c.code, name)
        for i in range(10):
            img = np.zeros((28, 28), np.uint8)
            img[4:24, 2 + 2 * i: 5 + 2 * i] = 255  # a bar whose place says the digit
            img = np.clip(img.astype(int) + rng.integers(0, 30, (28, 28)), 0, 255).astype(np.uint8)
            drawings.save(student, img, i, when=start + (n * 10 + i) * timedelta(seconds=7))  # under the rate quota
    with pytest.raises(NotAllowed, match="runs this server"):  # visitors train where the operator allows it
        tasks.start(class_task.Request(teacher, c.id, model_id), Who(teacher))
    monkeypatch.setenv("DIGITLAB_VISITORS_TRAIN", "1")  # a classroom server
    with pytest.raises(NotAllowed, match="teacher"):  # a student cannot retrain with their class's drawings
        tasks.start(class_task.Request(teacher, c.id, model_id), Who(visitors.new_id()))
    status = tasks.start(class_task.Request(teacher, c.id, model_id), Who(teacher))
    done = wait_for_job(status.id)
    assert done.state == "done", done
    assert done.kind == "class_retrain" and done.owner == teacher
    s = tasks.outcome(done)
    assert s.train_drawings == 20 and s.test_drawings == 10 and len(s.held_out) == 1
    assert 0 <= s.before <= 1 and 0 <= s.after <= 1
    info = ModelStore().get(s.run_id).info
    assert info["based_on"] == model_id and info["owner"] == teacher  # the teacher's model, not the server's

    # On the Classes page its teacher reads the result; another teacher (with a class of their own)
    # learns only that a class retraining ended: the held-out students' nicknames are not theirs.
    other = visitors.new_id()
    mine = classes.create(other, "5C")
    pupil = visitors.new_id()
    classes.join(pupil, mine.code, "zed")
    drawings.save(pupil, np.eye(28, dtype=np.float32), 1)
    for visitor, sees_result in ((teacher, True), (other, False), (pupil, False)):
        at = AppTest.from_file(str(ROOT / "pages" / "classes.py"), default_timeout=120)
        at.session_state["visitor_id"] = visitor
        at.run()
        assert not at.exception, at.exception
        shown = " ".join(m.value for m in [*at.success, *at.info, *at.markdown])
        assert (f"held out ({', '.join(s.held_out)}" in shown) == sees_result, shown
        assert not [b for b in at.button if b.label == "Dismiss"] or sees_result  # only the teacher dismisses it
    # The result stays until the teacher dismisses it: a student's Dismiss cannot reach it.
    with pytest.raises(NotAllowed):
        tasks.dismiss(done.id, Who(pupil))
    assert jobs.get(done.id) is not None
