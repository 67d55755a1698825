"""Which pixels decided: saliency maps, and the deletion test that says which ones to trust.

Every map is float32 (28, 28), signed, "evidence for the target digit at each
input pixel": > 0 where the pixel's ink pushed towards it, < 0 where it pushed
against it. The methods are pure functions over arrays; the model comes in as
a callable (a :class:`digitlab.explain.network.Network` method):

- :func:`integrated_gradients` (Sundararajan et al. 2017): the score's
  gradient averaged along the straight path from a blank image to the drawing,
  times the ink. Its attributions add up to score(drawing) - score(blank).
- :func:`gradient_times_input`: the gradient at the drawing only, times the ink;
  :func:`smoothgrad_times_input` averages it over noisy copies of the drawing.
- :func:`occlusion` (Zeiler & Fergus 2014): rub out a small patch, see how
  much the target's score falls (its logit on the page: a probability of 1.0
  hardly moves when one pixel goes, and a sure digit's map came out blank);
  each pixel gets the mean fall of the patches covering it.
- :func:`grad_cam` (Selvaraju et al. 2017): the last convolution's maps
  weighted by the mean gradient of each, enlarged to 28x28. CNNs only; its
  resolution is that of the last map (3x3 for ``default``).

A map that looks plausible may not show what the model used. The deletion
test measures it: :func:`delete_top` sets a map's most salient 5% of the
pixels to the background and :func:`delete_random_ink` 5% random ink pixels;
a faithful map makes the first hurt the answer much more
(``benchmarks/saliency_faithfulness.py``, figures in the README).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import ndimage

from digitlab.ink import INK_THRESHOLD

SIDE = 28
BACKGROUND = 0.0  # ink maps: 0 is the background (MNIST's polarity)
DELETE_FRACTION = 0.05  # the deletion test's 5% of the 784 pixels: 39 pixels

# (images float32 (N, 28, 28), targets int (N,)) -> (scores (N,), gradients (N, 28, 28))
GradientFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
# images float32 (N, 28, 28) -> a score per digit float32 (N, 10): probabilities or logits
ScoreFn = Callable[[np.ndarray], np.ndarray]


def _check(image: np.ndarray) -> np.ndarray:
    x = np.asarray(image, np.float32)
    if x.shape != (SIDE, SIDE):
        raise ValueError(f"expected one 28x28 ink image, got shape {x.shape}")
    return x


def integrated_gradients(gradients: GradientFn, image: np.ndarray, target: int, *,
                         baseline: np.ndarray | None = None, steps: int = 32) -> np.ndarray:
    """Integrated gradients of digit ``target``'s score, float32 (28, 28).

    ``gradients``: see :data:`GradientFn` (the score is whatever it
    differentiates: a logit or a probability). ``baseline``: the image that
    stands for "no evidence", a blank (zeros) by default, so pixels without ink
    get exactly 0. The path integral is a trapezoid rule over ``steps``
    intervals (``steps + 1`` gradients, one batch); the attributions then sum
    to score(image) - score(baseline) up to its error, which shrinks as
    ``steps`` grows (tested).
    """
    x = _check(image)
    x0 = np.zeros_like(x) if baseline is None else _check(baseline)
    if steps < 1:
        raise ValueError("steps must be at least 1")
    alphas = np.linspace(0.0, 1.0, steps + 1, dtype=np.float32)
    path = x0[None] + alphas[:, None, None] * (x - x0)[None]
    _, g = gradients(path, np.full(len(path), target, np.int32))
    weights = np.full(steps + 1, 1.0 / steps, np.float32)
    weights[[0, -1]] /= 2
    mean_gradient = np.tensordot(weights, g, axes=1)
    return ((x - x0) * mean_gradient).astype(np.float32)


def gradient_times_input(gradients: GradientFn, image: np.ndarray, target: int) -> np.ndarray:
    """The score's gradient at ``image`` times the ink, float32 (28, 28): integrated
    gradients with a single point, cheap and noisier."""
    x = _check(image)
    _, g = gradients(x[None], np.array([target], np.int32))
    return (x * g[0]).astype(np.float32)


def smoothgrad_times_input(gradients: GradientFn, image: np.ndarray, target: int, *, samples: int = 32,
                           noise: float = 0.15, seed: int = 0) -> np.ndarray:
    """SmoothGrad (Smilkov et al. 2017) times the ink, float32 (28, 28): the score's gradient
    averaged over ``samples`` copies of ``image`` with Gaussian noise of sd ``noise`` (the
    paper's 10-20% of the value range) added, one batch; then times the ink. Averaging
    quiets the gradient's pixel-to-pixel noise. Seeded: the same image gives the same map."""
    x = _check(image)
    rng = np.random.default_rng(seed)
    noisy = x[None] + rng.normal(0.0, noise, (samples, SIDE, SIDE)).astype(np.float32)
    _, g = gradients(noisy, np.full(samples, target, np.int32))
    return (x * g.mean(axis=0)).astype(np.float32)


def occlusion(scores: ScoreFn, image: np.ndarray, target: int, *, patch: int = 2,
              value: float = BACKGROUND) -> np.ndarray:
    """How much rubbing out each pixel's neighbourhood lowers scores[target], float32 (28, 28).

    Every ``patch`` x ``patch`` square (stride 1, all positions inside the
    image) is set to ``value`` in turn; the fall of the score is shared by the
    pixels it covers, each pixel getting the mean over the squares covering
    it. A square with nothing to rub out (already ``value``) changes nothing and
    is not computed, so a pixel the model never sees changed gets 0. One batch
    of at most (29 - patch)^2 images.
    """
    x = _check(image)
    if not 1 <= patch <= SIDE:
        raise ValueError(f"patch must be from 1 to {SIDE}")
    n = SIDE - patch + 1
    changes = np.abs(x - value) > 0
    worth = np.lib.stride_tricks.sliding_window_view(changes, (patch, patch)).any(axis=(2, 3))  # (n, n)
    positions = list(zip(*np.nonzero(worth)))
    base = scores(x[None])[0, target]
    drops = np.zeros((n, n), np.float32)
    if positions:
        batch = np.repeat(x[None], len(positions), axis=0)
        for k, (r, c) in enumerate(positions):
            batch[k, r : r + patch, c : c + patch] = value
        p = scores(batch)[:, target]
        for (r, c), pk in zip(positions, p):
            drops[r, c] = base - pk
    total = np.zeros((SIDE, SIDE), np.float32)
    counts = np.zeros((SIDE, SIDE), np.float32)
    for dr in range(patch):
        for dc in range(patch):
            total[dr : dr + n, dc : dc + n] += drops
            counts[dr : dr + n, dc : dc + n] += 1
    return (total / counts).astype(np.float32)


def grad_cam(maps: np.ndarray, gradients: np.ndarray, *, relu: bool = True, side: int = SIDE) -> np.ndarray:
    """Grad-CAM from one image's last convolution: float32 (side, side).

    ``maps``: the convolution's output (h, w, c); ``gradients``: the target
    score's gradient with respect to it (h, w, c). Each map is weighted by its
    mean gradient, the weighted maps summed, negative parts dropped
    (``relu``, as in the paper; off, the map is signed), and the (h, w) result
    enlarged to the input by linear interpolation, corners on corners.
    """
    maps, gradients = np.asarray(maps, np.float32), np.asarray(gradients, np.float32)
    if maps.ndim != 3 or maps.shape != gradients.shape:
        raise ValueError(f"maps and gradients must both be (h, w, c), got {maps.shape} and {gradients.shape}")
    weights = gradients.mean(axis=(0, 1))
    cam = maps @ weights
    if relu:
        cam = np.maximum(cam, 0.0)
    h, w = cam.shape
    rows, cols = np.linspace(0, h - 1, side), np.linspace(0, w - 1, side)
    grid = np.meshgrid(rows, cols, indexing="ij")
    return ndimage.map_coordinates(cam, grid, order=1, mode="nearest").astype(np.float32)


# --------------------------------------------------------------- the deletion test


def deletion_count(fraction: float = DELETE_FRACTION) -> int:
    """How many of the 784 pixels ``fraction`` is (39 for 5%)."""
    return int(round(fraction * SIDE * SIDE))


def delete_top(image: np.ndarray, saliency: np.ndarray, fraction: float = DELETE_FRACTION,
               value: float = BACKGROUND) -> np.ndarray:
    """``image`` with its ``fraction`` most salient pixels (highest ``saliency``; ties by
    position) set to ``value``; float32 (28, 28). Pixels with saliency <= 0 are never
    taken: they were not evidence for the digit."""
    x = _check(image).copy()
    s = _check(saliency).ravel()
    order = np.argsort(-s, kind="stable")[: deletion_count(fraction)]
    order = order[s[order] > 0]
    x.ravel()[order] = value
    return x


def delete_random_ink(image: np.ndarray, rng: np.random.Generator, fraction: float = DELETE_FRACTION,
                      value: float = BACKGROUND) -> np.ndarray:
    """``image`` with ``fraction`` of the 784 pixels, drawn at random among its ink, set to
    ``value`` (all its ink if it has less); float32 (28, 28). Ink is what the preprocessing
    counts as ink (> ``INK_THRESHOLD``, 0.2): the faint rim of a stroke, or the resampling's
    ringing around a drawn one, would make a random deletion too easy to beat."""
    x = _check(image).copy()
    ink = np.flatnonzero(x.ravel() > INK_THRESHOLD)
    chosen = rng.choice(ink, size=min(deletion_count(fraction), len(ink)), replace=False)
    x.ravel()[chosen] = value
    return x


# --------------------------------------------------------------- by name

# name -> a short label for the page (details: each function's docstring). The gradient methods
# differentiate the logit unless they say otherwise; integrated gradients and SmoothGrad take 32 steps/copies.
METHODS: dict[str, str] = {
    "integrated-gradients": "integrated gradients",
    "integrated-gradients-probability": "integrated gradients of the probability",
    "gradient-x-input": "gradient × input",
    "smoothgrad-x-input": "SmoothGrad × input",
    "occlusion-1": "occlusion of single pixels",
    "occlusion-2": "occlusion of 2×2 squares",
    "occlusion-3": "occlusion of 3×3 squares",
    "grad-cam": "Grad-CAM (last convolution)",
    "grad-cam-ink": "Grad-CAM kept on the ink",
}


def available(network) -> list[str]:
    """The methods of :data:`METHODS` that work for ``network`` (Grad-CAM needs a convolution)."""
    return [m for m in METHODS if not m.startswith("grad-cam") or network.last_conv is not None]


def saliency(network, image: np.ndarray, target: int, method: str) -> np.ndarray:
    """Map ``method`` (a key of :data:`METHODS`) of ``image`` float32 (28, 28) for digit ``target``,
    with ``network`` a :class:`digitlab.explain.network.Network`; float32 (28, 28)."""
    if method == "integrated-gradients":
        return integrated_gradients(lambda x, t: network.gradients(x, t, "logit"), image, target)
    if method == "integrated-gradients-probability":
        return integrated_gradients(lambda x, t: network.gradients(x, t, "probability"), image, target)
    if method == "gradient-x-input":
        return gradient_times_input(lambda x, t: network.gradients(x, t, "logit"), image, target)
    if method == "smoothgrad-x-input":
        return smoothgrad_times_input(lambda x, t: network.gradients(x, t, "logit"), image, target)
    if method.startswith("occlusion-"):
        return occlusion(network.logits, image, target, patch=int(method.split("-")[1]))
    if method in ("grad-cam", "grad-cam-ink"):
        maps, grads = network.conv_maps_and_gradients(np.asarray(image, np.float32)[None], [target])
        cam = grad_cam(maps[0], grads[0])
        return cam * (np.asarray(image) > INK_THRESHOLD) if method == "grad-cam-ink" else cam
    raise ValueError(f"unknown saliency method {method!r}; choose one of: {', '.join(METHODS)}")
