"""A round of blind judging for benchmarks/label_errors_judged.py: the pool of images, and sheets of them.

    python -m benchmarks.label_errors_pool --sheets DIR [--test-top 100] [--train-top 200] [--controls 60]
                                           [--result FILE ...] [--seed 24]

Candidates: the top ``--test-top`` test images and ``--train-top`` training
images of every ranking method on every result given (default: every shipped
and cached one made from all of MNIST), and of the combined ranking as shipped
on 2026-11-30 (before its neighbours' share was smoothed, :func:`combined_v1`).
Images already in ``pool.csv`` are left out (a later round adds only new ones).
Controls: ``--controls`` random images of each split that no ranking put among
its candidates; the judges should agree with their labels, so they measure the
judges, not the rankings.

The new images are shuffled (``--seed``), given ids that continue the pool's
(``q0001``...), appended to ``pool.csv`` (id, split, index, label, round,
sources: every ``result/method@rank`` that made it a candidate, or ``control``)
and drawn on sheets of 30 in ``DIR``: each image 4x (112 px, nearest
neighbour, white on black as in MNIST) with its id under it, and nothing else.
``DIR`` also gets the judges' instructions and an answer template; give a judge
that folder only.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from benchmarks.label_errors_judged import (CONTROL, DATA, POOL_HEADER, orders, read_pool, result_files,
                                            result_name)

PER_SHEET, COLUMNS = 30, 6  # 6 x 5 tiles, 826 x 822 px: an image viewer that shrinks big ones shows it whole
SCALE, GAP, ID_BAND = 4, 22, 26  # 112-px digits, gaps that keep neighbours apart, ids in 20-px text
INSTRUCTIONS = """\
# Which digit is it?

Each sheet (`sheet-01.png`, `sheet-02.png`, ...) shows up to 30 small handwritten images, white on
black, each with an id under it (`q0001`, ...). For every id, write down what you see:

- the digit `0`-`9` it shows;
- `?a/b` when it could honestly be either of two digits, e.g. `?4/9` (`?` alone if you cannot tell
  at all);
- `x` when it is no digit at all.

Answer by first impression, as you would read a digit someone wrote. Do not try to guess what a
data set or a model would say about it: say what you see. Look at every image and answer every id.

Answer as a CSV file with the header `id,answer` and one line per id, for example (made-up ids):

```
id,answer
q9991,7
q9992,?4/9
q9993,x
```

