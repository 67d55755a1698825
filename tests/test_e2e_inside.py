"""The inside view in a real browser: Chromium draws a 7, opens it, moves a slider."""

from __future__ import annotations

import pytest

from digitlab.explain import SALIENCY_METHOD

from appdriver import DIGIT_STROKES, INSIDE_TOGGLE, draw_strokes, exceptions, open_app, switch, wait_for_answer

pytestmark = [pytest.mark.browser, pytest.mark.trained_model]


@pytest.fixture
def app_url(shipped_app):
    return shipped_app[0]


def probabilities(page) -> str:
    return page.locator(".inside-changed").get_attribute("data-probabilities")


def test_draw_a_seven_open_the_inside_view_and_a_slider_moves_the_probabilities(app_url, page):
    box = open_app(page, app_url)
    draw_strokes(page, DIGIT_STROKES[7], box, left=0.2, top=0.1, size=0.7)
    assert wait_for_answer(page) == "7"
    assert page.locator(".inside-changed").count() == 0  # closed: nothing of it on the page
    switch(page, INSIDE_TOGGLE)

    page.locator(".inside-changed").wait_for(state="attached", timeout=60_000)
    page.get_by_text("Each square is one filter's map").first.wait_for()  # the convolutions' feature maps
    assert page.locator(".inside-saliency").get_attribute("data-method") == SALIENCY_METHOD
    page.get_by_text("Red: ink that pushed towards 7").wait_for()
    for name in ("Turn (degrees, anticlockwise)", "Move right (pixels)", "Move down (pixels)",
                 "Thinner ← stroke → thicker (pixels)", "Rub out (% of the digit)"):
        assert page.get_by_role("slider", name=name).is_visible(), name

    before = probabilities(page)
    slider = page.get_by_role("slider", name="Rub out (% of the digit)")
    slider.focus()
    for _ in range(10):  # 50% of the 7, from the top: its bar goes
        slider.press("ArrowRight")
    page.wait_for_function(
        "before => { const el = document.querySelector('.inside-changed');"
        "            return el && el.dataset.probabilities !== before; }", arg=before, timeout=30_000)
    assert probabilities(page) != before
    assert wait_for_answer(page) == "7"  # the answer to the drawing itself stays
    assert not exceptions(page), exceptions(page)
