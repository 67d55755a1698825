"""The process that runs one background job, started by :func:`digitlab.jobs.start`.

    python -m digitlab.jobs.runner JOB_DIR LOCK_FD

Waits for "go" on stdin (sent once ``start`` has recorded this process as the
job's), reads ``JOB_DIR/job.json``, imports the job's target function and runs it,
writing its progress to ``status.json`` (at most about once a second, unless
asked), then its result or what went wrong. The same for every job:

- it runs at ``nice 10``: the app's reruns go first;
- a cancel is asked for through ``JOB_DIR/cancel`` (``should_stop()``);
- SIGTERM, or the app that started it going away (checked every second), stops
  it as "interrupted" instead of burning the CPU unseen;
- the training lock it inherited as ``LOCK_FD`` is released when it ends (and
  the PostgreSQL advisory lock it queued for, with PostgreSQL: :mod:`digitlab.jobs.pglock`).
"""

from __future__ import annotations

import _thread
import importlib
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

import digitlab  # noqa: F401 - quiets TensorFlow before any job imports it
from digitlab.cancel import Cancelled
from digitlab.fileio import read_json, write_json_atomic
from digitlab.jobs import State, pglock
from digitlab.jobs.lock import release_inherited

REPORT_EVERY = 1.0  # seconds between progress writes
PARENT_CHECK_EVERY = 1.0  # seconds


class StatusWriter:
    """The job's status.json, owned by this process from "go" on."""

    def __init__(self, job_dir: Path):
        self.path, self.cancel_path = job_dir / "status.json", job_dir / "cancel"
        self.status = read_json(self.path, {})  # written by jobs.start() just before "go"
        self.status.setdefault("fields", {})
        self.last = 0.0

    def should_stop(self) -> bool:
        return self.cancel_path.exists()

    def update(self, **fields) -> None:
        self.status.update(fields, updated=time.time())
        write_json_atomic(self.path, self.status)
        self.last = time.monotonic()

    def report(self, fraction: float, message: str, *, phase: str | None = None, force: bool = False,
               **fields) -> None:
        """Progress: ``fraction`` 0-1, a line of text, the phase, the work's own fields.

        Written when ``force``, when the phase changes, or a second after the last write.
        """
        changed = phase is not None and phase != self.status.get("phase")
        self.status["fields"].update(fields)
        self.status.update(fraction=min(max(float(fraction), 0.0), 1.0), message=message)
        if phase is not None:
            self.status["phase"] = phase
        if force or changed or time.monotonic() - self.last >= REPORT_EVERY:
            self.update(state=State.CANCELLING if self.should_stop() else State.RUNNING)


def load_target(target: str) -> Callable:
    """``"module:function"`` -> the function."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def watch_parent(stop_reason: list[str]) -> None:
    """Stop this process (as SIGTERM would) once the app that started it is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_EVERY)
        stop_reason[0] = "the app that started it stopped"
        _thread.interrupt_main(signal.SIGTERM)  # runs our SIGTERM handler in the main thread

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(job_dir: str, lock_fd: str) -> int:
    held = None
    try:
        if pglock.enabled():  # queue for the cross-server lock before the app lets go of it
            held = pglock.wait_in_queue()
        if sys.stdin.readline().strip() != "go":
            return 1  # whoever started us failed before recording the job: nothing to do
        d = Path(job_dir)
        job = read_json(d / "job.json", {})
        status = StatusWriter(d)
        os.nice(10)
        stop_reason = ["stopped by SIGTERM"]

        def on_sigterm(signum, frame):
            raise SystemExit(stop_reason[0])

        signal.signal(signal.SIGTERM, on_sigterm)
        watch_parent(stop_reason)
        status.update(state=State.RUNNING, pid=os.getpid())
        try:
            run = load_target(job["target"])
            result = run(job["params"], status.report, status.should_stop)
            status.update(result=result or {}, state=State.DONE, phase="done", fraction=1.0, message="done")
            return 0
        except Cancelled:
            status.update(state=State.CANCELLED, phase="cancelled", message="cancelled")
            return 0
        except SystemExit as e:
            status.update(state=State.INTERRUPTED, error=str(e))
            return 1
        except Exception as e:  # noqa: BLE001 - any failure must reach the user, with its message
            # The message is the work's own (our errors are written to be read); the traceback is
            # kept in the status for whoever runs the server, never shown to visitors.
            status.update(state=State.FAILED, error=str(e) or type(e).__name__,
                          traceback=traceback.format_exc()[-4000:])
            return 1
        finally:
            (d / "cancel").unlink(missing_ok=True)
    finally:
        if held is not None:
            held.close()  # the session ends: the advisory lock is released with it
        release_inherited(int(lock_fd))


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
