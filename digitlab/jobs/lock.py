"""One training at a time, across threads, processes and browser tabs.

The interface is small on purpose, so that another lock (a PostgreSQL
advisory lock, when two app servers share a database) can take its place:

- ``TrainingLock(about).acquire()`` or :class:`TrainingBusy`, whose message says
  who holds it; ``release()``; also a context manager;
- ``hand_over(pid)``: the runner process ``pid`` now holds it (it inherited
  ``fileno()``); the caller's copy closes without unlocking;
- :func:`describe_holder` and :func:`is_held`, which only *read*: asking
  "is a training running?" never makes someone else's ``acquire()`` fail.

The implementation: an exclusive ``flock`` on ``model_store/.training.lock``, and,
when the database is PostgreSQL, an advisory lock there too (:mod:`digitlab.jobs.pglock`),
which holds across app servers on several machines.
The kernel drops it when the holding process dies, so a killed training never
leaves it stuck. The holder writes into the file what it runs, its pid and the
pid's start time (:mod:`digitlab.jobs.process`); :func:`is_held` checks that this
process still runs, rather than trying the lock (which, for a moment, holds it).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from datetime import datetime
from pathlib import Path

from digitlab import paths
from digitlab.fileio import read_json
from digitlab.jobs import pglock, process

LOCK_NAME = ".training.lock"
# Seconds a start waits for a lock held by no one on record. A runner clears its record, then closes the
# lock: at nice 10 on a busy machine a new start landed between the two and was refused ("a training is
# already running") right after the job it replaced had ended (tests/test_dubious.py, under three workers).
RELEASE_GRACE = 5.0


class TrainingBusy(RuntimeError):
    """Another training holds the lock; the message says which and since when."""


class StoreNotWritable(RuntimeError):
    """The model store cannot be written (read-only, full, no permission): nothing can be trained into it."""

    def __init__(self, root: Path, error: OSError):
        super().__init__(f"the model store {root} cannot be written ({error.strerror or error}): "
                         "a training would have nowhere to save its model. Ask the operator to fix it, "
                         "or point DIGITLAB_MODEL_STORE at a writable folder.")


def lock_path(root: Path | None = None) -> Path:
    return (Path(root) if root else paths.model_store_dir()) / LOCK_NAME


class TrainingLock:
    """``acquire()`` or raise :class:`TrainingBusy`; ``release()`` when done.

    ``about``: ``{"preset": what is trained, "source": where it was started}``,
    shown to whoever is refused.
    """

    def __init__(self, about: dict, root: Path | None = None):
        self.path = lock_path(root)
        self.about = about
        self._file = None
        self._pg: pglock.AdvisoryLock | None = None

    def acquire(self) -> "TrainingLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            f = open(self.path, "a+")
        except OSError as e:
            raise StoreNotWritable(self.path.parent, e) from e
        deadline = time.monotonic() + RELEASE_GRACE
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                # Held, but by no one on record: a holder letting go (it clears its record first) or
                # just taking it. Wait for that moment to pass rather than refuse a job that just ended.
                if holder(self.path.parent) is not None or time.monotonic() > deadline:
                    f.close()
                    raise TrainingBusy(describe_holder(self.path.parent)) from None
                time.sleep(0.05)
        if pglock.enabled():
            pg = pglock.AdvisoryLock()
            try:
                got = pg.try_acquire()  # a database that cannot be reached raises: nothing may start
            except BaseException:
                got = None
                raise
            finally:
                if not got:
                    fcntl.flock(f, fcntl.LOCK_UN)
                    f.close()
            if not got:
                raise TrainingBusy(describe_holder(self.path.parent))
            self._pg = pg
        self._file = f
        self._record(os.getpid())
        return self

    def _record(self, pid: int) -> None:
        """Say in the file who holds the lock (only its holder writes there)."""
        self._file.seek(0)
        self._file.truncate()
        json.dump({**self.about, "pid": pid, "pid_start": process.start_time(pid),
                   "since": datetime.now().isoformat(timespec="seconds")}, self._file)
        self._file.flush()

    def fileno(self) -> int:
        """The locked file's descriptor, for the runner process to inherit."""
        if self._file is None:
            raise RuntimeError("the lock is not held")
        return self._file.fileno()

    def hand_over(self, pid: int) -> None:
        """Process ``pid``, which inherited :meth:`fileno` (and queues for the advisory lock,
        :func:`digitlab.jobs.pglock.wait_in_queue`), holds the lock now; close our copy."""
        if self._file is not None:
            self._record(pid)
            self._file.close()  # the child's copy of the descriptor keeps the lock
            self._file = None
        if self._pg is not None:
            self._pg.hand_over()
            self._pg = None

    def release(self) -> None:
        if self._pg is not None:
            self._pg.release()
            self._pg = None
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> "TrainingLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def release_inherited(fd: int) -> None:
    """In the runner: let go of the lock handed over as descriptor ``fd`` (its record first,
    so that :func:`is_held` says so at once, not when this process has exited)."""
    os.ftruncate(fd, 0)
    os.close(fd)


def holder(root: Path | None = None) -> dict | None:
    """What the holder recorded (preset, source, since, pid), if that process still runs; else None."""
    h = read_json(lock_path(root))
    if isinstance(h, dict) and process.alive(h.get("pid"), h.get("pid_start")):
        return h
    return None


def describe_holder(root: Path | None = None) -> str:
    h = holder(root) or {}
    if not h:
        return "a training is already running (perhaps on another server). Wait for it or cancel it first."
    return (f"a training is already running: preset {h.get('preset', '?')}, started {h.get('since', '?')} "
            f"from {h.get('source', '?')} (pid {h.get('pid', '?')}). Wait for it or cancel it first.")


def is_held(root: Path | None = None) -> bool:
    """True while a live process holds the lock (here, or through PostgreSQL on any server).
    Reads only: never takes the lock, even for a moment."""
    return holder(root) is not None or (pglock.enabled() and pglock.held())
