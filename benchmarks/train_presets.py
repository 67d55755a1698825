"""Train presets the way the sidebar's Retrain button does, and report the figures.

    python -m benchmarks.train_presets [--preset NAME ...] [--mnist PATH]

Each preset is trained by a background job (digitlab.tasks.start with a
digitlab.tasks.train request, exactly what the Retrain button calls, as the
operator), one after another, and stored in model_store/ (not activated).
Prints MNIST test accuracy next to the figure the seed reported, the training
time, and the wall time from "start" to "stored" (worker start-up, data
loading, training, test evaluation, saving).
``cnn-shapes`` (:data:`digitlab.models.DEFAULT_PRESET`) is skipped unless
named: the shipped model's run.json records its figures.
"""

from __future__ import annotations

import argparse
import time

from digitlab import jobs, tasks
from digitlab.models import DEFAULT_PRESET, PRESETS, TrainConfig
from digitlab.roles import Who
from digitlab.tasks import train as training_task

# The one who runs a benchmark is this machine's operator.
OPERATOR = Who("benchmark", operator=True)


def start_training(preset: str, source: str, mnist: str | None = None) -> jobs.Status:
    """Start training ``preset`` in the background, as the Retrain button does; its first status."""
    request = training_task.Request(TrainConfig(preset), mnist_path=mnist)
    return tasks.start(request, OPERATOR, source=source)


def run_job(name: str, mnist: str | None) -> dict:
    started = time.monotonic()
    job = start_training(name, "benchmarks/train_presets.py", mnist)
    while not (status := jobs.get(job.id)).final:
        time.sleep(0.5)
    wall = time.monotonic() - started
    tasks.dismiss(job.id, OPERATOR)
    if status.state != jobs.State.DONE:
        raise RuntimeError(f"{name}: {status.state}: {status.error}")
    info = tasks.outcome(status)
    return {"test_accuracy": info.test_accuracy, "training_seconds": info.training_seconds,
            "history": info.history, "run_id": info.run_id, "wall_seconds": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", nargs="*", default=[n for n in PRESETS if n != DEFAULT_PRESET])
    ap.add_argument("--mnist")
    args = ap.parse_args()
    rows = []
    for name in args.preset:
        s = run_job(name, args.mnist)
        rows.append((name, s))
        print(f"{name}: test {s['test_accuracy']:.2%}, training {s['training_seconds']:.0f} s, "
              f"start to stored {s['wall_seconds']:.0f} s ({s['run_id']})", flush=True)
    print("\n| preset | test accuracy | seed reported | epochs | training time | start → stored |")
    print("|---|---|---|---|---|---|")
    for name, s in rows:
        print(f"| {name} | {s['test_accuracy']:.2%} | {PRESETS[name].seed_result} | {len(s['history'])} | "
              f"{s['training_seconds']:.0f} s | {s['wall_seconds']:.0f} s |")


if __name__ == "__main__":
    main()
