"""Train a preset and store the model: the sidebar's Retrain, Dubious labels' "Retrain without them",
and ``train_model.py``.

The model is stored, not made the server's: the operator decides that after comparing old and new.
A visitor's model is theirs (``owner`` in its run.json, :mod:`digitlab.roles`). The job's status keeps
the epoch, batch, time left and the curves so far, for the sidebar and the Training page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import ClassVar

from digitlab.cancel import Report, ShouldStop
from digitlab.models import TrainConfig
from digitlab.roles import NotAllowed, Who

KIND = "train"


@dataclass(frozen=True)
class Request:
    """What to train. ``own_digits_of``: a visitor whose saved drawings join the training images;
    ``store_root``: the model store (None: the default); ``model_owner``: the visitor the model will
    belong to (None: the server's); ``run_id``/``replace``: store it under that id, replacing one
    (``train_model.py --ship`` only)."""

    KIND: ClassVar[str] = KIND
    config: TrainConfig
    own_digits_of: str | None = None
    mnist_path: str | None = None
    store_root: str | None = None
    model_owner: str | None = None
    source: str = "the app"
    run_id: str | None = None
    replace: bool = False

    @classmethod
    def from_json(cls, data: dict) -> "Request":
        config = TrainConfig(**{**data["config"], "exclude": tuple(data["config"].get("exclude", ()))})
        return cls(**{**data, "config": config})


@dataclass(frozen=True)
class Outcome:
    run_id: str
    test_accuracy: float
    training_seconds: float
    history: list


def checked(request: Request, who: Who) -> Request:
    """``request`` as ``who`` may start it from the app: its settings checked (``ValueError``), only
    their own drawings added, the model theirs unless they are the operator, never a replacement."""
    if request.own_digits_of not in (None, who.visitor_id):
        raise NotAllowed("Only your own drawings can be added to a training.")
    return replace(request, config=request.config.resolved(), model_owner=None if who.operator else who.visitor_id,
                   run_id=None, replace=False)


def title(request: Request) -> str:
    return f"Training {request.config.preset}"


def about(request: Request) -> str:
    return request.config.preset


def first_fields(request: Request) -> dict:
    return {"preset": request.config.preset, "config": asdict(request.config), "history": []}


def run(request: Request, report: Report, should_stop: ShouldStop) -> Outcome:
    """Load MNIST (and the visitor's drawings), train, store; nothing is stored if it fails or is cancelled."""
    from digitlab.data import load_mnist
    from digitlab.store import ModelStore
    from digitlab.training import train

    report(0.0, "loading data", phase="loading data")
    config = request.config.resolved()
    mnist = load_mnist(request.mnist_path)
    extra = None
    if request.own_digits_of:
        from digitlab.db import drawings

        mine = drawings.load(request.own_digits_of)
        extra = (mine.images, mine.labels)

    def on_progress(p) -> None:
        if p.phase == "preparing":
            report(0.0, "drawing the extra training images (pen digits, styles, non-digits)", phase=p.phase)
            return
        # Every epoch's end is written at once: it adds a point to the curves.
        report(p.fraction, f"epoch {p.epoch}/{p.epochs}, batch {p.batch}/{p.batches}", phase=p.phase,
               force=p.phase != "training" or p.batch == p.batches, epoch=p.epoch, epochs=p.epochs,
               batch=p.batch, batches=p.batches, elapsed=p.elapsed, remaining=p.remaining, logs=p.logs,
               history=p.history)

    result = train(config, mnist, extra=extra, on_progress=on_progress, should_stop=should_stop)
    report(1.0, "saving", phase="saving")
    info = {**result.info, "job_source": request.source}
    if request.model_owner:
        info["owner"] = request.model_owner
    store = ModelStore(Path(request.store_root) if request.store_root else None)
    run = store.save(result.model, info, result.test_probabilities, run_id=request.run_id, replace=request.replace)
    return Outcome(run.id, result.info["test_accuracy"], result.info["training_seconds"], result.info["history"])
