"""Random distortions that make MNIST look like digits drawn on a canvas.

People draw digits a little rotated, slanted, squashed and off-centre, and a
canvas pen is thicker or thinner than MNIST's. Preprocessing removes most of
the size and position differences; these distortions teach the model the rest.
Everything works on whole batches inside a ``tf.data`` pipeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random distortions (uniform in +-range unless said)."""

    rotation_degrees: float = 12.0
    shear: float = 0.15
    scale: float = 0.12  # each axis independently: a digit can get wider or taller
    shift_pixels: float = 2.0
    thicken_probability: float = 0.3  # stroke made up to a pixel thicker
    thin_probability: float = 0.1  # stroke made thinner


def _affine_params(batch: tf.Tensor, aug: Augmentation) -> tf.Tensor:
    """(B, 8) projective transforms mapping output pixels to input pixels."""
    n = tf.shape(batch)[0]

    def u(r: float) -> tf.Tensor:
        return tf.random.uniform([n], -r, r)

    theta = u(math.radians(aug.rotation_degrees))
    shear = u(aug.shear)
    sx, sy = 1.0 + u(aug.scale), 1.0 + u(aug.scale)
    tx, ty = u(aug.shift_pixels), u(aug.shift_pixels)
    cos, sin = tf.cos(theta), tf.sin(theta)
    # Forward map M = rotation @ shear @ scale, about the image centre.
    m00 = cos * sx
    m01 = (cos * shear - sin) * sy
    m10 = sin * sx
    m11 = (sin * shear + cos) * sy
    det = m00 * m11 - m01 * m10
    i00, i01, i10, i11 = m11 / det, -m01 / det, -m10 / det, m00 / det
    c = (tf.cast(tf.shape(batch)[2], tf.float32) - 1.0) / 2.0
    # input = M^-1 (output - centre - shift) + centre
    a2 = c - i00 * (c + tx) - i01 * (c + ty)
    b2 = c - i10 * (c + tx) - i11 * (c + ty)
    zeros = tf.zeros_like(theta)
    return tf.stack([i00, i01, a2, i10, i11, b2, zeros, zeros], axis=1)


def window3(batch: tf.Tensor, reduce=tf.maximum, pad: float = 0.0) -> tf.Tensor:
    """``reduce`` (max or min) over each pixel's 3x3 neighbourhood of (B, H, W, 1),
    same shape out; outside the image counts as ``pad``.

    The same as a 3x3 ``max_pool2d`` with stride 1, which TensorFlow's CPU kernel
    runs ten times slower on one channel: it was most of an epoch's augmentation.
    """
    x = tf.pad(batch, [[0, 0], [1, 1], [1, 1], [0, 0]], constant_values=pad)
    x = reduce(reduce(x[:, :-2], x[:, 1:-1]), x[:, 2:])
    return reduce(reduce(x[:, :, :-2], x[:, :, 1:-1]), x[:, :, 2:])


def _stroke_width(batch: tf.Tensor, aug: Augmentation) -> tf.Tensor:
    n = tf.shape(batch)[0]
    grown = window3(batch, tf.maximum, 0.0)  # ink is >= 0 and <= 1, so the padding never wins
    shrunk = window3(batch, tf.minimum, 1.0)
    pick = tf.random.uniform([n, 1, 1, 1])
    amount = tf.random.uniform([n, 1, 1, 1], 0.3, 1.0)
    thicken = tf.cast(pick < aug.thicken_probability, tf.float32) * amount
    thin = tf.cast(pick > 1.0 - aug.thin_probability, tf.float32) * amount * 0.6
    return batch + thicken * (grown - batch) - thin * (batch - shrunk)


def augment_batch(images: tf.Tensor, aug: Augmentation = Augmentation()) -> tf.Tensor:
    """Distort a batch of float ink images (B, 28, 28) in [0, 1]; same shape out."""
    x = images[..., None]
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x,
        transforms=_affine_params(x, aug),
        output_shape=tf.shape(x)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    x = _stroke_width(x, aug)
    return tf.clip_by_value(x[..., 0], 0.0, 1.0)
