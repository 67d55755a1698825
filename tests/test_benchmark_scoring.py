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
