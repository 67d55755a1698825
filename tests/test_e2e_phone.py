"""The app on a phone-sized touch screen (390×844) in a real browser: the page menu.

Chromium's own user agent (a desktop one) at a phone's size, as a tablet, a narrow window or a
phone asking for the desktop site is: Streamlit closes its menu by itself only for a phone's user
agent. Needs the shipped model and MNIST (every page is opened).
"""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from appdriver import exceptions, open_app, wait_until_settled

PAGES = ["Dataset", "Dubious labels", "Misclassified", "Training", "Classes", "Draw"]
HEADINGS = {"Draw": "Draw a digit"}  # the others' heading is their name

# The element at the middle of the page's heading is the heading itself (not the menu over it).
HEADING_IN_SIGHT_JS = """(h) => { const r = h.getBoundingClientRect();
  const at = document.elementFromPoint(r.left + Math.min(r.width / 2, 60), r.top + r.height / 2);
  return !!at && h.contains(at); }"""


@pytest.fixture
def app_url(shipped_app):
    return shipped_app[0]  # nothing is saved: the shared server with the shipped model will do


@pytest.mark.mnist
@pytest.mark.trained_model
@pytest.mark.browser
def test_on_a_phone_the_menu_closes_when_a_page_is_chosen(app_url, new_page):
    # It stayed open over 300 of the 390 px, hiding the page just chosen, until « was tapped.
    phone = new_page(viewport=(390, 844), has_touch=True)
    open_app(phone, app_url)
    sidebar = phone.locator("[data-testid=stSidebar]")
    assert sidebar.get_attribute("data-collapsed") == "true"  # a phone starts with it closed
    for title in PAGES:
        phone.locator("[data-testid=stExpandSidebarButton]").tap()
        link = phone.locator("[data-testid=stSidebarNavLink]", has_text=title)
        link.wait_for(timeout=10_000)
        phone.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                                ".dataset.collapsed === 'false'", timeout=10_000)
        link.tap()
        heading = phone.get_by_role("heading", name=HEADINGS.get(title, title), exact=True)
        try:
            heading.wait_for(timeout=30_000)
        except PlaywrightTimeout:
            # Seen in 2 of 5 runs of the browser modules in a row (never alone): the tap on Misclassified
            # did not change the page for 120 s. Not understood yet (README, Known limits): a user taps
            # again, and so does this test; the menu must still close.
            if sidebar.get_attribute("data-collapsed") == "true":
                phone.locator("[data-testid=stExpandSidebarButton]").tap()
            link.tap()
            heading.wait_for(timeout=90_000)
        phone.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                                ".dataset.collapsed === 'true'", timeout=10_000)
        # Once the menu has slid away (300 ms), the page itself is what a tap on its heading reaches.
        phone.wait_for_function(HEADING_IN_SIGHT_JS, arg=heading.element_handle(), timeout=10_000)
    assert not exceptions(phone), exceptions(phone)


@pytest.mark.mnist
@pytest.mark.trained_model
@pytest.mark.browser
def test_on_a_phone_the_dataset_grid_has_no_empty_band_and_the_maps_title_is_whole(app_url, new_page):
    phone = new_page(viewport=(390, 844), has_touch=True)
    open_app(phone, app_url)
    phone.locator("[data-testid=stExpandSidebarButton]").tap()
    phone.locator("[data-testid=stSidebarNavLink]", has_text="Dataset").tap()
    phone.get_by_role("heading", name="Dataset", exact=True).wait_for(timeout=120_000)
    wait_until_settled(phone, timeout=120)
    # The grid's own area (plotly's plot area) reaches the bottom of its chart: a fixed height made
    # for a wider column left ~140 px of empty chart under it.
    grid = phone.locator("[class*=st-key-dataset-grid] [data-testid=stPlotlyChart]").first
    chart, area = grid.bounding_box(), grid.locator(".nsewdrag").first.bounding_box()
    assert chart["y"] + chart["height"] - (area["y"] + area["height"]) < 8, (chart, area)
    # The map's title is written above the chart, all of it within the screen, none under the toolbar.
    title = phone.locator(".map-title")
    title.wait_for(timeout=120_000)
    box, the_map = title.bounding_box(), phone.locator(".st-key-dataset-map-chart").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= the_map["y"]
    assert phone.evaluate("el => el.scrollWidth <= el.clientWidth", title.element_handle())  # nothing cut
    assert not exceptions(phone), exceptions(phone)
