"""The server's settings, read from the environment: one home for each, with its default.

Where things live on disk is :mod:`digitlab.paths`; which database,
:mod:`digitlab.db.engine`; where MNIST is, :mod:`digitlab.data`. Everything
else an operator can set is here.
"""

from __future__ import annotations

import os

ALLOW_TRAINING = "DIGITLAB_ALLOW_TRAINING"
FALSE_WORDS = ("0", "false", "no", "off")
TRUE_WORDS = ("1", "true", "yes", "on")


def _flag(var: str, default: bool) -> bool:
    value = os.environ.get(var, "").strip().lower()
    if value in FALSE_WORDS:
        return False
    if value in TRUE_WORDS:
        return True
    return default


def training_allowed() -> bool:
    """False when ``DIGITLAB_ALLOW_TRAINING=0``: nobody trains from the app (the shell still can)."""
    return _flag(ALLOW_TRAINING, True)
