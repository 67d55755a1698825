"""Dubious labels: which MNIST images are most likely labelled wrong, with evidence.

    python -m digitlab.dubious compute [--preset P --folds K --epochs E --seed S --subset N]
    python -m digitlab.dubious rank --split {train,test} --top N [--method NAME]
    python -m digitlab.dubious sheet --split {train,test} --top N --out top.png

The evidence is *out-of-sample* probabilities: a model never scores an image it
trained on, or it would simply repeat the label it learned. The training set is
cut into K stratified folds; for each fold a model is trained on the other K-1
and scores the fold it never saw. The test set is scored by all K fold models
(none trained on it) and their probabilities are averaged.

The probabilities are cached on disk (``cache/dubious/``) together with the
settings and the data fingerprint that made them: a file made from other data
or other settings is never used. A result computed by the maintainers ships in
``precomputed/dubious/`` (see :data:`SHIPPED_DIR`), so a fresh clone need not
spend minutes of CPU on it.

Rankings (``METHODS``), all "most dubious first":

- ``confident_learning``: cleanlab's ``find_label_issues`` (confident learning,
  prune by noise rate) flags the images whose label disagrees with the
  per-class confident thresholds; those come first, ordered by cleanlab's
  normalized-margin label quality, then every other image by the same score.
- ``normalized_margin``: cleanlab's label quality score alone (how far the
  given label's probability is below the best other class).
- ``self_confidence``: 1 - the probability the model gives the given label.
- ``fold_agreement``: how many of the K fold models predict another digit than
  the given label (ties by self-confidence). For *test* images all K models are
  out-of-sample votes. For *training* images only one model never saw the image;
  the other K-1 were trained on it *with its given label*. Their vote is still
  meaningful in one direction: a model that learned the image as a "3" and
  still calls it a "2" could not even fit that label, which is strong evidence
  against it; their agreement, on the other hand, is weak evidence (they may
  have memorised the label). So for training images the count is "the
  out-of-fold model, plus the fold models that could not fit the label".

The user's marks on these images live in :mod:`digitlab.label_marks`.

Nothing here knows which MNIST images are wrong: every ranking comes from the
models and the data alone.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from digitlab import paths
from digitlab.data import Mnist
from digitlab.store import write_json_atomic

# Bumped when the cached file's layout or meaning changes: old files are then ignored.
FORMAT_VERSION = 1
SPLITS = ("train", "test")
METHODS: dict[str, str] = {
    "confident_learning": "cleanlab confident learning: flagged issues first, then by label quality",
    "normalized_margin": "cleanlab label quality (normalized margin)",
    "self_confidence": "1 - the probability of the given label",
    "fold_agreement": "how many fold models disagree with the given label",
}
# Best of the four on flipped labels (benchmarks/label_noise.py); the others stay one click away.
DEFAULT_METHOD = "self_confidence"
CSV_HEADER = ("rank", "index", "given_label", "suggested_label", "score")
SHIPPED_DIR = paths.PROJECT_ROOT / "precomputed" / "dubious"
# Measured with benchmarks.label_noise on this 2-core machine (README), for the page to say what to expect.
DEFAULT_MINUTES = "about 20 minutes"

ProgressFn = Callable[[float, str], None]


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """How the out-of-fold probabilities are made.

    ``preset``: the model trained on each fold (see ``digitlab.models.PRESETS``).
    ``epochs``/``batch_size``: ``None`` means the preset's own value.
    ``subset``: use only the first N training images (tests, quick looks); the
    test set is always scored whole.
    """

    # The padded CNN (the first default) for 3 epochs per fold: on 1% flipped labels it finds
    # 96.7% of them in its top N against 90.5% for the seed-003 MLP (benchmarks/label_noise.py, README).
    preset: str = "cnn-padded"
    folds: int = 5
    epochs: int | None = 3
    batch_size: int | None = None
    seed: int = 0
    subset: int | None = None

    def resolved(self) -> "Settings":
        """A copy with the preset's values filled in, checked (``ValueError``/``KeyError``)."""
        from digitlab.models import get_preset  # deferred: it imports Keras

        p = get_preset(self.preset)
        s = replace(self, epochs=p.epochs if self.epochs is None else int(self.epochs),
                    batch_size=p.batch_size if self.batch_size is None else int(self.batch_size),
                    folds=int(self.folds), seed=int(self.seed),
                    subset=None if self.subset in (None, 60000) else int(self.subset))
        if not 2 <= s.folds <= 20:
            raise ValueError("folds must be from 2 to 20")
        if s.epochs < 1 or s.batch_size < 1:
            raise ValueError("epochs and batch size must be at least 1")
        if s.subset is not None and not 200 <= s.subset <= 60000:
            raise ValueError("subset must be from 200 to 60000 images")
        return s

    def key(self) -> str:
        """A short hash naming these (resolved) settings."""
        from digitlab.models import architecture_key  # deferred: it imports Keras

        text = json.dumps({**asdict(self.resolved()), "model": architecture_key(self.preset), "format": FORMAT_VERSION},
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def describe(self) -> str:
        s = self.resolved()
        images = f"first {s.subset:,} training images" if s.subset else "all 60,000 training images"
        return f"{s.preset}, {s.folds} folds, {s.epochs} epochs, batch {s.batch_size}, seed {s.seed}, {images}"


def fold_assignment(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """The fold (0..folds-1) of every sample, stratified by label: int8 (N,).

    Each fold holds about the same share of every digit, so every fold model
    learns all ten; ``seed`` fixes the shuffle.
    """
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels)
    out = np.full(len(labels), -1, np.int8)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (_, held_out) in enumerate(splitter.split(np.zeros((len(labels), 1)), labels)):
        out[held_out] = k
    return out


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Result:
    """Out-of-sample probabilities and votes for both splits.

    ``train_probs`` float32 (n, 10): each row from the fold model that never saw it.
    ``train_folds`` int8 (n,): that fold. ``train_votes`` int8 (n, K): the digit
    every fold model predicts (column ``train_folds[i]`` is the out-of-fold one).
    ``test_probs`` float32 (10000, 10): mean of the K fold models; ``test_votes``
    int8 (10000, K). ``*_labels`` uint8: the labels the models were given.
    """

    settings: Settings
    fingerprint: str
    train_labels: np.ndarray
    train_probs: np.ndarray
    train_folds: np.ndarray
    train_votes: np.ndarray
    test_labels: np.ndarray
    test_probs: np.ndarray
    test_votes: np.ndarray
    meta: dict = field(default_factory=dict)
    path: Path | None = None

    def labels(self, split: str) -> np.ndarray:
        return {"train": self.train_labels, "test": self.test_labels}[_check_split(split)]

    def probs(self, split: str) -> np.ndarray:
        return {"train": self.train_probs, "test": self.test_probs}[_check_split(split)]

    def votes(self, split: str) -> np.ndarray:
        return {"train": self.train_votes, "test": self.test_votes}[_check_split(split)]


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    return split


def compute(
    settings: Settings,
    mnist: Mnist,
    *,
    on_progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Result:
    """Train one model per fold and collect out-of-sample probabilities (see the module doc).

    ``on_progress(fraction 0-1, message)`` is called often; ``should_stop`` is
    polled between batches and raises ``digitlab.training.Cancelled``.
    """
    import keras

    from digitlab.training import TrainConfig, predict_probabilities, train  # deferred: TensorFlow

    s = settings.resolved()
    n = s.subset or len(mnist.x_train)
    x, y = mnist.x_train[:n], mnist.y_train[:n]
    folds = fold_assignment(y, s.folds, s.seed)
    train_probs = np.zeros((n, 10), np.float32)
    train_votes = np.zeros((n, s.folds), np.int8)
    test_sum = np.zeros((len(mnist.x_test), 10), np.float64)
    test_votes = np.zeros((len(mnist.x_test), s.folds), np.int8)
    fold_accuracy, t0 = [], time.monotonic()
    report = on_progress or (lambda fraction, message: None)

    for k in range(s.folds):
        held_out = np.flatnonzero(folds == k)
        config = TrainConfig(s.preset, epochs=s.epochs, batch_size=s.batch_size, seed=s.seed + k,
                             validation_split=0.0, keep_best=False, augment=False, subset=s.subset,
                             exclude=tuple(held_out.tolist()))

        def fold_progress(p, k=k):
            done = (k + 0.95 * p.fraction) / s.folds
            report(done, f"fold {k + 1}/{s.folds}: epoch {p.epoch}/{p.epochs}, batch {p.batch}/{p.batches}")

        report(k / s.folds, f"fold {k + 1}/{s.folds}: training on {n - len(held_out):,} images")
        trained = train(config, mnist, on_progress=fold_progress, should_stop=should_stop)
        report((k + 0.95) / s.folds, f"fold {k + 1}/{s.folds}: scoring")
        # Every fold model predicts every training image: the held-out rows are
        # the evidence; the others feed fold_agreement (see the module doc).
        p = predict_probabilities(trained.model, x)
        train_probs[held_out] = p[held_out]
        train_votes[:, k] = p.argmax(axis=1)
        test_sum += trained.test_probabilities
        test_votes[:, k] = trained.test_probabilities.argmax(axis=1)
        fold_accuracy.append(float((p[held_out].argmax(axis=1) == y[held_out]).mean()))
        del trained
        keras.backend.clear_session()  # K models' graphs would otherwise pile up

    test_probs = (test_sum / s.folds).astype(np.float32)
    from digitlab.training import library_versions

    meta = {
        "settings": asdict(s), "fingerprint": mnist.fingerprint, "format": FORMAT_VERSION,
        "created": datetime.now().isoformat(timespec="seconds"), "seconds": round(time.monotonic() - t0, 1),
        "fold_accuracy": fold_accuracy, "test_accuracy": float((test_probs.argmax(1) == mnist.y_test).mean()),
        "versions": library_versions(),
    }
    report(1.0, "done")
    return Result(s, mnist.fingerprint, y.copy(), train_probs, folds, train_votes, mnist.y_test.copy(),
                  test_probs, test_votes, meta)


# --------------------------------------------------------------------------- cache


def cache_folder() -> Path:
    return paths.cache_dir() / "dubious"


def file_name(settings: Settings, fingerprint: str) -> str:
    return f"oof-{fingerprint}-{settings.key()}.npz"


def save(result: Result, folder: Path | None = None) -> Path:
    """Write ``result`` atomically (temporary file, then rename); probabilities as float16 (~1.3 MB)."""
    folder = Path(folder) if folder else cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(result.settings, result.fingerprint)
    # The fields, not whatever meta says, decide what the file claims to be.
    meta = {**result.meta, "settings": asdict(result.settings.resolved()), "fingerprint": result.fingerprint,
            "format": FORMAT_VERSION}
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(
                f, meta=np.array(json.dumps(meta)),
                train_labels=result.train_labels.astype(np.uint8), train_probs=result.train_probs.astype(np.float16),
                train_folds=result.train_folds.astype(np.int8), train_votes=result.train_votes.astype(np.int8),
                test_labels=result.test_labels.astype(np.uint8), test_probs=result.test_probs.astype(np.float16),
                test_votes=result.test_votes.astype(np.int8),
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the result is shareable data
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read(path: Path) -> Result:
    """A saved result; ``ValueError`` if the file is unreadable or incomplete."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        meta = json.loads(str(arrays.pop("meta")))
        settings = Settings(**meta["settings"])
    except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
        raise ValueError(f"{path} is not a readable dubious-labels result ({e})") from e
    probs = {}
    for split in SPLITS:
        # float16 rows sum to 1 only within ~1e-3; cleanlab expects real distributions.
        p = arrays[f"{split}_probs"].astype(np.float32)
        probs[split] = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
    return Result(settings, meta["fingerprint"], arrays["train_labels"], probs["train"], arrays["train_folds"],
                  arrays["train_votes"], arrays["test_labels"], probs["test"], arrays["test_votes"], meta, Path(path))


def search_folders() -> list[Path]:
    """Where results are looked for: the cache first, then the shipped results."""
    return [cache_folder(), SHIPPED_DIR]


def load(settings: Settings, fingerprint: str) -> Result | None:
    """The cached (or shipped) result for exactly these settings and data, or None.

    A file is used only if what it records inside, not just its name, matches:
    other data, other settings or an older format is a miss.
    """
    want = asdict(settings.resolved())
    for folder in search_folders():
        path = folder / file_name(settings, fingerprint)
        if not path.exists():
            continue
        try:
            result = read(path)
        except ValueError:
            continue
        if (result.fingerprint == fingerprint and asdict(result.settings) == want
                and result.meta.get("format") == FORMAT_VERSION):
            return result
    return None


def available(fingerprint: str) -> list[Path]:
    """Every readable result for this data, cache first then shipped, newest first within each.

    A damaged file, one of an older format or one made from other data is left out.
    """
    found, seen = [], set()
    for folder in search_folders():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"oof-{fingerprint}-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True):
            if path.name not in seen and _usable(str(path), path.stat().st_mtime, fingerprint):
                seen.add(path.name)
                found.append(path)
    return found


@functools.lru_cache(maxsize=64)
def _usable(path: str, mtime: float, fingerprint: str) -> bool:
    """Whether the file at ``path`` (as of ``mtime``) is a current-format result for this data."""
    try:
        result = read(Path(path))
    except ValueError:
        return False
    return result.fingerprint == fingerprint and result.meta.get("format") == FORMAT_VERSION


def ensure(settings: Settings, mnist: Mnist, *, force: bool = False, source: str = "the command line",
           on_progress: ProgressFn | None = None, should_stop: Callable[[], bool] | None = None,
           lock_fd: int | None = None) -> Result:
    """The cached result, or compute and cache it under the training lock.

    Computing trains K models: it takes the same lock as any training (one at
    a time on this machine), and raises ``TrainingBusy`` if one is running.
    ``lock_fd``: the lock was already taken by the caller and handed over.
    """
    if not force:
        cached = load(settings, mnist.fingerprint)
        if cached is not None:
            return cached
    with _training_lock(settings, source, lock_fd):
        result = compute(settings, mnist, on_progress=on_progress, should_stop=should_stop)
        path = save(result)
    return replace(result, path=path)


@contextmanager
def _training_lock(settings: Settings, source: str, lock_fd: int | None) -> Iterator[None]:
    from digitlab.lock import TrainingLock

    if lock_fd is not None:
        try:
            yield
        finally:
            os.close(lock_fd)  # releases the lock the parent handed over
        return
    about = {"preset": f"dubious labels ({settings.preset}, {settings.folds} folds)", "source": source}
    with TrainingLock(about):
        yield


# --------------------------------------------------------------------------- rankings


@dataclass(frozen=True)
class Ranking:
    """One split ranked by one method.

    ``order`` int64 (N,): image indices, most dubious first. ``score`` float32
    (N,), by image index: higher is more dubious (0-1). ``given`` and
    ``suggested`` (the most likely digit) by image index. ``flagged`` bool (N,):
    cleanlab's label issues (the same for every method).
    """

    split: str
    method: str
    order: np.ndarray
    score: np.ndarray
    given: np.ndarray
    suggested: np.ndarray
    flagged: np.ndarray

    def __len__(self) -> int:
        return len(self.order)

    @property
    def positions(self) -> np.ndarray:
        """0-based position of every image index in ``order``."""
        pos = np.empty(len(self.order), np.int64)
        pos[self.order] = np.arange(len(self.order))
        return pos

    def rank_of(self, index: int) -> int:
        """1-based rank of image ``index`` (1 = most dubious)."""
        return int(np.flatnonzero(self.order == index)[0]) + 1

    def rows(self, start: int = 0, stop: int | None = None) -> list[tuple[int, int, int, int, float]]:
        """(rank, index, given, suggested, score) for ranks ``start+1 .. stop``."""
        return [(start + i + 1, int(j), int(self.given[j]), int(self.suggested[j]), float(self.score[j]))
                for i, j in enumerate(self.order[start:stop])]


def _flagged(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cleanlab's label issues, ranked by normalized margin: (ranked indices, mask)."""
    from cleanlab.filter import find_label_issues

    # n_jobs=1: cleanlab would otherwise fork a process pool inside the app.
    ranked = np.asarray(find_label_issues(labels, probs, return_indices_ranked_by="normalized_margin",
                                          n_jobs=1), dtype=np.int64)
    mask = np.zeros(len(labels), bool)
    mask[ranked] = True
    return ranked, mask


def rank(result: Result, split: str, method: str = DEFAULT_METHOD) -> Ranking:
    """Rank ``split`` of ``result`` by ``method`` (one of :data:`METHODS`)."""
    from cleanlab.rank import get_label_quality_scores

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    labels = result.labels(split).astype(np.int64)
    probs = result.probs(split)
    suggested = probs.argmax(axis=1)
    ranked_issues, flagged = _flagged(labels, probs)

    def quality_score(name: str) -> np.ndarray:
        return (1.0 - get_label_quality_scores(labels, probs, method=name)).astype(np.float32)

    if method == "fold_agreement":
        votes = result.votes(split)
        disagree = (votes != labels[:, None]).sum(axis=1)
        tie_break = quality_score("self_confidence")
        score = (disagree / votes.shape[1]).astype(np.float32)
        order = np.lexsort((np.arange(len(labels)), -tie_break, -disagree))
    elif method == "confident_learning":
        score = quality_score("normalized_margin")
        rest = np.flatnonzero(~flagged)
        rest = rest[np.argsort(-score[rest], kind="stable")]
        order = np.concatenate([ranked_issues, rest])
    else:
        score = quality_score(method)
        order = np.argsort(-score, kind="stable")
    return Ranking(split, method, order.astype(np.int64), score, labels, suggested, flagged)


def ranking_csv(ranking: Ranking, top: int) -> str:
    """The CLI's CSV: header ``rank,index,given_label,suggested_label,score``, most dubious first."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for r, i, g, s, score in ranking.rows(0, top):
        w.writerow((r, i, g, s, f"{score:.6f}"))
    return out.getvalue()


# --------------------------------------------------------------------------- pictures


def top_sheet(ranking: Ranking, images: np.ndarray, top: int = 20, columns: int = 10, scale: int = 3) -> np.ndarray:
    """uint8 grid of the ``top`` most dubious images, captioned "#index given→suggested"."""
    from digitlab.pictures import labelled_tiles, sheet

    idx = ranking.order[:top]
    captions = [f"#{i} {ranking.given[i]}→{ranking.suggested[i]}" for i in idx]
    return sheet(labelled_tiles(images[idx], captions, scale=scale, band=5 * scale), columns=columns, scale=1)


# --------------------------------------------------------------------------- background job (for the app)


def status_path() -> Path:
    return cache_folder() / "status.json"


def cancel_path() -> Path:
    return cache_folder() / "cancel"


def start_background(settings: Settings, mnist_path: str | None = None) -> None:
    """Compute in a separate process (``python -m digitlab.dubious compute --status ...``).

    The training lock is taken here, so a second start (any tab, or a
    retraining) is refused at once with ``TrainingBusy``, then handed to the child.
    """
    from digitlab.lock import TrainingLock

    s = settings.resolved()
    lock = TrainingLock({"preset": f"dubious labels ({s.preset}, {s.folds} folds)", "source": "the app"}).acquire()
    try:
        cache_folder().mkdir(parents=True, exist_ok=True)
        cancel_path().unlink(missing_ok=True)
        write_json_atomic(status_path(), {"state": "starting", "fraction": 0.0, "message": "starting",
                                          "settings": asdict(s), "updated": time.time()})
        args = [sys.executable, "-m", "digitlab.dubious", "compute", "--status", str(status_path()),
                "--lock-fd", str(lock.fileno()), *settings_args(s), "--nice"]
        if mnist_path:
            args += ["--mnist", mnist_path]
        with open(cache_folder() / "compute.log", "w") as log:
            subprocess.Popen(args, pass_fds=(lock.fileno(),), cwd=paths.PROJECT_ROOT,
                             stdout=subprocess.DEVNULL, stderr=log)
    except BaseException:
        lock.release()
        raise
    lock.hand_over()


def read_status() -> dict | None:
    """The background computation's status, or None. A "running" one whose process died is "interrupted"."""
    from digitlab.lock import is_training_running

    try:
        status = json.loads(status_path().read_text())
    except (OSError, ValueError):
        return None
    if status.get("state") in ("starting", "running") and not is_training_running():
        status = {**status, "state": "interrupted", "error": "the computation stopped without finishing"}
        write_json_atomic(status_path(), status)
    return status


def request_cancel() -> None:
    cancel_path().parent.mkdir(parents=True, exist_ok=True)
    cancel_path().touch()


def dismiss_status() -> None:
    status_path().unlink(missing_ok=True)


def settings_args(s: Settings) -> list[str]:
    args = ["--preset", s.preset, "--folds", str(s.folds), "--seed", str(s.seed)]
    if s.epochs is not None:
        args += ["--epochs", str(s.epochs)]
    if s.batch_size is not None:
        args += ["--batch-size", str(s.batch_size)]
    if s.subset is not None:
        args += ["--subset", str(s.subset)]
    return args


# --------------------------------------------------------------------------- CLI


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m digitlab.dubious",
                                description="Rank MNIST images by how likely their label is wrong.")
    sub = p.add_subparsers(dest="command", required=True)

    def settings_flags(q: argparse.ArgumentParser) -> None:
        d = Settings()
        q.add_argument("--preset", default=d.preset, help="model trained on each fold; default: %(default)s")
        q.add_argument("--folds", type=int, default=d.folds, help="K of K-fold; default: %(default)s")
        q.add_argument("--epochs", type=_positive, help="epochs per fold model (default: 3 for the default settings' preset, else the preset's)")
        q.add_argument("--batch-size", type=_positive, help="batch size (default: the preset's)")
        q.add_argument("--seed", type=int, default=d.seed, help="folds and training seed; default: %(default)s")
        q.add_argument("--subset", type=int, help="only the first N training images (quick tries)")
        q.add_argument("--mnist", help="path to mnist.npz (else $DIGITLAB_MNIST, else Keras' cache)")

    c = sub.add_parser("compute", help="build or refresh the cached out-of-fold probabilities")
    settings_flags(c)
    c.add_argument("--force", action="store_true", help="recompute even if a cached result exists")
    c.add_argument("--status", help=argparse.SUPPRESS)  # the app's background job: JSON progress file
    c.add_argument("--lock-fd", type=int, help=argparse.SUPPRESS)  # the training lock, taken by the app
    c.add_argument("--nice", action="store_true", help=argparse.SUPPRESS)  # let the app's reruns go first

    for name, what in (("rank", "print the ranking as CSV"), ("sheet", "save the top images as one PNG")):
        r = sub.add_parser(name, help=what + " (computing the probabilities first if needed)")
        settings_flags(r)
        r.add_argument("--split", required=True, choices=SPLITS)
        r.add_argument("--top", type=_positive, required=True, help="how many images")
        r.add_argument("--method", default=DEFAULT_METHOD, choices=list(METHODS),
                       help="ranking; default: %(default)s")
        if name == "sheet":
            r.add_argument("--out", required=True, help="PNG file to write")
    return p.parse_args(argv)


class _Console:
    """Progress on stderr (stdout is the CSV): a line per fold step, at most every 2 s."""

    def __init__(self, status: Path | None):
        self.status, self.last, self.last_message = status, 0.0, ""

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        head = message.split(":")[0]
        if now - self.last >= 2 or head != self.last_message or fraction >= 1:
            self.last, self.last_message = now, head
            print(f"[{fraction:6.1%}] {message}", file=sys.stderr, flush=True)
            if self.status:
                write_json_atomic(self.status, {**_read_json(self.status), "state": "running",
                                                "fraction": fraction, "message": message, "pid": os.getpid(),
                                                "updated": time.time()})


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from digitlab.data import MnistUnavailable, load_mnist
    from digitlab.lock import TrainingBusy

    epochs = args.epochs
    if epochs is None and args.preset == Settings().preset:
        epochs = Settings().epochs  # the default settings' own epochs, not the preset's
    settings = Settings(args.preset, args.folds, epochs, args.batch_size, args.seed, args.subset)
    status = Path(args.status) if getattr(args, "status", None) else None

    def fail(message: str, code: int = 1) -> int:
        print(f"error: {message}", file=sys.stderr)
        if status:
            write_json_atomic(status, {**_read_json(status), "state": "failed", "error": message,
                                       "updated": time.time()})
        if getattr(args, "lock_fd", None) is not None:
            os.close(args.lock_fd)
        return code

    try:
        settings.resolved()
    except (KeyError, ValueError) as e:
        return fail(str(e.args[0]), 2)
    try:
        mnist = load_mnist(args.mnist)
    except MnistUnavailable as e:
        return fail(str(e))
    if getattr(args, "nice", False):
        os.nice(10)

    force = getattr(args, "force", False)
    cached = None if force else load(settings, mnist.fingerprint)
    if cached is None:
        print(f"computing out-of-fold probabilities: {settings.describe()}", file=sys.stderr, flush=True)
    from digitlab.training import Cancelled

    try:
        result = cached or ensure(settings, mnist, force=force, on_progress=_Console(status),
                                  should_stop=lambda: cancel_path().exists() if status else False,
                                  lock_fd=getattr(args, "lock_fd", None))
    except TrainingBusy as e:
        return fail(str(e))
    except Cancelled:
        if status:
            write_json_atomic(status, {**_read_json(status), "state": "cancelled", "updated": time.time()})
        cancel_path().unlink(missing_ok=True)
        print("cancelled", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - the app's status must say what went wrong
        if status:
            write_json_atomic(status, {**_read_json(status), "state": "failed", "error": f"{type(e).__name__}: {e}",
                                       "updated": time.time()})
        raise

    if args.command == "compute":
        if status:
            write_json_atomic(status, {**_read_json(status), "state": "done", "fraction": 1.0,
                                       "path": str(result.path), "updated": time.time()})
        where = "cached" if cached else "computed"
        print(f"{where}: {result.path} ({result.meta.get('seconds', '?')} s to compute; out-of-fold accuracy per "
              f"fold {', '.join(f'{a:.2%}' for a in result.meta.get('fold_accuracy', []))})")
        return 0
    ranking = rank(result, args.split, args.method)
    if args.command == "rank":
        sys.stdout.write(ranking_csv(ranking, args.top))
        return 0
    from PIL import Image

    images, _ = mnist.split(args.split)
    Image.fromarray(top_sheet(ranking, images, args.top)).save(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    import digitlab  # noqa: F401 - quiets TensorFlow before it is imported

    sys.exit(main())
