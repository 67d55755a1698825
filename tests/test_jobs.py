"""Background jobs: real runner processes, killed, stopped and cancelled.

The mechanism is tested with quick job kinds (tests/job_kinds.py); the real
kinds train real (small) models.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from digitlab import jobs, tasks
from digitlab.fileio import read_json
from digitlab.jobs import State
from digitlab.jobs.lock import TrainingBusy, TrainingLock, is_held
from digitlab.roles import Who
from digitlab.tasks import train as training_task
from digitlab.store import SHIPPED_ID, ModelStore
from digitlab.models import TrainConfig
from tests.helpers import ROOT, lock_released, mnist_path, refused_acquires, wait_for_job


COUNT, FAIL = "tests.job_kinds:count", "tests.job_kinds:fail"


def wait_for(condition, timeout=180.0) -> jobs.Status:
    """The newest job's status once ``condition(status)`` holds."""
    return wait_for_job(condition=condition, timeout=timeout)


def ended(status: jobs.Status) -> bool:
    return status.final


def released() -> bool:
    """Whether the lock is free within 5 s: a runner writes its final status, then lets go."""
    return lock_released(5.0)


def start_counting(n=100_000, step=0.02, **kw) -> jobs.Status:
    return jobs.start("count", COUNT, {"n": n, "step": step}, title="Counting", about="counting", source="test", **kw)


def trained_ids():
    return [r.id for r in ModelStore().runs() if r.id != SHIPPED_ID]


OPERATOR = Who("a" * 32, operator=True)


def start_training_job(**kw) -> jobs.Status:
    config = TrainConfig(kw.pop("preset", "seed000-mlp784"), **{"epochs": 1, "subset": 2000, **kw})
    return tasks.start(training_task.Request(config, mnist_path=mnist_path()), OPERATOR, source="test")


# --------------------------------------------------------------------------- the mechanism, any kind


def test_a_job_reports_progress_and_its_result():
    first = start_counting(n=20, step=0.05, owner="b" * 32)
    assert first.state == State.STARTING and first.kind == "count" and first.title == "Counting"
    running = wait_for(lambda s: s.fields.get("step", 0) > 0)
    assert running.state == State.RUNNING and running.phase == "counting" and 0 < running.fraction <= 1
    assert is_held() and jobs.active().id == first.id  # the runner holds the training lock
    done = wait_for(ended, timeout=30)
    assert done.state == State.DONE and done.result == {"counted": 20} and done.fraction == 1.0
    assert done.id == first.id and done.owner == "b" * 32 and released()
    assert jobs.active() is None and jobs.get(first.id) == done  # kept until dismissed
    jobs.dismiss(first.id)
    assert jobs.get(first.id) is None and jobs.listing() == ([], [])


def test_cancel_stops_a_job_after_its_current_step():
    job = start_counting()
    wait_for(lambda s: s.fields.get("step", 0) > 0)
    jobs.cancel(job.id)
    assert jobs.get(job.id).state in (State.CANCELLING, State.CANCELLED)
    assert wait_for(ended, timeout=10).state == State.CANCELLED
    assert not (jobs.job_dir(job.id) / "cancel").exists() and released()


def test_a_failing_job_reports_its_message_and_frees_the_lock():
    jobs.start("fail", FAIL, {"message": "the disk is on fire"}, title="Failing", about="failing", source="test")
    status = wait_for(ended, timeout=30)
    assert status.state == State.FAILED and status.error == "the disk is on fire"  # said plainly ...
    assert "RuntimeError" in status.traceback and released()  # ... and the traceback kept for the operator


def test_sigterm_stops_a_job_as_interrupted_and_frees_the_lock():
    start_counting()
    running = wait_for(lambda s: s.fields.get("step", 0) > 0)
    os.kill(running.pid, signal.SIGTERM)
    status = wait_for(ended, timeout=10)
    assert status.state == State.INTERRUPTED and "SIGTERM" in status.error
    assert released()
    TrainingLock({"preset": "next"}).acquire().release()


