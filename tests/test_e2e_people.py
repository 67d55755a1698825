"""Reading people in a real browser: a photo of a digit on paper, a slashed zero, a # that is no digit.

Chromium draws with the mouse on the real canvas and uploads through the real file input.
"""

import numpy as np
import pytest
from PIL import Image

from appdriver import draw_strokes, exceptions, open_app, wait_for_answer
from digitlab.synth.non_digits import hash_sign
from digitlab.synth.photo_like import Conditions, photo
from digitlab.synth.stroke_digits import STYLES


@pytest.fixture
def app_url(shipped_app):
    return shipped_app[0]


@pytest.mark.trained_model
@pytest.mark.browser
def test_a_photo_of_a_digit_on_shaded_paper_is_read(app_url, page, tmp_path):
    # A 4 in blue ballpoint, half the page in shadow, light falling off, JPEG: what a phone gives.
    conditions = Conditions(ink="blue", shadow=0.5, light_gradient=0.4, paper_noise=4, blur=1.0, jpeg_quality=60)
    picture = photo(STYLES[4]["open"], conditions, np.random.default_rng(7))
    path = tmp_path / "four.jpg"
    Image.fromarray(picture).save(path, quality=85)
    open_app(page, app_url)
    page.get_by_role("tab", name="Upload a photo").click()
    page.locator("input[type=file]").set_input_files(str(path))
    assert wait_for_answer(page, timeout=30) == "4"
    assert not exceptions(page), exceptions(page)


@pytest.mark.trained_model
@pytest.mark.browser
def test_a_slashed_zero_is_read_as_zero(app_url, page):
    box = open_app(page, app_url)
    strokes = STYLES[0]["slashed"]
    draw_strokes(page, strokes, box, left=0.15, top=0.1, size=0.75)
    assert wait_for_answer(page, strokes=len(strokes)) == "0"


@pytest.mark.trained_model
@pytest.mark.browser
def test_a_hash_sign_is_not_read_as_a_digit(app_url, page):
    box = open_app(page, app_url)
    strokes = hash_sign(np.random.default_rng(0))
    draw_strokes(page, strokes, box, left=0.15, top=0.1, size=0.75)
    # Either "that is not a digit" or a digit marked "not sure", never a confident digit.
    page.locator(f'.no-digit[data-strokes="{len(strokes)}"], .digit-answer[data-strokes="{len(strokes)}"]').first.wait_for(
        timeout=20_000)
    answer = page.locator(f'.digit-answer[data-strokes="{len(strokes)}"]')
    if answer.count():
        assert float(answer.first.get_attribute("data-confidence")) < 0.7
        page.get_by_text("Not sure").wait_for(timeout=5_000)
    else:
        page.locator(".no-digit", has_text="That is not a digit").wait_for(timeout=5_000)
