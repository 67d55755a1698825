"""Background jobs: one at a time, visible to every session, for any kind of work.

Streamlit reruns its script on every click, so long work inside the script
would be killed or block the page. Instead :func:`start` spawns a runner
process (``python -m digitlab.jobs.runner``, :mod:`digitlab.jobs.runner`) that
runs the job, reports into a status file, and stops on cancel, on SIGTERM and
when the app that started it dies:

    model_store/.job/job.json      what to run: kind, params (written before the runner starts)
    model_store/.job/status.json   id, kind, state, progress, result; written once by start(), then by the runner
    model_store/.job/cancel        exists = please stop
    model_store/.job/runner.log    the runner's stderr

A *kind* is a function ``run(params, report, should_stop) -> result dict``
named in :data:`KINDS` (see :mod:`digitlab.jobs.kinds`): ``params`` is JSON,
``report(fraction, message, phase=..., force=..., **fields)`` shows progress (the
fields are the kind's own, e.g. a training's epoch and curves), ``should_stop()``
is true once a cancel was asked for, and the kind then raises :class:`Cancelled`.

Jobs share the training lock (:mod:`digitlab.jobs.lock`): it is taken here, in
the caller, so a second start from any tab or from ``train_model.py`` is
refused at once, and handed to the runner. Whether a job is alive is decided
by its own runner's identity (pid and start time, recorded in its status),
never by whether *some* process holds the lock.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from digitlab import paths
from digitlab.fileio import read_json, write_json_atomic
from digitlab.jobs import process
from digitlab.jobs.lock import StoreNotWritable, TrainingLock


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

# kind -> "module:function" the runner imports. Strings, so that starting a job
# imports nothing heavy; a test may add its own kinds.
KINDS: dict[str, str] = {
    "train": "digitlab.jobs.kinds:train",
    "dubious": "digitlab.jobs.kinds:dubious",
    "class_retrain": "digitlab.jobs.kinds:class_retrain",
}


class Cancelled(Exception):
    """Raised by a job (or a training) once ``should_stop()`` said stop."""


def job_dir(root: Path | None = None) -> Path:
    """The job's folder, in the model store ``root`` (default: ``paths.model_store_dir()``)."""
    return (Path(root) if root else paths.model_store_dir()) / ".job"


def is_active(status: dict | None) -> bool:
    return status is not None and status.get("state") in ACTIVE_STATES


def start(
    kind: str, params: dict, *, title: str, about: str, source: str = "the app", fields: dict | None = None,
    root: Path | None = None,
) -> dict:
    """Run job ``kind`` with ``params`` in a runner process; returns its first status.

    ``title`` says what runs ("Training seed003-…"); ``about`` is what others are
    told is running when they are refused; ``fields`` are the kind's own status
    fields from the start. Raises ``TrainingBusy`` if any job or training runs,
    ``StoreNotWritable`` if the model store is read-only.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}; known: {', '.join(KINDS)}")
    lock = TrainingLock({"preset": about, "source": source}, root=root).acquire()
    runner = None
    try:
        d = job_dir(root)
        d.mkdir(parents=True, exist_ok=True)
        (d / "cancel").unlink(missing_ok=True)
        job_id = uuid.uuid4().hex[:12]
        write_json_atomic(d / "job.json", {"id": job_id, "kind": kind, "target": KINDS[kind], "params": params})
        with open(d / "runner.log", "w") as log:
            runner = subprocess.Popen(
                [sys.executable, "-m", "digitlab.jobs.runner", str(d), str(lock.fileno())],
                pass_fds=(lock.fileno(),), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
                cwd=paths.PROJECT_ROOT,
            )
        status = {**(fields or {}), "id": job_id, "kind": kind, "title": title, "state": State.STARTING,
                  "source": source, "started": datetime.now().isoformat(timespec="seconds"),
                  "fraction": 0.0, "message": "starting", "phase": "starting",
                  "pid": runner.pid, "pid_start": process.start_time(runner.pid)}
        write_json_atomic(d / "status.json", status)
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
            raise StoreNotWritable(job_dir(root).parent, e) from e
        raise
    return status


def status(root: Path | None = None) -> dict | None:
    """The latest job's status, or None if there is none.

    A job that claims to be active while its own runner process is gone died
    (server restart, kill): it is reported, and recorded, as "interrupted".
    """
    path = job_dir(root) / "status.json"
    s = read_json(path)
    if not isinstance(s, dict):
        return None
    if is_active(s) and not process.alive(s.get("pid"), s.get("pid_start")):
        # A runner writes its last status before it exits: read again now that it is gone.
        again = read_json(path)
        if not isinstance(again, dict):
            return None
        s = again
        if is_active(s) and not process.alive(s.get("pid"), s.get("pid_start")):
            s = {**s, "state": State.INTERRUPTED,
                 "error": "its process stopped without finishing (was the server restarted?)"}
            try:
                write_json_atomic(path, s)
            except OSError:  # a read-only store: say so every time instead of once
                pass
    if s.get("state") == State.RUNNING and cancel_requested(root):
        s = {**s, "state": State.CANCELLING}
    return s


def cancel_requested(root: Path | None = None) -> bool:
    return (job_dir(root) / "cancel").exists()


def cancel(root: Path | None = None) -> None:
    """Ask the running job to stop; it does so after its current step (a training: batch).

    Only the flag file is written: the status file belongs to the runner, so a
    cancel racing the end of a job can never overwrite "done".
    """
    if is_active(status(root)):
        (job_dir(root) / "cancel").touch()


def dismiss(root: Path | None = None) -> None:
    """Forget a finished job's status (what it made, a model or a ranking, stays)."""
    s = status(root)
    if s is not None and s.get("state") in FINAL_STATES:
        try:
            (job_dir(root) / "status.json").unlink(missing_ok=True)
        except OSError:  # a read-only store: the status stays, and stays true
            pass
