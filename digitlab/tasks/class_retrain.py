"""A model fine-tuned briefly on a class's drawings from some students, compared with the model it
started from on the other students' drawings (:mod:`digitlab.classroom`). Only the class's teacher
starts it and sees its outcome: the outcome names the held-out students."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from digitlab.cancel import Report, ShouldStop
from digitlab.roles import NotAllowed, Who

KIND = "class_retrain"


@dataclass(frozen=True)
class Request:
    KIND: ClassVar[str] = KIND
    teacher_id: str
    class_id: int
    model_id: str
    store_root: str | None = None
    model_owner: str | None = None


@dataclass(frozen=True)
class Outcome:
    run_id: str  # the fine-tuned model
    model_id: str  # the model it started from
    before: float  # accuracy on the held-out students' drawings, before and after
    after: float
    held_out: list  # the held-out students' nicknames
    train_drawings: int
    test_drawings: int
    train_students: int
    labels_seen: list  # how many drawings of each digit it was fine-tuned on


def checked(request: Request, who: Who) -> Request:
    """Only the class's own teacher retrains with its drawings; the model is theirs."""
    if request.teacher_id != who.visitor_id:
        raise NotAllowed("Only the class's teacher can retrain with its drawings.")
    return replace(request, class_id=int(request.class_id), model_owner=None if who.operator else who.visitor_id)


def title(request: Request) -> str:
    return "Retraining with a class's drawings"


def about(request: Request) -> str:
    return f"class retraining ({request.model_id})"


def first_fields(request: Request) -> dict:
    return {"class_id": request.class_id}


def run(request: Request, report: Report, should_stop: ShouldStop) -> Outcome:
    import numpy as np

    from digitlab import classroom
    from digitlab.db import classes
    from digitlab.inference import Classifier
    from digitlab.store import ModelStore

    started, t0 = datetime.now().isoformat(timespec="seconds"), time.monotonic()
    report(0.0, "loading the class's drawings", phase="loading data")
    got = classes.class_drawings(request.teacher_id, request.class_id)
    train, test = classroom.split_students(got.students)
    store = ModelStore(Path(request.store_root) if request.store_root else None)
    model, run = store.load(request.model_id)
    report(0.1, f"fine-tuning on {int(train.sum())} drawings", phase="training")
    d = got.drawings
    tuned = classroom.fine_tune(model, d.images[train], d.labels[train], should_stop=should_stop)
    report(0.9, "comparing on the held-out students", phase="evaluating")
    y = d.labels[test]
    before = float((Classifier(model).probabilities(d.images[test]).argmax(1) == y).mean())
    after = float((Classifier(tuned).probabilities(d.images[test]).argmax(1) == y).mean())
    held_out = sorted(set(got.students[test].tolist()))
    students = len(set(got.students[train].tolist()))
    info = {"preset": f"{run.preset}-class", "based_on": run.id, "started": started, "job_source": "the Classes page",
            "training_seconds": time.monotonic() - t0, "class_id": request.class_id,
            "held_out_accuracy": {"before": before, "after": after, "drawings": int(test.sum()),
                                  "students": len(held_out)},
            "description": f"{run.label} fine-tuned on {int(train.sum())} drawings of a class"}
    if request.model_owner:
        info["owner"] = request.model_owner
    saved = store.save(tuned, info)
    return Outcome(saved.id, request.model_id, before, after, held_out, int(train.sum()), int(test.sum()), students,
                   np.bincount(d.labels[train], minlength=10).tolist())
