"""One model opened up: every layer's output and the gradients the explanations need.

:class:`Network` wraps a Keras model once (per model, not per drawing) and
traces each computation with ``tf.function``: ``model.predict`` costs 60-90 ms
a call on this machine, a traced function about 1-3 ms (see README, Speed).
Every method takes float32 ink images (N, 28, 28) in [0, 1], whatever the
model's own input shape, and returns numpy arrays.

Scores: "probability" is the softmax output p[d]; "logit" is the score the
softmax reads, z[d], when the last layer is a Dense layer with a softmax
(every preset); otherwise log p[d], which differs from z[d] by a constant
per image. Logits do not saturate: at p = 0.99999 a probability's gradient
is ~0, a logit's is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import keras
import numpy as np
import tensorflow as tf

SIDE = 28
SCORES = ("probability", "logit")


@dataclass(frozen=True)
class LayerInfo:
    """One layer: its Keras ``name``, ``kind`` (class name: "Conv2D", "Dense", ...),
    output ``shape`` without the batch axis, and ``activation`` name (None if it has none)."""

    name: str
    kind: str
    shape: tuple[int, ...]
    activation: str | None

    def as_json(self) -> dict:
        return {"name": self.name, "shape": list(self.shape)}


def _activation_name(layer) -> str | None:
    fn = getattr(layer, "activation", None)
    name = getattr(fn, "__name__", None)
    return None if name in (None, "linear") else name


class Network:
    """A Keras model taking one 28x28 image per example, opened up for explanations.

    ``model`` must take images whose first two axes are 28x28 and hold 784
    values ((28, 28) for every preset; (28, 28, 1) works too) and end in ten
    probabilities.
    """

    def __init__(self, model: keras.Model):
        shape = tuple(int(s) for s in model.inputs[0].shape[1:])
        if shape[:2] != (SIDE, SIDE) or int(np.prod(shape)) != SIDE * SIDE:
            raise ValueError(f"the model takes images of shape {shape}; explanations need 28x28 inputs")
        if tuple(model.outputs[0].shape[1:]) != (10,):
            raise ValueError(f"the model answers with shape {tuple(model.outputs[0].shape[1:])}, not 10 probabilities")
        self.model = model
        self.input_shape = shape
        self.layers = [LayerInfo(layer.name, type(layer).__name__, tuple(int(s) for s in layer.output.shape[1:]),
                                 _activation_name(layer)) for layer in model.layers]
        last = model.layers[-1]
        self.has_logits = isinstance(last, keras.layers.Dense) and _activation_name(last) == "softmax"
        self._spec = tf.TensorSpec([None, SIDE, SIDE], tf.float32)
        self._targets = tf.TensorSpec([None], tf.int32)

    # ------------------------------------------------------------ inputs

    def model_input(self, image: np.ndarray) -> np.ndarray:
        """float32 (28, 28) ink image -> exactly the array the model takes for it, without the batch axis."""
        return np.asarray(image, np.float32).reshape(self.input_shape)

    def _x(self, x):
        return tf.reshape(x, [-1, *self.input_shape])

    @staticmethod
    def _batch(images) -> tf.Tensor:
        x = np.asarray(images, np.float32)
        if x.ndim == 2:
            x = x[None]
        if x.shape[1:] != (SIDE, SIDE):
            raise ValueError(f"expected ink images (N, 28, 28), got shape {x.shape}")
        return tf.constant(x)

    # ------------------------------------------------------------ forward

    @cached_property
    def _taps(self):
        taps = keras.Model(self.model.inputs[0], [layer.output for layer in self.model.layers])
        return tf.function(lambda x: taps(self._x(x), training=False), input_signature=[self._spec])

    @cached_property
    def _both(self):
        """probabilities and logits (or log-probabilities), both (N, 10)."""
        last = self.model.layers[-1]
        inner = keras.Model(self.model.inputs[0], [self.model.outputs[0], last.input])

        def both(x):
            p, features = inner(self._x(x), training=False)
            if self.has_logits:
                z = tf.matmul(features, tf.convert_to_tensor(last.kernel))
                if last.use_bias:
                    z = z + tf.convert_to_tensor(last.bias)
            else:
                z = tf.math.log(p + 1e-12)
            return p, z

        return both

    @cached_property
    def _probabilities(self):
        return tf.function(lambda x: self._both(x)[0], input_signature=[self._spec])

    @cached_property
    def _logits(self):
        return tf.function(lambda x: self._both(x)[1], input_signature=[self._spec])

    def activations(self, image: np.ndarray) -> list[np.ndarray]:
        """float32 (28, 28) -> every layer's output for it, float32, without the batch axis
        (shapes as in :attr:`layers`)."""
        return [t.numpy()[0] for t in self._taps(self._batch(image))]

    def probabilities(self, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """float32 (N, 28, 28) (or one (28, 28)) -> float32 (N, 10)."""
        return self._in_batches(self._probabilities, images, batch_size)

    def logits(self, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """The same input -> the last layer's logits float32 (N, 10) (log-probabilities for a model
        without them): unlike a probability of 1.0, they still move when a sure digit loses ink."""
        return self._in_batches(self._logits, images, batch_size)

    def _in_batches(self, fn, images: np.ndarray, batch_size: int) -> np.ndarray:
        x = np.asarray(images, np.float32)
        x = x[None] if x.ndim == 2 else x
        if len(x) == 0:
            return np.zeros((0, 10), np.float32)
        return np.concatenate([fn(self._batch(x[i : i + batch_size])).numpy() for i in range(0, len(x), batch_size)])

    # ------------------------------------------------------------ gradients

    @cached_property
    def _gradient_fns(self):
        def make(score: str):
            def grad(x, targets):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    p, z = self._both(x)
                    s = tf.gather(p if score == "probability" else z, targets, axis=1, batch_dims=1)
                return s, tape.gradient(s, x)

            return tf.function(grad, input_signature=[self._spec, self._targets])

        return {score: make(score) for score in SCORES}

    def gradients(self, images: np.ndarray, targets, score: str = "logit",
                  batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Score of digit ``targets[i]`` for each image and its gradient with respect to the pixels.

        ``images`` float32 (N, 28, 28); ``targets`` int (N,) or one int for all;
        ``score``: "logit" or "probability" (module docstring). Returns
        (scores float32 (N,), gradients float32 (N, 28, 28)).
        """
        if score not in SCORES:
            raise ValueError(f"unknown score {score!r}: use one of {SCORES}")
        x = np.asarray(images, np.float32)
        x = x[None] if x.ndim == 2 else x
        t = np.broadcast_to(np.asarray(targets, np.int32), (len(x),))
        fn = self._gradient_fns[score]
        scores, grads = [], []
        for i in range(0, len(x), batch_size):
            s, g = fn(self._batch(x[i : i + batch_size]), tf.constant(t[i : i + batch_size]))
            scores.append(s.numpy())
            grads.append(g.numpy())
        return np.concatenate(scores), np.concatenate(grads)

    @cached_property
    def _margin_fn(self):
        def margin(x, targets, log_share):
            with tf.GradientTape() as tape:
                tape.watch(x)
                p, z = self._both(x)
                mine = tf.gather(z, targets, axis=1, batch_dims=1)
                others = tf.where(tf.one_hot(targets, 10) > 0, tf.fill(tf.shape(z), -np.inf), z)
                on_top = mine - tf.reduce_max(others, axis=1)
                enough = tf.gather(tf.nn.log_softmax(z), targets, axis=1, batch_dims=1) - log_share
                m = tf.minimum(on_top, enough)  # the gradient of whichever still holds it back
            return m, tape.gradient(m, x), p

        return tf.function(margin, input_signature=[self._spec, self._targets, tf.TensorSpec([], tf.float32)])

    def margins(self, images: np.ndarray, targets, share: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How far each target digit is from winning, and which way to change the pixels.

        ``images`` float32 (N, 28, 28), ``targets`` int (N,). Returns (margins
        float32 (N,): z[target] minus the best other logit, > 0 when the target
        wins; their gradients float32 (N, 28, 28); probabilities float32 (N, 10)).
        With ``share``, winning also needs that probability: the margin is the smaller of the one
        above and log p[target] - log share (on top of ten flat bars, a digit at 13% is no answer).
        """
        x = self._batch(images)
        t = np.broadcast_to(np.asarray(targets, np.int32), (int(x.shape[0]),))
        log_share = np.float32(np.log(share) if share > 0 else -np.inf)
        m, g, p = self._margin_fn(x, tf.constant(t), tf.constant(log_share))
        return m.numpy(), g.numpy(), p.numpy()

    # ------------------------------------------------------------ Grad-CAM

    @cached_property
    def last_conv(self) -> str | None:
        """Name of the last convolution with a spatial map (for Grad-CAM), or None (an MLP)."""
        convs = [info.name for info in self.layers if info.kind.startswith("Conv") and len(info.shape) == 3]
        return convs[-1] if convs else None

    @cached_property
    def _cam_fn(self):
        if self.last_conv is None:
            raise ValueError("Grad-CAM needs a convolutional layer; this model has none")
        if not isinstance(self.model, keras.Sequential):
            raise ValueError("Grad-CAM here splits a Sequential model at its last convolution")
        conv = self.model.get_layer(self.last_conv)
        head = keras.Model(self.model.inputs[0], conv.output)
        after = self.model.layers[self.model.layers.index(conv) + 1 :]
        last = after[-1]

        def cam(x, targets):
            with tf.GradientTape() as tape:
                maps = head(self._x(x), training=False)
                tape.watch(maps)
                h = maps
                for layer in after[:-1]:
                    h = layer(h, training=False)
                if self.has_logits:
                    z = tf.matmul(h, tf.convert_to_tensor(last.kernel))
                    if last.use_bias:
                        z = z + tf.convert_to_tensor(last.bias)
                else:
                    z = tf.math.log(last(h, training=False) + 1e-12)
                s = tf.gather(z, targets, axis=1, batch_dims=1)
            return maps, tape.gradient(s, maps)

        return tf.function(cam, input_signature=[self._spec, self._targets])

    def conv_maps_and_gradients(self, images: np.ndarray, targets) -> tuple[np.ndarray, np.ndarray]:
        """The last convolution's maps float32 (N, h, w, c) and the target logit's gradient
        with respect to them (same shape): what Grad-CAM weighs."""
        x = self._batch(images)
        t = np.broadcast_to(np.asarray(targets, np.int32), (int(x.shape[0]),))
        maps, grads = self._cam_fn(x, tf.constant(t))
        return maps.numpy(), grads.numpy()

    # ------------------------------------------------------------ structure

    def kinds(self) -> set[str]:
        return {info.kind for info in self.layers}

    def first_dense_weights(self) -> tuple[str, np.ndarray] | None:
        """(name, weights float32 (units, 28, 28)) of a Dense layer reading the pixels
        themselves (an MLP's first hidden layer), or None if no layer does."""
        for layer, info in zip(self.model.layers, self.layers):
            if info.kind == "Dense":
                kernel = np.asarray(layer.get_weights()[0], np.float32)
                if kernel.shape[0] == SIDE * SIDE and layer is not self.model.layers[-1]:
                    return info.name, kernel.T.reshape(-1, SIDE, SIDE)
                return None
            if info.kind not in ("Flatten", "Reshape", "Dropout", "InputLayer"):
                return None  # something (a convolution) comes before the first Dense layer
        return None

    def hidden_softmax(self) -> str | None:
        """Name of the layer the output reads when it is a Dense layer with a softmax activation
        (seed 002's hidden units z; a Dropout between them is skipped, it does nothing while
        reading), else None."""
        if not isinstance(self.model, keras.Sequential) or len(self.layers) < 2:
            return None
        before = [info for info in self.layers[:-1] if info.kind != "Dropout"]
        if before and before[-1].kind == "Dense" and before[-1].activation == "softmax":
            return before[-1].name
        return None
