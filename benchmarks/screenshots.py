"""Screenshots of the Draw page with a digit drawn, desktop and phone-sized.

    python -m benchmarks.screenshots [--out docs] [--only draw|inside|pages]

Starts the app, draws a small 7 in a corner through the real canvas, opens the
preprocessing steps, and saves draw-desktop.png, draw-phone.png (the answer) and
draw-phone-steps.png (the steps). Then opens the inside view ("See inside the
network") for a 7, turns it with a slider, finds the smallest change to another
digit, and saves inside-desktop.png (the whole page) and, on a phone,
inside-phone-layers.png, inside-phone-saliency.png, inside-phone-changes.png and
inside-phone-counterfactual.png. Last, every other page as it first opens, desktop and
phone: dataset-, misclassified-, training-, dubious- and classes-desktop.png / -phone.png (needs MNIST),
and first-visit-desktop.png / -phone.png (the Draw page before any drawing).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from appdriver import (DIGIT_STROKES, INSIDE_TOGGLE, chromium, chromium_browser, draw_strokes, open_app,
                           streamlit_server, switch, wait_for_answer)


def draw_page(url: str, out: Path) -> None:
    # Streamlit scrolls inside the page, so a screenshot holds one viewport: the desktop one is
    # tall enough for the whole page; the phone gets one shot of the answer and one of the steps.
    for name, viewport in (("desktop", (1400, 2000)), ("phone", (390, 844))):
        with chromium(viewport) as page:
            box = open_app(page, url)
            draw_strokes(page, DIGIT_STROKES[7], box, left=0.05, top=0.05, size=0.35)
            wait_for_answer(page)
            page.wait_for_timeout(1500)
            shots = [f"draw-{name}.png"]
            if name == "phone":
                page.screenshot(path=str(out / shots[0]))
                shots.append("draw-phone-steps.png")
            steps = page.get_by_text("How your drawing became 28×28")
            steps.click()
            page.get_by_text("Place in 28×28 so the centre of mass").wait_for(timeout=20_000)
            if name == "desktop":
                page.locator("[data-testid=stMain]").evaluate("el => el.scrollTo(0, 0)")
            else:
                steps.scroll_into_view_if_needed()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(out / shots[-1]))
            for shot in shots:
                print(f"saved {out / shot}")


def open_inside(page, url: str) -> None:
    """Draw a 7, open the inside view, wait until its three parts are on the page."""
    box = open_app(page, url)
    draw_strokes(page, DIGIT_STROKES[7], box, left=0.2, top=0.1, size=0.7)
    wait_for_answer(page)
    switch(page, INSIDE_TOGGLE)
    page.locator(".inside-changed").wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(1500)


def scroll_to(page, text: str) -> None:
    # To the top, then a little back: the app's header bar covers the first 60 pixels.
    page.get_by_text(text, exact=False).first.evaluate(
        "el => { el.scrollIntoView({block: 'start'});"
        "        const main = document.querySelector('[data-testid=stMain]'); if (main) main.scrollBy(0, -70); }")
    page.wait_for_timeout(800)


def turn_and_find(page) -> None:
    """Turn the drawing with the slider (keyboard: 6 steps of 5 degrees) and find the smallest change."""
    before = page.locator(".inside-changed").get_attribute("data-probabilities")
    slider = page.get_by_role("slider", name="Turn (degrees, anticlockwise)")
    slider.focus()
    for _ in range(6):
        slider.press("ArrowRight")
    page.wait_for_function(f"() => document.querySelector('.inside-changed').dataset.probabilities !== '{before}'",
                           timeout=30_000)
    page.get_by_role("button", name="Find it").click()
    page.locator(".inside-counterfactual").wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(1500)


def inside_view(url: str, out: Path) -> None:
    with chromium((1400, 900)) as page:
        open_inside(page, url)
        turn_and_find(page)
        # The whole view in one picture: the main area made as tall as its content.
        height = page.locator("[data-testid=stMain]").evaluate("el => el.scrollHeight")
        page.set_viewport_size({"width": 1400, "height": min(int(height) + 50, 9000)})
        page.wait_for_timeout(1500)
        scroll_to(page, "Inside the network")
        page.screenshot(path=str(out / "inside-desktop.png"), full_page=True)
        print(f"saved {out / 'inside-desktop.png'}")
    with chromium((390, 844)) as page:
        open_inside(page, url)
        turn_and_find(page)
        for name, heading in (("layers", "1. Layer by layer"), ("saliency", "2. Which pixels decided"),
                              ("changes", "3. What would change its mind"),
                              ("counterfactual", "The smallest change that makes it read another digit")):
            scroll_to(page, heading)
            page.screenshot(path=str(out / f"inside-phone-{name}.png"))
            print(f"saved {out / f'inside-phone-{name}.png'}")


PAGES = ("Dataset", "Misclassified", "Training", "Dubious labels", "Classes")
VIEWPORTS = {"desktop": ((1400, 900), False), "phone": ((390, 844), True)}


def go_to(page, url: str, title: str, phone: bool) -> None:
    """From the home page to ``title`` by the sidebar's page menu, as a visitor does; on a phone
    the menu is opened first and closed after."""
    page.goto(url)
    page.get_by_text("Draw a digit").first.wait_for(timeout=90_000)
    if phone:
        page.get_by_test_id("stExpandSidebarButton").click()
    page.locator("[data-testid=stSidebarNav] a", has_text=title).click()
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
    if phone:
        page.wait_for_timeout(1000)
        close = page.get_by_test_id("stSidebarCollapseButton")
        if close.is_visible():
            close.locator("button").click()


def every_page(url: str, out: Path) -> None:
    """The first screen of each page as a visitor first sees it, desktop and phone."""
    for name, (viewport, phone) in VIEWPORTS.items():
        with chromium_browser() as browser:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, has_touch=phone,
                                    is_mobile=phone)
            open_app(page, url)
            page.wait_for_timeout(1500)
            shots = {"first-visit": None, **{title: title for title in PAGES}}
            for shot, title in shots.items():
                if title:
                    go_to(page, url, title, phone)
                    page.wait_for_timeout(5000)  # charts and thumbnails drawn
                file = out / f"{shot.split()[0].lower()}-{name}.png"
                page.screenshot(path=str(file), timeout=120_000)
                print(f"saved {file}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs")
    ap.add_argument("--only", choices=["draw", "inside", "pages"], help="only these screenshots")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    with streamlit_server() as url:
        if args.only in (None, "draw"):
            draw_page(url, out)
        if args.only in (None, "inside"):
            inside_view(url, out)
        if args.only in (None, "pages"):
            every_page(url, out)


if __name__ == "__main__":
    main()
