"""The library's long work, as tasks: train a model, compute dubious labels, retrain with a class.

Each task is a module with a request (its parameters, a frozen dataclass), an
outcome (its result, another) and ``run(request, report, should_stop) ->
outcome`` (:mod:`digitlab.cancel`). The command-line tools call ``run`` in
their own process; the app runs it in the background through :func:`start`,
which checks that the asker may (:mod:`digitlab.roles`), records them as the
job's owner and hands the request to :mod:`digitlab.jobs`, whose runner calls
:func:`run_job` here. A finished job's outcome comes back typed from
:func:`outcome`. Cancelling and dismissing go through :func:`cancel` and
:func:`dismiss`, which only the job's owner and the operator may do.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, fields, is_dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from digitlab import jobs, roles
from digitlab.cancel import Report, ShouldStop
from digitlab.roles import NotAllowed, Who

# kind -> the module that does it (imported only when needed: a task may import TensorFlow).
MODULES = {"train": "digitlab.tasks.train", "dubious": "digitlab.tasks.dubious",
           "class_retrain": "digitlab.tasks.class_retrain"}
RUN_JOB = "digitlab.tasks:run_job"


def module_of(kind: str) -> ModuleType:
    if kind not in MODULES:
        raise ValueError(f"unknown task {kind!r}; known: {', '.join(MODULES)}")
    return importlib.import_module(MODULES[kind])


def to_json(value: Any) -> Any:
    """A request or outcome as JSON (dataclasses become objects, tuples lists)."""
    return asdict(value) if is_dataclass(value) else value


def from_json(cls: type, data: dict) -> Any:
    """``cls(**data)``, nested dataclasses and tuples made again (``cls.from_json`` if it has one)."""
    if hasattr(cls, "from_json"):
        return cls.from_json(data)
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def start(request: Any, who: Who, *, source: str = "the app", root: Path | None = None) -> jobs.Status:
    """Start ``request``'s task in the background for ``who``; returns the job's first status.

    Raises :class:`~digitlab.roles.NotAllowed` (with why), ``TrainingBusy`` (with what runs),
    ``StoreNotWritable``, or ``ValueError`` for a bad request: each a sentence for the asker.
    """
    kind = request.KIND
    module = module_of(kind)
    roles.check_may_train(who)
    request = module.checked(request, who)
    if hasattr(request, "source"):  # where it was started, kept with what it makes
        request = replace(request, source=source)
    return jobs.start(kind, RUN_JOB, {"kind": kind, "request": to_json(request)},
                      title=module.title(request), about=module.about(request), owner=who.visitor_id,
                      source=source, fields=module.first_fields(request), root=root)


def run_job(params: dict, report: Report, should_stop: ShouldStop) -> dict:
    """The runner's target: the task of ``params["kind"]`` on its request; its outcome as JSON."""
    module = module_of(params["kind"])
    request = from_json(module.Request, params["request"])
    return to_json(module.run(request, report, should_stop))


def outcome(status: jobs.Status) -> Any:
    """A finished job's outcome, typed (its task's ``Outcome``); None if it has none or it cannot be read."""
    if status.result is None or status.kind not in MODULES:
        return None
    try:
        return from_json(module_of(status.kind).Outcome, status.result)
    except (TypeError, ValueError, KeyError):
        return None


def _controlled(job_id: str, who: Who, root: Path | None) -> jobs.Status | None:
    status = jobs.get(job_id, root)
    if status is not None and not roles.may_control(who, status.owner):
        raise NotAllowed("Only whoever started this job, or the person who runs the server, can stop or dismiss it.")
    return status


def cancel(job_id: str, who: Who, root: Path | None = None) -> None:
    """Ask job ``job_id`` to stop (its owner or the operator only)."""
    if _controlled(job_id, who, root) is not None:
        jobs.cancel(job_id, root)


def dismiss(job_id: str, who: Who, root: Path | None = None) -> None:
    """Forget a finished job once its outcome was seen (its owner or the operator only)."""
    if _controlled(job_id, who, root) is not None:
        jobs.dismiss(job_id, root)


def visible(who: Who, root: Path | None = None) -> tuple[jobs.Status | None, list[jobs.Status], list[str]]:
    """What ``who`` is shown: the job that runs now (anyone's), the finished jobs they may see (their
    own; the operator: all), and, for the operator, a sentence per damaged job record."""
    found, damaged = jobs.listing(root)
    running = next((s for s in found if s.active), None)
    finished = [s for s in found if s.final and roles.may_control(who, s.owner)]
    return running, finished, damaged if who.operator else []
