"""digitlab.explore's 2-D maps of the data (PCA, t-SNE, a model's features): projections, the cache, the thread."""

import sys

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier
from sklearn.model_selection import cross_val_score

from digitlab import explore, paths


def test_map_views_offer_seed002s_hidden_units_only_for_seed002():
    assert explore.map_views("seed002-softmax784")[0] == "hidden-z01"
    assert "hidden-z01" not in explore.map_views("cnn")
    assert explore.map_views("cnn")[0] == "features-pca"  # the quick one opens first
    assert explore.map_views(None) == ["pixels-pca", "pixels-tsne"]


@pytest.mark.mnist
def test_tsne_of_pixels_keeps_digits_together(mnist):
    from threadpoolctl import threadpool_limits

    x = mnist.x_test[:600].reshape(600, -1) / 255.0
    y = mnist.y_test[:600]
    steps = []
    # One OpenMP thread: on 2 cores shared with other work, t-SNE's two threads meet at a barrier in
    # every step and wait out each other's time slices: 40-80 s for these 600 points against 5-9 s
    # alone (measured at load 9). The arithmetic is the same; the app keeps its own setting.
    with threadpool_limits(1, user_api="openmp"):
        coords = explore.project(x, "tsne", on_progress=lambda f, m: steps.append(f))
        few = x[:150]  # seeded (checked on a few points): the same data gives the same map
        np.testing.assert_array_equal(explore.project(few, "tsne"), explore.project(few, "tsne"))
    assert coords.shape == (600, 2) and coords.dtype == np.float32
    # Neighbours on the t-SNE map mostly share a label; on a PCA map much less so.
    knn = lambda c: cross_val_score(KNeighborsClassifier(5), c, y, cv=3).mean()  # noqa: E731
    assert knn(coords) > 0.8
    assert knn(explore.project(x, "pca")) < 0.6
    assert steps == sorted(steps)


def test_project_rejects_what_it_cannot_do():
    with pytest.raises(ValueError, match="unknown projection"):
        explore.project(np.zeros((5, 3)), "umap")
    with pytest.raises(ValueError, match="2-D array"):
        explore.project(np.zeros(5), "pca")
    np.testing.assert_array_equal(explore.project(np.arange(12.0).reshape(4, 3), "z01"), [[0, 1], [3, 4], [6, 7], [9, 10]])


@pytest.mark.mnist
def test_seed002_hidden_units_are_its_feature_layer_and_its_map(mnist):
    from digitlab.inference import Classifier
    from digitlab.models import softmax784

    clf = Classifier(softmax784())
    z = clf.features(mnist.x_test[:200])
    assert z.shape == (200, 784)
    np.testing.assert_allclose(z.sum(axis=1), 1.0, rtol=1e-4)  # the softmax hidden layer itself
    coords = explore.data_map("hidden-z01", mnist.x_test[:200], data_fingerprint="fp", model_id="s2", tag="t",
                              features=lambda: z)
    np.testing.assert_allclose(coords, z[:, :2])


@pytest.mark.mnist
@pytest.mark.trained_model
def test_model_features_are_the_input_of_the_last_layer(shipped_classifier, mnist):
    from digitlab.inference import Classifier

    f = shipped_classifier.features(mnist.x_test[:50])
    last = shipped_classifier.model.layers[-1]
    w, b = last.get_weights()
    assert f.shape == (50, w.shape[0]) and f.dtype == np.float32 and f.min() >= 0  # the CNN's ReLU units
    logits = f @ w + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    plain = Classifier(shipped_classifier.model, shifts=False)  # the network's own answer, no test-time shifts
    np.testing.assert_allclose(p / p.sum(1, keepdims=True), plain.probabilities(mnist.x_test[:50]), atol=1e-4)


@pytest.mark.mnist
@pytest.mark.trained_model
def test_map_is_cached_per_model_and_recomputed_for_a_new_model(shipped_classifier, mnist):
    images = mnist.x_test[:400]
    calls = []

    def features():
        calls.append(1)
        return shipped_classifier.features(images)

    progress = []
    args = dict(data_fingerprint=mnist.fingerprint, model_id="default", features=features)
    first = explore.data_map("features-pca", images, tag="run-1", on_progress=lambda f, m: progress.append((f, m)),
                             **args)
    path = paths.cache_dir() / "maps" / f"default-{mnist.fingerprint}-test-features-pca.npz"
    assert path.exists() and first.shape == (400, 2)
    assert [f for f, _ in progress] == sorted(f for f, _ in progress) and progress[-1][0] == 1.0
    assert not list(path.parent.glob(".tmp-*"))  # written through a temporary file and a rename
    again = explore.data_map("features-pca", images, tag="run-1", **args)
    np.testing.assert_array_equal(first, again)
    assert len(calls) == 1  # the second time it was read from disk
    explore.data_map("features-pca", images, tag="run-2", **args)  # the model was re-trained under its id
    assert len(calls) == 2
    path.write_bytes(b"not an npz")  # a damaged file is recomputed, not an error
    explore.data_map("features-pca", images, tag="run-2", **args)
    assert len(calls) == 3


