"""The kinds of background job, each a ``start_…`` for the app and a ``run`` for the runner.

- ``train``: train a preset and store the model (not active: the user decides
  that after comparing old and new). Its status keeps the epoch, batch, time
  left and the curves so far, for the sidebar and the Training page.
- ``dubious``: the out-of-fold probabilities behind Dubious labels, cached like
  ``python -m digitlab.dubious compute`` does.

Heavy imports (TensorFlow) happen inside the functions: the app has them
already, and starting a job must not cost them a second time.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from digitlab import jobs, paths

if TYPE_CHECKING:
    from digitlab.dubious import Settings
    from digitlab.training import TrainConfig

Report = Callable[..., None]
ShouldStop = Callable[[], bool]


# --------------------------------------------------------------------------- train


def start_training(
    config: "TrainConfig", *, source: str = "the app", own_digits_of: str | None = None,
    mnist_path: str | None = None, root: Path | None = None,
) -> dict:
    """Train ``config`` in the background; returns the first status.

    ``own_digits_of``: a visitor id whose saved drawings are added to the training images.

    Raises ``TrainingBusy`` if any training runs, ``ValueError`` for a bad config.
    """
    config = config.resolved()
    store_root = str(Path(root) if root else paths.model_store_dir())
    params = {"config": asdict(config), "own_digits_of": own_digits_of, "mnist_path": mnist_path,
              "store_root": store_root, "source": source}
    return jobs.start("train", params, title=f"Training {config.preset}", about=config.preset, source=source,
                      fields={"preset": config.preset, "config": params["config"], "history": []}, root=root)


def train(params: dict, report: Report, should_stop: ShouldStop) -> dict:
    from digitlab.data import load_mnist
    from digitlab.store import ModelStore
    from digitlab.training import TrainConfig
    from digitlab.training import train as train_model

    report(0.0, "loading data", phase="loading data")
    config = TrainConfig(**{**params["config"], "exclude": tuple(params["config"]["exclude"])})
    mnist = load_mnist(params.get("mnist_path"))
    extra = None
    if params.get("own_digits_of"):
        from digitlab.db import drawings

        mine = drawings.load(params["own_digits_of"])
        extra = (mine.images, mine.labels)

    def on_progress(p) -> None:
        # Every epoch's end is written at once: it adds a point to the curves.
        report(p.fraction, f"epoch {p.epoch}/{p.epochs}, batch {p.batch}/{p.batches}", phase=p.phase,
               force=p.phase != "training" or p.batch == p.batches, epoch=p.epoch, epochs=p.epochs,
               batch=p.batch, batches=p.batches, elapsed=p.elapsed, remaining=p.remaining, logs=p.logs,
               history=p.history)

    result = train_model(config, mnist, extra=extra, on_progress=on_progress, should_stop=should_stop)
    report(1.0, "saving", phase="saving")
    run = ModelStore(Path(params["store_root"])).save(
        result.model, {**result.info, "job_source": params.get("source")}, result.test_probabilities)
    return {"run_id": run.id, "test_accuracy": result.info["test_accuracy"],
            "training_seconds": result.info["training_seconds"], "history": result.info["history"]}


# --------------------------------------------------------------------------- dubious


def start_dubious(settings: "Settings", *, mnist_path: str | None = None, source: str = "the app",
                  root: Path | None = None) -> dict:
    """Compute (and cache) the out-of-fold probabilities for ``settings`` in the background.

    Raises ``TrainingBusy`` if any training runs, ``KeyError``/``ValueError`` for bad settings.
    """
    s = settings.resolved()
    return jobs.start("dubious", {"settings": asdict(s), "mnist_path": mnist_path},
                      title=f"Computing dubious labels: {s.describe()}",
                      about=f"dubious labels ({s.preset}, {s.folds} folds)", source=source,
                      fields={"settings": asdict(s)}, root=root)


def dubious(params: dict, report: Report, should_stop: ShouldStop) -> dict:
    from digitlab.data import load_mnist
    from digitlab.dubious import Settings, cache, folds

    settings = Settings(**params["settings"])
    report(0.0, "loading MNIST", phase="loading data")
    mnist = load_mnist(params.get("mnist_path"))
    cached = cache.load(settings, mnist.fingerprint)
    if cached is not None:
        return {"path": str(cached.path)}
    result = folds.compute_and_save(settings, mnist, on_progress=lambda f, m: report(f, m, phase="computing"),
                                    should_stop=should_stop)
    return {"path": str(result.path)}
