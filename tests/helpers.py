"""Helpers the tests share (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"
# The small real K-fold run of the ``small_dubious_run`` fixture: 3 fold models (seed-003 MLP,
# 1 epoch) on the first 600 training images, so that train #500 is in it.
SMALL_DUBIOUS = dict(preset="seed003-mlp512-rmsprop", folds=3, epochs=1, subset=600, reference=None)


# The project's machines run PostgreSQL here (trust auth); DIGITLAB_TEST_POSTGRES moves it.
TEST_POSTGRES = os.environ.get("DIGITLAB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def postgres_schema():
    """A new, empty PostgreSQL schema; yields a URL whose connections use it. Dropped after."""
    import psycopg

    name = f"digitlab_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(TEST_POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield f"{TEST_POSTGRES}?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(TEST_POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


class PostgresDatabase:
    """A PostgreSQL database of a test's own, to drop and create again while the app uses it."""

    def __init__(self, name: str):
        self.name = name
        self.url = f"{TEST_POSTGRES.rsplit('/', 1)[0]}/{name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(TEST_POSTGRES, autocommit=True) as conn:
            conn.execute(sql)

    def create(self) -> None:
        self._admin(f"CREATE DATABASE {self.name}")

    def drop(self) -> None:
        """DROP DATABASE, ending the connections the app has open to it (as a restart of the server would)."""
        self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@contextlib.contextmanager
def postgres_database():
    """A new, empty PostgreSQL database (:class:`PostgresDatabase`); dropped after."""
    pg = PostgresDatabase(f"digitlab_test_{uuid.uuid4().hex[:12]}")
    pg.create()
    try:
        yield pg
    finally:
        pg.drop()


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` read-only while inside: a read-only bind mount where we are root (root ignores
    permissions; the error is then EROFS, as on a read-only volume), else mode 0555 (EACCES)."""
    import subprocess

    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
            yield folder
        finally:
            subprocess.run(["umount", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)


def corrupt_table(path: Path, table: str) -> None:
    """Write garbage over one page of the SQLite file at ``path``: the first page of ``table``
    (its root: every read of the table passes through it). Close the app's connections first."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    finally:
        conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(np.random.default_rng(0).integers(0, 256, page_size, dtype=np.uint8).tobytes())


def mnist_path() -> str | None:
    """The real MNIST: $DIGITLAB_MNIST, else the shared copy beside the repository, else None."""
    return os.environ.get("DIGITLAB_MNIST") or (str(SHARED_MNIST) if SHARED_MNIST.exists() else None)


def tiny_model():
    """A real (untrained) Keras model small enough to save in milliseconds."""
    import keras

    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])


def activate_tiny_model() -> str:
    """Store a tiny real model with 16 features (nearest neighbours cost nothing) and make it active."""
    import keras

    from digitlab.store import ModelStore

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    store = ModelStore()
    run = store.save(model, {"preset": "tiny", "description": "test model", "test_accuracy": 0.1,
                             "started": "2026-01-01T00:00:00"})
    store.set_active(run.id)
    return run.id


def stroke_picture(points: list[tuple[float, float]], size: int = 280, pen: float = 18.0) -> np.ndarray:
    """RGBA canvas-like drawing of a polyline (x, y in 0-1 of the canvas), ink in alpha."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    xy = [(x * size, y * size) for x, y in points]
    draw.line(xy, fill=255, width=int(pen), joint="curve")
    r = pen / 2
    for x, y in (xy[0], xy[-1]):
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    alpha = np.asarray(img)
    out = np.zeros((size, size, 4), np.uint8)
    out[..., :3] = 255
    out[..., 3] = alpha
    return out


def paper_photo(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit (uint8 28x28, white on black) drawn dark on light paper, enlarged 10x, off-centre on a
    page wider than high, lit unevenly, with grain: uint8 RGB (300, 400, 3)."""
    from PIL import Image

    ink = np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR), np.float32) / 255
    page = np.zeros((300, 400), np.float32)
    top, left = int(rng.integers(0, 20)), int(rng.integers(0, 120))
    page[top : top + 280, left : left + 280] = ink
    light = np.linspace(1.0, 0.8, 400, dtype=np.float32)[None, :]
    grey = (232 * (1 - page) + 35 * page) * light + rng.normal(0, 2, page.shape).astype(np.float32)
    return np.clip(np.stack([grey, grey * 0.98, grey * 0.94], axis=-1), 0, 255).astype(np.uint8)


def refused_acquires(root: Path, times: int) -> int:
    """How many of ``times`` real acquire-and-release calls of the training lock in ``root`` are refused
    (while a test's other process probes it, say)."""
    from digitlab.jobs.lock import TrainingBusy, TrainingLock

    refused = 0
    for _ in range(times):
        try:
            TrainingLock({"preset": "x", "source": "test"}, root=root).acquire().release()
        except TrainingBusy:
            refused += 1
    return refused


def run_cli(*args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    """``python *args`` in the repository as a user runs it (``"-m", "digitlab.predict", ...`` or
    ``"train_model.py", ...``), with the test's environment plus ``env``; its output as text."""
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **env})


def run_main(main: Callable[[list[str]], int], *args: str, capsys) -> subprocess.CompletedProcess:
    """A CLI's own ``main(args)``, the one ``python -m ...`` runs, called in this process (no interpreter
    and TensorFlow start-up per call: seconds each), its exit code and output as :func:`run_cli` gives
    them. Keep one real subprocess per CLI for the entry point itself."""
    try:
        code = main(list(args))
    except SystemExit as e:  # argparse's own refusals
        code = e.code
    out = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out.out, out.err)


def until(condition: Callable[[], object], timeout: float = 60.0, poll: float = 0.05, what: str = "the condition"):
    """``condition()``'s first true value, asked every ``poll`` s; ``TimeoutError`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        if value := condition():
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not hold within {timeout} s")
        time.sleep(poll)


def wait_for_job(job_id: str | None = None, condition: Callable = lambda status: status.final,
                 timeout: float = 180.0, root: Path | None = None):
    """The status of job ``job_id`` (None: the newest) once ``condition(status)`` holds (default: it has
    ended); once it has ended, also after its runner let go of the training lock (just after its last word)."""
    from digitlab import jobs

    def status_now():
        status = jobs.get(job_id, root) if job_id else next(iter(jobs.listing(root)[0]), None)
        return status if status is not None and condition(status) else None

    status = until(status_now, timeout, poll=0.1, what=f"job {job_id or '(newest)'}'s awaited state")
    if status.final:
        lock_released(root=root)
    return status


def lock_released(timeout: float = 10.0, root: Path | None = None) -> bool:
    """Whether the training lock is free within ``timeout`` s."""
    from digitlab.jobs.lock import is_held

    try:
        return until(lambda: not is_held(root), timeout, what="the lock's release")
    except TimeoutError:
        return False
