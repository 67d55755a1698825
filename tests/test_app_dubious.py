"""The Dubious labels page under Streamlit's AppTest, with a small real result the tests compute.

The result (the ``small_dubious_run`` fixture): 3 fold models (seed-003 MLP, 1 epoch) on the
first 600 training images, so train #500 is in it. The active model is a tiny real Keras model
(16 features), so nearest neighbours cost nothing.
"""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from digitlab import dubious, jobs
from digitlab.db import marks as db_marks
from digitlab.dubious import cache, explain
from digitlab.jobs.lock import TrainingLock
from tests.helpers import ROOT, activate_tiny_model, until

PAGE = "pages/dubious.py"


@pytest.fixture(scope="module")
def result_file(small_dubious_run, tmp_path_factory):
    return dubious.save(small_dubious_run[0], tmp_path_factory.mktemp("dubious-result"))


@pytest.fixture(scope="module")
def small(result_file):
    return dubious.read(result_file)


def open_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "main.py"), default_timeout=120)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(result_file, isolated_dirs, monkeypatch):
    monkeypatch.setattr(cache, "SHIPPED_DIR", isolated_dirs / "nothing-shipped")
    monkeypatch.setenv("DIGITLAB_VISITORS_TRAIN", "1")  # "Retrain without them" is shown to whoever may train
    (isolated_dirs / "cache" / "dubious").mkdir(parents=True)
    shutil.copy(result_file, isolated_dirs / "cache" / "dubious")
    activate_tiny_model()
    return open_page()


def markdown_with(at, css_class: str) -> str:
    found = [m.value for m in at.markdown if css_class in m.value]
    assert found, f"no .{css_class} on the page"
    return found[0]


@pytest.mark.mnist
def test_page_shows_the_ranking_with_evidence_and_where_500_ranks(app, small, mnist):
    r = dubious.rank(small, "train", dubious.DEFAULT_METHOD)
    top = int(r.order[0])
    assert f"ranks **{r.rank_of(500):,}** of 600" in markdown_with(app, "dubious-500")
    assert [s.value for s in app.subheader][0] == f"Train image #{top}"
    table = app.dataframe[0].value
    assert len(table) == 40 and list(table["image #"][:3]) == [int(i) for i in r.order[:3]]
    assert list(table["given"][:3]) == [int(mnist.y_train[i]) for i in r.order[:3]]
    assert len(app.get("plotly_chart")) == 1  # the probabilities
    assert any("Most alike training images" in m.value for m in app.markdown)
    assert any("The fold model that never saw this image reads" in m.value for m in app.markdown)
    assert any("600 training images" in m.value for m in app.markdown)  # how it was made


@pytest.mark.mnist
def test_jump_to_train_500_mark_it_and_export(app, small):
    app.button(key="dubious-show-500").click().run()
    assert not app.exception, app.exception
    assert [s.value for s in app.subheader][0] == "Train image #500"
    rank = dubious.rank(small, "train", dubious.DEFAULT_METHOD).rank_of(500)
    assert app.number_input(key="dubious-page").value == (rank - 1) // 40 + 1  # the grid turned to its page

    app.button(key="dubious-mark-label wrong").click().run()
    assert "label wrong" in markdown_with(app, "dubious-mark\"")
    assert db_marks.load(app.session_state["visitor_id"])["train:500"]["mark"] == "label wrong"
    assert "1 marked" in markdown_with(app, "dubious-mark-count")
    assert "Download the marks (CSV)" in [b.proto.label for b in app.get("download_button")]
    assert any("Leaves out 1 training images (1 marked 'label wrong')" in c.value for c in app.caption)

    app.button(key="dubious-mark-clear").click().run()
    assert db_marks.load(app.session_state["visitor_id"]) == {}
    assert "none" in markdown_with(app, "dubious-mark\"")