`answers-template.csv` lists every id in sheet order, ready to fill in. Work alone: do not compare
answers with anyone.
"""


def candidates(results: list, tops: dict[str, int]) -> dict[tuple[str, int], list[str]]:
    """{(split, index): ["result/method@rank", ...]} of the top ``tops[split]`` of every ranking."""
    found: dict[tuple[str, int], list[str]] = {}
    for result in results:
        name = result_name(result.settings)
        for split, top in tops.items():
            for method, order in orders(result, split).items():
                for rank, index in enumerate(order[:top], start=1):
                    found.setdefault((split, int(index)), []).append(f"{name}/{method}@{rank}")
    return found


def controls(sizes: dict[str, int], taken: set[tuple[str, int]], count: int, rng: np.random.Generator) -> list:
    """``count`` random (split, index) of each split, none of them in ``taken``."""
    out = []
    for split, n in sizes.items():
        free = np.setdiff1d(np.arange(n), [i for s, i in taken if s == split])
        out += [(split, int(i)) for i in np.sort(rng.choice(free, count, replace=False))]
    return out


def judging_sheet(images: np.ndarray, ids: list[str]) -> np.ndarray:
    """uint8 (N, 28, 28) and their ids -> an RGB uint8 sheet: each image 4x, white on black, its id under it
    in dark text, on a light grey page with clear gaps; nothing else."""
    from PIL import Image, ImageDraw, ImageFont

    from digitlab.pictures import enlarge

    if len(images) != len(ids):
        raise ValueError(f"{len(images)} images but {len(ids)} ids")
    side = 28 * SCALE
    rows = -(-len(images) // COLUMNS)
    page = Image.new("RGB", (COLUMNS * (side + GAP) + GAP, rows * (side + ID_BAND + GAP) + GAP), (235, 235, 235))
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=20)  # Pillow's embedded font: no system fonts needed
    for k, (image, qid) in enumerate(zip(images, ids)):
        r, c = divmod(k, COLUMNS)
        x, y = GAP + c * (side + GAP), GAP + r * (side + ID_BAND + GAP)
        page.paste(Image.fromarray(enlarge(image, SCALE)).convert("RGB"), (x, y))
        draw.text((x + side // 2, y + side + 3), qid, fill=(20, 20, 20), font=font, anchor="ma")
    return np.asarray(page)


def main(argv: list[str] | None = None) -> int:
    from PIL import Image

    from digitlab.data import load_mnist
    from digitlab.dubious import cache

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sheets", type=Path, required=True, help="an empty or new folder for the judges' sheets")
    ap.add_argument("--data", type=Path, default=DATA, help="the folder of pool.csv")
    ap.add_argument("--result", nargs="+", help="result files (default: every shipped and cached one)")
    ap.add_argument("--test-top", type=int, default=100)
    ap.add_argument("--train-top", type=int, default=200)
    ap.add_argument("--controls", type=int, default=60, help="random images of each split")
    ap.add_argument("--seed", type=int, default=24, help="the controls' draw and the shuffle")
    ap.add_argument("--mnist")
    args = ap.parse_args(argv)
    if args.sheets.exists() and any(args.sheets.iterdir()):
        print(f"error: {args.sheets} is not empty: a round's sheets are never overwritten", file=sys.stderr)
        return 2

    mnist = load_mnist(args.mnist)
    pool = read_pool(args.data) if (args.data / "pool.csv").exists() else {}
    results = [r for r in (cache.read(Path(p)) for p in args.result or result_files())
               if r.fingerprint == mnist.fingerprint and not r.settings.subset]
    found = candidates(results, {"test": args.test_top, "train": args.train_top})
    in_pool = {(im.split, im.index) for im in pool.values()}
    new = {key: sources for key, sources in found.items() if key not in in_pool}
    rng = np.random.default_rng(args.seed)
    sizes = {"test": len(mnist.x_test), "train": len(mnist.x_train)}
    for key in controls(sizes, in_pool | set(found), args.controls, rng):
        new[key] = [CONTROL]
    keys = sorted(new)
    keys = [keys[i] for i in rng.permutation(len(keys))]
    first = 1 + max((int(q[1:]) for q in pool), default=0)
    ids = [f"q{first + k:04d}" for k in range(len(keys))]
    round_ = 1 + max((im.round for im in pool.values()), default=0)

    args.sheets.mkdir(parents=True, exist_ok=True)
    images = np.stack([mnist.split(split)[0][index] for split, index in keys])
    for s, start in enumerate(range(0, len(keys), PER_SHEET), start=1):
        sheet = judging_sheet(images[start : start + PER_SHEET], ids[start : start + PER_SHEET])
        Image.fromarray(sheet).save(args.sheets / f"sheet-{s:02d}.png")
    (args.sheets / "INSTRUCTIONS.md").write_text(INSTRUCTIONS)
    (args.sheets / "answers-template.csv").write_text("id,answer\n" + "".join(f"{q},\n" for q in ids))

    args.data.mkdir(parents=True, exist_ok=True)
    path = args.data / "pool.csv"
    fresh = not path.exists()
    with open(path, "a", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        if fresh:
            w.writerow(POOL_HEADER)
        for qid, (split, index) in zip(ids, keys):
            w.writerow((qid, split, index, int(mnist.split(split)[1][index]), round_, ";".join(new[(split, index)])))
    n_controls = sum(new[k] == [CONTROL] for k in keys)
    print(f"round {round_}: {len(keys)} images ({len(keys) - n_controls} candidates, {n_controls} controls) from "
          f"{len(results)} results, ids {ids[0]}-{ids[-1]}, {-(-len(keys) // PER_SHEET)} sheets in {args.sheets}")
    return 0


if __name__ == "__main__":
    import digitlab  # noqa: F401 - quiets TensorFlow before it is imported

    sys.exit(main())
