"""The hand-made stroke digits: rendering, jitter, and the shipped model on them."""

import numpy as np
import pytest

from digitlab.preprocess import preprocess
from digitlab.synth.stroke_digits import STYLES, jitter, plain, render


def test_render_puts_ink_in_alpha_inside_the_box():
    img = render(plain(7), canvas=200, box=(0.5, 0.5, 0.4), pen=10)
    assert img.shape == (200, 200, 4) and img.dtype == np.uint8
    ys, xs = np.nonzero(img[..., 3])
    assert ys.min() >= 100 - 6 and xs.min() >= 100 - 6 and ys.max() <= 180 + 6 and xs.max() <= 180 + 6
    assert (img[..., :3] == 255).all()


def test_jitter_keeps_every_stroke_in_the_unit_square_and_changes_it():
    rng = np.random.default_rng(0)
    for digit in STYLES:
        for strokes in STYLES[digit].values():
            moved = jitter(strokes, rng)
            assert [len(s) for s in moved] == [len(s) for s in strokes]
            points = np.concatenate([np.asarray(s) for s in moved])
            assert points.min() >= -1e-9 and points.max() <= 1 + 1e-9
            assert np.isclose(max(points.max(axis=0) - points.min(axis=0)), 1.0)
            assert not np.allclose(points, np.concatenate([np.asarray(s) for s in strokes]))


@pytest.mark.trained_model
def test_every_plainly_drawn_style_is_read_right(shipped_classifier):
    images, labels, names = [], [], []
    for digit, styles in STYLES.items():
        for name, strokes in styles.items():
            images.append(preprocess(render(strokes, pen=18)).image)
            labels.append(digit)
            names.append(f"{digit} {name}")
    predicted = shipped_classifier.probabilities(np.stack(images)).argmax(axis=1)
    wrong = {n: int(p) for n, p, d in zip(names, predicted, labels) if p != d}
    assert not wrong, f"misread (style: read as): {wrong}"
