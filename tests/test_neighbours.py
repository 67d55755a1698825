"""The nearest training images: the two-step search finds what the exact search finds."""

from __future__ import annotations

import numpy as np
import pytest

from digitlab.neighbours import FeatureIndex, nearest


def test_the_index_finds_the_exact_nearest_and_honours_exclude_and_among():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, 32))
    features = (centres[rng.integers(0, 10, 3000)] + 0.6 * rng.normal(size=(3000, 32))).astype(np.float32)
    index = FeatureIndex(features, reduced=16, seed=0)
    unit = index.unit.astype(np.float32)  # the exact search on the same (float16) features
    for i in range(0, 3000, 97):
        assert index.nearest(features[i], k=8).tolist() == nearest(features[i], unit, k=8).tolist()
        assert i not in index.nearest(features[i], k=8, exclude=i)
        among = np.arange(3000) % 3 == 0
        found = index.nearest(features[i], k=5, among=among)
        assert found.tolist() == nearest(features[i], unit, k=5, among=among).tolist() and among[found].all()
    assert index.nearest(features[0], k=3, among=np.zeros(3000, bool)).tolist() == []


@pytest.mark.mnist
@pytest.mark.trained_model
def test_on_the_shipped_models_features_the_shortlist_holds_the_exact_top_8(mnist, shipped_classifier):
    # The claim in digitlab/neighbours.py: the exact top 8 of 500 test images, all found.
    train = shipped_classifier.features(mnist.x_train)
    queries = shipped_classifier.features(mnist.x_test[:500])
    index = FeatureIndex(train)
    unit = index.unit.astype(np.float32)
    same = sum(index.nearest(q, k=8).tolist() == nearest(q, unit, k=8).tolist() for q in queries)
    assert same == 500
