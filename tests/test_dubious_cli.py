"""digitlab.dubious: the command line's contract and the background job."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from digitlab import dubious, jobs
from digitlab.dubious import cache
from digitlab.dubious.__main__ import main as cli_main
from digitlab import tasks
from digitlab.roles import Who
from digitlab.tasks import dubious as dubious_task
from digitlab.jobs.lock import TrainingBusy, TrainingLock, is_held
from tests.helpers import run_cli, wait_for_job

# --------------------------------------------------------------------------- CLI


def cli(*args, **env):
    return run_cli("-m", "digitlab.dubious", *args, **env)


# The contract, not the network, is tested here: the seed-003 MLP trains and scores in a fraction of the CNN's time.
SMALL_FLAGS = ["--preset", "seed003-mlp512-rmsprop", "--folds", "3", "--epochs", "1", "--subset", "600"]


@pytest.mark.slow  # three real fold models trained by the CLI
@pytest.mark.mnist
def test_cli_rank_computes_when_missing_then_prints_both_splits_from_the_cache(mnist):
    first = cli("rank", "--split", "train", "--top", "5", *SMALL_FLAGS)
    assert first.returncode == 0, first.stderr
    assert "computing" in first.stderr and "fold 3/3" in first.stderr  # progress, on stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "rank,index,given_label,suggested_label,score" and len(lines) == 6
    rows = list(csv.DictReader(io.StringIO(first.stdout)))
    assert [int(r["rank"]) for r in rows] == [1, 2, 3, 4, 5]
    for r in rows:
        i = int(r["index"])
        assert 0 <= i < 600 and int(r["given_label"]) == mnist.y_train[i]
        assert int(r["suggested_label"]) != int(r["given_label"])  # the top five are disagreements
    test = cli("rank", "--split", "test", "--top", "3", "--method", "self_confidence", *SMALL_FLAGS)
    assert test.returncode == 0, test.stderr
    assert "computing" not in test.stderr  # from the cache
    rows = list(csv.DictReader(io.StringIO(test.stdout)))
    assert len(rows) == 3 and all(int(r["given_label"]) == mnist.y_test[int(r["index"])] for r in rows)
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("args, message", [
    (["rank", "--split", "validation", "--top", "5"], "invalid choice"),
    (["rank", "--split", "train", "--top", "0"], "at least 1"),
    (["rank", "--split", "train"], "--top"),
    (["rank", "--split", "train", "--top", "5", "--method", "vibes"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_cli_bad_arguments_exit_2_with_a_message(args, message):
    r = cli(*args)
    assert r.returncode == 2 and message in r.stderr and r.stdout == ""


def test_cli_unknown_preset_is_a_clear_error():
    r = cli("rank", "--split", "train", "--top", "5", "--preset", "nope")
    assert r.returncode == 2 and "unknown preset 'nope'" in r.stderr and r.stdout == ""


@pytest.mark.parametrize("args, message", [
    (["--folds", "1"], "folds must be from 2 to 20"),
    (["--subset", "50"], "subset must be from 200 to 60000"),
    (["--epochs", "0"], "must be at least 1, not 0"),
])
def test_cli_bad_settings_exit_2_with_a_message(args, message, capsys):
    # In-process (the same main() as `python -m digitlab.dubious`): each check fails before MNIST is read.
    try:
        code = cli_main(["rank", "--split", "train", "--top", "5", *args])
    except SystemExit as e:  # argparse's own checks
        code = e.code
    out = capsys.readouterr()
    assert code == 2 and message in out.err and out.out == ""


def test_cli_without_mnist_says_what_to_do():
    r = cli("rank", "--split", "train", "--top", "5", DIGITLAB_MNIST="/nonexistent/mnist.npz")
    assert r.returncode == 1 and "DIGITLAB_MNIST" in r.stderr and "does not exist" in r.stderr


@pytest.mark.mnist
def test_cli_compute_waits_for_no_one_while_a_training_runs(mnist):
    with TrainingLock({"preset": "cnn", "source": "train_model.py"}):
        r = cli("compute", *SMALL_FLAGS)
    assert r.returncode == 1 and "already running" in r.stderr and "train_model.py" in r.stderr
    assert not list((Path(os.environ["DIGITLAB_CACHE"]) / "dubious").glob("oof-*"))


OPERATOR = Who("a" * 32, operator=True)


@pytest.mark.slow  # two real runner processes, one computing the folds
@pytest.mark.mnist
def test_background_compute_for_the_app_can_be_cancelled_and_completes(mnist, monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "SHIPPED_DIR", tmp_path / "none-shipped")
    # The fastest real run (an MLP, 200 images): this test is about the process.
    TINY = dubious.Settings.for_preset("seed003-mlp512-rmsprop", folds=2, epochs=1, subset=200, reference=None)
    request = dubious_task.Request(TINY, mnist_path=mnist.source)
    first = tasks.start(request, OPERATOR)
    assert first.kind == "dubious" and "2 folds" in first.title
    assert is_held()  # the runner holds the training lock ...
    with pytest.raises(TrainingBusy, match="dubious labels"):  # ... so a second start is refused at once
        tasks.start(request, OPERATOR)
    tasks.cancel(first.id, OPERATOR)
    assert wait_for_job(first.id, timeout=600).state == jobs.State.CANCELLED
    assert dubious.load(TINY, mnist.fingerprint) is None and not is_held()

    second = tasks.start(request, OPERATOR)
    status = wait_for_job(second.id, timeout=600)
    assert status.state == jobs.State.DONE, status
    assert status.fraction == 1.0 and not is_held()
    assert dubious.load(TINY, mnist.fingerprint).path == Path(tasks.outcome(status).path)


def test_cli_default_settings_are_the_shipped_results_settings(monkeypatch):
    seen = {}

    def fake_load(settings, fingerprint):
        seen["settings"] = settings.resolved()
        raise SystemExit(0)

    monkeypatch.setattr(cache, "load", fake_load)
    monkeypatch.setattr("digitlab.data.load_mnist", lambda path=None: type("M", (), {"fingerprint": "x"})())
    with pytest.raises(SystemExit):
        cli_main(["rank", "--split", "train", "--top", "3"])
    assert seen["settings"] == dubious.Settings().resolved()
    assert (seen["settings"].preset, seen["settings"].epochs) == (dubious.FOLD_PRESET, dubious.FOLD_EPOCHS)


def test_one_default_number_of_epochs_per_fold_model():
    assert dubious.Settings.for_preset().epochs == dubious.FOLD_EPOCHS == dubious.Settings().epochs
    assert dubious.Settings.for_preset() == dubious.Settings()  # one home for the defaults
    other = dubious.Settings.for_preset("seed003-mlp512-rmsprop")
    assert other.resolved().epochs == 4 and not other.augment and not other.tta  # the preset's own, plain
    assert dubious.Settings.for_preset("seed003-mlp512-rmsprop", augment=True).augment
    assert dubious.Settings.for_preset("seed003-mlp512-rmsprop", epochs=2).epochs == 2
    r = cli("rank", "--help")
    assert f"default: {dubious.FOLD_EPOCHS} for {dubious.FOLD_PRESET}" in " ".join(r.stdout.split())


@pytest.mark.mnist
def test_the_shipped_result_is_the_one_the_default_settings_use(mnist):
    # Changing the default network changes the settings' key: the shipped file must be remade with it.
    result = dubious.load(dubious.Settings(), mnist.fingerprint)
    assert result is not None, f"no {dubious.file_name(dubious.Settings(), mnist.fingerprint)} in {cache.SHIPPED_DIR}"
    assert dubious.is_shipped(result.path)


def test_the_network_key_names_the_network_not_the_process():
    import keras

    from digitlab.models import architecture_key

    first = architecture_key.__wrapped__("cnn")
    keras.optimizers.Adam(), keras.Sequential([keras.layers.Dense(3)])  # Keras numbers later names: adam_1, ...
    assert architecture_key.__wrapped__("cnn") == first
    assert architecture_key.__wrapped__("seed003-mlp512-rmsprop") != first
