"""Time to preprocess and classify one drawn digit, and the memory it takes.

    python -m benchmarks.classify_latency [--model ID] [--n 300] [--json]

Canvas-like 280x280 RGBA drawings (digitlab.synth.canvas_like) go through
preprocessing and the model one at a time, as on every pen stroke. Prints
p50/p95 per step, and for comparison Keras' model.predict and a direct
model call, which the app does not use. Memory is the process's peak RSS.

This machine's speed varies about 3x from day to day: every other timing in the
README is stated beside this one's "preprocess + classify" p50 (the day's figure),
so timings from two days compare as ratios. ``--json`` prints only that figure, as
``{"classify_p50_ms": ...}``, for the other benchmarks (:func:`day_figure`).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from digitlab.synth.canvas_like import redraw_many
from digitlab.data import load_mnist
from digitlab.inference import Classifier
from digitlab.preprocess import preprocess
from digitlab.store import ModelStore


def timed(fn, items) -> np.ndarray:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t) * 1000)
    return np.array(out)


def report(name: str, ms: np.ndarray) -> None:
    print(f"  {name:34} p50 {np.percentile(ms, 50):6.2f} ms   p95 {np.percentile(ms, 95):6.2f} ms")


def day_figure(n: int = 300) -> float:
    """The day's figure, measured in a process of its own (TensorFlow stays out of the caller):
    preprocess + classify p50, in ms."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "benchmarks.classify_latency", "--n", str(n), "--json"],
                         capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["classify_p50_ms"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--mnist")
    ap.add_argument("--json", action="store_true", help="print only the day's figure, as JSON")
    args = ap.parse_args()
    mnist = load_mnist(args.mnist)
    drawings, _ = redraw_many(mnist.x_test[: args.n], seed=1)

    store = ModelStore()
    t = time.perf_counter()
    model, run = store.load(args.model or store.active_id())
    clf = Classifier(model)
    load_s = time.perf_counter() - t
    print(f"model {run.id} ({run.preset}, {model.count_params():,} parameters): "
          f"loaded and traced in {load_s:.1f} s")
    images = [preprocess(d).image for d in drawings]
    images = [im for im in images if im is not None]
    for im in images[:20]:  # warm-up
        clf.classify_image(im)
    if args.json:
        import json

        print(json.dumps({"classify_p50_ms": round(float(np.percentile(timed(clf.classify, drawings), 50)), 2)}))
        return

    print(f"one 280x280 canvas drawing at a time ({len(drawings)} drawings):")
    report("preprocess", timed(preprocess, drawings))
    report("classify (tf.function, the app)", timed(clf.classify_image, images))
    report("preprocess + classify", timed(clf.classify, drawings))
    report("direct model(x) call", timed(lambda im: model(im[None], training=False), images[:100]))
    report("model.predict (not used)", timed(lambda im: model.predict(im[None], verbose=0), images[:50]))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (TensorFlow, model, MNIST): {rss:.0f} MB")


if __name__ == "__main__":
    main()
