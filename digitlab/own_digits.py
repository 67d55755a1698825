"""Digits the user drew and labelled, kept on disk next to the model store.

One PNG per drawing in ``user_data/own_digits/``: the 28x28 the model saw,
named ``<time>-<id>_<label>.png``. Writes are atomic (:mod:`digitlab.fileio`):
a crash never leaves half a file that looks like a drawing.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

from digitlab import paths
from digitlab.fileio import write_atomic

NAME = re.compile(r"^(?P<stamp>\d{8}-\d{6})-(?P<id>[0-9a-f]{8})_(?P<label>\d)\.png$")


def folder() -> Path:
    return paths.user_data_dir() / "own_digits"


def save(image: np.ndarray, label: int) -> Path:
    """Save a preprocessed float (28, 28) ink image in [0, 1] with its true label."""
    if not 0 <= int(label) <= 9:
        raise ValueError("label must be a digit 0-9")
    if image.shape != (28, 28):
        raise ValueError(f"expected a 28x28 image, got {image.shape}")
    name = f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}_{int(label)}.png"
    picture = Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8))
    return write_atomic(folder() / name, lambda f: picture.save(f, format="PNG"))


def load() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """All saved drawings, oldest first: uint8 (N, 28, 28), uint8 labels (N,), file names."""
    d = folder()
    names = sorted(p.name for p in d.glob("*.png") if NAME.match(p.name)) if d.is_dir() else []
    images, labels, kept = [], [], []
    for name in names:
        try:
            a = np.asarray(Image.open(d / name).convert("L"))
        except OSError:
            continue  # an unreadable file is skipped, not fatal
        if a.shape == (28, 28):
            images.append(a)
            labels.append(int(NAME.match(name)["label"]))
            kept.append(name)
    if not images:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), []
    return np.stack(images), np.array(labels, np.uint8), kept


def count() -> int:
    """How many drawings are saved, without reading them."""
    d = folder()
    return sum(1 for p in d.glob("*.png") if NAME.match(p.name)) if d.is_dir() else 0


def delete(name: str) -> None:
    if not NAME.match(name):
        raise ValueError(f"{name!r} is not a saved drawing")
    (folder() / name).unlink(missing_ok=True)


def to_npz_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """An ``.npz`` with ``x`` uint8 (N, 28, 28) and ``y`` uint8 (N,), MNIST's layout."""
    buf = io.BytesIO()
    np.savez_compressed(buf, x=images, y=labels)
    return buf.getvalue()
