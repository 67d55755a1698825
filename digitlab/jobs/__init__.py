"""Background jobs: the mechanism only. One runs at a time; each belongs to whoever started it.

Streamlit reruns its script on every click, so long work inside the script
would be killed or block the page. Instead :func:`start` spawns a runner
process (``python -m digitlab.jobs.runner``, :mod:`digitlab.jobs.runner`) that
imports the job's target function, runs it, reports into a status file, and
stops on cancel, on SIGTERM and when the app that started it dies. Each job has
a folder of its own, kept after it ends until whoever started it has seen the
outcome (:func:`dismiss`):

    model_store/.jobs/<id>/job.json      what to run: kind, target, params, owner
    model_store/.jobs/<id>/status.json   a :class:`Status`; written once by start(), then by the runner
    model_store/.jobs/<id>/cancel        exists = please stop
    model_store/.jobs/<id>/runner.log    the runner's stderr

What runs is not this package's business: a *target* is ``"module:function"``
with the signature ``run(params: dict, report, should_stop) -> dict`` (see
:mod:`digitlab.cancel`); the library's own kinds of work, with typed parameters
and outcomes and who may start them, are :mod:`digitlab.tasks`.

Jobs share the training lock (:mod:`digitlab.jobs.lock`): it is taken here, in
the caller, so a second start from any tab or from ``train_model.py`` is
refused at once, and handed to the runner. Whether a job is alive is decided
by its own runner's identity (pid and start time, recorded in its status),
never by whether *some* process holds the lock.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from digitlab import paths
from digitlab.cancel import Cancelled
from digitlab.fileio import read_json, write_json_atomic
from digitlab.jobs import process
from digitlab.jobs.lock import StoreNotWritable, TrainingBusy, TrainingLock

__all__ = ["Cancelled", "State", "Status", "StoreNotWritable", "TrainingBusy", "start", "active", "get",
           "listing", "cancel", "dismiss", "jobs_dir"]

JOBS_FOLDER = ".jobs"
ID_LENGTH = 12
# A finished job nobody dismissed (a visitor who never came back) is forgotten after a week;
# what it made, a model or a ranking, stays.
KEEP_FINISHED_SECONDS = 7 * 24 * 3600


class State(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    CANCELLING = "cancelling"  # asked to stop; stops after its current step
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # its process died or was stopped (server restart, kill, SIGTERM)


ACTIVE_STATES = frozenset({State.STARTING, State.RUNNING, State.CANCELLING})
FINAL_STATES = frozenset({State.DONE, State.FAILED, State.CANCELLED, State.INTERRUPTED})


class DamagedStatus(ValueError):
    """A status.json that is not a status (edited by hand, cut short): it is skipped, with this message."""


@dataclass(frozen=True)
class Status:
    """One job as its status.json says. ``fields`` are the work's own progress fields (a training's
    epoch, batch, curves); ``result`` is what it returned (None until it is done); ``owner`` is the
    visitor who started it (None: the shell or a test)."""

    id: str
    kind: str
    title: str
    state: State
    started: str
    owner: str | None = None
    source: str = "the app"
    fraction: float = 0.0
    message: str = ""
    phase: str = ""
    pid: int | None = None
    pid_start: int | None = None
    error: str | None = None
    traceback: str | None = None
    updated: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def started_at(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.started)
        except ValueError:
            return None

    def seconds_left(self) -> float | None:
        """The work's own estimate (``fields["remaining"]``), else one from the time so far and the
        fraction done; None before there is anything to go by."""
        own = self.fields.get("remaining")
        if isinstance(own, (int, float)) and not isinstance(own, bool):
            return float(own)
        began = self.started_at
        if began is None or not 0.02 < self.fraction < 1:
            return None
        elapsed = (datetime.now() - began).total_seconds()
        return elapsed * (1 - self.fraction) / self.fraction

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> "Status":
        """A status from what status.json holds; :class:`DamagedStatus` if it is not one."""
        if not isinstance(data, dict):
            raise DamagedStatus("it is not a JSON object")
        try:
            state = State(data.get("state"))
        except ValueError:
            raise DamagedStatus(f"its state {data.get('state')!r} is not one a job can be in") from None
        for name in ("id", "kind", "title", "started"):
            if not isinstance(data.get(name), str):
                raise DamagedStatus(f"it has no {name}")
        fields, result = data.get("fields", {}), data.get("result")
        if not isinstance(fields, dict) or not (result is None or isinstance(result, dict)):
            raise DamagedStatus("its progress or result is not an object")

        def of(name: str, kind: type | tuple, default=None):
            value = data.get(name, default)
            return value if isinstance(value, kind) and not isinstance(value, bool) else default

        return cls(id=data["id"], kind=data["kind"], title=data["title"], state=state, started=data["started"],
                   owner=of("owner", str), source=of("source", str, "the app"),
                   fraction=min(max(float(of("fraction", (int, float), 0.0)), 0.0), 1.0),
                   message=of("message", str, ""), phase=of("phase", str, ""), pid=of("pid", int),
                   pid_start=of("pid_start", int), error=of("error", str), traceback=of("traceback", str),
                   updated=of("updated", (int, float)), fields=fields, result=result)


def jobs_dir(root: Path | None = None) -> Path:
    """Where the jobs' folders are, in the model store ``root`` (default: ``paths.model_store_dir()``)."""
    return (Path(root) if root else paths.model_store_dir()) / JOBS_FOLDER


