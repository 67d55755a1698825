"""The kinds of background job, each a ``start_…`` for the app and a ``run`` for the runner.

- ``train``: train a preset and store the model (not active: the user decides
  that after comparing old and new). Its status keeps the epoch, batch, time
  left and the curves so far, for the sidebar and the Training page.
- ``dubious``: the out-of-fold probabilities behind Dubious labels, cached like
  ``python -m digitlab.dubious compute`` does.
- ``class_retrain``: a model fine-tuned briefly on a class's drawings from some
  students, compared with the model it started from on the others' drawings.

Heavy imports (TensorFlow) happen inside the functions: the app has them
already, and starting a job must not cost them a second time.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime
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
        if p.phase == "preparing":
            report(0.0, "drawing the extra training images (pen digits, styles, non-digits)", phase=p.phase)
            return
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


# --------------------------------------------------------------------------- class_retrain


def start_class_retrain(teacher_id: str, class_id: int, model_id: str, *, source: str = "the Classes page",
                        root: Path | None = None) -> dict:
    """Fine-tune model ``model_id`` on class ``class_id``'s drawings (its teacher asks) in the background.

    Raises ``TrainingBusy`` if any training runs.
    """
    params = {"teacher_id": teacher_id, "class_id": int(class_id), "model_id": model_id,
              "store_root": str(Path(root) if root else paths.model_store_dir()), "source": source}
    return jobs.start("class_retrain", params, title="Retraining with the class's drawings",
                      about=f"class retraining ({model_id})", source=source, fields={"class_id": int(class_id)},
                      root=root)


def class_retrain(params: dict, report: Report, should_stop: ShouldStop) -> dict:
    import numpy as np

    from digitlab import classroom
    from digitlab.db import classes
    from digitlab.inference import Classifier
    from digitlab.store import ModelStore

    started, t0 = datetime.now().isoformat(timespec="seconds"), time.monotonic()
    report(0.0, "loading the class's drawings", phase="loading data")
    got = classes.class_drawings(params["teacher_id"], params["class_id"])
    train, test = classroom.split_students(got.students)
    store = ModelStore(Path(params["store_root"]))
    model, run = store.load(params["model_id"])
    report(0.1, f"fine-tuning on {int(train.sum())} drawings", phase="training")
    d = got.drawings
    tuned = classroom.fine_tune(model, d.images[train], d.labels[train], should_stop=should_stop)
    report(0.9, "comparing on the held-out students", phase="evaluating")
    y = d.labels[test]
    before = float((Classifier(model).probabilities(d.images[test]).argmax(1) == y).mean())
    after = float((Classifier(tuned).probabilities(d.images[test]).argmax(1) == y).mean())
    held_out = sorted(set(got.students[test].tolist()))
    saved = store.save(tuned, {
        "preset": f"{run.preset}-class", "based_on": run.id, "started": started, "job_source": params.get("source"),
        "training_seconds": time.monotonic() - t0, "held_out_accuracy": {"before": before, "after": after},
        "description": f"{run.id} fine-tuned on a class's drawings ({int(train.sum())} drawings)"})
    return {"run_id": saved.id, "before": before, "after": after, "held_out": held_out,
            "train_drawings": int(train.sum()), "test_drawings": int(test.sum()),
            "train_students": int(len(set(got.students[train].tolist()))), "model_id": params["model_id"],
            "labels_seen": np.bincount(d.labels[train], minlength=10).tolist()}
