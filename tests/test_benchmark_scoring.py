"""How the benchmarks score answers: as the app gives them, so that a figure means what a person would count."""

from __future__ import annotations

import numpy as np

from benchmarks import pen_digits
from digitlab.inference import NO_DIGIT_BELOW


def test_pen_digits_count_a_digit_the_app_calls_no_digit_as_read_wrong(capsys):
    """A 4 whose bars are too flat for an answer ("That is not a digit") is not read, though 4 is on top."""
    p = np.full((3, 10), 0.05, np.float32)
    p[0, 4] = 0.55  # read as 4
    p[1] = (1 - (NO_DIGIT_BELOW - 0.1)) / 9
    p[1, 4] = NO_DIGIT_BELOW - 0.1  # 4 on top, but no answer
    p[2, 5] = 0.55  # read as 5

    class Fixed:  # the model's answers, given
        def probabilities(self, images):
            return p

    drawn = pen_digits.Drawn(np.zeros((3, 28, 28), np.uint8), np.array([4, 4, 4]), np.array(["w1", "w1", "w2"]), 0)
    figures = pen_digits.report(Fixed(), drawn)
    assert figures["pooled"] == 1 / 3 and figures["digit 4"] == 1 / 3
    assert "4 read as no digit×1, 5×1" in capsys.readouterr().out


def test_choice_kinds_are_scored_per_kind_and_a_variant_that_trains_on_one_says_so(capsys):
    """leave_writers_out chooses on kinds no recipe should have seen: a variant that draws one is flagged."""
    from benchmarks.leave_writers_out import CHOICE_KINDS, report_choice_kinds
    from digitlab import models
    from digitlab.training_data import Extras

    kinds = np.array([CHOICE_KINDS[0]] * 2 + [CHOICE_KINDS[1]] * 2)
    p = np.full((4, 10), 0.02, np.float32)
    p[0, 0] = 0.82  # the first kind: one confident digit of two
    p[1, 0] = 0.5
    p[2:, 3] = 0.5  # the second kind: none

    class Fixed:
        def probabilities(self, images):
            return p

    report_choice_kinds(Fixed(), np.zeros((4, 28, 28), np.uint8), kinds, models.DEFAULT_EXTRAS)
    out = capsys.readouterr().out
    assert "choice kinds: 25.0%" in out and f"{CHOICE_KINDS[0]} 50%  {CHOICE_KINDS[1]} 0%" in out
    assert "not a choice" not in out
    report_choice_kinds(Fixed(), np.zeros((4, 28, 28), np.uint8), kinds, Extras(non_digit_kinds=(CHOICE_KINDS[0],)))
    assert f"trains on {CHOICE_KINDS[0]}: not a choice" in capsys.readouterr().out