def test_a_job_stops_when_the_app_that_started_it_dies():
    app = subprocess.Popen([sys.executable, "-c", (
        "import time\n"
        "from digitlab import jobs\n"
        "jobs.start('count', 'tests.job_kinds:count', {'n': 100000, 'step': 0.02}, title='Counting', "
        "about='counting', source='app')\n"
        "print('started', flush=True)\n"
        "time.sleep(600)\n")], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout.readline().strip() == "started"
        wait_for(lambda s: s.fields.get("step", 0) > 0, timeout=30)
    finally:
        app.kill()  # the server dies without a word
        app.wait()
    status = wait_for(ended, timeout=15)
    assert status.state == State.INTERRUPTED and "the app that started it stopped" in status.error
    assert released()


def test_a_dead_job_is_interrupted_even_while_another_process_holds_the_lock():
    # Regression: a job counted as alive while *some* process held the training lock, so a
    # dubious computation that died showed as running while a sidebar training ran (and the
    # other way round). A job is alive while its own runner is.
    job = start_counting()
    running = wait_for(lambda s: s.fields.get("step", 0) > 0)
    os.kill(running.pid, signal.SIGKILL)
    time.sleep(0.2)
    with TrainingLock({"preset": "something else", "source": "train_model.py"}):
        status = jobs.get(job.id)
        assert status.state == State.INTERRUPTED and "stopped without finishing" in status.error
    assert read_json(jobs.job_dir(job.id) / "status.json")["state"] == State.INTERRUPTED  # and recorded so


def test_asking_whether_a_training_runs_never_makes_acquire_fail(tmp_path):
    # Regression: the probe took the lock for a moment, and a real acquire() at that moment
    # was refused (86 of 3,000 in this loop).
    prober = subprocess.Popen([sys.executable, "-c", (
        "import sys\n"
        "from digitlab.jobs.lock import is_held\n"
        "print(is_held(sys.argv[1]), flush=True)\n"
        "while True:\n"
        "    is_held(sys.argv[1])\n"), str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert prober.stdout.readline().strip() == "False"  # it is probing now
        refused = refused_acquires(tmp_path, 3000)
    finally:
        prober.kill()
        prober.wait()
    assert refused == 0


def test_is_held_names_a_live_holder_only(tmp_path):
    assert not is_held(tmp_path)
    with TrainingLock({"preset": "cnn", "source": "test"}, root=tmp_path):
        assert is_held(tmp_path)
        with pytest.raises(TrainingBusy, match=rf"preset cnn.*from test \(pid {os.getpid()}\)"):
            TrainingLock({"preset": "x"}, root=tmp_path).acquire()
    assert not is_held(tmp_path)
    # A holder that died without releasing (the kernel drops its lock; its record stays) holds nothing.
    (tmp_path / ".training.lock").write_text('{"preset": "cnn", "pid": 999999999, "pid_start": 1}')
    assert not is_held(tmp_path)
    TrainingLock({"preset": "x"}, root=tmp_path).acquire().release()


def test_a_job_cannot_start_while_the_cli_trains():
    with TrainingLock({"preset": "cnn", "source": "train_model.py"}):
        with pytest.raises(TrainingBusy, match="train_model.py"):
            start_counting()
    assert jobs.listing() == ([], [])  # the refused start left no status behind


def test_a_target_that_is_no_function_name_is_refused():
    with pytest.raises(ValueError, match="module:function"):
        jobs.start("vibes", "vibes", {}, title="?", about="?")
    assert not is_held() and jobs.listing() == ([], [])


# --------------------------------------------------------------------------- training


@pytest.mark.mnist
def test_training_job_reports_progress_and_stores_an_inactive_model():
    first = start_training_job(epochs=2)
    assert first.state == State.STARTING and first.fields["preset"] == "seed000-mlp784" and first.kind == "train"
    running = wait_for(lambda s: s.fields.get("batch", 0) > 0 or s.state == State.DONE)
    assert running.fields.get("epochs") == 2
    done = wait_for(ended)
    assert done.state == State.DONE, done
    outcome = tasks.outcome(done)
    assert isinstance(outcome, training_task.Outcome)
    assert len(outcome.history) == 2 and 0.8 < outcome.test_accuracy <= 1.0
    assert trained_ids() == [outcome.run_id]
    assert ModelStore().get(outcome.run_id).info["job_source"] == "test"
    assert "owner" not in ModelStore().get(outcome.run_id).info  # the operator's: the server's model to be
    assert ModelStore().active_id() == SHIPPED_ID  # the user activates it, not the job
    assert released()


@pytest.mark.mnist
def test_second_training_is_refused_then_cancel_stops_it_and_stores_nothing():
    job = start_training_job(preset="seed002-softmax784", subset=20000, epochs=5)  # batch 15: thousands of batches
    with pytest.raises(TrainingBusy, match="seed002-softmax784.*from test"):
        start_training_job()
    wait_for(lambda s: s.fields.get("batch", 0) > 0)
    asked = time.monotonic()
    tasks.cancel(job.id, OPERATOR)
    status = wait_for(ended)
    assert status.state == State.CANCELLED
    assert time.monotonic() - asked < 10
    assert trained_ids() == [] and released()


def test_training_failure_is_reported_with_its_message_and_releases_the_lock(tmp_path):
    request = training_task.Request(TrainConfig("seed000-mlp784", epochs=1), mnist_path=str(tmp_path / "missing.npz"))
    tasks.start(request, OPERATOR, source="test")
    status = wait_for(ended)
    assert status.state == State.FAILED and "missing.npz" in status.error
    assert released()
    assert trained_ids() == []


@pytest.mark.mnist
def test_killed_training_shows_as_interrupted_and_frees_the_lock():
    start_training_job(preset="seed002-softmax784", subset=20000, epochs=5)
    running = wait_for(lambda s: s.fields.get("batch", 0) > 0)
    os.kill(running.pid, signal.SIGKILL)
    status = wait_for(ended, timeout=20)
    assert status.state == State.INTERRUPTED and "stopped without finishing" in status.error
    assert released() and trained_ids() == []
    # A new training may start. The killed process's lock goes with its last thread: its main thread
    # is gone (the record says so) a moment before TensorFlow's others are, on a busy machine.
    deadline = time.monotonic() + 10
    while True:
        try:
            TrainingLock({"preset": "next"}).acquire().release()
            break
        except TrainingBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_bad_training_settings_are_refused_before_anything_starts():
    with pytest.raises(ValueError):
        start_training_job(epochs=0)
    assert not is_held() and jobs.listing() == ([], [])


def test_a_start_right_after_a_job_let_go_waits_for_the_lock_instead_of_being_refused(tmp_path):
    """A runner clears its record, then closes the lock; a start in between waits, a start while someone
    on record holds it is refused at once."""
    import fcntl
    import threading

    from digitlab.jobs.lock import lock_path

    path = lock_path(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    letting_go = open(path, "a+")
    fcntl.flock(letting_go, fcntl.LOCK_EX)  # held, its record already cleared (an empty file)
    threading.Timer(0.5, letting_go.close).start()
    began = time.monotonic()
    with TrainingLock({"preset": "b", "source": "test"}, root=tmp_path):
        assert time.monotonic() - began >= 0.4  # it waited for the lock rather than refuse
        began = time.monotonic()
        with pytest.raises(TrainingBusy, match="preset b"):  # held by someone on record (this process)
            TrainingLock({"preset": "c", "source": "test"}, root=tmp_path).acquire()
        assert time.monotonic() - began < 1.0
