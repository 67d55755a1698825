"""Answering many visitors' strokes with one model call: calls that arrive together are batched.

Streamlit runs each session's script in its own thread, so thirty visitors
drawing means up to thirty single-image model calls at once, each paying the
whole call's overhead and fighting the others for the same two cores (measured,
``benchmarks/classroom.py``: see the README). A :class:`MicroBatcher` hands every
call to one worker thread, which takes whatever has queued up meanwhile and runs
it as one batch. It never waits for company: alone, a call runs at once; under
load, the batch is whatever arrived while the last one ran.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable

import numpy as np

MAX_BATCH = 64  # 64 strokes x 5 shifted copies: one call of 320 images, still ~the cost of a few
IDLE_SECONDS = 30.0  # the worker thread ends after this long without work (a new call starts another)


class MicroBatcher:
    """``batcher(x)`` == ``fn(x[None])`` split back, with concurrent calls sharing one ``fn`` call.

    ``fn``: float32 (N, *shape) -> a tuple of arrays, each (N, ...).
    """

    def __init__(self, fn: Callable[[np.ndarray], tuple[np.ndarray, ...]], max_batch: int = MAX_BATCH):
        self.fn = fn
        self.max_batch = max_batch
        self._queue: queue.Queue = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        done = threading.Event()
        slot: list = [np.asarray(x, np.float32), None, None]  # input, result, error
        self._queue.put((slot, done))
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="micro-batcher", daemon=True)
                self._worker.start()
        done.wait()
        if slot[2] is not None:
            raise slot[2]
        return slot[1]

    def _work(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():  # a call that came just now would otherwise wait forever
                        self._worker = None
                        return
                continue
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                outputs = self.fn(np.stack([slot[0] for slot, _ in batch]))
                for i, (slot, _) in enumerate(batch):
                    slot[1] = tuple(o[i] for o in outputs)
            except Exception as e:  # noqa: BLE001 - each caller gets the error, in its own thread
                for slot, _ in batch:
                    slot[2] = e
            for _, done in batch:
                done.set()