def job_dir(job_id: str, root: Path | None = None) -> Path:
    if not (isinstance(job_id, str) and len(job_id) == ID_LENGTH and job_id.isalnum()):
        raise ValueError("not a job id")
    return jobs_dir(root) / job_id


def start(kind: str, target: str, params: dict, *, title: str, about: str, owner: str | None = None,
          source: str = "the app", fields: dict | None = None, root: Path | None = None) -> Status:
    """Run ``target`` (``"module:function"``) with ``params`` in a runner process; returns its first status.

    ``title`` says what runs ("Training seed003-…"); ``about`` is what others are told is running
    when they are refused; ``owner`` is the visitor it belongs to; ``fields`` are the work's own
    status fields from the start. Raises ``TrainingBusy`` if any job or training runs,
    ``StoreNotWritable`` if the model store is read-only.
    """
    module, colon, function = target.partition(":")
    if not (module and colon and function):
        raise ValueError(f"a job's target is 'module:function', not {target!r}")
    lock = TrainingLock({"preset": about, "source": source}, root=root).acquire()
    runner = None
    try:
        _forget_old(root)
        job_id = uuid.uuid4().hex[:ID_LENGTH]
        d = job_dir(job_id, root)
        d.mkdir(parents=True)
        write_json_atomic(d / "job.json", {"id": job_id, "kind": kind, "target": target, "params": params,
                                           "owner": owner})
        with open(d / "runner.log", "w") as log:
            runner = subprocess.Popen(
                [sys.executable, "-m", "digitlab.jobs.runner", str(d), str(lock.fileno())],
                pass_fds=(lock.fileno(),), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
                cwd=paths.PROJECT_ROOT,
            )
        status = Status(id=job_id, kind=kind, title=title, state=State.STARTING, owner=owner, source=source,
                        started=datetime.now().isoformat(timespec="seconds"), message="starting", phase="starting",
                        pid=runner.pid, pid_start=process.start_time(runner.pid), fields=dict(fields or {}),
                        updated=time.time())
        write_json_atomic(d / "status.json", status.to_json())
        lock.hand_over(runner.pid)
        # The runner waits for this line: only now is it recorded as the job's process,
        # so none of its own status writes can come before (and be overwritten by) ours.
        runner.stdin.write(b"go\n")
        runner.stdin.close()
    except BaseException as e:
        if runner is not None:
            runner.kill()
        lock.release()  # a no-op once handed over: the killed runner's copy goes with it
        if isinstance(e, OSError):
            raise StoreNotWritable(jobs_dir(root).parent, e) from e
        raise
    return status


def _read(d: Path) -> Status:
    """The status in folder ``d``; a job that claims to be active while its own runner process is gone
    died (server restart, kill): it is reported, and recorded, as interrupted. :class:`DamagedStatus`."""
    path = d / "status.json"
    s = Status.from_json(read_json(path))
    if s.active and not process.alive(s.pid, s.pid_start):
        # A runner writes its last status before it exits: read again now that it is gone.
        s = Status.from_json(read_json(path))
        if s.active and not process.alive(s.pid, s.pid_start):
            s = replace(s, state=State.INTERRUPTED,
                        error="its process stopped without finishing (was the server restarted?)")
            try:
                write_json_atomic(path, s.to_json())
            except OSError:  # a read-only store: say so every time instead of once
                pass
    if s.state == State.RUNNING and (d / "cancel").exists():
        s = replace(s, state=State.CANCELLING)
    return s


def listing(root: Path | None = None) -> tuple[list[Status], list[str]]:
    """Every job still known, newest first, and a sentence for each folder whose status is damaged
    (skipped, never a failure)."""
    found, damaged = [], []
    base = jobs_dir(root)
    folders = sorted(base.iterdir()) if base.is_dir() else []
    for d in folders:
        if not d.is_dir() or d.name.startswith("."):
            continue
        try:
            found.append(_read(d))
        except DamagedStatus as e:
            damaged.append(f"The record of background job {d.name} is damaged ({e}) and was skipped.")
    found.sort(key=lambda s: s.started, reverse=True)
    return found, damaged


def active(root: Path | None = None) -> Status | None:
    """The job that runs now, if any (one at a time)."""
    return next((s for s in listing(root)[0] if s.active), None)


def get(job_id: str, root: Path | None = None) -> Status | None:
    """Job ``job_id``'s status, or None if there is no such job (or its record is damaged)."""
    try:
        return _read(job_dir(job_id, root))
    except (ValueError, OSError):
        return None


def cancel(job_id: str, root: Path | None = None) -> None:
    """Ask job ``job_id`` to stop; it does so after its current step (a training: batch).

    Only the flag file is written: the status file belongs to the runner, so a
    cancel racing the end of a job can never overwrite "done".
    """
    s = get(job_id, root)
    if s is not None and s.active:
        (job_dir(job_id, root) / "cancel").touch()


def dismiss(job_id: str, root: Path | None = None) -> None:
    """Forget a finished job (what it made, a model or a ranking, stays)."""
    s = get(job_id, root)
    if s is not None and s.final:
        shutil.rmtree(job_dir(job_id, root), ignore_errors=True)  # a read-only store: it stays, and stays true


def _forget_old(root: Path | None) -> None:
    """Remove the folders of jobs that ended more than :data:`KEEP_FINISHED_SECONDS` ago."""
    now = time.time()
    for s in listing(root)[0]:
        if s.final and now - (s.updated or now) > KEEP_FINISHED_SECONDS:
            shutil.rmtree(job_dir(s.id, root), ignore_errors=True)
