"""How the model reads photos of a digit written on paper (made up: digitlab.synth.photo_like).

    python -m benchmarks.photos [--model ID ...] [--n 300] [--seed 0] [--save DIR] [--writers test|train]

Real writers' digits (the pendigits *test* split: 14 people the model never
learned from) are written with a pen on paper and photographed under each of
``digitlab.synth.photo_like.CONDITIONS`` (uneven light, a shadow, blue, red or
pencil ink, a thin pen, a small digit in a big photo, blur + noise + JPEG,
ruled paper), and as "phone photos" with all of those at random strengths.
Each photo goes through what the Draw page's upload does (preprocess,
classify). Prints accuracy per condition, and how many were refused or
"not sure". ``--save DIR`` writes the first photo of each condition and the
28x28 made of it, to look at. ``--writers train``: the train split's writers
instead, whose digits the shipped model learned, so what it misses is what the
photo path loses: for choices about that path (the test writers only report).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

import digitlab  # noqa: F401 - quiets TensorFlow before it is imported
from benchmarks import each_model
from digitlab.synth import pendigits
from digitlab.synth.photo_like import CONDITIONS, photo, phone_photo, with_tilt
from digitlab.pictures import fit_square


PHONE = "phone photo (all at random)"


def photos(n: int, seed: int, names: list[str] | None = None,
           writers: str = "test") -> dict[str, tuple[list[np.ndarray], np.ndarray]]:
    """Per condition, ``n`` photos (uint8 RGB) of the ``writers`` split's digits and their labels; the
    same digits under every condition."""
    data = pendigits.load(split=writers)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(data), size=n, replace=False)
    out = {}
    for name in names or [*CONDITIONS, PHONE]:
        rng = np.random.default_rng([seed, sum(map(ord, name))])  # each condition its own draws
        pictures = []
        for i in chosen:
            c = phone_photo(rng) if name.startswith("phone") else with_tilt(CONDITIONS[name], rng)
            pictures.append(photo([s.tolist() for s in data.strokes[i]], c, rng))
        out[name] = (pictures, data.labels[chosen].astype(int))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", nargs="*", help="model ids (default: the active model)")
    ap.add_argument("--n", type=int, default=300, help="digits per condition")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", help="folder for example photos and their 28x28")
    ap.add_argument("--conditions", nargs="*", choices=[*CONDITIONS, PHONE], help="only these (default: all)")
    ap.add_argument("--writers", choices=["test", "train"], default="test",
                    help="whose digits: the test split's (to report) or the train split's (to choose)")
    args = ap.parse_args()

    t0 = time.monotonic()
    sets = photos(args.n, args.seed, args.conditions, args.writers)
    print(f"{args.n} pendigits {args.writers}-split digits per condition, photographed (seed {args.seed}; "
          f"{time.monotonic() - t0:.0f} s to make). {pendigits.CREDIT}")
    for _, classifier in each_model(args.model):
        print(f"  {'condition':30} {'right':>7} {'refused':>8} {'not sure':>9} {'ms/photo':>9}")
        everything = []
        for name, (pictures, labels) in sets.items():
            t = time.perf_counter()
            answers = [classifier.classify(p) for p in pictures]
            ms = (time.perf_counter() - t) * 1000 / len(pictures)
            digits = np.array([-1 if a.digit is None else a.digit for a in answers])
            right = digits == labels
            everything.append(right)
            refused = np.mean([a.digit is None for a in answers])
            unsure = np.mean([a.unsure for a in answers])
            print(f"  {name:30} {right.mean():7.1%} {refused:8.1%} {unsure:9.1%} {ms:9.1f}")
            if args.save:
                folder = Path(args.save)
                folder.mkdir(parents=True, exist_ok=True)
                stem = name.split(" (")[0].replace(" ", "-").replace(",", "")
                Image.fromarray(pictures[0]).save(folder / f"{stem}.jpg", quality=90)
                if answers[0].steps.image is not None:
                    Image.fromarray(fit_square(answers[0].steps.image, 112)).save(folder / f"{stem}-28x28.png")
        print(f"  {'all photos':30} {np.concatenate(everything).mean():7.1%}")


if __name__ == "__main__":
    main()
