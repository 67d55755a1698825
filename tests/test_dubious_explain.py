"""The evidence about one label in plain words (digitlab.dubious.explain), and the seeds' example.

Issue 24 §4: for each image, what the fold models said, how sure, what its nearest neighbours are
labelled; for train #500, why it is featured and whether the models agree with its label. The results
here are made by hand, so every figure the words must carry is known.
"""

from __future__ import annotations

import numpy as np
import pytest

from digitlab import dubious
from digitlab.dubious import explain


def one_image(probs: list[float], *, label: int = 3, votes: list[int] | None = None,
              neighbours: dict[int, int] | None = None, n: int = 501) -> dubious.Result:
    """n images, all alike: labelled ``label``, probabilities ``probs`` (10,), fold votes ``votes`` (5),
    nearest neighbours {digit: how many of 10}; image i in fold i % 5."""
    p = np.tile(np.asarray(probs, np.float32), (n, 1))
    v = np.tile(np.asarray(votes or [label] * 5, np.int8), (n, 1))
    share = np.zeros((n, 10), np.float32)
    for digit, count in (neighbours or {label: 10}).items():
        share[:, digit] = count / 10
    common = dict(labels=np.full(n, label, np.uint8), probs=p, votes=v, neighbours=share)
    train = dubious.Evidence(folds=(np.arange(n) % 5).astype(np.int8), **common)
    return dubious.Result(dubious.Settings(), "hand-made", train=train, test=dubious.Evidence(**common))


def probs_of(**digits: float) -> list[float]:
    out = [0.0] * 10
    for name, p in digits.items():
        out[int(name[1:])] = p
    return out


def test_a_label_the_models_reject_is_said_to_be_rejected_with_what_they_read_and_how_sure():
    r = one_image(probs_of(d5=0.97, d3=0.02, d8=0.01), votes=[5, 5, 3, 5, 3], neighbours={5: 7, 3: 2, 8: 1})
    x = explain.explain(r, "train", 5)
    assert x.verdict == "disagree"
    assert x.summary == "The models **disagree with the label**: they read 5 (97%) and give 3 2%."
    assert x.lines[0] == "The fold model that never saw this image reads **5**, sure (97%), and gives the label 3 2%."
    # Image 5 is in fold 0, whose model never saw it; of the other 4, which learned it as a 3, two still read 5.
    assert x.lines[1].startswith("Of the 4 fold models that learned it as a 3, 2 still read another digit (5, 5)")
    assert x.lines[2] == ("Of its 10 nearest training images, as that model sees them: 7 labelled 5, 2 labelled 3, "
                          "1 labelled 8.")


@pytest.mark.parametrize("probs, verdict, words", [
    (probs_of(d3=0.95, d2=0.05), "agree", "**agree with the label**: they read 3 (95%)"),
    (probs_of(d3=0.89, d2=0.11), "lean", "**lean to the label** but are not sure: 3 89%, 2 11%"),
    (probs_of(d3=0.35, d2=0.65), "doubt", "**doubt the label**: they read 2 (65%) and give 3 35%"),
    (probs_of(d3=0.05, d2=0.95), "disagree", "**disagree with the label**: they read 2 (95%) and give 3 5%"),
    (probs_of(d3=0.999, d2=0.001), "agree", "they read 3 (over 99%)"),
])
def test_the_verdict_follows_the_label_probability(probs, verdict, words):
    x = explain.explain(one_image(probs), "test", 0)
    assert x.verdict == verdict and words in x.summary


def test_sureness_in_words():
    assert [explain.sureness(p) for p in (0.95, 0.9, 0.7, 0.6, 0.59)] == ["sure", "sure", "fairly sure",
                                                                           "fairly sure", "unsure"]


def test_test_images_name_every_fold_model_and_their_pooled_neighbours():
    r = one_image(probs_of(d4=0.93, d9=0.06, d7=0.01), label=9, votes=[4, 4, 9, 4, 4], neighbours={4: 9, 9: 1})
    x = explain.explain(r, "test", 1)
    assert x.lines[0] == ("The 5 fold models (none saw it), averaged, read **4**, sure (93%), and give the label 9 6%. "
                          "One by one, 4 of 5 read 4 (votes: 4, 4, 9, 4, 4).")
    assert x.lines[1] == "Of its nearest training images (10 for each fold model, 50 in all): 45 labelled 4, 5 labelled 9."


def test_when_the_models_that_learned_the_label_all_repeat_it_that_is_called_weak_evidence():
    x = explain.explain(one_image(probs_of(d3=0.6, d2=0.4)), "train", 0)
    assert "all read 3: weak evidence" in x.lines[1]


def test_the_seeds_example_says_why_it_is_featured_and_what_the_models_say_now():
    r = one_image(probs_of(d3=0.89, d2=0.11), neighbours={3: 6, 2: 4})
    text = explain.seeds_example(r)
    assert text.startswith("**Why #500?** The tutorials this app grew from asked whether training image #500, "
                           "labelled 3, is really a 3.")
    assert explain.explain(r, "train", 500).summary in text
    assert text.endswith("Its nearest training images: 6 labelled 3, 4 labelled 2.")
    assert explain.seeds_example(one_image(probs_of(d3=1.0), n=400)) is None  # a result of the first 400 only


def test_an_image_scored_by_two_sets_of_fold_models_names_both_and_pools_their_neighbours():
    from digitlab.dubious import ensemble

    a = one_image(probs_of(d5=0.9, d3=0.1), votes=[5, 5, 3, 3, 3], neighbours={5: 6, 3: 4})
    b = one_image(probs_of(d5=0.9, d3=0.1), votes=[5, 3, 3, 3, 5], neighbours={5: 8, 3: 2})
    x = explain.explain(ensemble.join([a, b]), "train", 5)
    assert x.lines[0].startswith("The 2 fold models that never saw this image (one of each set), together, read **5**")
    # Image 5 is in fold 0: columns 0 and 5 are the out-of-fold votes (5, 5); of the 8 others two read 5.
    assert x.lines[1].startswith("Of the 8 fold models that learned it as a 3, 2 still read another digit (5, 5)")
    assert x.lines[2] == ("Of its nearest training images (10 as each of those models sees them, 20 in all): "
                          "14 labelled 5, 6 labelled 3.")
