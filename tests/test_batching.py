"""digitlab.batching: concurrent calls share one model call, each gets its own answer."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from digitlab.batching import MicroBatcher


def test_concurrent_calls_are_batched_and_answered_each_their_own():
    sizes = []

    def slow_double(x):
        sizes.append(len(x))
        time.sleep(0.05)  # a model call: others queue up meanwhile
        return x * 2, x.sum(axis=(1, 2))

    batcher = MicroBatcher(slow_double)
    out = {}

    def call(i):
        out[i] = batcher(np.full((28, 28), i, np.float32))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(out[i][0][0, 0] == 2 * i and out[i][1] == 784 * i for i in range(20))
    assert sum(sizes) == 20 and len(sizes) < 20 and max(sizes) > 1


def test_an_error_reaches_every_caller_and_the_batcher_works_on():
    calls = []

    def fails_once(x):
        calls.append(len(x))
        if len(calls) == 1:
            raise ValueError("boom")
        return (x,)

    batcher = MicroBatcher(fails_once)
    with pytest.raises(ValueError, match="boom"):
        batcher(np.zeros((2, 2)))
    assert batcher(np.ones((2, 2)))[0].sum() == 4
