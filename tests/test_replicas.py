"""Two app servers as one: a shared PostgreSQL holds the data and the one-training-at-a-time lock.

"Another server" is another process with its *own* model-store folder here, so the
file lock cannot help: only the advisory lock in PostgreSQL can refuse it, as it
would refuse a server on another machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from digitlab import jobs
from digitlab.db import drawings, visitors
from digitlab.jobs.lock import TrainingBusy, TrainingLock, is_held
from tests.helpers import ROOT, refused_acquires, wait_for_job

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("database")]

HOLD = ("import sys, time\n"
        "from digitlab.jobs.lock import TrainingLock\n"
        "TrainingLock({'preset': 'cnn', 'source': 'server B'}, root=sys.argv[1]).acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n")


@pytest.fixture(params=["postgres"])
def database(request, monkeypatch):  # these tests are about PostgreSQL only
    from digitlab import db
    from tests.helpers import postgres_schema

    with postgres_schema() as url:
        monkeypatch.setenv("DIGITLAB_DATABASE_URL", url)
        yield url
        db.dispose_all()


def other_server(code: str, root, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, str(root), *args], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, env=os.environ.copy())


def test_a_training_on_another_server_refuses_ours_until_it_dies(tmp_path):
    other = other_server(HOLD, tmp_path / "elsewhere")
    try:
        assert other.stdout.readline().strip() == "held"
        assert is_held(tmp_path / "here")
        with pytest.raises(TrainingBusy, match="already running"):
            TrainingLock({"preset": "x", "source": "server A"}, root=tmp_path / "here").acquire()
    finally:
        other.send_signal(signal.SIGKILL)  # a crashed server: its session, and its lock, go with it
        other.wait()
    deadline = time.monotonic() + 10
    while is_held(tmp_path / "here") and time.monotonic() < deadline:
        time.sleep(0.1)
    TrainingLock({"preset": "x", "source": "server A"}, root=tmp_path / "here").acquire().release()


def test_asking_across_servers_never_makes_acquire_fail(tmp_path):
    prober = other_server("import sys\nfrom digitlab.jobs.lock import is_held\nprint(is_held(sys.argv[1]), flush=True)\n"
                          "while True:\n    is_held(sys.argv[1])\n", tmp_path / "elsewhere")
    try:
        assert prober.stdout.readline().strip() == "False"
        refused = refused_acquires(tmp_path / "here", 300)
    finally:
        prober.kill()
        prober.wait()
    assert refused == 0


def test_a_job_keeps_the_lock_across_servers_after_the_hand_over(tmp_path, monkeypatch):
    job = jobs.start("count", "tests.job_kinds:count", {"n": 60, "step": 0.05}, title="Counting", about="counting",
                     source="server A")
    wait_for_job(job.id, lambda status: status.state == "running", timeout=60)
    # The app's own hold has gone to the runner: another server is refused all the while.
    with pytest.raises(TrainingBusy):
        TrainingLock({"preset": "x", "source": "server B"}, root=tmp_path / "elsewhere").acquire()
    assert wait_for_job(job.id, timeout=60).state == "done"
    deadline = time.monotonic() + 10
    while is_held(tmp_path / "elsewhere") and time.monotonic() < deadline:
        time.sleep(0.1)
    TrainingLock({"preset": "x", "source": "server B"}, root=tmp_path / "elsewhere").acquire().release()


def test_a_drawing_saved_through_one_server_is_listed_through_the_other(tmp_path):
    me = visitors.new_id()
    code = ("import sys, numpy as np\nfrom digitlab.db import drawings\n"
            "drawings.save(sys.argv[2], np.ones((28, 28), np.float32), 4)\n")
    saver = other_server(code, tmp_path, me)
    assert saver.wait(timeout=60) == 0
    assert drawings.load(me).labels.tolist() == [4]
    assert drawings.load(visitors.new_id()).labels.tolist() == []
