"""The Dubious labels page under Streamlit's AppTest, with a small real result the tests compute.

The result (test_dubious.SMALL): 3 fold models (seed-003 MLP, 1 epoch) on the
first 600 training images, so train #500 is in it. The active model is a tiny real Keras model
(16 features), so nearest neighbours cost nothing.
"""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from digitlab import dubious, label_marks
from digitlab.lock import TrainingLock

from conftest import ROOT

from test_dubious import small_run  # one small K-fold run for all the tests

PAGE = "pages/dubious.py"


@pytest.fixture(scope="module")
def result_file(mnist, tmp_path_factory):
    return dubious.save(small_run(mnist)[0], tmp_path_factory.mktemp("dubious-result"))


@pytest.fixture(scope="module")
def small(result_file):
    return dubious.read(result_file)


def activate_tiny_model() -> str:
    import keras

    from digitlab.store import ModelStore

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    store = ModelStore()
    run = store.save(model, {"preset": "tiny", "description": "test model", "test_accuracy": 0.1,
                             "started": "2026-01-01T00:00:00"})
    store.set_active(run.id)
    return run.id


def open_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(result_file, isolated_dirs, monkeypatch):
    monkeypatch.setattr(dubious, "SHIPPED_DIR", isolated_dirs / "nothing-shipped")
    (isolated_dirs / "cache" / "dubious").mkdir(parents=True)
    shutil.copy(result_file, isolated_dirs / "cache" / "dubious")
    activate_tiny_model()
    return open_page()


def markdown_with(at, css_class: str) -> str:
    found = [m.value for m in at.markdown if css_class in m.value]
    assert found, f"no .{css_class} on the page"
    return found[0]


def test_page_shows_the_ranking_with_evidence_and_where_500_ranks_needs_mnist(app, small, mnist):
    r = dubious.rank(small, "train", dubious.DEFAULT_METHOD)
    top = int(r.order[0])
    assert f"ranks **{r.rank_of(500):,}** of 600" in markdown_with(app, "dubious-500")
    assert [s.value for s in app.subheader][0] == f"Train image #{top}"
    table = app.dataframe[0].value
    assert len(table) == 40 and list(table["image #"][:3]) == [int(i) for i in r.order[:3]]
    assert list(table["given"][:3]) == [int(mnist.y_train[i]) for i in r.order[:3]]
    assert len(app.get("plotly_chart")) == 1  # the probabilities
    assert any("Most alike training images" in m.value for m in app.markdown)
    assert any("Out-of-fold model (never saw it)" in c.value for c in app.caption)
    assert any("600 training images" in m.value for m in app.markdown)  # how it was made


def test_jump_to_train_500_mark_it_and_export_needs_mnist(app, small):
    app.button(key="dubious-show-500").click().run()
    assert not app.exception, app.exception
    assert [s.value for s in app.subheader][0] == "Train image #500"
    rank = dubious.rank(small, "train", dubious.DEFAULT_METHOD).rank_of(500)
    assert app.number_input(key="dubious-page").value == (rank - 1) // 40 + 1  # the grid turned to its page

    app.button(key="dubious-mark-label wrong").click().run()
    assert "label wrong" in markdown_with(app, "dubious-mark\"")
    assert label_marks.load_marks()["train:500"]["mark"] == "label wrong"
    assert "1 marked" in markdown_with(app, "dubious-mark-count")
    assert "Download the marks (CSV)" in [b.proto.label for b in app.get("download_button")]
    assert any("Leaves out 1 training images (1 marked 'label wrong')" in c.value for c in app.caption)

    app.button(key="dubious-mark-clear").click().run()
    assert label_marks.load_marks() == {}
    assert "none" in markdown_with(app, "dubious-mark\"")


def test_split_method_and_jump_change_what_is_shown_needs_mnist(app, small):
    app.radio(key="dubious-split").set_value("test").run()
    test_top = int(dubious.rank(small, "test", dubious.DEFAULT_METHOD).order[0])
    assert [s.value for s in app.subheader][0] == f"Test image #{test_top}"
    app.selectbox(key="dubious-method").set_value("fold_agreement").run()
    r = dubious.rank(small, "test", "fold_agreement")
    assert list(app.dataframe[0].value["image #"][:5]) == [int(i) for i in r.order[:5]]
    app.number_input(key="dubious-jump").set_value(1234).run()
    assert not app.exception, app.exception
    assert [s.value for s in app.subheader][0] == "Test image #1234"
    assert any("fold models (none saw it) vote" in c.value for c in app.caption)


def test_without_a_result_the_page_offers_to_compute_and_refuses_during_a_training_needs_mnist(isolated_dirs,
                                                                                               monkeypatch):
    monkeypatch.setattr(dubious, "SHIPPED_DIR", isolated_dirs / "nothing-shipped")
    at = open_page()
    assert any("No ranking has been computed" in i.value for i in at.info)
    with TrainingLock({"preset": "default", "source": "train_model.py"}):
        at.button(key="dubious-first-start").click().run()
    assert any("already running" in e.value for e in at.error)
    assert dubious.read_status() is None


def test_missing_mnist_is_explained(monkeypatch):
    from ui import resources

    monkeypatch.setenv("DIGITLAB_MNIST", "/nonexistent/mnist.npz")
    resources._mnist.clear()
    resources._failure.clear()
    try:
        at = open_page()
        assert any("DIGITLAB_MNIST" in e.value and "does not exist" in e.value for e in at.error)
    finally:
        resources._mnist.clear()
        resources._failure.clear()
