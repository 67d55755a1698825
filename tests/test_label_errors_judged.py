"""benchmarks/label_errors_judged.py: answers, verdicts, agreement and precision on hand-made tables."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from benchmarks import label_errors_judged as judged


@pytest.mark.parametrize("text, plain", [
    ("7", "7"), (" 0 ", "0"), ("X", "x"), ("?", "?"), ("?4/9", "?4/9"), ("?9/4", "?4/9"), ("? 1 / 7", "?1/7"),
    ("?3/3", "?"),
])
def test_answers_are_read_in_their_plain_form(text, plain):
    assert judged.parse_answer(text) == plain


@pytest.mark.parametrize("text", ["", "44", "?4", "seven", "4?", "?4/9/7", "-1", "?a/b"])
def test_anything_else_is_refused_with_the_answer_quoted(text):
    with pytest.raises(ValueError, match="is not an answer"):
        judged.parse_answer(text)


@pytest.mark.parametrize("answer, label, vote", [
    ("4", 4, "label"), ("9", 4, "other"), ("x", 4, "other"), ("?4/9", 4, "either"), ("?4/9", 9, "either"),
    ("?3/5", 4, "other"), ("?", 4, "either"),
])
def test_each_answer_is_a_vote_for_against_or_around_the_label(answer, label, vote):
    assert judged.vote(answer, label) == vote


@pytest.mark.parametrize("answers, verdict", [
    (["9", "9", "4"], "wrong"),
    (["4", "4", "9"], "right"),
    (["4", "9"], "ambiguous"),  # a tie is no majority
    (["9", "7", "4"], "wrong"),  # two say it is not the label, though not which digit
    (["?4/9", "?4/9", "9"], "ambiguous"),  # one says another digit, two say it could be the label
    (["?3/5", "x", "4"], "wrong"),  # neither 3 nor 5, and no digit: both say it is not a 4
    (["4", "4", "?4/9", "9"], "ambiguous"),  # 2 of 4 is not more than half
    (["x", "x", "x"], "wrong"),
    ([], None),
])
def test_the_verdict_is_a_strict_majority_of_the_votes(answers, verdict):
    assert judged.verdict(answers, 4) == verdict


def test_fleiss_kappa_of_the_worked_example_and_of_the_extremes():
    # Fleiss (1971) as worked on Wikipedia's "Fleiss' kappa" page: 10 items, 14 raters, 5 categories, 0.210.
    table = np.array([[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                      [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]])
    assert judged.fleiss_kappa(table) == pytest.approx(0.210, abs=0.001)
    unanimous = np.array([[3, 0, 0], [0, 3, 0], [0, 0, 2], [2, 0, 0]])  # raters per item may differ
    assert judged.fleiss_kappa(unanimous) == pytest.approx(1.0)
    rng = np.random.default_rng(0)  # three raters who answer at random: agreement at chance
    chance = np.stack([np.bincount(rng.integers(0, 4, 3), minlength=4) for _ in range(3000)])
    assert abs(judged.fleiss_kappa(chance)) < 0.03
    one_rater = np.array([[1, 0], [0, 1]])  # an item judged once says nothing about agreement: left out
    assert np.isnan(judged.fleiss_kappa(one_rater))


def test_pairwise_agreement_counts_only_images_both_judged_and_any_doubt_as_one_answer():
    answers = {"a": {"q1": "4", "q2": "?4/9", "q3": "7"}, "b": {"q1": "4", "q2": "?", "q3": "1", "q4": "2"},
               "c": {"q9": "3"}}
    assert judged.pairwise_agreement(answers) == {("a", "b"): (pytest.approx(2 / 3), 3)}


def test_precision_counts_positives_and_says_how_many_were_unjudged():
    found = {10: "wrong", 11: "ambiguous", 12: "right", 13: "wrong"}
    order = np.array([10, 99, 11, 12, 13, 98])
    assert judged.precision_at(order, found, 3) == (1, 1)  # 10 wrong; 99 unjudged (a miss); 11 ambiguous
    assert judged.precision_at(order, found, 3, lenient=True) == (2, 1)
    assert judged.precision_at(order, found, 6) == (2, 2)


def write_table(path, header, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows])


@pytest.fixture
def folder(tmp_path):
    """A pool of four: test #5 (labelled 3, read as 5 by two of three), test #6 (a 7 all read as 7),
    train #8 (labelled 1: 1, ?1/7, 7) and a control, test #9 (a 2; one judge says 7)."""
    write_table(tmp_path / "pool.csv", judged.POOL_HEADER, [
        ("q1", "test", 5, 3, 1, "r/combined@1;r/self_confidence@2"), ("q2", "test", 6, 7, 1, "r/combined@2"),
        ("q3", "train", 8, 1, 1, "r/combined@1"), ("q4", "test", 9, 2, 1, "control")])
    write_table(tmp_path / "judgments.csv", judged.JUDGMENTS_HEADER, [
        ("a", "q1", "5"), ("b", "q1", "5"), ("c", "q1", "3"), ("a", "q2", "7"), ("b", "q2", "7"), ("c", "q2", "7"),
        ("a", "q3", "1"), ("b", "q3", "?1/7"), ("c", "q3", "7"), ("a", "q4", "2"), ("b", "q4", "2"), ("c", "q4", "7")])
    return tmp_path


