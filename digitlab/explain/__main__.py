"""Explain how a model reads image files: the model's input and a saliency map per image, as .npz.

    python -m digitlab.explain [--model ID] --out DIR IMAGE...

For each image, preprocessed as the Draw page does (MNIST-style 28x28), writes
``DIR/<image stem>.npz`` holding

- ``input``: float32, exactly the array the model takes for this image,
  without the batch axis (for every preset (28, 28), ink in [0, 1], 0 = background);
- ``saliency``: float32 (28, 28), the evidence for the predicted digit at each
  input pixel, higher = more for it (< 0: against it), by
  :data:`digitlab.explain.SALIENCY_METHOD`, the most faithful method on the
  deletion test (``benchmarks/saliency_faithfulness.py``, README);

and prints one JSON line per image, in the order given:
``{"file", "digit", "npz", "layers": [{"name", "shape"}]}`` where ``npz`` is
the path written and ``layers`` every layer of the model with its output shape
without the batch axis (the same for every image).

A picture the preprocessing refuses as no digit (blank, a dot, a speck, filled) has no
input for the model, so nothing is written for it: its line has
``"digit": null`` and ``"npz": null`` (and still the layers); that is not an
error. A file that cannot be read is reported on stderr, the others are still
explained, and the exit code is 1. An unknown ``--model``, or an ``--out`` that
is a file or cannot be made: exit code 2. One output is never replaced by
another: of several images with the same stem (``a/x.png b/x.png``), the first
is explained into ``DIR/x.npz`` and each later one is refused like an
unreadable file, naming the image that has the name.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from digitlab.fileio import write_npz_atomic
from digitlab.images import read_or_say
from digitlab.store import ModelStore, ModelStoreError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digitlab.explain", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model id in model_store/ (default: the active model)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the .npz files (made if missing)")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="PNG/JPEG/... files of single digits")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and not out.is_dir():  # before the model: a wrong --out fails fast
        print(f"error: --out {args.out} is a file, not a folder: name a folder (made if missing)", file=sys.stderr)
        return 2

    try:
        model = ModelStore().load_for_cli(args.model)
    except ModelStoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    # After the model: a bad --model fails fast, without TensorFlow's start-up.
    from digitlab.explain import SALIENCY_METHOD, Network
    from digitlab.explain.saliency import saliency
    from digitlab.inference import NORMALISE_STROKES
    from digitlab.preprocess import preprocess

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"error: --out {args.out}: the folder cannot be made ({e.strerror or e})", file=sys.stderr)
        return 2
    network = Network(model)
    layers = [info.as_json() for info in network.layers]
    failed = 0
    named: dict[str, str] = {}  # output file name -> the image it is for (the first given)
    for path in args.images:
        target = out / f"{Path(path).stem}.npz"
        if target.name in named:
            # Decided by the names given, not by what is in the files: the same arguments always
            # write the same files. DIR/<image stem>.npz stays true of every file written.
            print(f"error: {path}: not explained: its output {target} is for {named[target.name]} (two images "
                  f"named {Path(path).stem}); rename one, or explain it with another --out", file=sys.stderr)
            failed += 1
            continue
        named[target.name] = path
        picture = read_or_say(path)
        if picture is None:
            failed += 1
            continue
        steps = preprocess(picture, normalise_strokes=NORMALISE_STROKES)  # as digitlab.predict does
        digit, npz = None, None
        if steps.is_digit:
            image = steps.image.astype(np.float32)
            digit = int(network.probabilities(image).argmax())
            try:
                write_npz_atomic(target, input=network.model_input(image).astype(np.float32),
                                 saliency=saliency(network, image, digit, SALIENCY_METHOD).astype(np.float32))
            except OSError as e:
                print(f"error: {path}: {target} cannot be written ({e.strerror or e})", file=sys.stderr)
                failed += 1
                continue
            npz = str(target)
        print(json.dumps({"file": path, "digit": digit, "npz": npz, "layers": layers}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
