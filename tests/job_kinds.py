"""Job kinds for testing the job mechanism itself: quick, no TensorFlow.

Started by the tests with ``jobs.start("count", "tests.job_kinds:count", ...)``;
the runner imports them like any kind.
"""

from __future__ import annotations

import time

from digitlab.cancel import Cancelled


def count(params: dict, report, should_stop) -> dict:
    """Count to ``params["n"]``, one step every ``params["step"]`` seconds; stop when asked. Returns
    ``params["result"]`` if given (to stand in for another task's outcome), else how far it counted."""
    n, step = int(params["n"]), float(params["step"])
    for i in range(n):
        if should_stop():
            raise Cancelled("counting was cancelled")
        report((i + 1) / n, f"step {i + 1}/{n}", phase="counting", step=i + 1)
        time.sleep(step)
    return params.get("result", {"counted": n})


def fail(params: dict, report, should_stop) -> dict:
    raise RuntimeError(params["message"])
