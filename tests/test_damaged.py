"""Damaged or hostile files: a clear message, the app working on, nothing lost.

(A damaged old marks file and a decompression bomb among old drawings: tests/test_db.py.)
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from digitlab import jobs, tasks
from digitlab.data import MnistUnavailable, load_mnist
from digitlab.images import MAX_BYTES, BadImage, read_image
from digitlab.jobs.lock import StoreNotWritable
from digitlab.models import TrainConfig
from digitlab.roles import Who
from digitlab.store import ModelStore
from digitlab.tasks import train as training_task
from tests import helpers
from tests.helpers import ROOT, mnist_path, read_only, tiny_model


def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    return helpers.run_cli(*args, timeout=300, **(env_extra or {}))


# --------------------------------------------------------------------------- a read-only model store


def test_starting_a_training_in_a_read_only_store_says_so():
    store = ModelStore()
    with read_only(store.root):
        with pytest.raises(StoreNotWritable, match="cannot be written"):
            tasks.start(training_task.Request(TrainConfig("seed003-mlp512-rmsprop", epochs=1, subset=100)),
                        Who("a" * 32, operator=True))


def retrain_form():
    from ui.retrain import settings_form

    settings_form()


def test_the_retrain_button_in_a_read_only_store_shows_a_message_that_stays(monkeypatch):
    monkeypatch.setenv("DIGITLAB_VISITORS_TRAIN", "1")
    at = AppTest.from_function(retrain_form, default_timeout=60)
    at.run()
    with read_only(ModelStore().root):
        at.button(key="rt-start").click().run()
        for _ in range(3):  # the panel redraws every second while anything runs
            assert any("cannot be written" in e.value for e in at.error), [e.value for e in at.error]
            at.run()
    assert not at.exception


@pytest.mark.mnist
def test_train_model_in_a_read_only_store_ends_with_a_message_not_a_traceback():
    store = ModelStore()
    with read_only(store.root):
        out = run_cli("train_model.py", "--preset", "seed003-mlp512-rmsprop", "--epochs", "1", "--subset", "100",
                      env_extra={"DIGITLAB_MNIST": mnist_path()})
    assert out.returncode == 2, out.stderr
    assert "cannot be written" in out.stderr and "Traceback" not in out.stderr


def test_a_job_left_running_in_a_read_only_store_is_reported_interrupted():
    store = ModelStore()
    job = jobs.job_dir("a" * 12, store.root)
    job.mkdir(parents=True)
    (job / "status.json").write_text(json.dumps({"state": "running", "pid": 2**22 + 7, "kind": "train",
                                                 "id": "a" * 12, "title": "Training", "started": "2026-01-01"}))
    with read_only(store.root):
        for _ in range(2):  # the panels ask every second: each time the same answer, no traceback
            assert jobs.get("a" * 12, store.root).state == "interrupted"
        jobs.dismiss("a" * 12, store.root)  # nothing can be forgotten in a read-only store; nothing fails either
    assert jobs.get("a" * 12, store.root).state == "interrupted"


@pytest.mark.mnist
@pytest.mark.parametrize("folder", ["cache", "store"])
def test_computing_dubious_labels_into_a_read_only_folder_says_so_before_training(folder, monkeypatch, capsys):
    from digitlab import paths
    from digitlab.dubious.__main__ import main as dubious_cli

    monkeypatch.setenv("DIGITLAB_MNIST", mnist_path())
    where = paths.cache_dir() / "dubious" if folder == "cache" else ModelStore().root
    with read_only(where):
        code = dubious_cli(["compute", "--preset", "seed003-mlp512-rmsprop", "--folds", "2", "--epochs", "1",
                            "--subset", "600"])
    err = capsys.readouterr().err
    assert code == 1 and "cannot be written" in err and "fold 1" not in err, err


# --------------------------------------------------------------------------- damaged run files


@pytest.mark.parametrize("field, value", [("started", None), ("started", 20260101), ("preset", ["cnn"]),
                                          ("training_seconds", None), ("test_accuracy", "99%"), ("history", {})])
def test_a_run_json_with_a_field_of_the_wrong_type_is_shown_as_damaged(field, value):
    store = ModelStore()
    good = store.save(tiny_model(), {"preset": "tiny", "started": "2026-01-02T00:00:00"})
    bad = store.save(tiny_model(), {"preset": "tiny", "started": "2026-01-01T00:00:00"})
    info = json.loads((bad.path / "run.json").read_text())
    (bad.path / "run.json").write_text(json.dumps({**info, field: value}))
    runs = {r.id: r for r in store.runs()}  # sorting by "started" used to fail on a null
    assert "error" not in runs[good.id].info
    assert f"'{field}'" in runs[bad.id].info["error"] and "damaged" in runs[bad.id].label


@pytest.mark.parametrize("change, said", [
    ({"history": [1, 2, 3]}, "'history' entry 1 is 1, not an epoch's figures"),
    ({"history": [{"loss": 0.5, "accuracy": 0.9}]}, "'history' entry 1 has no epoch number"),
    ({"history": [{"epoch": 1, "loss": "low", "accuracy": 0.9}]}, "'history' entry 1 has 'loss' 'low', not a number"),
    ({"history": [{"epoch": 1, "loss": 0.5}]}, "'history' entry 1 has no 'accuracy'"),
    ({"config": {"epochs": 1, "subset": "lots"}}, "config 'subset' is 'lots', not a whole number"),
    ({"validation_images": "some"}, "'validation_images' is 'some', not a whole number"),
])
def test_a_run_json_the_training_page_would_trip_over_is_skipped_there_with_a_message(change, said):
    store = ModelStore()
    bad = store.save(tiny_model(), {"preset": "tiny", "started": "2026-01-01T00:00:00", "config": {"epochs": 1},
                                    "history": [{"epoch": 1, "loss": 0.5, "accuracy": 0.9}]})
    info = json.loads((bad.path / "run.json").read_text())
    (bad.path / "run.json").write_text(json.dumps({**info, **change}))
    at = AppTest.from_file(str(ROOT / "main.py"), default_timeout=180)
    at.switch_page("pages/training.py")
    at.session_state["training-runs"] = [bad.id]  # picked (today it is listed, and picking it is a traceback)
    at.run()
    assert not at.exception, at.exception
    assert bad.id not in at.session_state["training-runs"]
    skipped = [c.value for c in at.caption if c.value.startswith("Not shown, their run.json is damaged")]
    assert skipped and bad.id in skipped[0] and said in skipped[0], skipped
    assert str(store.root) not in skipped[0]


@pytest.mark.parametrize("damage", [b"", b"\x93NUMPY garbage"])
def test_damaged_saved_test_probabilities_are_computed_again(damage):
    store = ModelStore()
    run = store.save(tiny_model(), {"preset": "tiny"}, test_probabilities=np.full((10000, 10), 0.1, np.float32))
    assert store.test_probabilities(run.id).shape == (10000, 10)
    (run.path / "test_probabilities.npy").write_bytes(damage)
    assert store.test_probabilities(run.id) is None  # the pages then compute them


def compare_page():
    import streamlit as st

    from ui.retrain import compare_dialog

    compare_dialog("0123456789ab", st.session_state["new-id"])


def test_comparing_with_a_model_that_has_no_mnist_results_says_so():
    # A model fine-tuned on a class's drawings is measured on held-out students, not on MNIST's test set.
    store = ModelStore()
    tuned = store.save(tiny_model(), {"preset": "tiny-class", "held_out_accuracy": {"before": 0.5, "after": 0.7}})
    store.set_active(tuned.id)
    new = store.save(tiny_model(), {"preset": "tiny", "test_accuracy": 0.5, "test_predictions": [0] * 10000})
    at = AppTest.from_function(compare_page, default_timeout=60)
    at.session_state["new-id"] = new.id
    at.run()
    assert not at.exception, at.exception
    assert any("No MNIST test results for" in i.value and tuned.label in i.value for i in at.info), at.info


@pytest.mark.parametrize("seed", ["-1", str(2**32), "abc"])
def test_a_bad_seed_is_a_usage_error(seed):
    out = run_cli("train_model.py", "--seed", seed)
    assert out.returncode == 2 and "usage:" in out.stderr and "--seed" in out.stderr
    assert "Traceback" not in out.stderr


# --------------------------------------------------------------------------- damaged MNIST


@pytest.mark.mnist
@pytest.mark.parametrize("where", [0.05, 0.6, 0.97])
def test_zeroed_bytes_in_mnist_are_reported_as_unavailable(tmp_path, where):
    damaged = tmp_path / "mnist.npz"
    shutil.copy(mnist_path(), damaged)
    data = bytearray(damaged.read_bytes())
    at = int(len(data) * where)
    data[at:at + 64] = bytes(64)  # a bad sector, a truncated copy
    damaged.write_bytes(bytes(data))
    with pytest.raises(MnistUnavailable, match="mnist.npz"):
        load_mnist(damaged)


def mnist_rewritten(path, compression: int = 0, damage: dict | None = None):
    """The real MNIST written again as an .npz at ``path``; ``damage``: array name -> what to do to its
    .npy bytes."""
    import zipfile

    with np.load(mnist_path()) as f, zipfile.ZipFile(path, "w", compression=compression) as z:
        for name in f.files:
            buf = io.BytesIO()
            np.save(buf, f[name])
            z.writestr(f"{name}.npy", (damage or {}).get(name, lambda raw: raw)(buf.getvalue()))
    return path


@pytest.mark.mnist
def test_a_damaged_deflate_stream_is_reported(tmp_path):
    """Bytes damaged at the start of a compressed member raised zlib.error before."""
    import zipfile

    path = mnist_rewritten(tmp_path / "mnist.npz", compression=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("x_train.npy")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)  # the local header is 30 bytes + name
    data[start:start + 4] = b"\xff" * 4
    path.write_bytes(bytes(data))
    with pytest.raises(MnistUnavailable, match="damaged"):
        load_mnist(path)


@pytest.mark.mnist
def test_mnist_header_damage_is_reported(tmp_path):
    """The .npy header inside the zip, damaged, raised tokenize.TokenError before."""
    damaged = mnist_rewritten(tmp_path / "mnist.npz", damage={
        "x_test": lambda raw: raw[:10] + b"{'descr': '|u1', 'fortran_order': (((" + raw[48:]})
    with pytest.raises(MnistUnavailable, match="damaged"):
        load_mnist(damaged)


def test_an_npy_given_as_mnist_is_explained(tmp_path):
    path = tmp_path / "x_train.npy"
    np.save(path, np.zeros((10, 28, 28), np.uint8))
    with pytest.raises(MnistUnavailable, match="single array"):
        load_mnist(path)


# --------------------------------------------------------------------------- big pictures


def test_a_big_jpeg_is_decoded_already_reduced():
    buf = io.BytesIO()
    Image.new("RGB", (6000, 4000), (240, 240, 240)).save(buf, format="JPEG", quality=50)
    picture = read_image(buf.getvalue())
    assert max(picture.shape[:2]) <= 1500 and min(picture.shape[:2]) >= 500  # 1/4 scale, still >= MAX_WORK_SIDE


def test_a_48_megapixel_phone_photo_is_read_at_an_eighth_and_a_huge_png_refused_with_a_hint():
    buf = io.BytesIO()
    Image.new("RGB", (8000, 6000), (240, 240, 240)).save(buf, format="JPEG", quality=30)
    assert len(buf.getvalue()) < MAX_BYTES
    assert read_image(buf.getvalue()).shape[:2] == (750, 1000)  # decoded at 1/8, never at 48 megapixels
    big_png = io.BytesIO()
    Image.new("1", (8000, 6000)).save(big_png, format="PNG")
    with pytest.raises(BadImage, match="crop it around the digit"):
        read_image(big_png.getvalue())


def test_streamlit_itself_refuses_uploads_over_10_mb():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_BYTES  # the app's own limit, the same
    assert config["client"]["toolbarMode"] == "viewer"
