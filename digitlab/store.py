"""The model store: one folder per trained model, and which one is active.

Layout of ``model_store/``::

    default/               the model shipped with the repository (git tracks it)
    <run id>/model.keras   every model trained later (git ignores them)
    <run id>/run.json      preset, hyperparameters, history, test results, ...
    <run id>/test_probabilities.npy   float32 (10000, 10)
    active.json            {"id": ...}: the model the app uses

A run is written into a hidden temporary folder and renamed into place only
when complete, so a crash or a kill mid-save leaves the store as it was;
active.json is written atomically too (:mod:`digitlab.fileio`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from digitlab import paths
from digitlab.fileio import TMP_PREFIX, read_json, read_npy, write_json_atomic
from digitlab.models import canonical_preset

# The shipped model's id (its folder), not a preset: it was trained with the preset ``cnn``.
SHIPPED_ID = "default"
MODEL_FILE = "model.keras"
INFO_FILE = "run.json"
PROBS_FILE = "test_probabilities.npy"
ACTIVE_FILE = "active.json"


class ModelStoreError(RuntimeError):
    """A stored model is missing or unreadable; the message says which and why."""


@dataclass(frozen=True)
class StoredRun:
    """A folder in the store; ``info`` is its run.json (empty if unreadable)."""

    id: str
    path: Path
    info: dict

    @property
    def preset(self) -> str:
        """The preset it was trained with, by today's name ("?" if run.json does not say)."""
        return canonical_preset(self.info.get("preset")) or "?"

    @property
    def label(self) -> str:
        """How the app names it wherever models are listed: :func:`readable_name`."""
        return readable_name(self.id, self.info)


def readable_name(run_id: str, info: dict) -> str:
    """A name a person can tell models apart by, e.g. "cnn · 29 Nov 22:02 · 99.61% · quick try".

    Preset, when training began, MNIST test accuracy, and "quick try" when it learned from
    a subset of the training images; "Shipped" and no date for the model in the repository. A model
    fine-tuned on a class's drawings is measured on its held-out students, not on MNIST: "cnn for a
    class · 6 Dec 10:02 · 88% of 12 classmates' drawings". Ids (folder names such as
    ``20261129-184544-seed003-mlp5``) stay the app's internal handle.
    """
    if "error" in info:
        return f"{run_id} (damaged run.json)"
    held_out = info.get("held_out_accuracy")
    if isinstance(held_out, dict) and isinstance(held_out.get("after"), (int, float)):
        preset = str(info.get("preset", "?")).removesuffix("-class")
        when = _started(info)
        n = held_out.get("drawings")
        measured = f"{held_out['after']:.0%} of {n:,} classmates' drawings" if isinstance(n, int) else \
            f"{held_out['after']:.0%} of held-out classmates' drawings"
        return " · ".join([f"{preset} for a class", *([when] if when else []), measured])
    parts = [canonical_preset(info.get("preset")) or "?"]
    if run_id != SHIPPED_ID and (when := _started(info)):  # "Shipped" tells it apart; the sidebar is narrow
        parts.append(when)
    acc = info.get("test_accuracy")
    parts.append(f"{acc:.2%}" if isinstance(acc, (int, float)) else "accuracy ?")
    config = info.get("config")
    if isinstance(config, dict) and config.get("subset"):
        parts.append("quick try")
    name = " · ".join(parts)
    return f"Shipped: {name}" if run_id == SHIPPED_ID else name


def _started(info: dict) -> str | None:
    """When training began, "29 Nov 22:02"; None for an old or hand-made run.json (the other parts of a
    name still tell it apart)."""
    try:
        return datetime.fromisoformat(info["started"]).strftime("%-d %b %H:%M")
    except (KeyError, TypeError, ValueError):
        return None


