"""Job kinds for testing the job mechanism itself: quick, no TensorFlow.

Registered by the tests with ``monkeypatch.setitem(jobs.KINDS, "count", "tests.job_kinds:count")``;
the runner imports them like any kind.
"""

from __future__ import annotations

import time

from digitlab.jobs import Cancelled


def count(params: dict, report, should_stop) -> dict:
    """Count to ``params["n"]``, one step every ``params["step"]`` seconds; stop when asked."""
    n, step = int(params["n"]), float(params["step"])
    for i in range(n):
        if should_stop():
            raise Cancelled("counting was cancelled")
        report((i + 1) / n, f"step {i + 1}/{n}", phase="counting", step=i + 1)
        time.sleep(step)
    return {"counted": n}


def fail(params: dict, report, should_stop) -> dict:
    raise RuntimeError(params["message"])
