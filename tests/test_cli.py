"""The command-line contracts: python -m digitlab.predict and train_model.py."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitlab.jobs.lock import TrainingLock

from digitlab.predict import main as predict_main
from tests.helpers import mnist_path, run_cli, run_main, stroke_picture


def run(args, **env):
    return run_cli(*args, **env)


@pytest.fixture
def predict_here(capsys):
    """``python -m digitlab.predict``'s own main(), in this process: the contract test above it runs the
    real process; these check behaviour without a TensorFlow start-up each."""
    return lambda *args: run_main(predict_main, *args, capsys=capsys)


def save_png(path, array):
    Image.fromarray(array).save(path)
    return str(path)


@pytest.mark.mnist
@pytest.mark.trained_model
def test_predict_prints_one_json_line_per_image(tmp_path, mnist):
    files = [save_png(tmp_path / f"test{i}.png", mnist.x_test[i]) for i in range(5)]
    blank = save_png(tmp_path / "blank.png", np.full((50, 50), 255, np.uint8))
    r = run(["-m", "digitlab.predict", *files, blank])
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["file"] for row in rows] == files + [blank]
    for row, label in zip(rows, mnist.y_test[:5]):
        assert set(row) == {"file", "digit", "confidence", "probabilities"}
        assert row["digit"] == label
        assert len(row["probabilities"]) == 10 and abs(sum(row["probabilities"]) - 1) < 1e-3
        assert row["confidence"] == max(row["probabilities"])
    assert rows[-1]["digit"] is None and rows[-1]["confidence"] == 0.0


@pytest.mark.trained_model
def test_predict_reads_a_canvas_like_rgba_drawing(tmp_path, predict_here):
    seven = save_png(tmp_path / "seven.png", stroke_picture([(0.25, 0.25), (0.75, 0.25), (0.45, 0.85)]))
    r = predict_here(seven)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["digit"] == 7


@pytest.mark.mnist
@pytest.mark.trained_model
def test_predict_reports_bad_files_and_still_classifies_the_rest(tmp_path, mnist, predict_here):
    good = save_png(tmp_path / "good.png", mnist.x_test[0])
    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    missing = str(tmp_path / "missing.png")
    r = predict_here(str(bad), good, missing)
    assert r.returncode == 1
    assert [json.loads(line)["file"] for line in r.stdout.splitlines()] == [good]
    assert "notes.png" in r.stderr and "missing.png" in r.stderr


def test_predict_unknown_model_is_a_clear_error():
    r = run(["-m", "digitlab.predict", "--model", "no-such-model", "x.png"])
    assert r.returncode == 2 and "no model 'no-such-model'" in r.stderr


def test_train_bad_arguments_exit_non_zero_with_a_message():
    for args, text in [
        (["--preset", "nope"], "unknown preset"),
        (["--epochs", "0"], "epochs must be at least 1"),
        (["--preset", "seed000-mlp784", "--keep-best"], "keep-best needs a validation split"),
        (["--epochs", "three"], "invalid int value"),
    ]:
        r = run(["train_model.py", *args])
        assert r.returncode == 2, args
        assert text in r.stderr, (args, r.stderr)


@pytest.mark.mnist
def test_train_refuses_bad_settings_and_a_busy_lock_before_loading_tensorflow():
    # Said at once: TensorFlow's start-up (seconds; tens of them on a busy machine) comes after every check.
    code = ("import sys, train_model\n"
            "from digitlab.jobs.lock import TrainingLock\n"
            "codes = [train_model.main(['--epochs', '0'])]\n"
            "with TrainingLock({'preset': 'cnn', 'source': 'the app'}):\n"
            "    codes.append(train_model.main(['--preset', 'seed000-mlp784']))\n"
            "print(codes, 'tensorflow' in sys.modules)\n")
    r = run(["-c", code], DIGITLAB_MNIST=mnist_path())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[2, 3] False", r.stdout  # refused with its exit codes, TensorFlow never loaded


def test_train_without_mnist_says_what_to_do(tmp_path):
    r = run(["train_model.py", "--preset", "seed000-mlp784", "--mnist", str(tmp_path / "none.npz")])
    assert r.returncode == 2 and "DIGITLAB_MNIST" in r.stderr


def test_train_is_refused_while_another_training_runs(tmp_path):
    store = os.environ["DIGITLAB_MODEL_STORE"]
    with TrainingLock({"preset": "cnn", "source": "the app"}):
        r = run(["train_model.py", "--preset", "seed000-mlp784", "--mnist", mnist_path() or "x"])
    assert r.returncode == 3 and "already running" in r.stderr and "the app" in r.stderr
    assert not any(p.name != ".training.lock" for p in Path(store).iterdir())


@pytest.mark.mnist
def test_train_cli_trains_stores_and_activates(tmp_path):
    r = run(["train_model.py", "--preset", "seed000-mlp784", "--epochs", "1", "--subset", "2000",
             "--activate", "--mnist", mnist_path()])
    assert r.returncode == 0, r.stderr
    assert "epoch 1/1" in r.stdout and "test accuracy" in r.stdout
    saved = r.stdout.strip().splitlines()[-1]
    assert saved.startswith("saved to ") and saved.endswith("[active]")
    run_dir = saved.removeprefix("saved to ").removesuffix("  [active]")
    info = json.loads(open(os.path.join(run_dir, "run.json")).read())
    assert info["preset"] == "seed000-mlp784" and info["train_images"] == 2000
    # Measured on the whole test set, whatever the training subset (only a library caller asks for fewer).
    assert info["test_images"] == 10000 and len(info["test_predictions"]) == 10000
    active = json.loads(open(os.path.join(os.environ["DIGITLAB_MODEL_STORE"], "active.json")).read())
    assert active["id"] == info["id"]
