"""Classifying digits with a trained model, fast enough for every pen stroke.

``model.predict`` costs ~60 ms a call on this machine; a traced
``tf.function`` around the model costs ~1 ms, so :class:`Classifier` uses that.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from digitlab.batching import MicroBatcher
from digitlab.models import feature_model
from digitlab.preprocess import Preprocessed, preprocess

# Redrawing the strokes with MNIST's pen width before scaling: measured on the
# canvas-like test set by benchmarks/drawn_accuracy.py (see README).
NORMALISE_STROKES = False
# How sure the answer must be. The default model learned to answer scribbles, letters and shapes
# with every digit about equally likely (digitlab.training_data): below NO_DIGIT_BELOW it sees no
# digit at all, below UNSURE_BELOW it is "not sure" and names its runner-up too. Chosen on the
# MNIST validation images and the non-digit drawings (benchmarks/non_digits.py, README): at 0.4 the
# shipped model of 2026-11-30 refused 0.06% of the 5,000 validation digits and 98.3% of the non-digits.
UNSURE_BELOW = 0.7
NO_DIGIT_BELOW = 0.4


@dataclass(frozen=True)
class Prediction:
    """The answer for one picture.

    ``digit`` is None when the picture holds no digit: the preprocessing found
    none (``steps.problem`` says why; ``probabilities`` is None too) or the
    model's best guess is under NO_DIGIT_BELOW (``no_digit_seen``; the
    probabilities are kept, to show how flat they are).
    """

    digit: int | None
    confidence: float
    probabilities: np.ndarray | None  # float32 (10,)
    steps: Preprocessed
    features: np.ndarray | None = None  # float32 (F,): what the last layer read

    @property
    def runner_up(self) -> int | None:
        if self.probabilities is None:
            return None
        return int(np.argsort(self.probabilities)[-2])

    @property
    def no_digit_seen(self) -> bool:
        """The picture passed the preprocessing, but the model sees no digit in it."""
        return self.digit is None and self.probabilities is not None

    @property
    def unsure(self) -> bool:
        return self.digit is not None and self.confidence < UNSURE_BELOW


# Test-time augmentation: every answer is the mean over the image and the image shifted by one
# pixel up, down, left and right, (rows, columns). On MNIST's 5,000 validation images (never
# trained on) it read 99.32% against 99.24% for the image alone; rotating by 6 degrees as well
# gave 99.28% (README). One call on a batch of five costs about as much as on one.
TTA_SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))


def _shifted(x: tf.Tensor) -> tf.Tensor:
    """(N, 28, 28) -> (5N, 28, 28): the images, then each shift of TTA_SHIFTS of all of them."""
    return tf.concat([x] + [tf.roll(x, shift=list(s), axis=[1, 2]) for s in TTA_SHIFTS], axis=0)


def _mean_over_shifts(p: tf.Tensor, n: tf.Tensor) -> tf.Tensor:
    """(5N, C) -> (N, C): the mean of each image's five answers."""
    return tf.reduce_mean(tf.reshape(p, [1 + len(TTA_SHIFTS), n, -1]), axis=0)


class Classifier:
    """A Keras model wrapped for quick calls on float32 (N, 28, 28) ink images.

    ``shifts``: answer with test-time augmentation (:data:`TTA_SHIFTS`), as the
    app, the command-line tools and a training's test accuracy do; False gives
    the network's plain answer (the dubious-label evidence measures both).
    """

    def __init__(self, model, normalise_strokes: bool = NORMALISE_STROKES, shifts: bool = True):
        self.model = model
        self.normalise_strokes = normalise_strokes
        spec = tf.TensorSpec([None, 28, 28], tf.float32)
        features = feature_model(model)
        both = keras.Model(model.inputs[0], [model.outputs[0], features.outputs[0]])

        def probabilities(x):
            if not shifts:
                return model(x, training=False)
            return _mean_over_shifts(model(_shifted(x), training=False), tf.shape(x)[0])

        def probabilities_and_features(x):  # a stroke needs both: one call instead of two
            if not shifts:
                return both(x, training=False)
            p, f = both(_shifted(x), training=False)
            n = tf.shape(x)[0]
            return _mean_over_shifts(p, n), f[:n]

        self._probabilities = tf.function(probabilities, input_signature=[spec])
        self._features = tf.function(lambda x: features(x, training=False), input_signature=[spec])
        self._both = tf.function(probabilities_and_features, input_signature=[spec])
        self._both(tf.zeros([1, 28, 28]))  # trace now, not on the first stroke
        # Strokes of many visitors at once share one call (digitlab.batching).
        self._both_batched = MicroBatcher(lambda x: tuple(t.numpy() for t in self._both(tf.constant(x))))

    def probabilities(self, images: np.ndarray, batch_size: int = 2000) -> np.ndarray:
        """float32 (N, 28, 28) in [0, 1] (or uint8 0-255) -> float32 (N, 10)."""
        return self._batched(self._probabilities, images, batch_size)

    def features(self, images: np.ndarray, batch_size: int = 2000) -> np.ndarray:
        """Same input -> float32 (N, F): what the last layer reads."""
        return self._batched(self._features, images, batch_size)

    @staticmethod
    def _batched(fn, images: np.ndarray, batch_size: int) -> np.ndarray:
        x = np.asarray(images)
        x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
        if x.ndim == 2:
            x = x[None]
        return np.concatenate([fn(tf.constant(x[i : i + batch_size])).numpy() for i in range(0, len(x), batch_size)])

    def classify_image(self, image: np.ndarray) -> tuple[int, float, np.ndarray]:
        """One preprocessed float32 (28, 28) -> (digit, confidence, probabilities (10,))."""
        p = self._probabilities(tf.constant(image[None], tf.float32)).numpy()[0]
        digit = int(p.argmax())
        return digit, float(p[digit]), p

    def classify(self, picture: np.ndarray) -> Prediction:
        """Any picture of a digit (see :func:`digitlab.preprocess.preprocess`) -> Prediction."""
        steps = preprocess(picture, normalise_strokes=self.normalise_strokes)
        if not steps.is_digit:
            return Prediction(None, 0.0, None, steps)
        p, f = self._both_batched(steps.image)
        best = int(p.argmax())
        return Prediction(best if p[best] >= NO_DIGIT_BELOW else None, float(p[best]), p, steps, f)
