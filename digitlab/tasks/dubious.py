"""Compute (and cache) the out-of-fold probabilities behind Dubious labels, as
``python -m digitlab.dubious compute`` does (:mod:`digitlab.dubious`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import ClassVar

from digitlab.cancel import Report, ShouldStop
from digitlab.dubious.settings import Settings
from digitlab.roles import Who

KIND = "dubious"


@dataclass(frozen=True)
class Request:
    KIND: ClassVar[str] = KIND
    settings: Settings
    mnist_path: str | None = None

    @classmethod
    def from_json(cls, data: dict) -> "Request":
        return cls(Settings(**data["settings"]), data.get("mnist_path"))


@dataclass(frozen=True)
class Outcome:
    path: str  # the result's file (cached, or found already computed)


def checked(request: Request, who: Who) -> Request:
    """The settings resolved and checked: ``ValueError`` (an unknown preset too) with what is wrong."""
    try:
        return replace(request, settings=request.settings.resolved())
    except KeyError as e:
        raise ValueError(e.args[0]) from e


def title(request: Request) -> str:
    return f"Computing dubious labels: {request.settings.describe()}"


def about(request: Request) -> str:
    return f"dubious labels ({request.settings.preset}, {request.settings.folds} folds)"


def first_fields(request: Request) -> dict:
    return {"settings": asdict(request.settings)}


def run(request: Request, report: Report, should_stop: ShouldStop) -> Outcome:
    """The cached result if there is one, else compute and cache it; the caller holds the training lock."""
    from digitlab.data import load_mnist
    from digitlab.dubious import cache, folds

    report(0.0, "loading MNIST", phase="loading data")
    mnist = load_mnist(request.mnist_path)
    cached = cache.load(request.settings, mnist.fingerprint)
    if cached is not None:
        return Outcome(str(cached.path))
    result = folds.compute_and_save(request.settings, mnist, should_stop=should_stop,
                                    on_progress=lambda f, m: report(f, m, phase="computing"))
    return Outcome(str(result.path))
