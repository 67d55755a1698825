"""digitlab.explore: browsing, mistakes, precision/recall, model comparison, runs (the maps: test_explore_maps)."""

import json

import numpy as np
import pytest

from digitlab import explore, metrics, words
from digitlab.models import DEFAULT_PRESET
from digitlab.pictures import captioned_sheet, enlarge
from digitlab.store import ModelStore

from tests.helpers import ROOT

SHIPPED_RUN = json.loads((ROOT / "model_store" / "default" / "run.json").read_text())


@pytest.fixture(scope="module")
def shipped_test_probabilities():
    return ModelStore().test_probabilities("default")


# --------------------------------------------------------------- browsing


@pytest.mark.mnist
def test_class_counts_of_real_mnist(mnist):
    train, test = explore.class_counts(mnist.y_train), explore.class_counts(mnist.y_test)
    assert train.sum() == 60000 and test.sum() == 10000
    assert train[1] == 6742 and train[5] == 5421  # the commonest and the rarest digit of MNIST
    assert test.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_label_filter_and_paging():
    labels = np.array([3, 1, 3, 3, 0, 3])
    threes = explore.with_label(labels, 3)
    assert threes.tolist() == [0, 2, 3, 5]
    assert explore.with_label(labels, None).tolist() == list(range(6))
    assert explore.with_label(labels, 7).tolist() == []
    assert explore.page_count(4, 3) == 2 and explore.page_count(0, 3) == 1 and explore.page_count(6, 3) == 2
    assert explore.page_items(threes, 1, 3).tolist() == [5]
    assert explore.page_items(threes, 9, 3).tolist() == [5]  # past the end: the last page
    assert explore.page_of(threes, 5, 3) == 1 and explore.page_of(threes, 0, 3) == 0
    assert explore.page_of(threes, 1, 3) is None  # image 1 is not a 3


def test_captioned_sheet_places_each_thumbnail_enlarged_and_checks_captions():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    out = captioned_sheet(images, ["a", "b", "c"], columns=2, scale=2)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    width, side, gap = 76, 56, 4
    x = gap + (width + gap) + (width - side) // 2  # second column
    np.testing.assert_array_equal(out[gap : gap + side, x : x + side, 0], enlarge(images[1], 2))
    assert out.shape[0] == 2 * (side + 16 + gap) + gap  # two rows of thumbnail + caption
    with pytest.raises(ValueError, match="3 images but 2 captions"):
        captioned_sheet(images, ["a", "b"], columns=2)


# --------------------------------------------------------------- mistakes


def test_select_predictions_orders_by_confidence_and_filters():
    y = np.array([0, 1, 2, 3, 4])
    p = np.full((5, 10), 0.01)
    p[0, 7], p[1, 1], p[2, 7], p[3, 5], p[4, 4] = 0.6, 0.9, 0.95, 0.8, 0.5  # wrong: 0, 2, 3
    assert metrics.select_predictions(y, p).tolist() == [2, 3, 0]
    assert metrics.select_predictions(y, p, predicted_digit=7).tolist() == [2, 0]
    assert metrics.select_predictions(y, p, true_digit=0).tolist() == [0]
    assert metrics.select_predictions(y, p, true_digit=1).tolist() == []  # 1 is read right
    assert metrics.select_predictions(y, p, wrong_only=False, least_confident_first=True).tolist() == [4, 0, 3, 1, 2]
    with pytest.raises(ValueError, match="shape"):
        metrics.select_predictions(y, p[:3])


@pytest.mark.mnist
@pytest.mark.trained_model
def test_mistakes_of_the_shipped_model_match_its_run_json(mnist, shipped_test_probabilities):
    p, y = shipped_test_probabilities, mnist.y_test
    pred = p.argmax(axis=1)
    wrong = metrics.select_predictions(y, p)
    assert len(wrong) == round((1 - SHIPPED_RUN["test_accuracy"]) * 10000)
    assert np.all(pred[wrong] != y[wrong])
    confidence = p[wrong, pred[wrong]]
    assert np.all(np.diff(confidence) <= 0)  # most confidently wrong first
    cm = metrics.confusion(y, pred)
    np.testing.assert_array_equal(cm, np.array(SHIPPED_RUN["confusion_matrix"]))
    for t in range(10):
        for q in range(10):
            if t != q:
                assert len(metrics.select_predictions(y, p, true_digit=t, predicted_digit=q)) == cm[t, q]


