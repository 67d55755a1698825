"""Computed results on disk: the cache (``cache/dubious/``) and the shipped one (``precomputed/dubious/``).

A file is named ``oof-<data fingerprint>-<settings key>.npz`` and records
inside what made it; a file is used only if its contents, not just its name,
match: other data, other settings or an older format is a miss. Probabilities
are stored as float16 logarithms (~1 MB a result; see :data:`LOG_FLOOR`).
"""

from __future__ import annotations

import functools
import json
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from digitlab import paths
from digitlab.data import SPLITS
from digitlab.dubious.settings import FORMAT_VERSION, Evidence, Result, Settings
from digitlab.fileio import DAMAGED_ARRAY_FILE, TMP_PREFIX, write_npz_atomic

# Settings that files made before them lack, and what those files were made with (with augmentation,
# the preset's extra images too).
SETTINGS_ADDED_LATER = {"augment": False, "tta": False, "reference": None, "extras": True, "ensemble": False}
# Probabilities are stored as float16 natural logarithms (since 2026-12-06), from LOG_FLOOR: within 1-2%
# of themselves from 3e-4 down to 1e-14, where float16 probabilities (the files before, still read) kept one
# significant digit below 1e-6 and were 0 below 2**-25: the probabilities the most dubious images are
# ranked by. (Two sets of fold models joined, train #7080 and #43454 were both stored as 1.79e-7, from
# 1.64e-7 and 1.58e-7: a tie.) Evidence keeps probabilities; only the files hold logarithms.
LOG_FLOOR = 1e-30
PROBABILITIES = ("probs", "plain_probs", "reference_probs")
# Module attributes, read at call time, so that tests can point them elsewhere.
SHIPPED_DIR = paths.PROJECT_ROOT / "precomputed" / "dubious"


def cache_folder() -> Path:
    return paths.cache_dir() / "dubious"


class CacheNotWritable(RuntimeError):
    """The cache folder cannot take a result: said before the fold models train, not after."""


def check_writable(folder: Path | None = None) -> None:
    """Raise :class:`CacheNotWritable` if ``folder`` (default: the cache) cannot be written now."""
    folder = Path(folder) if folder else cache_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=TMP_PREFIX):
            pass
    except OSError as e:
        raise CacheNotWritable(f"the cache folder {folder} cannot be written ({e.strerror or e}): the fold models' "
                               "result would have nowhere to go. Point DIGITLAB_CACHE at a writable folder.") from e


def search_folders() -> list[Path]:
    """Where results are looked for: the cache first, then the shipped results."""
    return [cache_folder(), SHIPPED_DIR]


def is_shipped(path: Path) -> bool:
    return Path(path).parent == SHIPPED_DIR


def file_name(settings: Settings, fingerprint: str) -> str:
    return f"oof-{fingerprint}-{settings.key()}.npz"


def save(result: Result, folder: Path | None = None) -> Path:
    """Write ``result`` atomically into ``folder`` (default: the cache); returns its path."""
    folder = Path(folder) if folder else cache_folder()
    # The fields, not whatever meta says, decide what the file claims to be.
    meta = {**result.meta, "settings": asdict(result.settings.resolved()), "fingerprint": result.fingerprint,
            "format": FORMAT_VERSION}
    arrays = {}
    for split in SPLITS:
        e = result.split(split)
        arrays |= {f"{split}_labels": e.labels.astype(np.uint8), f"{split}_votes": e.votes.astype(np.int8)}
        arrays |= {f"{split}_log_{name}": _log16(getattr(e, name)) for name in PROBABILITIES
                   if getattr(e, name) is not None}
        optional = {"folds": (e.folds, np.int8), "neighbours": (e.neighbours, np.float16)}
        arrays |= {f"{split}_{name}": a.astype(dtype) for name, (a, dtype) in optional.items() if a is not None}
    return write_npz_atomic(folder / file_name(result.settings, result.fingerprint), compressed=True,
                            meta=np.array(json.dumps(meta)), **arrays)


def _log16(p: np.ndarray) -> np.ndarray:
    """Probabilities float (N, 10) -> their natural logarithms from :data:`LOG_FLOOR`, float16 (N, 10)."""
    return np.log(np.maximum(np.asarray(p, np.float64), LOG_FLOOR)).astype(np.float16)


def _stored(arrays: dict, split: str, name: str) -> np.ndarray | None:
    """A probability table of a file, float32 (N, 10) rows summing to 1, or None: from its logarithms, or
    stored as float16 probabilities (files made before 2026-12-06)."""
    logs = arrays.get(f"{split}_log_{name}")
    return _distribution(arrays.get(f"{split}_{name}") if logs is None else np.exp(logs.astype(np.float64)))


def _distribution(p: np.ndarray | None) -> np.ndarray | None:
    """float16 rows sum to 1 only within ~1e-3; cleanlab expects real distributions: float32, renormalised."""
    if p is None:
        return None
    p = p.astype(np.float32)
    return p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)


def read(path: Path) -> Result:
    """A saved result; ``ValueError`` if the file is unreadable or incomplete."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        meta = json.loads(str(arrays.pop("meta")))
        # A file made before a setting existed was made without it (not with today's default).
        settings = Settings(**{**SETTINGS_ADDED_LATER, **meta["settings"]})
        evidence = {}
        for split in SPLITS:
            neighbours = arrays.get(f"{split}_neighbours")
            probs = _stored(arrays, split, "probs")
            if probs is None:
                raise KeyError(f"{split}_probs")
            evidence[split] = Evidence(
                labels=arrays[f"{split}_labels"], probs=probs,
                votes=arrays[f"{split}_votes"], folds=arrays.get(f"{split}_folds"),
                plain_probs=_stored(arrays, split, "plain_probs"),
                neighbours=None if neighbours is None else neighbours.astype(np.float32),
                reference_probs=_stored(arrays, split, "reference_probs"))
        return Result(settings=settings, fingerprint=meta["fingerprint"], train=evidence["train"],
                      test=evidence["test"], meta=meta, path=Path(path))
    except (*DAMAGED_ARRAY_FILE, TypeError) as e:
        raise ValueError(f"{path} is not a readable dubious-labels result ({type(e).__name__}: {e})") from e


def load(settings: Settings, fingerprint: str) -> Result | None:
    """The cached (or shipped) result for exactly these settings and data, or None."""
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


def damaged(fingerprint: str) -> list[tuple[Path, str]]:
    """The result files named for this data that cannot be used, and why: for the page and the
    command line to say so instead of skipping them in silence."""
    out = []
    for folder in search_folders():
        if folder.is_dir():
            for path in sorted(folder.glob(f"oof-{fingerprint}-*.npz")):
                problem = _problem(str(path), path.stat().st_mtime, fingerprint)
                if problem:
                    out.append((path, problem))
    return out


def _usable(path: str, mtime: float, fingerprint: str) -> bool:
    return _problem(path, mtime, fingerprint) is None


@functools.lru_cache(maxsize=64)
def _problem(path: str, mtime: float, fingerprint: str) -> str | None:
    """Why the file at ``path`` (as of ``mtime``) is not a current-format result for this data, or None."""
    try:
        result = read(Path(path))
    except ValueError as e:
        return f"damaged or incomplete ({e.__cause__ or e})"
    if result.fingerprint != fingerprint:
        return "made from another copy of MNIST"
    if result.meta.get("format") != FORMAT_VERSION:
        return f"an older format ({result.meta.get('format')})"
    return None