@pytest.mark.mnist
def test_pixel_maps_need_no_model_and_model_maps_do(mnist):
    images = mnist.x_test[:300]
    coords = explore.data_map("pixels-pca", images, data_fingerprint=mnist.fingerprint)
    assert coords.shape == (300, 2)
    assert (paths.cache_dir() / "maps" / f"pixels-{mnist.fingerprint}-test-pixels-pca.npz").exists()
    with pytest.raises(ValueError, match="needs a model"):
        explore.data_map("features-tsne", images, data_fingerprint=mnist.fingerprint)
    with pytest.raises(ValueError, match="unknown map view"):
        explore.data_map("pixels-umap", images, data_fingerprint=mnist.fingerprint)


def test_model_tag_changes_when_a_model_is_retrained_under_the_same_id():
    a = explore.model_tag({"id": "default", "started": "2026-01-01T00:00:00", "parameters": 10})
    b = explore.model_tag({"id": "default", "started": "2026-02-01T00:00:00", "parameters": 10})
    assert a != b and a == explore.model_tag({"id": "default", "started": "2026-01-01T00:00:00", "parameters": 10})


def test_map_neighbours_are_the_nearest_points_nearest_first():
    coords = np.array([[0, 0], [1, 0], [5, 5], [0.5, 0], [-3, 0]], dtype=np.float32)
    assert explore.map_neighbours(coords, 0, k=3).tolist() == [3, 1, 4]
    assert explore.map_neighbours(coords[:1], 0, k=3).tolist() == []


@pytest.mark.mnist
def test_tsne_reports_its_steps_and_the_time_left_at_this_machines_pace(mnist, capsys):
    import re
    import threading

    from digitlab import tsne

    x = mnist.x_test[:300].reshape(300, -1) / 255.0
    reports, others = [], threading.Event()

    def report(fraction, message):
        reports.append((fraction, message))
        if len(reports) == 3:  # meanwhile another thread (a visitor's page) prints as usual
            t = threading.Thread(target=lambda: (print("another thread's line"), others.set()))
            t.start()
            t.join()

    coords = tsne.tsne(x, perplexity=30.0, seed=0, on_progress=report)
    assert coords.shape == (300, 2) and others.is_set()
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    steps = [(f, m) for f, m in reports if "ms a step" in m]
    assert len(steps) >= 250 // 50  # one report every 50 steps (it may stop before the 1,000th)
    for f, message in steps:
        done = int(re.search(r"step ([\d,]+) of 1,000", message).group(1).replace(",", ""))
        assert f == pytest.approx(tsne.NEIGHBOURS_SHARE + (1 - tsne.NEIGHBOURS_SHARE) * done / tsne.STEPS)
        per_step = int(re.search(r"left at (\d+) ms a step", message).group(1)) / 1000  # rounded to 1 ms
        assert any(tsne.duration_words((tsne.STEPS - done) * (per_step + d)) in message for d in (-5e-4, 0, 5e-4))
    out = capsys.readouterr().out
    assert "another thread's line" in out and "[t-SNE]" not in out  # t-SNE's own lines went to the bar
    assert not isinstance(sys.stdout, tsne._Router)  # stdout is put back


def test_the_time_left_is_said_in_rounded_words():
    from digitlab.tsne import duration_words

    assert duration_words(2) == "about 5 s"
    assert duration_words(41) == "about 40 s"
    assert duration_words(200) == "about 3 min"


@pytest.mark.mnist
def test_a_slow_map_is_computed_in_a_thread_shared_by_every_caller_and_then_kept(mnist):
    images = mnist.x_test[:300]
    args = dict(data_fingerprint=mnist.fingerprint)
    assert explore.is_slow("pixels-tsne") and not explore.is_slow("pixels-pca")
    assert not explore.map_is_cached("pixels-tsne", 300, **args)
    work = explore.map_in_background("pixels-tsne", images, **args)
    assert isinstance(work, explore.MapComputation)
    assert explore.map_in_background("pixels-tsne", images, **args) is work  # a second visitor waits for it
    seen = []
    while not work.done.wait(0.05):
        seen.append(work.fraction)
    assert work.error is None and seen == sorted(seen)
    assert explore.map_is_cached("pixels-tsne", 300, **args)
    ready = explore.map_in_background("pixels-tsne", images, **args)
    np.testing.assert_array_equal(ready, work.coords)
    np.testing.assert_array_equal(ready, explore.data_map("pixels-tsne", images, **args))  # the kept map


@pytest.mark.mnist
def test_a_map_that_fails_in_its_thread_says_why_once_and_is_tried_again(mnist):
    images = mnist.x_test[:50]
    bad = lambda: np.zeros((49, 8), np.float32)  # noqa: E731 - one row short: not these images' features
    args = dict(data_fingerprint=mnist.fingerprint, model_id="m", tag="t", features=bad)
    work = explore.map_in_background("features-pca", images, **args)
    work.done.wait(60)
    assert "49 rows for 50 images" in work.error
    assert explore.map_in_background("features-pca", images, **args) is work  # said once
    again = explore.map_in_background("features-pca", images, **args)
    assert again is not work and isinstance(again, explore.MapComputation)
    again.done.wait(60)
