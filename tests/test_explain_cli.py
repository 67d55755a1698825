"""The command-line contract of python -m digitlab.explain (other tools rely on it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitlab.preprocess import preprocess
from digitlab.store import ModelStore

from digitlab.explain.__main__ import main as explain_main
from digitlab.predict import main as predict_main
from tests.helpers import ROOT, run_cli, run_main, stroke_picture, tiny_model

SEVEN = [(0.25, 0.25), (0.75, 0.25), (0.45, 0.85)]
ONE = [(0.5, 0.1), (0.5, 0.9)]
FIELDS = {"file", "digit", "npz", "layers"}


def explain(*args: str) -> subprocess.CompletedProcess:
    """``python -m digitlab.explain *args``, a real process."""
    return run_cli("-m", "digitlab.explain", *args)


@pytest.fixture
def explain_here(capsys):
    """The same ``main()`` run in this process: what the tests after the first check is the CLI's
    behaviour, not its start-up (a subprocess importing TensorFlow costs 10 s on a busy machine)."""
    return lambda *args: run_main(explain_main, *args, capsys=capsys)


def save_png(path: Path, array: np.ndarray) -> str:
    Image.fromarray(array).save(path)
    return str(path)


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.mark.trained_model
def test_writes_input_and_saliency_and_prints_the_contract(tmp_path, shipped_classifier):
    from digitlab.explain import SALIENCY_METHOD, Network
    from digitlab.explain.saliency import saliency

    seven = save_png(tmp_path / "seven.png", stroke_picture(SEVEN))
    one = save_png(tmp_path / "one.png", stroke_picture(ONE))
    out = tmp_path / "out"
    r = explain("--out", str(out), seven, one)
    assert r.returncode == 0, r.stderr
    rows = lines(r.stdout)
    assert [row["file"] for row in rows] == [seven, one]
    assert [row["digit"] for row in rows] == [7, 1]

    network = Network(shipped_classifier.model)
    layers = [{"name": i.name, "shape": list(i.shape)} for i in network.layers]
    for row, points in zip(rows, (SEVEN, ONE)):
        assert set(row) == FIELDS
        assert row["layers"] == layers and row["layers"][-1]["shape"] == [10]
        assert row["npz"] == str(out / (Path(row["file"]).stem + ".npz"))
        with np.load(row["npz"]) as f:
            assert set(f.files) == {"input", "saliency"}
            x, s = f["input"], f["saliency"]
        assert x.dtype == np.float32 and x.shape == (28, 28)  # what the shipped model takes
        assert s.dtype == np.float32 and s.shape == (28, 28)
        # exactly the array the model takes: the page's preprocessing, and the model answers the same digit from it
        np.testing.assert_array_equal(x.reshape(28, 28), preprocess(stroke_picture(points)).image)
        assert int(shipped_classifier.model(x[None]).numpy().argmax()) == row["digit"]
        # the evidence for the predicted digit: the chosen method's map
        np.testing.assert_allclose(s, saliency(network, x.reshape(28, 28), row["digit"], SALIENCY_METHOD), atol=1e-4)
        assert s.max() > 0 and s[x.reshape(28, 28) > 0.5].sum() > 0


@pytest.mark.trained_model
@pytest.mark.mnist
def test_digits_agree_with_predict_on_mnist_test_images(tmp_path, mnist, explain_here, capsys):
    files = [save_png(tmp_path / f"test{i}.png", mnist.x_test[i]) for i in range(6)]
    r = explain_here("--out", str(tmp_path / "out"), *files)
    assert r.returncode == 0, r.stderr
    p = run_main(predict_main, *files, capsys=capsys)
    assert p.returncode == 0, p.stderr
    assert [row["digit"] for row in lines(r.stdout)] == [row["digit"] for row in lines(p.stdout)]
    assert [row["digit"] for row in lines(r.stdout)] == mnist.y_test[:6].tolist()


@pytest.mark.trained_model
def test_no_digit_gives_null_and_writes_nothing(tmp_path, explain_here):
    blank = save_png(tmp_path / "blank.png", np.full((50, 50), 255, np.uint8))
    dot = save_png(tmp_path / "dot.png", stroke_picture([(0.5, 0.5), (0.51, 0.5)]))
    out = tmp_path / "out"
    r = explain_here("--out", str(out), blank, dot)
    assert r.returncode == 0, r.stderr
    rows = lines(r.stdout)
    assert [(row["file"], row["digit"], row["npz"]) for row in rows] == [(blank, None, None), (dot, None, None)]
    assert all(set(row) == FIELDS and len(row["layers"]) > 3 for row in rows)
    assert list(out.iterdir()) == []


@pytest.mark.trained_model
def test_bad_files_are_reported_and_the_rest_still_explained(tmp_path, explain_here):
    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    good = save_png(tmp_path / "good.png", stroke_picture(SEVEN))
    missing = str(tmp_path / "missing.png")
    out = tmp_path / "out"
    r = explain_here("--out", str(out), str(bad), good, missing)
    assert r.returncode == 1
    assert [row["file"] for row in lines(r.stdout)] == [good]
    assert "notes.png" in r.stderr and "missing.png" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["good.npz"]


def test_another_stored_model_lists_its_own_layers(tmp_path, explain_here):
    run = ModelStore().save(tiny_model(), {"preset": "tiny", "started": "2026-01-01T00:00:00"})
    seven = save_png(tmp_path / "seven.png", stroke_picture(SEVEN))
    r = explain_here("--model", run.id, "--out", str(tmp_path / "out"), seven)
    assert r.returncode == 0, r.stderr
    row = lines(r.stdout)[0]
    assert [layer["shape"] for layer in row["layers"]] == [[784], [10]]
    with np.load(row["npz"]) as f:
        assert f["input"].shape == (28, 28) and f["saliency"].shape == (28, 28)


def test_unknown_model_and_missing_out_are_clear_errors(tmp_path, explain_here):
    r = explain("--model", "no-such-model", "--out", str(tmp_path), "x.png")
    assert r.returncode == 2 and "no model 'no-such-model'" in r.stderr
    r = explain_here("x.png")
    assert r.returncode == 2 and "--out" in r.stderr


@pytest.mark.parametrize("cli", ["digitlab.explain.__main__", "digitlab.predict"])
def test_the_clis_say_a_wrong_argument_before_tensorflow_starts(cli):
    # Importing the CLI (all it needs to check --out and --model) loads no TensorFlow: its start-up
    # took 4.4 s of the 4.7 a wrong --out cost explain before.
    code = f"import sys, {cli}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'tensorflow', 'keras'}}))"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
