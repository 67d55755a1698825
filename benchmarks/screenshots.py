"""Screenshots of the Draw page with a digit drawn, desktop and phone-sized.

    python -m benchmarks.screenshots [--out docs]

Starts the app, draws a small 7 in a corner through the real canvas, opens the
preprocessing steps, and saves draw-desktop.png, draw-phone.png (the answer) and
draw-phone-steps.png (the steps).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.browser import DIGIT_STROKES, chromium, draw_strokes, open_app, streamlit_server, wait_for_answer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    # Streamlit scrolls inside the page, so a screenshot holds one viewport: the desktop one is
    # tall enough for the whole page; the phone gets one shot of the answer and one of the steps.
    with streamlit_server() as url:
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


if __name__ == "__main__":
    main()
