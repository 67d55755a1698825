import numpy as np
import pytest

from digitlab import data
from digitlab.data import MnistUnavailable, load_mnist, load_npz

from tests.helpers import mnist_path


@pytest.mark.mnist
def test_real_mnist_loads_with_the_documented_counts(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert mnist.x_train.dtype == np.uint8
    assert list(mnist.y_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert list(np.bincount(mnist.y_test)) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert len(mnist.fingerprint) == 16


@pytest.mark.mnist
def test_fingerprint_names_the_arrays_and_a_changed_copy_gets_its_own(mnist):
    import dataclasses

    assert mnist.fingerprint == data.data_fingerprint(mnist)  # the cached value is the hash
    labels = mnist.y_train.copy()
    labels[500] = 2
    relabelled = dataclasses.replace(mnist, y_train=labels)
    assert relabelled.fingerprint != mnist.fingerprint


@pytest.mark.mnist
def test_env_var_names_the_file(monkeypatch):
    monkeypatch.setenv("DIGITLAB_MNIST", mnist_path())
    assert load_mnist().source == mnist_path()


def test_missing_named_file_says_what_to_do(tmp_path):
    with pytest.raises(MnistUnavailable) as e:
        load_mnist(tmp_path / "nope.npz")
    assert "does not exist" in str(e.value) and "DIGITLAB_MNIST" in str(e.value)


def test_corrupt_file_is_reported(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(MnistUnavailable, match="not a readable"):
        load_mnist(bad)


def test_wrong_shapes_are_reported(tmp_path):
    small = tmp_path / "small.npz"
    z = np.zeros
    np.savez(small, x_train=z((100, 28, 28), np.uint8), y_train=z(100, np.uint8),
             x_test=z((10, 28, 28), np.uint8), y_test=z(10, np.uint8))
    with pytest.raises(ValueError, match="shape"):
        load_npz(small)


def test_missing_array_is_reported(tmp_path):
    f = tmp_path / "partial.npz"
    np.savez(f, x_train=np.zeros((60000, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="y_train"):
        load_npz(f)


def test_nothing_available_lists_every_place_tried(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITLAB_MNIST", raising=False)
    monkeypatch.setattr(data, "KERAS_CACHE", tmp_path / "no-cache" / "mnist.npz")

    def offline():  # the network is the true boundary here
        raise OSError("network unreachable")

    monkeypatch.setattr(data, "_download_with_keras", offline)
    with pytest.raises(MnistUnavailable) as e:
        load_mnist()
    message = str(e.value)
    assert "Keras cache" in message and "Keras download" in message and "network unreachable" in message
    assert "--mnist" in message and "DIGITLAB_MNIST" in message


@pytest.mark.mnist
def test_keras_cache_is_used_when_nothing_is_named(tmp_path, monkeypatch):
    import shutil

    source = mnist_path()  # read before the variable that may name it is removed
    monkeypatch.delenv("DIGITLAB_MNIST", raising=False)
    cache = tmp_path / "keras" / "mnist.npz"
    cache.parent.mkdir()
    shutil.copy(source, cache)
    monkeypatch.setattr(data, "KERAS_CACHE", cache)
    assert load_mnist(allow_download=False).source == str(cache)