class ModelStore:
    """Trained models on disk. ``root`` defaults to ``paths.model_store_dir()``."""

    def __init__(self, root: Path | None = None, shipped: Path | None = None):
        self.root = Path(root) if root else paths.model_store_dir()
        self.shipped = Path(shipped) if shipped else paths.shipped_model_dir()

    def path_of(self, run_id: str) -> Path:
        if run_id == SHIPPED_ID:
            return self.shipped
        if not run_id or "/" in run_id or "\\" in run_id or run_id.startswith("."):
            raise ModelStoreError(f"{run_id!r} is not a model id")
        return self.root / run_id

    def runs(self) -> list[StoredRun]:
        """Every stored model, the shipped one first, then newest first."""
        found = []
        if self.root.is_dir():
            for d in self.root.iterdir():
                if d.is_dir() and not d.name.startswith(".") and d.name != SHIPPED_ID and (d / INFO_FILE).exists():
                    found.append(StoredRun(d.name, d, _read_info(d)))
        found.sort(key=lambda r: r.info.get("started", ""), reverse=True)
        if (self.shipped / INFO_FILE).exists():
            found.insert(0, StoredRun(SHIPPED_ID, self.shipped, _read_info(self.shipped)))
        return found

    def get(self, run_id: str) -> StoredRun:
        path = self.path_of(run_id)
        if not (path / INFO_FILE).exists():
            raise ModelStoreError(f"there is no model {run_id!r} in {self.root}")
        return StoredRun(run_id, path, _read_info(path))

    def save(
        self, model, info: dict, test_probabilities: np.ndarray | None = None,
        run_id: str | None = None, replace: bool = False,
    ) -> StoredRun:
        """Store a trained Keras model with its run.json, atomically; returns the new run.

        ``replace`` swaps out an existing run of the same id (used to re-make
        the shipped model); otherwise an existing id is an error. run.json's
        ``trained_as`` names the run for good, by the id it would have had of
        its own: the shipped model's id is reused each time it is re-made, so
        a result that used it (a second opinion on the dubious labels) names
        it by ``trained_as``.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        own_id = self._new_id(info.get("preset", "model"))
        run_id = run_id or own_id
        final = self.path_of(run_id)
        if final.exists() and not replace:
            raise ModelStoreError(f"a model {run_id!r} already exists")
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=TMP_PREFIX))
        tmp.chmod(0o755)  # mkdtemp makes it private; a model folder is not a secret
        try:
            _inference_copy(model).save(tmp / MODEL_FILE)
            if test_probabilities is not None:
                np.save(tmp / PROBS_FILE, test_probabilities.astype(np.float32))  # float16 ties could flip an answer
            info = {**info, "id": run_id, "trained_as": info.get("trained_as", own_id)}
            (tmp / INFO_FILE).write_text(json.dumps(info, indent=1))
            if final.exists():
                old = final.parent / f"{TMP_PREFIX}replaced-{run_id}"
                os.rename(final, old)
                os.rename(tmp, final)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return StoredRun(run_id, final, info)

    def _new_id(self, preset: str) -> str:
        base = f"{datetime.now():%Y%m%d-%H%M%S}-{preset}"
        run_id, n = base, 1
        while (self.root / run_id).exists():
            n += 1
            run_id = f"{base}-{n}"
        return run_id

    def delete(self, run_id: str) -> None:
        """Remove a trained model (never the shipped one or the active one)."""
        if run_id == SHIPPED_ID:
            raise ModelStoreError("the shipped default model cannot be deleted")
        if run_id == self.active_id():
            raise ModelStoreError("the active model cannot be deleted: activate another first")
        path = self.path_of(run_id)
        # Rename first so a half-deleted folder never looks like a model.
        doomed = self.root / f"{TMP_PREFIX}deleted-{run_id}"
        os.rename(path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)

    def clean_temporary(self) -> int:
        """Remove temporary folders left by killed saves; returns how many."""
        removed = 0
        if self.root.is_dir():
            for d in self.root.glob(f"{TMP_PREFIX}*"):
                if d.is_dir():
                    shutil.rmtree(d, ignore_errors=True)
                    removed += 1
        return removed

    def active_id(self) -> str:
        """The id in active.json, or the shipped default if there is none."""
        active = read_json(self.root / ACTIVE_FILE)
        return str(active["id"]) if isinstance(active, dict) and "id" in active else SHIPPED_ID

    def set_active(self, run_id: str) -> None:
        """Make ``run_id`` the server's model; :class:`ModelStoreError` if it does not exist or cannot be written."""
        self.get(run_id)  # refuse ids that do not exist
        try:
            write_json_atomic(self.root / ACTIVE_FILE, {"id": run_id})
        except OSError as e:
            raise ModelStoreError(f"cannot change the active model: the model store {self.root} cannot be "
                                  f"written ({e.strerror or e})") from e

    def load(self, run_id: str):
        """(keras model, run) for ``run_id``; :class:`ModelStoreError` if unusable."""
        import keras  # deferred: listing the store should not cost a TensorFlow import

        run = self.get(run_id)
        model_path = run.path / MODEL_FILE
        if not model_path.exists():
            raise ModelStoreError(f"model {run_id!r} has no {MODEL_FILE} (looked in {run.path})")
        try:
            model = keras.models.load_model(model_path, compile=False)
        except (OSError, ValueError, zipfile.BadZipFile, KeyError, TypeError) as e:
            raise ModelStoreError(f"model file {model_path} is corrupt or unreadable: {e}") from e
        return model, run

    def load_or_shipped(self, run_id: str):
        """(model, run, warning): model ``run_id``, or the shipped one if it fails.

        ``warning`` is None when ``run_id`` loaded, else what went wrong; only a
        failing shipped model raises :class:`ModelStoreError`.
        """
        try:
            model, run = self.load(run_id)
            return model, run, None
        except ModelStoreError as e:
            if run_id == SHIPPED_ID:
                raise
            model, run = self.load(SHIPPED_ID)
            return model, run, f"{e}. Using the shipped default model instead."

    def load_active(self):
        """(model, run, warning): the active model, or the shipped one if it fails (:meth:`load_or_shipped`)."""
        return self.load_or_shipped(self.active_id())

    def load_for_cli(self, run_id: str | None):
        """The command-line tools' ``--model``: model ``run_id`` (a :class:`ModelStoreError` if it fails), or
        without one the active model, falling back to the shipped one with a warning on stderr."""
        if run_id:
            return self.load(run_id)[0]
        model, _, warning = self.load_active()
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
        return model

    def test_probabilities(self, run_id: str) -> np.ndarray | None:
        """float32 (10000, 10) test-set probabilities saved with the run, if any."""
        probabilities = read_npy(self.path_of(run_id) / PROBS_FILE)
        if probabilities is None or probabilities.ndim != 2 or probabilities.shape[1] != 10:
            return None  # missing or damaged: the page computes them instead
        return probabilities.astype(np.float32)


