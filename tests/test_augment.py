"""The training distortions: cheap window max/min, and distortions that keep a digit a digit."""

import numpy as np
import tensorflow as tf
from scipy import ndimage

from digitlab.augment import Augmentation, augment_batch, window3


def random_ink(n=8, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28)).astype(np.float32)
    x[x < 0.7] = 0.0  # mostly background, like a digit
    return x


def test_window3_is_a_3x3_max_pool_and_its_min_counterpart():
    x = tf.constant(random_ink()[..., None])
    np.testing.assert_array_equal(window3(x, tf.maximum, 0.0), tf.nn.max_pool2d(x, 3, 1, "SAME"))
    np.testing.assert_array_equal(window3(x, tf.minimum, 1.0), -tf.nn.max_pool2d(-x, 3, 1, "SAME"))


def test_distorted_digits_stay_in_range_near_the_centre_and_keep_most_of_their_ink():
    tf.random.set_seed(0)
    x = np.zeros((64, 28, 28), np.float32)
    x[:, 6:22, 12:16] = 1.0  # a thick upright 1
    out = augment_batch(tf.constant(x)).numpy()
    assert out.shape == x.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not np.allclose(out, x)
    ink = out.sum(axis=(1, 2)) / x.sum(axis=(1, 2))
    assert ink.min() > 0.4 and ink.max() < 2.2, (ink.min(), ink.max())  # thinner or thicker, never gone
    shift = np.array([np.subtract(ndimage.center_of_mass(o), ndimage.center_of_mass(i)) for o, i in zip(out, x)])
    assert np.abs(shift).max() < 3.5  # shifts of at most 2 px, plus a little from scaling about the centre


def test_no_distortion_gives_the_image_back():
    x = random_ink(4)
    none = Augmentation(rotation_degrees=0, shear=0, scale=0, shift_pixels=0, thicken_probability=0,
                        thin_probability=0)
    np.testing.assert_allclose(augment_batch(tf.constant(x), none).numpy(), x, atol=1e-6)