@pytest.mark.mnist
def test_split_method_and_jump_change_what_is_shown(app, small):
    app.radio(key="dubious-split").set_value("test").run()
    test_top = int(dubious.rank(small, "test", dubious.DEFAULT_METHOD).order[0])
    assert [s.value for s in app.subheader][0] == f"Test image #{test_top}"
    app.selectbox(key="dubious-method").set_value("fold_agreement").run()
    r = dubious.rank(small, "test", "fold_agreement")
    assert list(app.dataframe[0].value["image #"][:5]) == [int(i) for i in r.order[:5]]
    app.number_input(key="dubious-jump").set_value(1234).run()
    assert not app.exception, app.exception
    assert [s.value for s in app.subheader][0] == "Test image #1234"
    assert any("fold models (none saw it), averaged, read" in m.value for m in app.markdown)


@pytest.mark.mnist
def test_without_a_result_the_page_offers_to_compute_and_refuses_during_a_training(isolated_dirs,
                                                                                               monkeypatch):
    monkeypatch.setattr(cache, "SHIPPED_DIR", isolated_dirs / "nothing-shipped")
    monkeypatch.setenv("DIGITLAB_VISITORS_TRAIN", "1")
    at = open_page()
    assert any("No ranking has been computed" in i.value for i in at.info)
    with TrainingLock({"preset": "cnn", "source": "train_model.py"}):
        at.button(key="dubious-first-start").click().run()
    assert any("already running" in e.value for e in at.error)
    assert jobs.listing() == ([], [])


@pytest.mark.mnist
def test_a_visitor_may_not_compute_unless_the_operator_allows_it(isolated_dirs, monkeypatch):
    monkeypatch.setattr(cache, "SHIPPED_DIR", isolated_dirs / "nothing-shipped")
    at = open_page()
    assert not any(b.key == "dubious-first-start" for b in at.button)
    assert any("Only the person who runs this server" in i.value for i in at.info)


def test_missing_mnist_is_explained(without_mnist):
    at = open_page()
    assert any("DIGITLAB_MNIST" in e.value and "does not exist" in e.value for e in at.error)


def wait_until(condition, timeout=30.0):
    return until(condition, timeout)


@pytest.mark.mnist
def test_a_running_job_of_any_kind_shows_on_the_page_and_its_owner_can_cancel_it_there(isolated_dirs,
                                                                                       monkeypatch):
    monkeypatch.setattr(cache, "SHIPPED_DIR", isolated_dirs / "nothing-shipped")
    at = open_page()
    job = jobs.start("count", "tests.job_kinds:count", {"n": 100000, "step": 0.02}, title="Counting sheep",
                     about="counting", source="test", owner=at.session_state["visitor_id"])
    assert wait_until(lambda: jobs.get(job.id).state == jobs.State.RUNNING)
    at.run()
    assert any("Counting sheep" in m.value for m in at.markdown)  # the one job panel, here instead of the form
    assert not any(b.key == "dubious-first-start" for b in at.button)
    at.button(key="dubious-first-cancel").click().run()
    assert wait_until(lambda: jobs.get(job.id).state == jobs.State.CANCELLED)


@pytest.mark.mnist
def test_someone_elses_job_shows_only_that_the_server_is_busy(isolated_dirs, monkeypatch):
    monkeypatch.setattr(cache, "SHIPPED_DIR", isolated_dirs / "nothing-shipped")
    job = jobs.start("count", "tests.job_kinds:count", {"n": 100000, "step": 0.02}, title="Counting sheep",
                     about="counting", source="test", owner="e" * 32)
    assert wait_until(lambda: jobs.get(job.id).state == jobs.State.RUNNING)
    at = open_page()
    assert any("The server is busy" in i.value for i in at.info)
    assert not any("Counting sheep" in m.value for m in at.markdown)
    assert not any(b.key == "dubious-first-cancel" for b in at.button)
    jobs.cancel(job.id)