def _inference_copy(model):
    """The same network and weights, float32 throughout, without the optimizer's state.

    Keras 3 saves a compiled model's Adam moments too, tripling the file
    (20 MB instead of 7 for the default CNN); nobody resumes training from it.
    """
    from digitlab.models import float32_copy

    return model if getattr(model, "optimizer", None) is None else float32_copy(model)


# The run.json fields every page reads without asking, and the types they must have when present:
# one edited by hand to null or a number otherwise broke the model picker on every page.
INFO_TYPES = {"started": str, "preset": str, "description": str, "test_accuracy": (int, float),
              "training_seconds": (int, float), "history": list, "config": dict, "test_predictions": list,
              "train_images": int, "validation_images": int, "parameters": int}
# The same for the fields of its "config" (None is allowed: "subset": None is all of MNIST). A
# "subset": "lots" broke the Training page's table.
CONFIG_TYPES = {"epochs": int, "batch_size": int, "seed": int, "subset": int, "exclude": int,
                "validation_split": (int, float)}
HISTORY_FIGURES = ("loss", "accuracy")  # in every epoch's entry of "history"


def _read_info(folder: Path) -> dict:
    try:
        info = json.loads((folder / INFO_FILE).read_text())
    except OSError as e:
        return {"error": f"run.json unreadable ({e.strerror or e})"}  # not str(e): it names the server's path
    except ValueError as e:
        return {"error": f"run.json unreadable: {e}"}
    if not isinstance(info, dict):
        return {"error": "run.json is not an object"}
    damage = _damage(info)
    return {"error": damage} if damage else info


_KIND_WORDS = {str: "text", int: "a whole number", (int, float): "a number", list: "a list", dict: "an object"}


def _is(value, kind) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def _damage(info: dict) -> str | None:
    """What is wrong in a run.json the pages would trip over, in a few words; None if nothing."""
    for field, kind in INFO_TYPES.items():
        if field in info and not _is(info[field], kind):
            return f"run.json's {field!r} is {_short(info[field])}, not {_KIND_WORDS[kind]}"
    for field, kind in CONFIG_TYPES.items():
        value = info.get("config", {}).get(field)
        if value is not None and not _is(value, kind):
            return f"run.json's config {field!r} is {_short(value)}, not {_KIND_WORDS[kind]}"
    # Each epoch's figures, as training writes them: an "epoch" number from 1, its loss and accuracy,
    # and only numbers (the curves and the table read every one).
    for i, row in enumerate(info.get("history", []), 1):
        if not isinstance(row, dict):
            return f"run.json's 'history' entry {i} is {_short(row)}, not an epoch's figures"
        if not _is(row.get("epoch"), int) or row["epoch"] < 1:
            return f"run.json's 'history' entry {i} has no epoch number"
        missing = next((k for k in HISTORY_FIGURES if k not in row), None)
        if missing is not None:
            return f"run.json's 'history' entry {i} has no {missing!r}"
        bad = next((k for k, v in row.items() if not _is(v, (int, float))), None)
        if bad is not None:
            return f"run.json's 'history' entry {i} has {bad!r} {_short(row[bad])}, not a number"
    return None


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
