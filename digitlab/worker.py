"""The background training process started by :func:`digitlab.jobs.start`.

    python -m digitlab.worker JOB_DIR LOCK_FD

Reads ``JOB_DIR/job.json``, trains, writes progress to ``status.json`` (at
most about once a second), and stores the model when done. It does not make
the model active: the user decides that after comparing old and new.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from digitlab.store import write_json_atomic

REPORT_EVERY = 1.0  # seconds between status writes


def main(job_dir: str, lock_fd: str) -> int:
    d = Path(job_dir)
    job = json.loads((d / "job.json").read_text())
    status_path = d / "status.json"
    status = json.loads(status_path.read_text())
    # Training must not starve the app: let the server's reruns go first.
    os.nice(10)

    def update(**fields) -> None:
        status.update(fields, updated=time.time())
        write_json_atomic(status_path, status)

    def on_sigterm(signum, frame):
        raise SystemExit("stopped by SIGTERM")

    signal.signal(signal.SIGTERM, on_sigterm)
    parent = os.getppid()

    def should_stop() -> bool:
        # The app that started us is gone (server stopped or restarted): stop
        # rather than burn the CPU unseen; the job is then "interrupted".
        if os.getppid() != parent:
            raise SystemExit("the app that started the training stopped")
        return jobs.cancel_requested(d)

    update(state="running", pid=os.getpid(), phase="loading data")
    try:
        from digitlab import jobs, own_digits
        from digitlab.data import load_mnist
        from digitlab.store import ModelStore
        from digitlab.training import Cancelled, TrainConfig, train

        config = TrainConfig(**{**job["config"], "exclude": tuple(job["config"]["exclude"])})
        mnist = load_mnist(job.get("mnist_path"))
        extra = None
        if job.get("include_own_digits"):
            images, labels, _ = own_digits.load()
            extra = (images, labels)
        last = [0.0]

        def on_progress(p) -> None:
            if p.phase != "training" or time.monotonic() - last[0] >= REPORT_EVERY or p.batch == p.batches:
                last[0] = time.monotonic()
                update(state="cancelling" if jobs.cancel_requested(d) else "running", phase=p.phase,
                       epoch=p.epoch, epochs=p.epochs, batch=p.batch, batches=p.batches, elapsed=p.elapsed,
                       remaining=p.remaining, fraction=p.fraction, logs=p.logs, history=p.history)

        result = train(config, mnist, extra=extra, on_progress=on_progress,
                       should_stop=should_stop)
        update(phase="saving")
        run = ModelStore(Path(job["store_root"])).save(
            result.model, {**result.info, "job_source": job.get("source")}, result.test_probabilities)
        update(state="done", phase="done", run_id=run.id, test_accuracy=result.info["test_accuracy"],
               training_seconds=result.info["training_seconds"], history=result.info["history"], fraction=1.0)
        return 0
    except Cancelled:
        update(state="cancelled", phase="cancelled")
        return 0
    except SystemExit as e:
        update(state="interrupted", error=str(e))
        return 1
    except Exception as e:  # noqa: BLE001 - any failure must reach the user, with its message
        update(state="failed", error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc()[-4000:])
        return 1
    finally:
        (d / "cancel").unlink(missing_ok=True)
        os.close(int(lock_fd))  # releases the training lock


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
