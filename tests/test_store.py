import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from digitlab.store import SHIPPED_ID, ModelStore, ModelStoreError, readable_name

from tests.helpers import ROOT, tiny_model


def info(preset="seed003-mlp512-rmsprop", acc=0.97):
    return {"preset": preset, "test_accuracy": acc, "started": "2026-01-01T00:00:00+00:00"}


def test_save_and_load_round_trip(tmp_path):
    store = ModelStore(tmp_path / "s")
    model = tiny_model()
    run = store.save(model, info(), np.full((10000, 10), 0.1, np.float32))
    loaded, again = store.load(run.id)
    x = np.random.default_rng(0).random((3, 28, 28), np.float32)
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)
    assert again.info["preset"] == "seed003-mlp512-rmsprop" and again.info["id"] == run.id
    assert store.test_probabilities(run.id).shape == (10000, 10)
    assert [r.id for r in store.runs()][-1] == run.id


def test_a_run_remade_under_its_id_is_told_apart_by_what_it_was_trained_as(tmp_path):
    store = ModelStore(tmp_path / "s", shipped=tmp_path / "shipped")
    own = store.save(tiny_model(), info())
    assert own.info["trained_as"] == own.id  # a run of its own: the two names are one
    shipped = store.save(tiny_model(), info(), run_id=SHIPPED_ID, replace=True)  # train_model.py --ship
    assert shipped.id == SHIPPED_ID and "-seed003-mlp512-rmsprop" in shipped.info["trained_as"]
    assert store.get(SHIPPED_ID).info["trained_as"] == shipped.info["trained_as"] != SHIPPED_ID


def test_failure_mid_save_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    store = ModelStore(tmp_path / "s")
    first = store.save(tiny_model(), info())
    before = sorted(p.name for p in store.root.iterdir())

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "save", disk_full)  # fails after model.keras was written
    with pytest.raises(OSError):
        store.save(tiny_model(), info(), np.zeros((10000, 10), np.float32))
    assert sorted(p.name for p in store.root.iterdir()) == before
    assert [r.id for r in store.runs() if r.id != SHIPPED_ID] == [first.id]


def test_killed_process_mid_save_leaves_no_model_behind(tmp_path):
    root = tmp_path / "s"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / 'tests')!r})
        import numpy as np
        from tests.helpers import tiny_model
        from digitlab.store import ModelStore
        def slow_save(*a, **k):
            print("saving", flush=True)
            time.sleep(60)
        np.save = slow_save
        ModelStore({str(root)!r}).save(tiny_model(), {{"preset": "x"}}, np.zeros((10000, 10)))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "saving"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = ModelStore(root)
    assert [r.id for r in store.runs() if r.id != SHIPPED_ID] == []  # the half-written folder is hidden
    assert store.clean_temporary() == 1
    assert list(root.iterdir()) == []


def test_corrupt_model_file_gives_a_clear_message_and_active_falls_back(tmp_path):
    store = ModelStore(tmp_path / "s")
    run = store.save(tiny_model(), info())
    store.set_active(run.id)
    (run.path / "model.keras").write_bytes(b"garbage")
    with pytest.raises(ModelStoreError, match="corrupt or unreadable"):
        store.load(run.id)
    model, used, warning = store.load_active()
    assert used.id == SHIPPED_ID and "corrupt" in warning and "shipped default" in warning


def test_missing_model_file_gives_a_clear_message(tmp_path):
    store = ModelStore(tmp_path / "s")
    run = store.save(tiny_model(), info())
    (run.path / "model.keras").unlink()
    with pytest.raises(ModelStoreError, match="has no model.keras"):
        store.load(run.id)


def test_unknown_and_malicious_ids_are_refused(tmp_path):
    store = ModelStore(tmp_path / "s")
    with pytest.raises(ModelStoreError):
        store.load("no-such-run")
    with pytest.raises(ModelStoreError):
        store.load("../../etc")
    with pytest.raises(ModelStoreError):
        store.set_active("no-such-run")


