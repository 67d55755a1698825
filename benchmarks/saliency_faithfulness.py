"""How faithful each saliency map is: the deletion test, on MNIST test digits and drawn digits.

    python -m benchmarks.saliency_faithfulness [--model ID ...] [--n 1000] [--per-style 20] [--methods ...]

For each image the model's answer d and p[d] are noted; then the 5% most
salient pixels of the 28x28 (39 of 784, by the method's map for d) are set to
the background (0), and separately 5% random ink pixels; the fall of p[d] is
measured both ways. A faithful map points at what the model used, so taking
its pixels away hurts much more than taking random ink away. Goal: the
salient deletion's mean fall >= 3x the random one's and >= 0.3.

Images: the first ``--n`` MNIST test digits and the drawn set of
``benchmarks.stroke_styles`` (every hand-made style drawn ``--per-style``
times, jittered, preprocessed as the Draw page does). Prints one table row
per method and image set: mean fall salient, mean fall random, their ratio,
and milliseconds per map (one image at a time, as on the page).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from benchmarks.stroke_styles import drawings
from digitlab.data import load_mnist
from digitlab.explain import Network
from digitlab.explain.saliency import METHODS, available, delete_random_ink, delete_top, saliency
from digitlab.store import ModelStore


def measure(network: Network, images: np.ndarray, method: str, seed: int = 0) -> dict:
    """Deletion test of ``method`` on float32 images (N, 28, 28): mean falls, ratio, ms per map."""
    rng = np.random.default_rng(seed)
    p = network.probabilities(images)
    answers = p.argmax(axis=1)
    saliency(network, images[0], int(answers[0]), method)  # traced before the clock starts
    maps, ms = [], []
    for image, d in zip(images, answers):
        t = time.perf_counter()
        maps.append(saliency(network, image, int(d), method))
        ms.append((time.perf_counter() - t) * 1000)
    salient = np.stack([delete_top(x, s) for x, s in zip(images, maps)])
    random = np.stack([delete_random_ink(x, rng) for x in images])
    rows = np.arange(len(images))
    before = p[rows, answers]
    fall_salient = before - network.probabilities(salient)[rows, answers]
    fall_random = before - network.probabilities(random)[rows, answers]
    return {"salient": float(fall_salient.mean()), "random": float(fall_random.mean()),
            "ratio": float(fall_salient.mean() / max(fall_random.mean(), 1e-9)),
            "ms50": float(np.percentile(ms, 50)), "ms95": float(np.percentile(ms, 95)),
            "flipped": float((network.probabilities(salient).argmax(1) != answers).mean())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", nargs="*", help="model ids (default: the active model)")
    ap.add_argument("--n", type=int, default=1000, help="MNIST test digits")
    ap.add_argument("--per-style", type=int, default=20, help="drawings per hand-made style (27 styles)")
    ap.add_argument("--methods", nargs="*", choices=list(METHODS), help="default: every method the model allows")
    ap.add_argument("--mnist")
    args = ap.parse_args()

    mnist = load_mnist(args.mnist)
    sets = {"MNIST test": mnist.x_test[: args.n].astype(np.float32) / 255.0}
    if args.per_style:
        sets["drawn"] = drawings(args.per_style, seed=0)[0]
    store = ModelStore()
    for model_id in args.model or [store.active_id()]:
        model, run = store.load(model_id)
        network = Network(model)
        print(f"\nmodel {model_id} ({run.info.get('preset')}); images: "
              + ", ".join(f"{name} {len(x)}" for name, x in sets.items()))
        print("| method | images | mean fall, 5% most salient | mean fall, 5% random ink | ratio | answer changed "
              "| ms per map p50 / p95 |")
        print("|---|---|---|---|---|---|---|")
        for method in args.methods or available(network):
            if method not in available(network):
                continue
            for name, images in sets.items():
                r = measure(network, images, method)
                print(f"| {method} | {name} | {r['salient']:.3f} | {r['random']:.3f} | {r['ratio']:.1f}x "
                      f"| {r['flipped']:.1%} | {r['ms50']:.1f} / {r['ms95']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
