"""The Draw page's upload in a real browser: a phone's photo read upright, the size limit said in
words, a tiny picture shown big enough to see, refusals in plain words."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from appdriver import exceptions, open_app, wait_until_settled
from digitlab.synth.file_forms import phone_jpeg

from tests.helpers import paper_photo


@pytest.fixture
def page(shipped_app, new_page):
    """A new visitor on the Upload tab."""
    p = new_page()
    open_app(p, shipped_app[0])
    p.get_by_role("tab", name="Upload a photo").click()
    return p


SHOWN_IMAGES_JS = """() => [...document.querySelectorAll('[data-testid=stImage] img')]
  .map(i => [i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width])"""


def upload(page, path) -> None:
    """Upload ``path`` and wait until the page shows what came of it: the picture with its name under
    it, or a message naming it (the file's chip shows the name at once, before the app has read it)."""
    page.locator("input[type=file]").set_input_files(str(path))
    page.locator("[data-testid=stImageCaption], [data-testid=stAlertContentError]").filter(
        has_text=path.name).first.wait_for(timeout=30_000)
    wait_until_settled(page)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stImage] img')]"
                           ".every(i => i.complete)", timeout=10_000)


def upload_answer(page) -> str | None:
    answer = page.locator(".digit-answer")
    return answer.first.inner_text().strip() if answer.count() else None


@pytest.mark.mnist
@pytest.mark.trained_model
@pytest.mark.browser
def test_a_phone_photo_is_read_as_the_phone_shows_it(page, tmp_path, mnist):
    # MNIST test digits written dark on paper, saved as a phone saves them: the sensor's pixels and an
    # EXIF orientation saying how to turn them (6, the commonest: the phone held upright).
    rng = np.random.default_rng(1)
    for k, orientation in [(0, 6), (1, 3), (4, 8)]:
        path = tmp_path / f"IMG_{k}{orientation}.jpg"
        path.write_bytes(phone_jpeg(paper_photo(mnist.x_test[k], rng), orientation))
        upload(page, path)
        assert upload_answer(page) == str(mnist.y_test[k]), (orientation, upload_answer(page))
        assert [400, 300] == page.evaluate(SHOWN_IMAGES_JS)[0][:2]  # shown upright too: wider than high
    assert exceptions(page) == []


@pytest.mark.trained_model
@pytest.mark.browser
def test_a_file_over_the_limit_is_refused_in_words_one_can_see(page, tmp_path):
    big = tmp_path / "holiday.jpg"
    big.write_bytes(np.random.default_rng(0).integers(0, 256, int(14.5 * 2**20), dtype=np.uint8).tobytes())
    page.locator("input[type=file]").set_input_files(str(big))
    why = page.locator('[data-testid="stFileChip"] [role="alert"]')
    why.wait_for(timeout=20_000)
    expect(why).to_contain_text("10.0MB or smaller")
    # Streamlit's own words were there before too, clipped to 1 pixel and shown only on hover.
    box = why.bounding_box()
    assert box["width"] > 100 and box["height"] > 8, box
    # and the limit is said before one tries
    expect(page.get_by_text("up to 10 MB")).to_be_visible()
    expect(page.get_by_text("A file over 10 MB is refused")).to_be_visible()


@pytest.mark.trained_model
@pytest.mark.browser
def test_a_tiny_picture_is_shown_enlarged_and_a_non_picture_refused_in_plain_words(page, tmp_path):
    dot = tmp_path / "dot.png"
    Image.new("RGBA", (1, 1), (0, 0, 0, 0)).save(dot)  # transparent: nothing to see at any size but its frame
    upload(page, dot)
    (width, height, shown), = page.evaluate(SHOWN_IMAGES_JS)
    assert (width, height) == (228, 228) and shown >= 224  # enlarged on the server (224 and a 2-pixel frame)
    expect(page.get_by_text("dot.png: 1×1 pixels, shown 224 times bigger")).to_be_visible()
    notes = tmp_path / "notes.png"
    notes.write_text("shopping: eggs, milk")
    upload(page, notes)
    refusal = page.locator("[data-testid=stAlertContentError]").last.inner_text()
    assert refusal.startswith("Cannot use notes.png: it is not a picture")
    assert not re.search(r"Error|Exception|[a-z][A-Z]", refusal.removeprefix("Cannot use notes.png")), refusal