@pytest.mark.mnist
@pytest.mark.trained_model
def test_precision_and_recall_per_digit(mnist, shipped_test_probabilities):
    pred = shipped_test_probabilities.argmax(axis=1)
    s = metrics.class_scores(mnist.y_test, pred)
    cm = metrics.confusion(mnist.y_test, pred)
    np.testing.assert_allclose(s.recall, np.diag(cm) / cm.sum(axis=1))
    np.testing.assert_allclose(s.precision, np.diag(cm) / cm.sum(axis=0))
    assert s.support.tolist() == explore.class_counts(mnist.y_test).tolist()


def test_a_digit_never_predicted_has_precision_zero_not_an_error():
    s = metrics.class_scores(np.array([0, 1, 1]), np.array([0, 0, 0]))
    assert s.precision[1] == 0 and s.recall[1] == 0 and s.recall[0] == 1 and s.precision[0] == pytest.approx(1 / 3)


def test_changed_predictions_are_what_a_new_model_gets_newly_wrong_and_newly_right():
    y = np.array([0, 1, 2, 3, 4])
    worse, better = metrics.changed_predictions(y, np.array([0, 1, 9, 9, 4]), np.array([0, 9, 2, 9, 4]))
    assert worse.tolist() == [1] and better.tolist() == [2]


def test_test_probabilities_are_the_saved_ones_else_computed_once_and_kept_as_float32(tmp_path):
    info = {"id": "r1", "started": "2026-01-01T00:00:00", "parameters": 10}
    saved = np.full((10000, 10), 0.1, np.float32)
    assert explore.test_probabilities("r1", info, saved, "fp", lambda: 1 / 0) is not saved  # a float32 copy
    calls = []
    # Two answers 1e-4 apart: float16 would make them equal, and the argmax could flip.
    p = np.zeros((10000, 10), np.float32)
    p[:, 3], p[:, 5] = 0.50005, 0.49995

    def compute():
        calls.append(1)
        return p

    first = explore.test_probabilities("r1", info, None, "fp", compute)
    again = explore.test_probabilities("r1", info, None, "fp", compute)
    assert len(calls) == 1 and again.dtype == np.float32 and (again.argmax(1) == 3).all()
    np.testing.assert_array_equal(first, again)


def test_compare_errors_splits_the_mistakes_of_two_models():
    y = np.array([0, 1, 2, 3, 4, 5])
    a = np.array([0, 7, 7, 3, 9, 5])  # wrong: 1, 2, 4
    b = np.array([0, 7, 8, 8, 4, 5])  # wrong: 1, 2, 3
    c = metrics.compare_errors(y, a, b)
    assert c.shared.tolist() == [1, 2]
    assert c.same_answer.tolist() == [1]
    assert c.only_a.tolist() == [4] and c.only_b.tolist() == [3]


# --------------------------------------------------------------- runs


def test_kept_epoch_and_run_summary_of_the_shipped_run():
    assert explore.kept_epoch(SHIPPED_RUN) == SHIPPED_RUN["best_epoch"] == len(SHIPPED_RUN["history"])
    row = explore.run_summary("default", SHIPPED_RUN)
    assert row["preset"] == DEFAULT_PRESET and row["test accuracy"] == f"{SHIPPED_RUN['test_accuracy']:.2%}"
    assert row["batch size"] == 256 and row["final val loss"] is not None and row["augment"] is True
    assert row["MNIST images used"] == "all 60,000"
    assert explore.run_summary("x", {"config": {"subset": 5000}})["MNIST images used"] == "first 5,000 (quick try)"
    people = SHIPPED_RUN["people"]  # benchmarks.read_people --record
    assert row["pen digits, unseen writers"] == f"{people['pen_digits_test_writers']['pooled']:.1%}"
    assert row["photos on paper"] == f"{people['photos']['all photos']:.1%}"
    assert explore.run_summary("x", {})["pen digits, unseen writers"] is None  # never measured


