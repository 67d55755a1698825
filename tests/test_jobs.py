"""The background training job: real worker processes training real (small) models."""

import os
import signal
import time

import pytest

from digitlab import jobs
from digitlab.lock import TrainingBusy, TrainingLock, is_training_running
from digitlab.store import SHIPPED_ID, ModelStore
from digitlab.training import TrainConfig

from conftest import mnist_path


def wait_for(condition, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = jobs.read_status()
        if status and condition(status):
            return status
        time.sleep(0.2)
    raise TimeoutError(f"status stayed {jobs.read_status()}")


def trained_ids():
    return [r.id for r in ModelStore().runs() if r.id != SHIPPED_ID]


def start(**kw):
    config = TrainConfig(kw.pop("preset", "seed000-mlp784"), **{"epochs": 1, "subset": 2000, **kw})
    return jobs.start(config, mnist_path=mnist_path(), source="test")


def test_job_reports_progress_and_stores_an_inactive_model_needs_mnist():
    first = start(epochs=2)
    assert first["state"] in ("starting", "running") and first["preset"] == "seed000-mlp784"
    running = wait_for(lambda s: s.get("batch", 0) > 0 or s["state"] == "done")
    assert running.get("epochs") == 2
    done = wait_for(lambda s: s["state"] in jobs.FINAL_STATES)
    assert done["state"] == "done", done
    assert len(done["history"]) == 2 and 0.8 < done["test_accuracy"] <= 1.0
    assert trained_ids() == [done["run_id"]]
    assert ModelStore().active_id() == SHIPPED_ID  # the user activates it, not the job
    assert not is_training_running()


def test_second_job_is_refused_then_cancel_stops_it_and_stores_nothing_needs_mnist():
    start(preset="seed002-softmax784", subset=20000, epochs=5)  # batch 15: thousands of batches
    with pytest.raises(TrainingBusy, match="seed002-softmax784.*from test"):
        start()
    wait_for(lambda s: s.get("batch", 0) > 0)
    asked = time.monotonic()
    jobs.cancel()
    status = wait_for(lambda s: s["state"] in jobs.FINAL_STATES)
    assert status["state"] == "cancelled"
    assert time.monotonic() - asked < 10
    assert trained_ids() == []
    wait_for(lambda s: not is_training_running(), timeout=10)


def test_failure_is_reported_with_its_message_and_releases_the_lock(tmp_path):
    jobs.start(TrainConfig("seed000-mlp784", epochs=1), mnist_path=str(tmp_path / "missing.npz"), source="test")
    status = wait_for(lambda s: s["state"] in jobs.FINAL_STATES)
    assert status["state"] == "failed" and "missing.npz" in status["error"]
    assert not is_training_running()
    assert trained_ids() == []


def test_killed_worker_shows_as_interrupted_and_frees_the_lock_needs_mnist():
    start(preset="seed002-softmax784", subset=20000, epochs=5)
    running = wait_for(lambda s: s.get("batch", 0) > 0)
    os.kill(running["pid"], signal.SIGKILL)
    status = wait_for(lambda s: s["state"] in jobs.FINAL_STATES, timeout=20)
    assert status["state"] == "interrupted" and "stopped without finishing" in status["error"]
    assert not is_training_running() and trained_ids() == []
    TrainingLock({"preset": "next"}).acquire().release()  # a new training may start


def test_a_job_cannot_start_while_the_cli_trains():
    with TrainingLock({"preset": "default", "source": "train_model.py"}):
        with pytest.raises(TrainingBusy, match="train_model.py"):
            start()
    assert jobs.read_status() is None  # the refused start left no status behind


def test_bad_settings_are_refused_before_anything_starts():
    with pytest.raises(ValueError):
        start(epochs=0)
    assert not is_training_running() and jobs.read_status() is None
