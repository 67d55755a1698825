"""The Dataset, Misclassified and Training pages under Streamlit's AppTest (no browser)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitlab import explore
from digitlab.store import SHIPPED_ID, ModelStore

from tests.helpers import ROOT, tiny_model


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "main.py"), default_timeout=180)
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def image_captions(at) -> list[str]:
    return [caption for image in at.get("image") for caption in image.captions]


@pytest.fixture
def with_mnist(monkeypatch, mnist):
    monkeypatch.setenv("DIGITLAB_MNIST", mnist.source)


@pytest.mark.mnist
@pytest.mark.trained_model
def test_dataset_page_jumps_to_train_500_and_filters_by_label(with_mnist, mnist):
    at = open_page("pages/dataset.py")
    assert any("train images #0 to #99 (60,000 in all), row by row" in c for c in texts(at.caption))  # the grid
    at.number_input(key="dataset-index").set_value(500).run()
    assert not at.exception, at.exception
    chosen = next(m.value for m in at.markdown if "dataset-chosen" in m.value)
    assert "<b>#500</b>" in chosen and f"label <b>{mnist.y_train[500]}</b>" in chosen
    assert at.number_input(key="dataset-page").value == 500 // 100 + 1  # the grid turned to its page
    assert any(f"Model *{ModelStore().get(SHIPPED_ID).label}* reads" in m.value for m in at.markdown)
    assert any("never saw it" in c for c in texts(at.caption))  # why Dubious labels may disagree

    at.selectbox(key="dataset-label").set_value(7).run()
    assert not at.exception, at.exception
    assert at.number_input(key="dataset-page").max == -(-int((mnist.y_train == 7).sum()) // 100)
    # A jump to an image the filter hides turns the filter off, and says so.
    other = int(np.flatnonzero(mnist.y_train != 7)[0])
    at.number_input(key="dataset-index").set_value(other).run()
    assert at.selectbox(key="dataset-label").value == "all digits"
    assert any(f"#{other:,} is labelled {mnist.y_train[other]}" in i for i in texts(at.info))

@pytest.mark.mnist
@pytest.mark.trained_model
def test_dataset_page_says_a_t_sne_is_slow_only_until_it_is_kept_and_titles_the_map_above_it(with_mnist, mnist):
    from digitlab.fileio import write_npz_atomic

    at = open_page("pages/dataset.py")
    picker = next(s for s in at.selectbox if s.label == "Map")
    assert "t-SNE of the raw pixels (no model) (slow the first time)" in picker.options
    assert not any("minute" in o for o in picker.options)
    # The map is kept (as its computation leaves it): the option no longer says it is slow.
    path = explore.map_cache_path(None, mnist.fingerprint, "pixels-tsne")
    coords = explore.data_map("pixels-pca", mnist.x_test, data_fingerprint=mnist.fingerprint)
    write_npz_atomic(path, coords=coords, tag=np.array("pixels"), format=np.array(explore.MAP_FORMAT))
    at.run()
    picker = next(s for s in at.selectbox if s.label == "Map")
    assert "t-SNE of the raw pixels (no model)" in picker.options
    assert "t-SNE of the model's features (slow the first time)" in picker.options  # that one is not kept
    picker.set_value("pixels-tsne").run()
    assert not at.exception, at.exception
    # Its title is above the chart, where it wraps, not in the figure, where it ran under the toolbar.
    assert any('class="map-title"><b>t-SNE of the raw pixels (no model)</b>' in m.value for m in at.markdown)
    the_map = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert the_map["data"][0]["type"] == "scattergl"  # the map: the page's last chart
    assert not the_map["layout"].get("title", {}).get("text")


def test_dataset_page_without_mnist_says_what_to_do(without_mnist):
    at = open_page("pages/dataset.py")
    assert any("DIGITLAB_MNIST" in e for e in texts(at.error))


@pytest.mark.mnist
@pytest.mark.trained_model
def test_misclassified_page_counts_the_shipped_models_mistakes(with_mnist, mnist):
    run = ModelStore().get(SHIPPED_ID)
    wrong = int((np.asarray(run.info["test_predictions"]) != mnist.y_test).sum())
    at = open_page("pages/misclassified.py")
    assert any(f'class="mis-count">{wrong}<' in m.value for m in at.markdown)
    assert any(f'class="mis-shown">{wrong}<' in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) >= 3  # confusion matrix, precision/recall, the chosen image's probabilities


@pytest.mark.mnist
@pytest.mark.trained_model
def test_misclassified_page_filter_without_mistakes_says_so(with_mnist, mnist):
    run = ModelStore().get(SHIPPED_ID)
    pred = np.asarray(run.info["test_predictions"])
    cm = np.zeros((10, 10), int)
    np.add.at(cm, (mnist.y_test, pred), 1)
    true, predicted = next((t, p) for t in range(10) for p in range(10) if t != p and cm[t, p] == 0)
    at = open_page("pages/misclassified.py")
    at.selectbox(key="misclassified-true").set_value(true).run()
    at.selectbox(key="misclassified-pred").set_value(predicted).run()
    assert not at.exception, at.exception
    assert any("makes no mistakes" in i for i in texts(at.info))


@pytest.mark.mnist
@pytest.mark.trained_model
def test_misclassified_page_compares_with_another_stored_model(with_mnist, mnist):
    store = ModelStore()
    other = store.save(tiny_model(), {"preset": "tiny", "description": "untrained", "started": "2026-01-01T00:00:00"})
    at = open_page("pages/misclassified.py")
    at.selectbox(key="misclassified-other").set_value(other.id).run()
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}
    assert int(shown["Only the other one wrong"]) > 1000  # untrained


def test_training_page_shows_the_shipped_run_and_overlays_another(monkeypatch):
    store = ModelStore()
    history = [{"epoch": e, "loss": 1 / e, "accuracy": 1 - 0.1 / e} for e in (1, 2, 3)]
    other = store.save(tiny_model(), {"preset": "tiny", "description": "three epochs", "history": history,
                                      "test_accuracy": 0.5, "config": {"epochs": 3}, "started": "2026-01-01T00:00:00"})
    at = open_page("pages/training.py")
    assert at.multiselect(key="training-runs").value == [SHIPPED_ID]
    table = at.dataframe[0].value.set_index("setting")  # one column per run, named readably
    shipped = store.get(SHIPPED_ID)
    assert list(table.columns) == [shipped.label] and list(table.loc["run"]) == [SHIPPED_ID]
    assert table.loc["test accuracy"].iloc[0] == f"{shipped.info['test_accuracy']:.2%}"
    assert table.loc["MNIST images used"].iloc[0] == "all 60,000"
    at.multiselect(key="training-runs").select(other.id).run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value.set_index("setting").loc["run"]) == [SHIPPED_ID, other.id]
    assert any(f"No validation curve for {other.label}" in c for c in texts(at.caption))


def test_training_page_gives_the_settings_names_a_column_wide_enough_for_the_longest():
    # As the table's index they were sized by the grid and cut off: "pen digits, unseen wr…".
    at = open_page("pages/training.py")
    table = at.dataframe[0]
    names = list(table.value["setting"])
    assert "pen digits, unseen writers" in names and "non-digits read as a digit" in names
    config = json.loads(table.proto.columns)
    assert config["_index"]["hidden"] and config["setting"]["pinned"]
    # Streamlit's grid writes 14 px Source Sans, under 7 px a letter, with 8 px of padding each side.
    assert config["setting"]["width"] >= 7 * max(len(n) for n in names) + 16


def test_training_page_with_nothing_chosen_asks_for_a_run():
    at = open_page("pages/training.py")
    at.multiselect(key="training-runs").set_value([]).run()
    assert any("Pick at least one run" in i for i in texts(at.info))
