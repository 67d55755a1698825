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


VISITORS_TRAIN = "DIGITLAB_VISITORS_TRAIN"
LOCAL_OPERATOR = "DIGITLAB_LOCAL_OPERATOR"
OPERATOR_SECRET = "DIGITLAB_OPERATOR_SECRET"
SECRET_KEY = "DIGITLAB_SECRET_KEY"


def visitors_may_train() -> bool:
    """True when ``DIGITLAB_VISITORS_TRAIN=1``: visitors who are not the operator may start trainings
    (their own models, a teacher's class retraining). Off by default: a server others can reach
    should not let any of them keep its CPU busy; the operator always may."""
    return _flag(VISITORS_TRAIN, False)


def local_operator() -> bool:
    """Whether a browser on the server's own machine is the operator without a secret (the default:
    ``streamlit run app.py`` on one's own laptop needs no set-up). ``DIGITLAB_LOCAL_OPERATOR=0``
    turns it off, e.g. behind a proxy on the same machine that sends no X-Forwarded-For."""
    return _flag(LOCAL_OPERATOR, True)


def operator_secret() -> str | None:
    """``DIGITLAB_OPERATOR_SECRET``: entered once in a browser, it makes that browser the operator
    (from any machine). Unset: only the server's own machine has an operator."""
    value = os.environ.get(OPERATOR_SECRET, "").strip()
    return value or None


def secret_key_from_env() -> bytes | None:
    """``DIGITLAB_SECRET_KEY``: the key that signs visitor ids and operator tokens. Servers that share
    one database must share it; unset, each server makes one in its user-data folder."""
    value = os.environ.get(SECRET_KEY, "").strip()
    return value.encode() if value else None