@pytest.mark.mnist
def test_a_finished_computation_is_announced_once_and_forgotten(isolated_dirs, monkeypatch):
    monkeypatch.setattr(cache, "SHIPPED_DIR", isolated_dirs / "nothing-shipped")
    monkeypatch.setenv("DIGITLAB_VISITORS_TRAIN", "1")
    at = open_page()
    # A quick stand-in for the computation: the page only reads the job's kind and state.
    job = jobs.start("dubious", "tests.job_kinds:count", {"n": 1, "step": 0, "result": {"path": "x.npz"}},
                     title="Computing",
                     about="dubious labels", source="test", owner=at.session_state["visitor_id"])
    assert wait_until(lambda: jobs.get(job.id).state == jobs.State.DONE)
    at.run()
    assert [t.value for t in at.toast] == ["The ranking is ready."]
    assert jobs.get(job.id) is None
    assert any(b.key == "dubious-first-start" for b in at.button)  # the form is back


@pytest.mark.mnist
def test_damaged_marks_are_one_sentence_and_the_page_goes_on(app, small):
    from pathlib import Path

    from digitlab import db
    from tests.helpers import corrupt_table

    db_marks.set_mark(app.session_state["visitor_id"], "train", 3, "ambiguous")
    path = Path(db.engine().url.database)
    db.dispose_all()
    corrupt_table(path, "marks")  # one page of the SQLite file: today a traceback instead of the page
    app.button(key="dubious-show-500").click().run()
    assert not app.exception, app.exception
    assert [s.value for s in app.subheader][0] == "Train image #500"
    assert "Your marks cannot be read now: the database is damaged." in [c.value for c in app.caption]
    assert app.button(key="dubious-mark-label wrong").disabled


@pytest.mark.mnist
def test_the_page_says_why_500_is_featured_and_the_evidence_in_words(app, small):
    # Issue 24 §4 and issue 23: why #500 (the seeds' example), what the evidence says of it, and the
    # per-method ranks in full ("600" here; "897 of 60,0" was cut off in a data frame).
    line = markdown_with(app, "dubious-500")
    assert "The tutorials this app grew from asked whether training image #500, labelled" in line
    assert explain.explain(small, "train", 500).summary in line
    app.button(key="dubious-show-500").click().run()
    assert "The seeds' example." in markdown_with(app, "dubious-seeds")
    words = explain.explain(small, "train", 500)
    evidence = markdown_with(app, "dubious-verdict")
    assert words.summary in evidence and all(f"- {line}" in evidence for line in words.lines)
    ranks = markdown_with(app, "dubious-ranks")
    for method in dubious.methods_of(small):
        r = dubious.rank(small, "train", method)
        assert f"| {r.rank_of(500):,} of 600 | {r.score[500]:.3f} |" in ranks
    # Another image: its own evidence, and no word of the seeds.
    app.number_input(key="dubious-jump").set_value(7).run()
    assert explain.explain(small, "train", 7).summary in markdown_with(app, "dubious-verdict")
    assert not any("dubious-seeds" in m.value for m in app.markdown)


@pytest.mark.mnist
def test_the_compute_form_offers_mnist_alone_and_both_ways_joined_by_default(isolated_dirs, monkeypatch):
    monkeypatch.setattr(cache, "SHIPPED_DIR", isolated_dirs / "nothing-shipped")
    monkeypatch.setenv("DIGITLAB_VISITORS_TRAIN", "1")
    at = open_page()
    both, extras = at.checkbox(key="dubious-first-ensemble-cnn"), at.checkbox(key="dubious-first-extras-cnn")
    assert both.value is dubious.Settings().ensemble is True and extras.disabled  # joined: both sets, whatever it says
    assert any("Trains 5 models for each set not computed yet" in c.value for c in at.caption)
    both.uncheck().run()
    assert not at.checkbox(key="dubious-first-extras-cnn").disabled  # one set: with the extra images or MNIST alone
    at.checkbox(key="dubious-first-aug-cnn").uncheck().run()
    assert at.checkbox(key="dubious-first-ensemble-cnn").disabled  # without augmentation there is nothing to vary
    assert not any("for each set not computed yet" in c.value for c in at.caption)
