"""How long each page takes to open in a real browser, the first time and once cached.

    python -m benchmarks.page_load [--rounds 3]

Starts `streamlit run app.py` with an empty cache folder, opens the app in headless
Chromium and moves between the pages through the sidebar, as a user does. Each visit
is timed from the click to the page's key element on screen with the script
finished (Streamlit's "running" indicator gone). The first round includes the
one-time work (loading MNIST, scoring the test set, computing a map); the others
are what a user sees afterwards. Needs MNIST.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from appdriver import chromium, open_app, streamlit_server

# page title in the sidebar -> the element that shows the page is there
PAGES = {
    "Dataset": ".dataset-chosen",
    "Misclassified": ".mis-count",
    "Training": ".js-plotly-plot",
    "Dubious labels": ".dubious-500",
    "Draw": "canvas.upper-canvas",
}


def visit(page, title: str, selector: str) -> float:
    """Seconds from the sidebar click to ``selector`` visible and the script done."""
    t0 = time.perf_counter()
    page.locator("[data-testid=stSidebarNav] a", has_text=title).first.click()
    page.locator(selector).first.wait_for(state="visible", timeout=300_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=300_000)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    times: dict[str, list[float]] = {title: [] for title in PAGES}
    with tempfile.TemporaryDirectory() as cache, streamlit_server({"DIGITLAB_CACHE": cache}) as url:
        with chromium((1400, 1000)) as page:
            open_app(page, url)
            for r in range(args.rounds):
                for title, selector in PAGES.items():
                    times[title].append(visit(page, title, selector))
                print(f"round {r + 1}: " + ", ".join(f"{t} {v[-1]:.2f} s" for t, v in times.items()), flush=True)
    print("\n| page | first visit (cold cache) | later visits, median |")
    print("|---|---|---|")
    for title, v in times.items():
        print(f"| {title} | {v[0]:.1f} s | {np.median(v[1:]):.2f} s |")


if __name__ == "__main__":
    main()
