"""One training at a time, across threads, processes and browser tabs.

An exclusive ``flock`` on ``model_store/.training.lock``. The kernel drops it
when the holding process dies, so a killed training never leaves the lock
stuck; what the holder wrote into the file says who is training what.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime
from pathlib import Path

from digitlab import paths

LOCK_NAME = ".training.lock"


class TrainingBusy(RuntimeError):
    """Another training holds the lock; the message says which and since when."""


class TrainingLock:
    """``acquire()`` or raise :class:`TrainingBusy`; ``release()`` when done.

    Also a context manager. ``about`` (preset, where it was started) is stored
    for the message others get.
    """

    def __init__(self, about: dict, root: Path | None = None):
        self.path = (Path(root) if root else paths.model_store_dir()) / LOCK_NAME
        self.about = about
        self._file = None

    def acquire(self) -> "TrainingLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            raise TrainingBusy(describe_holder(self.path)) from None
        f.seek(0)
        f.truncate()
        json.dump({**self.about, "pid": os.getpid(), "since": datetime.now().isoformat(timespec="seconds")}, f)
        f.flush()
        self._file = f
        return self

    def fileno(self) -> int:
        """The locked file's descriptor, to pass to a worker process."""
        if self._file is None:
            raise RuntimeError("the lock is not held")
        return self._file.fileno()

    def hand_over(self) -> None:
        """Close our copy without unlocking: a child that inherited the descriptor now holds the lock."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def release(self) -> None:
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> "TrainingLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def describe_holder(path: Path) -> str:
    try:
        h = json.loads(path.read_text())
        return (f"a training is already running: preset {h.get('preset', '?')}, started {h.get('since', '?')} "
                f"from {h.get('source', '?')} (pid {h.get('pid', '?')}). Wait for it or cancel it first.")
    except (OSError, ValueError):
        return "a training is already running. Wait for it or cancel it first."


def is_training_running(root: Path | None = None) -> bool:
    """True while some process holds the lock."""
    path = (Path(root) if root else paths.model_store_dir()) / LOCK_NAME
    if not path.exists():
        return False
    with open(path) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False
