"""The Draw page in a real browser: Chromium draws with the mouse on the real canvas.

Needs the shipped model (and MNIST for the nearest-images panel).
"""

import pytest

from tests.browser import (DIGIT_STROKES, app_env, chromium, clear, draw_strokes, exceptions, open_app,
                           streamlit_server, wait_for_answer)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e-draw")
    env = app_env(d)
    with streamlit_server(env) as url:
        yield url


@pytest.fixture
def page():
    with chromium() as p:
        yield p


@pytest.mark.trained_model
@pytest.mark.browser
def test_small_seven_in_a_corner_is_read_with_the_steps(app_url, page):
    box = open_app(page, app_url)
    page.get_by_text("Draw a digit, 0 to 9").wait_for()  # the empty-canvas prompt
    draw_strokes(page, DIGIT_STROKES[7], box, left=0.04, top=0.04, size=0.3)
    assert wait_for_answer(page) == "7"
    page.get_by_text("How your drawing became 28×28").click()
    page.get_by_text("Place in 28×28 so the centre of mass").wait_for(timeout=10_000)
    page.get_by_text("Training images it finds most alike").wait_for()
    assert not exceptions(page), exceptions(page)


@pytest.mark.trained_model
@pytest.mark.browser
def test_every_hand_drawn_digit_is_read(app_url, page):
    box = open_app(page, app_url)
    read = {}
    for digit, strokes in DIGIT_STROKES.items():
        draw_strokes(page, strokes, box, left=0.15, top=0.1, size=0.75)
        read[digit] = wait_for_answer(page, strokes=len(strokes))
        box = clear(page)
    wrong = {d: r for d, r in read.items() if r != str(d)}
    assert not wrong, f"misread (drawn: read as): {wrong}"


@pytest.mark.trained_model
@pytest.mark.browser
def test_a_stroke_begun_in_the_top_right_corner_is_drawn(app_url, page):
    # The canvas's toolbar used to wait there, invisible, and swallow the stroke of a pointer
    # that came in from outside the canvas (a finger always does).
    box = open_app(page, app_url)
    page.mouse.move(box["x"] - 60, box["y"] - 120)
    draw_strokes(page, DIGIT_STROKES[7], box, left=0.5, top=0.0, size=0.48)  # starts at (0.6, 0.06)
    assert wait_for_answer(page, strokes=len(DIGIT_STROKES[7])) == "7"


@pytest.mark.trained_model
@pytest.mark.browser
def test_a_stray_tap_beside_the_digit_changes_nothing(app_url, page):
    # A 5 and an 8 in the top-left part, a tap in the far corner: without the stray-dot filter
    # the box takes the tap in, the digit shrinks and these two are read as 3 and 0.
    box = open_app(page, app_url)
    for digit in (5, 8):
        strokes = DIGIT_STROKES[digit]
        draw_strokes(page, strokes, box, left=0.05, top=0.05, size=0.45)
        assert wait_for_answer(page, strokes=len(strokes)) == str(digit)
        draw_strokes(page, [[(0.5, 0.5), (0.51, 0.5)]], box, left=0.88, top=0.88, size=0.1)
        assert wait_for_answer(page, strokes=len(strokes) + 1) == str(digit)
        box = clear(page)


@pytest.mark.trained_model
@pytest.mark.browser
def test_dot_is_refused_and_clear_brings_the_prompt_back(app_url, page):
    box = open_app(page, app_url)
    draw_strokes(page, [[(0.5, 0.5), (0.51, 0.5)]], box)
    page.get_by_text("looks like a dot").wait_for(timeout=20_000)
    assert page.locator(".digit-answer").count() == 0
    clear(page)
    assert page.locator(".digit-answer").count() == 0


@pytest.mark.trained_model
@pytest.mark.browser
def test_saving_a_drawing_counts_it(app_url, page):
    box = open_app(page, app_url)
    draw_strokes(page, DIGIT_STROKES[3], box)
    assert wait_for_answer(page) == "3"
    page.get_by_role("button", name="Save it").click()
    page.locator(".own-count").get_by_text("You have saved 1 digit").wait_for(timeout=20_000)


@pytest.mark.trained_model
@pytest.mark.browser
def test_bad_upload_is_refused_with_a_message(app_url, page, tmp_path):
    open_app(page, app_url)
    page.get_by_role("tab", name="Upload a photo").click()
    fake = tmp_path / "digit.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    page.locator("input[type=file]").set_input_files(str(fake))
    page.get_by_text("Cannot use digit.png").wait_for(timeout=20_000)
