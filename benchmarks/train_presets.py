"""Train presets the way the sidebar's Retrain button does, and report the figures.

    python -m benchmarks.train_presets [--preset NAME ...] [--mnist PATH]

Each preset is trained by a background job (digitlab.jobs.kinds.start_training,
exactly what the Retrain button calls), one after another, and stored in
model_store/ (not activated). Prints MNIST test accuracy next to the figure
the seed reported, the training time, and the wall time from "start" to
"stored" (worker start-up, data loading, training, test evaluation, saving).
``cnn`` (:data:`digitlab.models.DEFAULT_PRESET`) is skipped unless named: the
shipped model's run.json records its figures.
"""

from __future__ import annotations

import argparse
import time

from digitlab import jobs
from digitlab.jobs.kinds import start_training
from digitlab.models import DEFAULT_PRESET, PRESETS
from digitlab.models import TrainConfig


def run_job(name: str, mnist: str | None) -> dict:
    started = time.monotonic()
    start_training(TrainConfig(name), source="benchmarks/train_presets.py", mnist_path=mnist)
    while True:
        status = jobs.status()
        if status and status["state"] in jobs.FINAL_STATES:
            break
        time.sleep(0.5)
    status["wall_seconds"] = time.monotonic() - started
    jobs.dismiss()
    if status["state"] != "done":
        raise RuntimeError(f"{name}: {status['state']}: {status.get('error')}")
    return status


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
