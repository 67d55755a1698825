"""Classify image files from the shell: one JSON object per line.

    python -m digitlab.predict [--model ID] IMAGE...

prints ``{"file": ..., "digit": <int or null>, "confidence": <float>,
"probabilities": [10 floats]}`` for each file. "No digit" found by the
preprocessing (blank, a dot, a speck, a shape coloured in) gives ``"digit": null``, confidence 0
and uniform probabilities; a picture in which the model sees no digit (a
scribble, a letter: its best guess is under ``NO_DIGIT_BELOW``) gives
``"digit": null`` with its real, flat probabilities and the best guess's
confidence. A file that cannot be read is reported on stderr, the others are
still classified, and the exit code is 1: a folder, a device, a pipe or a file
over 10 MB is refused before anything is read from it. A photo is read as a
viewer shows it (turned by its EXIF orientation), at any bit depth.
"""

from __future__ import annotations

import argparse
import json
import sys

from digitlab.images import read_or_say
from digitlab.store import ModelStore, ModelStoreError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digitlab.predict", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model id in model_store/ (default: the active model)")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="PNG/JPEG/... files of single digits")
    args = parser.parse_args(argv)

    try:
        model = ModelStore().load_for_cli(args.model)
    except ModelStoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    from digitlab.inference import Classifier  # after the model: a bad --model fails fast

    classifier = Classifier(model)
    failed = 0
    for path in args.images:
        picture = read_or_say(path)
        if picture is None:
            failed += 1
            continue
        p = classifier.classify(picture)
        probabilities = [0.1] * 10 if p.probabilities is None else [round(float(v), 6) for v in p.probabilities]
        print(json.dumps({"file": path, "digit": p.digit, "confidence": round(p.confidence, 6),
                          "probabilities": probabilities}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
