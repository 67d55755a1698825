"""How ``python -m digitlab.predict`` reads the same photos stored as phones and scanners store them.

    python -m benchmarks.picture_files [--n 40] [--seed 0] [--model ID]

Real writers' digits (the pendigits *test* split) are written on paper and photographed
(``digitlab.synth.photo_like.phone_photo``: uneven light, shadows, ink colours, blur, JPEG),
then each photo is saved upright (8-bit PNG and JPEG), as a phone would save it (a JPEG of
the sensor's pixels with EXIF orientation 2 to 8), and as 8-bit, 16-bit, 32-bit and float
greyscale (``digitlab.synth.file_forms``). One run of the predict CLI reads them all; prints,
per form, how many it reads right and how many answers agree with the upright file's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from digitlab.synth import pendigits
from digitlab.synth.file_forms import DEEP_GREY, ORIENTATIONS, phone_jpeg
from digitlab.synth.photo_like import phone_photo, photo

ROOT = Path(__file__).resolve().parent.parent


def write_forms(folder: Path, n: int, seed: int) -> tuple[dict[str, list[str]], np.ndarray]:
    """Writes ``n`` photos in every form into ``folder``: (form -> its files, in photo order; the labels)."""
    data = pendigits.load(split="test")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(data), size=n, replace=False)
    forms: dict[str, list[str]] = {}

    def put(form: str, name: str, data_: bytes) -> None:
        path = folder / name
        path.write_bytes(data_)
        forms.setdefault(form, []).append(str(path))

    for k, i in enumerate(chosen):
        picture = photo([s.tolist() for s in data.strokes[i]], phone_photo(rng), rng)
        grey = np.asarray(Image.fromarray(picture).convert("L"))
        for form, img, ext in (("upright RGB PNG", picture, "png"), ("upright grey PNG", grey, "png")):
            path = folder / f"{k}-{form.replace(' ', '-')}.{ext}"
            Image.fromarray(img).save(path)
            forms.setdefault(form, []).append(str(path))
        put("upright JPEG", f"{k}-upright.jpg", phone_jpeg(picture, 1))
        for o in ORIENTATIONS:
            put(f"JPEG, EXIF orientation {o}", f"{k}-exif{o}.jpg", phone_jpeg(picture, o))
        for form, write in DEEP_GREY.items():
            ext = "png" if "PNG" in form else "tif"
            put(f"grey {form}", f"{k}-{form.split(' (')[0].replace(' ', '-')}.{ext}", write(grey))
    return forms, data.labels[chosen].astype(int)


def reference(form: str) -> str:
    """The upright 8-bit form whose answers ``form``'s should equal."""
    return "upright JPEG" if "JPEG" in form else "upright grey PNG" if form.startswith("grey") else "upright RGB PNG"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=40, help="photos")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", help="model id (default: the active model)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        forms, labels = write_forms(Path(tmp), args.n, args.seed)
        files = [f for paths in forms.values() for f in paths]
        cli = [sys.executable, "-m", "digitlab.predict", *(["--model", args.model] if args.model else []), *files]
        r = subprocess.run(cli, cwd=ROOT, capture_output=True, text=True)
        digit = {row["file"]: row["digit"] for row in map(json.loads, r.stdout.splitlines())}
    print(f"{args.n} pendigits test-split digits, photographed as phones do (seed {args.seed}); "
          f"{len(files)} files through python -m digitlab.predict (exit code {r.returncode}). {pendigits.CREDIT}")
    print(f"  {'form':36} {'right':>7} {'refused':>8} {'as upright':>11}")
    for form, paths in forms.items():
        answers = np.array([-1 if digit.get(p) is None else digit[p] for p in paths])
        upright = np.array([-1 if digit.get(p) is None else digit[p] for p in forms[reference(form)]])
        print(f"  {form:36} {np.mean(answers == labels):7.1%} {np.mean(answers == -1):8.1%} "
              f"{np.mean(answers == upright):11.1%}")


if __name__ == "__main__":
    main()
