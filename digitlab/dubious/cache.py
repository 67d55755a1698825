"""Computed results on disk: the cache (``cache/dubious/``) and the shipped one (``precomputed/dubious/``).

A file is named ``oof-<data fingerprint>-<settings key>.npz`` and records
inside what made it; a file is used only if its contents, not just its name,
match: other data, other settings or an older format is a miss. Probabilities
are stored as float16 (~1.3 MB a result): ranks need no more.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from digitlab import paths
from digitlab.data import SPLITS
from digitlab.dubious.settings import FORMAT_VERSION, Evidence, Result, Settings
from digitlab.fileio import write_npz_atomic

# Module attributes, read at call time, so that tests can point them elsewhere.
SHIPPED_DIR = paths.PROJECT_ROOT / "precomputed" / "dubious"


def cache_folder() -> Path:
    return paths.cache_dir() / "dubious"


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
    train, test = result.train, result.test
    return write_npz_atomic(
        folder / file_name(result.settings, result.fingerprint), compressed=True, meta=np.array(json.dumps(meta)),
        train_labels=train.labels.astype(np.uint8), train_probs=train.probs.astype(np.float16),
        train_folds=train.folds.astype(np.int8), train_votes=train.votes.astype(np.int8),
        test_labels=test.labels.astype(np.uint8), test_probs=test.probs.astype(np.float16),
        test_votes=test.votes.astype(np.int8),
    )


def read(path: Path) -> Result:
    """A saved result; ``ValueError`` if the file is unreadable or incomplete."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        meta = json.loads(str(arrays.pop("meta")))
        settings = Settings(**meta["settings"])
        evidence = {}
        for split in SPLITS:
            # float16 rows sum to 1 only within ~1e-3; cleanlab expects real distributions.
            p = arrays[f"{split}_probs"].astype(np.float32)
            evidence[split] = Evidence(labels=arrays[f"{split}_labels"], probs=p / np.maximum(p.sum(1, keepdims=True), 1e-12),
                                       votes=arrays[f"{split}_votes"], folds=arrays.get(f"{split}_folds"))
    except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
        raise ValueError(f"{path} is not a readable dubious-labels result ({e})") from e
    return Result(settings=settings, fingerprint=meta["fingerprint"], train=evidence["train"],
                  test=evidence["test"], meta=meta, path=Path(path))


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


@functools.lru_cache(maxsize=64)
def _usable(path: str, mtime: float, fingerprint: str) -> bool:
    """Whether the file at ``path`` (as of ``mtime``) is a current-format result for this data."""
    try:
        result = read(Path(path))
    except ValueError:
        return False
    return result.fingerprint == fingerprint and result.meta.get("format") == FORMAT_VERSION
