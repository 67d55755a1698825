"""The dubious-label defaults: one home, and results made before a ranking's evidence existed."""

from __future__ import annotations

import pytest

from digitlab import dubious
from digitlab.dubious.__main__ import main as cli_main

# The result shipped before 2026-11-30: the padded CNN, 3 epochs, without the neighbours' evidence.
BEFORE = ["--preset", "cnn-padded", "--epochs", "3"]


def test_the_fold_preset_gets_the_default_recipe_and_others_their_own():
    d = dubious.Settings()
    assert (d.preset, d.epochs, d.augment, d.tta) == (dubious.FOLD_PRESET, dubious.FOLD_EPOCHS, True, True)
    padded = dubious.Settings.for_preset("cnn-padded", epochs=3)
    assert not padded.augment and not padded.tta and padded.reference is None
    assert padded.key() == "5833a8e168ee"  # the name of the result shipped before: still found


@pytest.mark.mnist
def test_rank_falls_back_on_self_confidence_for_a_result_without_the_default_rankings_evidence(capsys):
    assert cli_main(["rank", "--split", "test", "--top", "3", *BEFORE]) == 0
    out = capsys.readouterr()
    assert "ranking by self_confidence" in out.err and out.out.startswith("rank,index,given_label")
    assert len(out.out.splitlines()) == 4


@pytest.mark.mnist
def test_rank_refuses_an_explicit_method_the_result_has_no_evidence_for(capsys):
    assert cli_main(["rank", "--split", "test", "--top", "3", "--method", "combined", *BEFORE]) == 2
    err = capsys.readouterr().err
    assert "no evidence for --method combined" in err