def test_active_pointer_defaults_to_shipped_and_survives_a_new_store_object(tmp_path):
    store = ModelStore(tmp_path / "s")
    assert store.active_id() == SHIPPED_ID
    run = store.save(tiny_model(), info())
    store.set_active(run.id)
    assert ModelStore(tmp_path / "s").active_id() == run.id
    (store.root / "active.json").write_text("{not json")
    assert store.active_id() == SHIPPED_ID


def test_unreadable_run_json_is_listed_with_an_error(tmp_path):
    store = ModelStore(tmp_path / "s")
    run = store.save(tiny_model(), info())
    (run.path / "run.json").write_text("{broken")
    listed = {r.id: r for r in store.runs()}
    assert "error" in listed[run.id].info


def test_delete_refuses_active_and_shipped(tmp_path):
    store = ModelStore(tmp_path / "s")
    a, b = store.save(tiny_model(), info()), store.save(tiny_model(), info())
    store.set_active(a.id)
    with pytest.raises(ModelStoreError):
        store.delete(a.id)
    with pytest.raises(ModelStoreError):
        store.delete(SHIPPED_ID)
    store.delete(b.id)
    assert b.id not in [r.id for r in store.runs()]


@pytest.mark.trained_model
def test_shipped_model_has_a_complete_run_json():
    run = ModelStore().get(SHIPPED_ID)
    for key in ("preset", "config", "history", "test_accuracy", "confusion_matrix", "test_predictions",
                "training_seconds", "versions", "data_fingerprint"):
        assert key in run.info, key
    assert run.info["test_accuracy"] >= 0.996
    assert len(run.info["test_predictions"]) == 10000


def test_a_compiled_model_is_stored_without_its_optimizer_state(tmp_path):
    model = tiny_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = np.random.default_rng(0).random((8, 28, 28), np.float32), np.arange(8)
    model.fit(x, y, epochs=1, verbose=0)  # Adam now holds moments as big as the weights
    store = ModelStore(tmp_path)
    loaded, _ = store.load(store.save(model, info()).id)
    assert not loaded.compiled and getattr(loaded, "optimizer", None) is None
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


def test_readable_name_says_preset_date_accuracy_and_quick_try():
    info = {"preset": "seed003-mlp512-rmsprop", "started": "2026-11-29T18:45:44+00:00", "test_accuracy": 0.9123,
            "config": {"subset": 5000}}
    assert readable_name("20261129-184544-seed003-mlp512-rmsprop", info) == \
        "seed003-mlp512-rmsprop · 29 Nov 18:45 · 91.23% · quick try"
    full = {**info, "config": {"subset": None}}
    assert "quick try" not in readable_name("x", full)
    assert "20261129" not in readable_name("20261129-184544-seed003-mlp512-rmsprop", full)


def test_readable_name_of_the_shipped_model_and_of_damaged_or_sparse_runs():
    assert readable_name(SHIPPED_ID, {"preset": "cnn", "test_accuracy": 0.9961, "started": "2026-11-29T22:02:00"}) \
        == "Shipped: cnn · 99.61%"
    assert readable_name("abc", {"error": "run.json unreadable"}) == "abc (damaged run.json)"
    assert readable_name("abc", {"started": "not a date"}) == "? · accuracy ?"


def test_a_class_model_is_named_by_what_it_was_measured_on():
    # Listed in every picker as "cnn-class · … · accuracy ?" before: it has no MNIST test results.
    info = {"preset": "cnn-class", "started": "2026-12-06T10:02:00+00:00",
            "held_out_accuracy": {"before": 0.7, "after": 0.875, "drawings": 16, "students": 2}}
    assert readable_name("20261206-100200-cnn-class", info) == "cnn for a class · 6 Dec 10:02 · 88% of 16 classmates' drawings"
    assert "accuracy ?" not in readable_name("x", {**info, "held_out_accuracy": {"after": 0.5}})
