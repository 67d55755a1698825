"""Who may do what on a shared server: the operator, and visitors.

The **operator** runs the server: they change the server's model, start and
cancel any job, see every job and its outcome. A browser is the operator when
it is on the server's own machine (``digitlab.identity.is_local_request``;
``DIGITLAB_LOCAL_OPERATOR=0`` turns that off) or once the operator secret
(``DIGITLAB_OPERATOR_SECRET``) was entered in it. Everyone else is a
**visitor**: their drawings, marks, classes, jobs and models are their own.
Visitors may train only where the operator allows it (``DIGITLAB_VISITORS_TRAIN``);
what a visitor trains is theirs and never becomes the server's model.

Every check is a plain function of :class:`Who` and what is asked about, so the
library enforces it whoever calls (a page, a test); pages use the same
functions to decide what to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from digitlab import config


class NotAllowed(PermissionError):
    """The asker may not do this; the message says why, in a sentence for them."""


@dataclass(frozen=True)
class Who:
    """The one asking: their visitor id, and whether they are the operator."""

    visitor_id: str
    operator: bool = False


def why_not_train(who: Who) -> str | None:
    """None if ``who`` may start a training (or any background job), else why not."""
    if not config.training_allowed():
        return "Training is switched off on this server."
    if not (who.operator or config.visitors_may_train()):
        return "Only the person who runs this server can start trainings here."
    return None


def may_train(who: Who) -> bool:
    return why_not_train(who) is None


def check_may_train(who: Who) -> None:
    if (reason := why_not_train(who)) is not None:
        raise NotAllowed(reason)


def may_control(who: Who, owner: str | None) -> bool:
    """Whether ``who`` may cancel or dismiss a job of ``owner``'s, and see its outcome."""
    return who.operator or (owner is not None and owner == who.visitor_id)


def model_owner(info: Mapping) -> str | None:
    """The visitor a stored model belongs to (its run.json's ``owner``); None for the server's models."""
    owner = info.get("owner")
    return owner if isinstance(owner, str) else None


def may_use_model(who: Who, info: Mapping) -> bool:
    """Whether ``who`` sees (and may pick) a stored model: the server's models, and their own."""
    owner = model_owner(info)
    return owner is None or owner == who.visitor_id or who.operator


def may_make_servers_model(who: Who, info: Mapping) -> bool:
    """Only the operator changes the server's model, and only to one of the server's models: a model a
    visitor trained stays theirs."""
    return who.operator and model_owner(info) is None
