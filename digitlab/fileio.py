"""Writing files so that a reader never sees half of one, and reading JSON forgivingly.

Every file Digit Lab writes (the model store's pointers, job status, label
marks, cached maps, features and fold probabilities, saved drawings) goes
through :func:`write_atomic`: the bytes go to a temporary file in the same
folder (``.tmp-…``, so listings skip it), are flushed to disk, and the file is
renamed over the target. A rename within one file system is atomic: a reader,
or a crash, sees the old file or the whole new one. If writing fails, the
temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Callable

import numpy as np

TMP_PREFIX = ".tmp-"
# What reading a damaged .npy or .npz raises, from whichever layer meets the bad bytes: the
# file system (OSError), the zip (BadZipFile), zlib (zlib.error), the .npy header's parser (a
# Python literal: tokenize.TokenError, SyntaxError), NumPy (ValueError; EOFError for an empty
# file), a member that is not there (KeyError). Each was seen with a few bytes changed.
DAMAGED_ARRAY_FILE = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error,
                      tokenize.TokenError, SyntaxError)


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write ``path`` by calling ``write(file)`` on a temporary file, then renaming it into place.

    The folder is created if needed; the file is readable by all (0644), like
    any other data file of the project. Returns ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX, suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    return write_atomic(path, lambda f: f.write(data))


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """``data`` as indented JSON (StrEnum values are written as their strings)."""
    return write_atomic(path, lambda f: f.write(json.dumps(data, indent=1).encode()))


def write_npy_atomic(path: str | Path, array: np.ndarray) -> Path:
    """One array in ``.npy`` format, with the dtype it has (convert before, if wanted)."""
    return write_atomic(path, lambda f: np.save(f, np.asarray(array)))


def write_npz_atomic(path: str | Path, *, compressed: bool = False, **arrays: np.ndarray) -> Path:
    """Named arrays in one ``.npz``; ``compressed`` zips them (slower, smaller)."""
    save = np.savez_compressed if compressed else np.savez
    return write_atomic(path, lambda f: save(f, **arrays))


def read_json(path: str | Path, default: Any = None) -> Any:
    """The JSON in ``path``, or ``default`` if it is missing or not JSON."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def into_cache(write: Callable[[], Path]) -> bool:
    """Run ``write()``, an atomic write into a cache; returns whether it was written. A cache
    folder that cannot be written (read-only, full) is no error: what was computed is still
    returned to whoever asked, and computed again next time."""
    try:
        write()
        return True
    except OSError:
        return False


def read_npy(path: str | Path) -> np.ndarray | None:
    """The one array in the ``.npy`` file ``path``, or None if it is missing, damaged or not one array."""
    try:
        array = np.load(path, allow_pickle=False)
    except DAMAGED_ARRAY_FILE:
        return None
    if not isinstance(array, np.ndarray):  # an .npz under an .npy's name
        array.close()
        return None
    return array


def load_or_compute_npy(path: str | Path, compute: Callable[[], np.ndarray], stored_dtype: type) -> np.ndarray:
    """The float32 array cached in ``path``, or ``compute()``, cached there as ``stored_dtype``.

    A missing or unreadable file is computed again, and a folder that cannot be written
    only means computing again next time: neither is an error.
    """
    cached = read_npy(path)
    if cached is not None:
        return cached.astype(np.float32)
    array = compute()
    into_cache(lambda: write_npy_atomic(path, np.asarray(array).astype(stored_dtype)))
    return np.asarray(array, dtype=np.float32)
