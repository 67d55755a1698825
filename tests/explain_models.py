"""Tiny Keras models, pictures and fixtures that the tests of digitlab.explain share."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from digitlab.explain import Network
from digitlab.preprocess import preprocess
from digitlab.synth.stroke_digits import plain, render


def tiny_mlp(seed: int = 0, hidden: int = 16) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(hidden, activation="relu", name="hidden"),
                             keras.layers.Dropout(0.1), keras.layers.Dense(10, activation="softmax")])


def tiny_tanh(seed: int = 0) -> keras.Model:
    """Smooth everywhere (no dead units): a counterfactual always has a way to go."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(10, activation="softmax")])


def tiny_cnn(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1)),
                             keras.layers.Conv2D(4, 5, activation="relu"), keras.layers.MaxPooling2D(),
                             keras.layers.Conv2D(6, 3, activation="relu"), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])


def bar(horizontal: bool = True) -> np.ndarray:
    x = np.zeros((28, 28), np.float32)
    if horizontal:
        x[13:15, 6:22] = 1.0
    else:
        x[6:22, 13:15] = 1.0
    return x


def drawn(digit: int) -> np.ndarray:
    """A hand-made stroke digit, preprocessed as the Draw page does: float32 (28, 28)."""
    return preprocess(render(plain(digit))).image


@pytest.fixture(scope="module")
def mlp():
    return Network(tiny_mlp())


@pytest.fixture(scope="module")
def cnn():
    return Network(tiny_cnn())


@pytest.fixture(scope="module")
def shipped(shipped_classifier):
    return Network(shipped_classifier.model)