def test_kept_epoch_of_a_keep_best_run_and_of_a_run_without_history():
    history = [{"epoch": e, "loss": 1.0 / e, "val_loss": [0.5, 0.3, 0.4][e - 1]} for e in (1, 2, 3)]
    assert explore.kept_epoch({"history": history, "best_epoch": 2}) == 2
    assert explore.kept_epoch({"history": history}) == 3
    assert explore.kept_epoch({}) is None
    assert explore.run_summary("x", {})["kept epoch"] is None


@pytest.mark.trained_model
def test_one_stroke_call_gives_the_same_probabilities_and_features_as_two(shipped_classifier):
    from tests.helpers import stroke_picture

    prediction = shipped_classifier.classify(stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]))
    image = prediction.steps.image
    np.testing.assert_allclose(prediction.probabilities, shipped_classifier.probabilities(image)[0], atol=1e-5)
    np.testing.assert_allclose(prediction.features, shipped_classifier.features(image)[0], rtol=1e-4, atol=1e-5)
    assert prediction.digit == 7 and prediction.features.shape == (shipped_classifier.model.layers[-1].kernel.shape[0],)  # what the last layer reads


def test_accuracy_verdict_ignores_seed_noise_and_flags_a_worse_model():
    assert metrics.accuracy_verdict(0.9961, 0.8761) == "worse"
    assert metrics.accuracy_verdict(0.9800, 0.9850) == "better"
    assert metrics.accuracy_verdict(0.9800, 0.9795) == "same"  # 5 of 10,000 digits: noise
    assert metrics.accuracy_verdict(0.9800, 0.9785) == "worse"


def test_counts_are_said_in_words():
    assert words.count_words(1, "image") == "1 image"
    assert words.count_words(0, "image") == "0 images"
    assert words.count_words(1196, "image") == "1,196 images"
    assert words.count_words(2, "digit", "digits") == "2 digits"
    assert words.first_of(60, 1196) == "first 60 of 1,196"
    assert words.first_of(12, 12, "images") == "all 12 images"


def test_log_axis_ticks_are_numbers_one_two_five():
    from ui.explore_charts import log_ticks

    ticks = log_ticks(0.03, 0.9)
    assert [t for t in ticks if 0.03 <= t <= 0.9] == [0.05, 0.1, 0.2, 0.5]
    narrow = [t for t in log_ticks(0.021, 0.048) if 0.021 <= t <= 0.048]
    assert narrow == [0.03, 0.04]  # every 1-9 when 1-2-5 gives fewer than three
    with pytest.raises(ValueError):
        log_ticks(0, 1)


def test_epoch_ticks_are_whole_and_few():
    from ui.explore_charts import epoch_step

    assert [epoch_step(n) for n in (3, 10, 20, 30, 60, 100)] == [1, 1, 2, 5, 10, 10]


def test_confusion_matrix_cells_fill_the_plot_area_whatever_its_width():
    """The clickable squares are bigger than a cell in a narrow column; with autorange plotly padded the axes
    for them and the cells filled the middle of the plot area only, so a click a tenth of the way in
    landed a cell off (the browser test's click on the commonest mistake, 7 read as 1, 2026-12-07)."""
    from ui.explore_charts import confusion_matrix

    fig = confusion_matrix(np.eye(10, dtype=int) * 100)
    assert tuple(fig.layout.xaxis.range) == (-0.5, 9.5)
    assert tuple(fig.layout.yaxis.range) == (9.5, -0.5)  # true 0 at the top
    assert fig.layout.xaxis.autorange in (None, False) and fig.layout.yaxis.autorange in (None, False)
