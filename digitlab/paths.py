"""Where Digit Lab keeps things on disk.

Each location can be moved with an environment variable, which is how the
tests keep their files out of the working tree.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _dir_from_env(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser() if value else default


def model_store_dir() -> Path:
    """Trained models, one folder each (``DIGITLAB_MODEL_STORE``)."""
    return _dir_from_env("DIGITLAB_MODEL_STORE", PROJECT_ROOT / "model_store")


def shipped_model_dir() -> Path:
    """The `default` model that ships with the repository.

    Always inside the repository, whatever the store directory is, so that a
    fresh clone (or a test with an empty store) can still classify.
    """
    return PROJECT_ROOT / "model_store" / "default"


def user_data_dir() -> Path:
    """Things the user made: saved drawings, label marks (``DIGITLAB_USER_DATA``)."""
    return _dir_from_env("DIGITLAB_USER_DATA", PROJECT_ROOT / "user_data")


def cache_dir() -> Path:
    """Results that can be recomputed: features, maps, fold probabilities (``DIGITLAB_CACHE``)."""
    return _dir_from_env("DIGITLAB_CACHE", PROJECT_ROOT / "cache")
