"""t-SNE with a progress bar: how far it is, and how long it will still take on this machine.

scikit-learn's t-SNE (Barnes-Hut) says how far it is only in what it prints with ``verbose=2``:
the neighbour search, then a line every 50 of its 1,000 steps with the time those 50 took.
:func:`tsne` runs it with those lines sent to :class:`Progress` instead of the console, which
turns them into a fraction done and an estimate of the time left: the steps still to go times the
seconds a step took over the last :data:`PACE_WINDOWS` reports. So the estimate is this machine's
speed as it is now, while other work shares it (the 10,000 test images took 105 s and 223 s on two
busy days here, 327 s on another), and it follows when that changes. Before the first 50 steps
there is no estimate.

Each step moves every point once, so the fraction done is the share of steps taken; what
changes a step's time is the machine's load (on a busy day, 50 steps of the 10,000 test images'
pixels took from 1.5 to 8.9 s within one run, 105 s in all). The neighbour search before the steps
is short (about 1 s there). scikit-learn may stop early when the map stops improving: the bar then
jumps to the end.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import deque
from contextlib import contextmanager
from typing import Callable

import numpy as np
from sklearn.manifold import TSNE

STEPS = 1000  # scikit-learn's default number of iterations (max_iter), set here so the count is known
NEIGHBOURS_SHARE = 0.05  # of the bar, for the neighbour search and the similarities before the steps
PACE_WINDOWS = 4  # the pace is that of the last 4 reports (200 steps): recent, not one noisy report

_STEP = re.compile(r"\[t-SNE\] Iteration (\d+): .*\((\d+) iterations in ([0-9.]+)s\)")
_NEIGHBOURS_DONE = re.compile(r"\[t-SNE\] Computed neighbors for")


def duration_words(seconds: float) -> str:
    """A time left in words: "about 40 s", "about 3 min" (rounded: it is an estimate)."""
    if seconds < 60:
        return f"about {max(5, round(seconds / 5) * 5)} s"
    return f"about {round(seconds / 60)} min"


class Progress:
    """Turns t-SNE's printed lines (:meth:`line`) into ``report(fraction 0-1, message)`` calls."""

    def __init__(self, report: Callable[[float, str], None], n: int, steps: int = STEPS):
        self.report, self.n, self.steps = report, n, steps
        self.pace: deque[float] = deque(maxlen=PACE_WINDOWS)  # seconds per step of each recent report

    def start(self) -> None:
        self.report(0.0, f"t-SNE of {self.n:,} points: finding each one's nearest neighbours")

    def line(self, text: str) -> None:
        if _NEIGHBOURS_DONE.search(text):
            self.report(NEIGHBOURS_SHARE, f"t-SNE of {self.n:,} points: timing its first 50 steps of "
                                          f"{self.steps:,} on this machine, to tell the time left")
            return
        m = _STEP.search(text)
        if not m:
            return
        done, count, seconds = int(m.group(1)), int(m.group(2)), float(m.group(3))
        self.pace.append(seconds / max(count, 1))
        per_step = sum(self.pace) / len(self.pace)
        fraction = NEIGHBOURS_SHARE + (1 - NEIGHBOURS_SHARE) * min(done / self.steps, 1.0)
        if done >= self.steps:
            self.report(fraction, f"t-SNE of {self.n:,} points: step {done:,} of {self.steps:,}, finishing")
            return
        self.report(fraction, f"t-SNE of {self.n:,} points: step {done:,} of {self.steps:,}; "
                              f"{duration_words((self.steps - done) * per_step)} left at {per_step * 1000:.0f} ms "
                              f"a step (this machine's pace over the last {len(self.pace) * count} steps)")


def tsne(x: np.ndarray, *, perplexity: float, seed: int, on_progress: Callable[[float, str], None],
         n_jobs: int = 2) -> np.ndarray:
    """float (N, D) -> float32 (N, 2): scikit-learn's Barnes-Hut t-SNE (PCA start, automatic
    learning rate, :data:`STEPS` steps), reporting ``on_progress(fraction 0-1, message)``."""
    progress = Progress(on_progress, len(x))
    progress.start()
    model = TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto", max_iter=STEPS,
                 random_state=seed, n_jobs=n_jobs, verbose=2)
    with printed_lines(progress.line):
        coords = model.fit_transform(x)
    on_progress(1.0, f"t-SNE of {len(x):,} points: done")
    return coords.astype(np.float32)


class _Router:
    """Stands in for ``sys.stdout``: what a thread that asked (:func:`printed_lines`) prints goes,
    line by line, to that thread's function; everything else to the real stdout, as before."""

    def __init__(self, real):
        self.real = real
        self.sinks: dict[int, Callable[[str], None]] = {}
        self.partial: dict[int, str] = {}

    def write(self, text: str) -> int:
        me = threading.get_ident()
        sink = self.sinks.get(me)
        if sink is None:
            return self.real.write(text)
        *lines, self.partial[me] = (self.partial.get(me, "") + text).split("\n")
        for line in lines:
            sink(line)
        return len(text)

    def flush(self) -> None:
        self.real.flush()

    def __getattr__(self, name):  # encoding, isatty, fileno, ...: the real stream's
        return getattr(self.real, name)


_router_lock = threading.Lock()


@contextmanager
def printed_lines(sink: Callable[[str], None]):
    """While inside, each line this thread prints goes to ``sink`` instead of stdout. Other
    threads (the server's sessions) print as before: stdout is swapped for a :class:`_Router`
    while any thread uses this, and put back after the last."""
    me = threading.get_ident()
    with _router_lock:
        if not isinstance(sys.stdout, _Router):
            sys.stdout = _Router(sys.stdout)
        router = sys.stdout
        router.sinks[me] = sink
    try:
        yield
    finally:
        with _router_lock:
            router.sinks.pop(me, None)
            router.partial.pop(me, None)
            if not router.sinks and sys.stdout is router:
                sys.stdout = router.real
