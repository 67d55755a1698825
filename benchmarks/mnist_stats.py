"""Measure the MNIST facts preprocessing relies on.

    python -m benchmarks.mnist_stats [--mnist PATH] [--sample N]

Prints the mean centre of mass of the training digits (where preprocessing
puts a drawing's centre of mass), how much ink a digit holds, and the median
stroke width relative to the ink box's longer side (the pen width stroke
normalisation redraws with).
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import ndimage

from digitlab.data import load_mnist
from digitlab.preprocess import ink_box, stroke_width


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist")
    ap.add_argument("--sample", type=int, default=5000)
    args = ap.parse_args()
    x = load_mnist(args.mnist).x_train.astype(np.float32) / 255.0

    coms = np.array([ndimage.center_of_mass(im) for im in x])
    print(f"centre of mass over {len(x)} training digits: row {coms[:, 0].mean():.2f}, col {coms[:, 1].mean():.2f} "
          f"(sd {coms[:, 0].std():.2f}, {coms[:, 1].std():.2f})")

    ink = x.mean(axis=(1, 2))
    print(f"mean ink per 28x28 image: median {np.median(ink):.3f}, 99th percentile {np.percentile(ink, 99):.3f}, "
          f"99.9th {np.percentile(ink, 99.9):.3f}, max {ink.max():.3f}")

    idx = np.random.default_rng(0).choice(len(x), args.sample, replace=False)
    fractions, longer = [], []
    for im in x[idx]:
        t, l, b, r = ink_box(im)
        crop = im[t:b, l:r]
        longer.append(max(crop.shape))
        fractions.append(stroke_width(crop) / max(crop.shape))
    print(f"ink box longer side over {args.sample} digits: median {np.median(longer):.0f} px")
    print(f"stroke width / longer side: median {np.median(fractions):.3f} "
          f"(quartiles {np.percentile(fractions, 25):.3f}-{np.percentile(fractions, 75):.3f})")


if __name__ == "__main__":
    main()
