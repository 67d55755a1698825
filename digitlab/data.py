"""Loading the real MNIST database.

Where it comes from, in order:
1. a path the caller names (the ``--mnist`` flag of the CLIs),
2. the ``DIGITLAB_MNIST`` environment variable,
3. Keras' cache, ``~/.keras/datasets/mnist.npz``,
4. Keras' own download (needs the internet).

Every array is checked; when nothing works, :class:`MnistUnavailable` says in
one message what was tried and what to do.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from digitlab.fileio import DAMAGED_ARRAY_FILE

ENV_VAR = "DIGITLAB_MNIST"
KERAS_CACHE = Path("~/.keras/datasets/mnist.npz").expanduser()
SPLITS = ("train", "test")
EXPECTED_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}

HOW_TO_FIX = (
    "Download mnist.npz (the file keras.datasets.mnist.load_data() uses) and "
    f"point Digit Lab at it: set {ENV_VAR}=/path/to/mnist.npz, or pass "
    "--mnist /path/to/mnist.npz to the command-line tools."
)


def check_split(name: str) -> str:
    """``name`` if it is one of :data:`SPLITS`, else ``ValueError``."""
    if name not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', not {name!r}")
    return name


def split_size(name: str) -> int:
    """How many images split ``name`` has: 60,000 or 10,000."""
    return EXPECTED_SHAPES[f"y_{check_split(name)}"][0]


class MnistUnavailable(RuntimeError):
    """No usable copy of MNIST could be found or downloaded."""


@dataclass(frozen=True)
class Mnist:
    """The four MNIST arrays: images uint8 (N, 28, 28), ink high; labels uint8 (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Images and labels of ``"train"`` or ``"test"``."""
        check_split(name)
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of all four arrays: it names the data a model was trained on.

        Hashing 55 MB takes tens of milliseconds and pages ask on every rerun (the Draw
        page on every stroke), so it is computed once per instance; the arrays are
        never modified in place (``dataclasses.replace`` makes a new instance).
        """
        return data_fingerprint(self)


def validate(arrays: dict[str, np.ndarray], source: str) -> None:
    """Raise ``ValueError`` unless ``arrays`` hold the complete MNIST."""
    for name, shape in EXPECTED_SHAPES.items():
        if name not in arrays:
            raise ValueError(f"{source} has no array {name!r}")
        a = arrays[name]
        if a.shape != shape:
            raise ValueError(f"{source}: {name} has shape {a.shape}, expected {shape}")
        if a.dtype != np.uint8:
            raise ValueError(f"{source}: {name} has dtype {a.dtype}, expected uint8")
    for name in ("y_train", "y_test"):
        counts = np.bincount(arrays[name], minlength=10)
        if len(counts) != 10 or counts.min() == 0:
            raise ValueError(f"{source}: {name} does not hold the labels 0-9")


def load_npz(path: str | Path) -> Mnist:
    """Load and check an ``mnist.npz`` in Keras' layout."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        loaded = np.load(path, allow_pickle=False)
    except DAMAGED_ARRAY_FILE as e:
        raise ValueError(f"{path} is not a readable .npz file ({e})") from e
    if not isinstance(loaded, np.lib.npyio.NpzFile):  # an .npy: one array, not MNIST's four
        raise ValueError(f"{path} holds a single array (an .npy file), not the four arrays of mnist.npz")
    try:
        with loaded as f:
            arrays = {k: f[k] for k in f.files}
    except DAMAGED_ARRAY_FILE as e:  # damaged bytes inside the zip, from whichever layer reads them
        raise ValueError(f"{path} is damaged: {type(e).__name__}: {e}") from e
    validate(arrays, str(path))
    return Mnist(source=str(path), **{k: arrays[k] for k in EXPECTED_SHAPES})


def _download_with_keras() -> Mnist:
    import keras  # deferred: importing TensorFlow costs seconds

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    validate(arrays, "keras download")
    return Mnist(source=str(KERAS_CACHE), **arrays)


def load_mnist(path: str | Path | None = None, *, allow_download: bool = True) -> Mnist:
    """Find, load and check MNIST; see the module docstring for the order.

    Raises :class:`MnistUnavailable` listing every place tried and why it failed.
    A path that is named explicitly (argument or env var) but broken is an error
    even if another copy exists: the user asked for that file.
    """
    named = path or os.environ.get(ENV_VAR)
    if named:
        origin = "--mnist" if path else ENV_VAR
        try:
            return load_npz(named)
        except (OSError, ValueError) as e:
            raise MnistUnavailable(f"MNIST from {origin} failed: {e}. {HOW_TO_FIX}") from e

    tried = []
    try:
        return load_npz(KERAS_CACHE)
    except (OSError, ValueError) as e:
        tried.append(f"Keras cache: {e}")
    if allow_download:
        try:
            return _download_with_keras()
        except Exception as e:  # noqa: BLE001 - any failure of the download is reported the same way
            tried.append(f"Keras download: {type(e).__name__}: {e}")
    raise MnistUnavailable(
        f"MNIST is not available. Tried {ENV_VAR} (not set); " + "; ".join(tried) + f". {HOW_TO_FIX}"
    )


def data_fingerprint(mnist: Mnist) -> str:
    """sha256 over the four arrays, first 16 hex digits."""
    h = hashlib.sha256()
    for name in EXPECTED_SHAPES:
        h.update(np.ascontiguousarray(getattr(mnist, name)).tobytes())
    return h.hexdigest()[:16]
