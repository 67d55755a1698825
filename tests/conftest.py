"""Shared fixtures.

Every test gets its own empty model store, user-data and cache folders, so
nothing a test does touches the working tree (the shipped model is read-only
and always found in the repository).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"


def mnist_path() -> str | None:
    path = os.environ.get("DIGITLAB_MNIST") or (str(SHARED_MNIST) if SHARED_MNIST.exists() else None)
    return path


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_MODEL_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("DIGITLAB_USER_DATA", str(tmp_path / "user"))
    monkeypatch.setenv("DIGITLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST. Tests using it have 'needs_mnist' in their names."""
    from digitlab.data import load_mnist

    path = mnist_path()
    if path is None:
        pytest.fail("these tests need the real MNIST: set DIGITLAB_MNIST=/path/to/mnist.npz")
    return load_mnist(path)


@pytest.fixture(scope="session")
def shipped_classifier():
    """The shipped default model. Tests using it have 'shipped_model' in their names."""
    from digitlab.inference import Classifier
    from digitlab.store import SHIPPED_ID, ModelStore

    model, _ = ModelStore().load(SHIPPED_ID)
    return Classifier(model)


def tiny_model():
    """A real (untrained) Keras model small enough to save in milliseconds."""
    import keras

    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])


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
