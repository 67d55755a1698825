"""A training job in the background: one at a time, visible to every session.

Streamlit reruns its script on every click, so a training inside the script
would be killed or block the page. Instead :func:`start` spawns a worker
process (``python -m digitlab.worker``) that trains, reports into a status
file, and saves the model into the store when it is done:

    model_store/.job/job.json      what to train (written before the worker starts)
    model_store/.job/status.json   state, progress, curves; rewritten atomically
    model_store/.job/cancel        exists = please stop

The training lock is taken here, in the caller, and handed to the worker as an
inherited file descriptor: a second start from any tab or from
``train_model.py`` is refused at once, and the lock dies with the worker.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from digitlab import paths
from digitlab.lock import TrainingLock, is_training_running
from digitlab.store import write_json_atomic
from digitlab.training import TrainConfig

ACTIVE_STATES = ("starting", "running", "cancelling")
FINAL_STATES = ("done", "failed", "cancelled", "interrupted")


def job_dir(root: Path | None = None) -> Path:
    return (Path(root) if root else paths.model_store_dir()) / ".job"


def start(
    config: TrainConfig, *, source: str = "the app", include_own_digits: bool = False,
    mnist_path: str | None = None, root: Path | None = None,
) -> dict:
    """Start training ``config`` in a worker process; returns the first status.

    Raises ``TrainingBusy`` if any training is running, ``ValueError`` for a bad config.
    """
    config = config.resolved()
    lock = TrainingLock({"preset": config.preset, "source": source}, root=root).acquire()
    try:
        d = job_dir(root)
        d.mkdir(parents=True, exist_ok=True)
        (d / "cancel").unlink(missing_ok=True)
        job = {
            "id": uuid.uuid4().hex[:12], "config": asdict(config), "include_own_digits": include_own_digits,
            "mnist_path": mnist_path, "source": source, "store_root": str(Path(root) if root else paths.model_store_dir()),
        }
        write_json_atomic(d / "job.json", job)
        status = {"id": job["id"], "state": "starting", "preset": config.preset, "config": job["config"],
                  "source": source, "started": datetime.now().isoformat(timespec="seconds"), "history": []}
        write_json_atomic(d / "status.json", status)
        with open(d / "worker.log", "w") as log:
            subprocess.Popen(
                [sys.executable, "-m", "digitlab.worker", str(d), str(lock.fileno())],
                pass_fds=(lock.fileno(),), cwd=paths.PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=log,
            )
    except BaseException:
        lock.release()
        raise
    lock.hand_over()  # the worker holds it now; closing our copy does not unlock
    return read_status(root) or status


def read_status(root: Path | None = None) -> dict | None:
    """The latest job's status, or None if there never was one.

    A job that claims to run while nobody holds the training lock died (server
    restart, kill): it is reported, and recorded, as "interrupted".
    """
    path = job_dir(root) / "status.json"
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if status.get("state") in ACTIVE_STATES and not is_training_running(root):
        status = {**status, "state": "interrupted",
                  "error": "the training process stopped without finishing (was the server restarted?)"}
        write_json_atomic(path, status)
    elif status.get("state") == "running" and cancel_requested(job_dir(root)):
        status = {**status, "state": "cancelling"}
    return status


def cancel(root: Path | None = None) -> None:
    """Ask the running job to stop; it does so after its current batch.

    Only the flag file is written: the status file belongs to the worker, so a
    cancel racing the end of training can never overwrite "done".
    """
    status = read_status(root)
    if status and status.get("state") in ACTIVE_STATES:
        (job_dir(root) / "cancel").touch()


def cancel_requested(d: Path) -> bool:
    return (d / "cancel").exists()


def dismiss(root: Path | None = None) -> None:
    """Forget a finished job's status (the trained model, if any, stays in the store)."""
    status = read_status(root)
    if status and status.get("state") in FINAL_STATES:
        (job_dir(root) / "status.json").unlink(missing_ok=True)