def test_verdicts_and_the_judges_report_from_the_files(folder):
    pool, answers = judged.read_pool(folder), judged.read_judgments(folder)
    assert pool["q1"].sources == ("r/combined@1", "r/self_confidence@2") and pool["q4"].control
    assert judged.verdicts(pool, answers) == {("test", 5): "wrong", ("test", 6): "right", ("train", 8): "ambiguous",
                                              ("test", 9): "right"}
    report = "\n".join(judged.judge_report(pool, answers))
    assert "3 judges; 4 of 4 pool images judged (4 by 3)" in report
    assert "judge a: 4 answers; on 1 controls 100.0% the label" in report
    assert "judge c: 4 answers; on 1 controls 0.0% the label, 0 unsure, 1 another answer" in report
    assert "test: 1 wrong, 0 ambiguous, 2 right" in report and "train: 0 wrong, 1 ambiguous, 0 right" in report


def test_the_table_has_both_kinds_of_positives_and_the_unjudged(folder):
    found = judged.verdicts(judged.read_pool(folder), judged.read_judgments(folder))
    lines = judged.score_table([("r", "m", "test", np.array([5, 1, 6, 9])), ("r", "m", "train", np.array([8, 0]))],
                               found, tops=(1, 2))
    assert lines[0] == ("| result | method | split | wrong@1 | wrong@2 | wrong or ambiguous@1 | wrong or ambiguous@2 "
                        "| unjudged@1 | unjudged@2 |")
    assert lines[2] == "| r | m | test | 1/1 | 1/2 | 1/1 | 1/2 | 0 | 1 |"
    assert lines[3] == "| r | m | train | 0/1 | 0/2 | 1/1 | 1/2 | 0 | 1 |"


def test_a_repeated_or_bad_answer_in_the_judgments_names_its_line(folder):
    with open(folder / "judgments.csv", "a") as f:
        f.write("a,q1,9\n")
    with pytest.raises(ValueError, match="line 14: judge a answered q1 twice"):
        judged.read_judgments(folder)
    write_table(folder / "judgments.csv", judged.JUDGMENTS_HEADER, [("a", "q1", "5"), ("b", "q1", "five")])
    with pytest.raises(ValueError, match="line 3: 'five' is not an answer"):
        judged.read_judgments(folder)


def test_adding_a_judges_answers_checks_them_all_first(folder, tmp_path, capsys):
    before = (folder / "judgments.csv").read_text()
    bad = tmp_path / "bad.csv"
    write_table(bad, ("id", "answer"), [("q1", "5"), ("q7", "3"), ("q2", "seven"), ("q1", "3")])
    assert judged.main(["add", "--data", str(folder), "--judge", "d", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "'q7' is not an id of the pool" in err and "'seven' is not an answer" in err and "q1 answered twice" in err
    assert (folder / "judgments.csv").read_text() == before  # nothing added
    assert judged.main(["add", "--data", str(folder), "--judge", "a", str(bad)]) == 2  # a has answered already
    good = tmp_path / "good.csv"
    write_table(good, ("id", "answer"), [("q1", " ?9/4"), ("q2", "7")])
    assert judged.main(["add", "--data", str(folder), "--judge", "d", str(good)]) == 0
    assert judged.read_judgments(folder)["d"] == {"q1": "?4/9", "q2": "7"}


@pytest.mark.filterwarnings("ignore:May not flag all label issues")
def test_score_ranks_a_result_and_refuses_one_made_from_other_labels(folder, tmp_path, capsys):
    from digitlab import dubious
    from digitlab.dubious import cache

    labels = np.arange(20) % 10
    labels[[5, 6, 8, 9]] = [3, 7, 1, 2]  # as the pool has them
    probs = np.full((20, 10), 0.01, np.float32)
    probs[np.arange(20), labels] = 0.91
    probs[5] = np.roll(probs[5], 2)  # the models read test #5 (labelled 3) as a 5: the most dubious
    e = dict(labels=labels.astype(np.uint8), probs=probs, votes=probs.argmax(1)[:, None].repeat(5, 1).astype(np.int8))
    result = dubious.Result(dubious.Settings(ensemble=False), "f", train=dubious.Evidence(folds=np.zeros(20, np.int8), **e),
                            test=dubious.Evidence(**e))
    path = cache.save(result, tmp_path / "results")
    assert judged.main(["score", "--data", str(folder), "--result", str(path), "--method", "self_confidence",
                        "--top", "1", "3"]) == 0
    out = capsys.readouterr().out
    # #5 first, then #0 and #1 (all others tie; the lower index first), which nobody judged
    assert "| cnn-20ep-aug-tta | self_confidence | test | 1/1 | 1/3 | 1/1 | 1/3 | 0 | 2 |" in out
    assert "cnn-20ep-aug-tta self_confidence test: 2 of its top 3 are outside the pool" in out
    other = labels.copy()
    other[6] = 1
    e["labels"] = other.astype(np.uint8)
    path = cache.save(dubious.Result(dubious.Settings(ensemble=False), "g", train=result.train, test=dubious.Evidence(**e)),
                      tmp_path / "other")
    with pytest.raises(ValueError, match="labels test #6 1, the pool 7: another copy of MNIST"):
        judged.main(["score", "--data", str(folder), "--result", str(path)])
