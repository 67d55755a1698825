"""Dubious labels: which MNIST images are most likely labelled wrong, with evidence.

    python -m digitlab.dubious compute [--preset P --folds K --epochs E --seed S --subset N]
    python -m digitlab.dubious rank --split {train,test} --top N [--method NAME]
    python -m digitlab.dubious sheet --split {train,test} --top N --out top.png

The evidence is *out-of-sample* probabilities: a model never scores an image it
trained on, or it would simply repeat the label it learned. The training set is
cut into K stratified folds; for each fold a model is trained on the other K-1
and scores the fold it never saw. The test set is scored by all K fold models
(none trained on it) and their probabilities are averaged (and, if asked, joined
with a reference model's: :mod:`~digitlab.dubious.reference`).

- :mod:`~digitlab.dubious.settings`: what they are made with and what they are
  (:class:`Settings`, :class:`Result`), the default settings;
- :mod:`~digitlab.dubious.folds`: computing them (:func:`compute`, :func:`ensure`);
- :mod:`~digitlab.dubious.reference`: a second opinion on the test images from a
  model trained on the training split only (e.g. the shipped one), off by default;
- :mod:`~digitlab.dubious.cache`: the results on disk, computed (``cache/dubious/``)
  or shipped (``precomputed/dubious/``, so a fresh clone need not spend minutes
  of CPU on them), each used only for the data and settings that made it;
- :mod:`~digitlab.dubious.ranking`: the rankings, CSV and picture;
- :mod:`~digitlab.dubious.__main__`: the command line.

Rankings (``METHODS``), all "most dubious first":

- ``confident_learning``: cleanlab's ``find_label_issues`` (confident learning,
  prune by noise rate) flags the images whose label disagrees with the
  per-class confident thresholds; those come first, ordered by cleanlab's
  normalized-margin label quality, then every other image by the same score.
- ``normalized_margin``: cleanlab's label quality score alone (how far the
  given label's probability is below the best other class).
- ``self_confidence``: 1 - the probability the model gives the given label.
- ``fold_agreement``: how many of the K fold models predict another digit than
  the given label (ties by self-confidence). For *test* images all K models are
  out-of-sample votes. For *training* images only one model never saw the image;
  the other K-1 were trained on it *with its given label*. Their vote is still
  meaningful in one direction: a model that learned the image as a "3" and
  still calls it a "2" could not even fit that label, which is strong evidence
  against it; their agreement, on the other hand, is weak evidence (they may
  have memorised the label). So for training images the count is "the
  out-of-fold model, plus the fold models that could not fit the label".

The user's marks on these images live in :mod:`digitlab.dubious.marks`; the
app computes in the background through :mod:`digitlab.jobs`.

Nothing here knows which MNIST images are wrong: every ranking comes from the
models and the data alone.
"""

from digitlab.data import SPLITS
from digitlab.dubious.cache import available, damaged, file_name, is_shipped, load, read, save
from digitlab.dubious.folds import compute, ensure, fold_assignment
from digitlab.dubious import evidence
from digitlab.dubious.ranking import Ranking, methods_of, rank, ranking_csv, top_sheet
from digitlab.dubious.settings import (CSV_HEADER, DEFAULT_METHOD, DEFAULT_MINUTES, FOLD_EPOCHS, FOLD_PRESET,
                                       METHODS, Evidence, Result, Settings, preset_defaults)

__all__ = [
    "SPLITS", "CSV_HEADER", "DEFAULT_METHOD", "DEFAULT_MINUTES", "FOLD_EPOCHS", "FOLD_PRESET", "METHODS",
    "Evidence", "Result", "Settings", "preset_defaults", "compute", "ensure", "fold_assignment",
    "available", "damaged", "file_name", "is_shipped", "load", "read", "save", "Ranking", "rank", "ranking_csv", "top_sheet",
    "evidence", "methods_of",
]
