"""Driving the real app in a real browser: a Streamlit server, Chromium, pen strokes.

Shared by the browser tests (tests/test_e2e_*.py) and the benchmarks that drive the app
(``from appdriver import ...``); not part of the app.
Playwright's own browser download does not work offline, so this launches
Debian's Chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from deploy.balanced import app_servers
from digitlab.synth.stroke_digits import plain

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("DIGITLAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium is not installed: apt-get install chromium (or set DIGITLAB_CHROMIUM)")
    return path


def app_env(folder: Path, **extra: str) -> dict[str, str]:
    """Environment for a server with its own model store, user data and cache inside ``folder``."""
    return {"DIGITLAB_MODEL_STORE": str(folder / "store"), "DIGITLAB_USER_DATA": str(folder / "user"),
            "DIGITLAB_CACHE": str(folder / "cache"), **extra}


@contextmanager
def streamlit_servers(*envs: dict[str, str] | None, timeout: float = 90.0):
    """Run one ``streamlit run app.py`` per environment (added to this process's), each on a free local
    port, all started at once (deploy.balanced.app_servers); yields their URLs."""
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    with app_servers([{**os.environ, **(env or {})} for env in envs], folder, timeout) as started:
        yield [url for url, _ in started]


@contextmanager
def streamlit_server(env: dict[str, str] | None = None, timeout: float = 90.0):
    """Run ``streamlit run app.py`` on a free local port; yields its URL."""
    with streamlit_servers(env, timeout=timeout) as (url,):
        yield url


@contextmanager
def chromium_browser():
    """Headless Chromium (Playwright); ``browser.new_page()`` opens a tab with its own session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium(viewport=(1280, 1000)):
    """A fresh headless Chromium page, closed afterwards."""
    with chromium_browser() as browser:
        yield browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})


# Streamlit marks its app root with the script's state and each element left from the previous
# run as stale; plotly draws a chart a moment after Streamlit mounts it (``_fullLayout`` set); a
# page waiting for the nearest images reruns when they are ready (ui.neighbours.PENDING_CLASS).
SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  if (document.querySelector('[data-stale=true], .neighbours-pending')) return false;
  return [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
    .every(c => { const gd = c.querySelector('.js-plotly-plot'); return gd && gd._fullLayout; });
}"""


def wait_until_settled(page, timeout: float = 60.0) -> None:
    """Wait until the app's run has finished, nothing of an earlier run is left and every chart is drawn.

    A click aimed at a chart before then can land on an element about to be replaced, or on a
    chart plotly has not drawn yet: it went nowhere in about one run in three of the explorer tests.
    """
    page.wait_for_function(SETTLED_JS, timeout=timeout * 1000)


def choose(box, option: str, *, typed: str | None = None, exact: bool = False, tap: bool = False,
           shows=None, timeout: float = 30.0) -> None:
    """Open the select ``box`` (its combobox), type ``typed`` to filter the list if given, and pick the first
    ``option`` (a finger's tap with ``tap``). A click that lands while a rerun redraws the box, or while an
    expander above it still opens, only focuses it (its list stayed shut in about one CI run in three): it is
    opened again, as a user would, until the option shows. With ``shows`` (a locator that appears once the
    choice took), the choice is made again if it was undone: a pick that landed while the run after a
    button's click was still drawing the sidebar came back unpicked (tests/test_e2e_retrain.py, two workers).
    While a run redraws the sidebar, the old box and the new one are both on the page for a moment: it waits
    for one (the retrain flow's preset box after "Dismiss", once in a run)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = box.page
    wanted = page.get_by_role("option", name=option, exact=exact).first
    deadline = time.monotonic() + timeout
    while True:
        if box.count() != 1:
            if time.monotonic() > deadline:
                raise PlaywrightTimeout(f"{box} matched {box.count()} elements for {timeout} s, not one")
            time.sleep(0.1)
            continue
        box.tap() if tap else box.click()
        picked = False
        try:
            page.get_by_role("listbox").first.wait_for(timeout=3_000)
            if typed:
                page.keyboard.type(typed)  # the list filters as one types
            wanted.wait_for(timeout=3_000)
            # Shortly: a list a rerun shut between the two steps is opened again, not waited on for 30 s
            # (the roles test's preset list, once in a CI run).
            wanted.click(timeout=3_000)
            picked = True
            if shows is not None:
                shows.wait_for(timeout=5_000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise
            if not picked:
                page.keyboard.press("Escape")


def switch(scope, label: str, on: bool = True, *, timeout: float = 30.0) -> None:
    """Click the toggle called ``label`` (its whole label) inside ``scope`` (a locator or a page) until it reads
    ``on``. A click that lands while an expander above it still opens, or while a run redraws the page, changed
    nothing in about one run in four (tests/test_e2e_retrain.py after the two-server test; the inside
    view's toggle just after the answer, two workers): it is clicked again, as a user would, once it has not
    changed within a few seconds."""
    box = scope.get_by_role("switch", name=label)
    deadline = time.monotonic() + timeout
    while box.is_checked() != on:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the toggle {label!r} did not turn {'on' if on else 'off'} within {timeout:.0f} s")
        scope.get_by_text(label, exact=True).click()
        settle = time.monotonic() + 3
        while box.is_checked() != on and time.monotonic() < settle:
            time.sleep(0.05)


def steady_box(locator, timeout: float = 10.0) -> dict:
    """``locator``'s bounding box once it has stopped moving (a sidebar closing slides the page)."""
    deadline = time.monotonic() + timeout
    box = locator.bounding_box()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = locator.bounding_box()
        if now == box:
            return box
        box = now
    raise TimeoutError(f"still moving after {timeout} s: {box}")


# The most common way of drawing each digit, as strokes in the unit square (hand-made, not MNIST).
DIGIT_STROKES = {d: plain(d) for d in range(10)}
INSIDE_TOGGLE = "See inside the network: every layer, the pixels that decided, what would change its mind"


# The component loads its initial drawing just after mounting and only then switches to free
# drawing: a stroke made before that is lost. Its canvas library sets the upper canvas's cursor on
# every pointer move over it, "crosshair" in free drawing and "default" before, so a hover tells.
# And the page's own tweak (ui/canvas.py) must have moved the toolbar off the canvas, or a stroke
# begun under it, in the top-right corner, is swallowed: it adds its style within 250 ms.
DRAWING_READY_JS = """upper => upper.style.cursor === 'crosshair'
                              && !!upper.getRootNode().querySelector('style.digitlab-toolbar')"""


def canvas_box(page, timeout: float = 60.0) -> dict:
    """The drawing canvas's box on the page (it lives in the component's open shadow root), once
    the canvas takes strokes; the pointer is left at the page's top-left corner, off the canvas."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while True:
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        if canvas.evaluate(DRAWING_READY_JS):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"the canvas did not switch to drawing within {timeout} s")
        page.wait_for_timeout(20)  # the next hover's interval, not a guess at how long loading takes
    page.mouse.move(0, 0)
    return canvas.bounding_box()


def draw_strokes(page, strokes, box: dict, *, left=0.1, top=0.1, size=0.8, steps_per_segment=3) -> None:
    """Draw strokes (unit-square points) with the mouse, in the square of the canvas
    at (left, top) with side ``size``, all as fractions of the canvas."""
    for stroke in strokes:
        pts = [(box["x"] + (left + x * size) * box["width"], box["y"] + (top + y * size) * box["height"])
               for x, y in stroke]
        page.mouse.move(*pts[0])
        page.mouse.down()
        for p in pts[1:]:
            page.mouse.move(*p, steps=steps_per_segment)
        page.mouse.up()


# The drawing's own lower canvas (the upper one takes the mouse; a third one holds a background
# image): black where there is no ink, since the background colour is painted into it.
BLANK_CANVAS_JS = """
upper => { const c = upper.parentElement.querySelector('canvas.lower-canvas');
           const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
           for (let i = 0; i < d.length; i += 4) if (d[i] > 0) return false;
           return true; }
"""


def clear(page) -> dict:
    """Press Clear; returns the canvas's box once the prompt is back and the canvas shows no ink."""
    page.get_by_role("button", name="Clear", exact=True).click()
    page.get_by_text("Draw a digit, 0 to 9").wait_for(timeout=20_000)
    upper = page.locator("canvas.upper-canvas").first
    page.wait_for_function(BLANK_CANVAS_JS, arg=upper.element_handle(), timeout=20_000)
    return upper.bounding_box()


def answer_text(page) -> str | None:
    loc = page.locator(".digit-answer")
    return loc.first.inner_text() if loc.count() else None


def wait_for_answer(page, previous: str | None = None, timeout: float = 20.0, strokes: int | None = None) -> str:
    """Wait until the answer shows a digit (different from ``previous`` if given; for a
    drawing of ``strokes`` strokes if given, not for the first strokes of it)."""
    selector = ".digit-answer" + (f'[data-strokes="{strokes}"]' if strokes else "")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        loc = page.locator(selector)
        text = loc.first.inner_text() if loc.count() else None
        if text and text != previous:
            return text.strip()
        time.sleep(0.02)
    raise TimeoutError(f"no new answer within {timeout}s (last: {answer_text(page)!r})")


def open_app(page, url: str) -> dict:
    page.goto(url)
    page.get_by_text("Draw a digit", exact=False).first.wait_for(timeout=60_000)
    return canvas_box(page)


WATCH_ANSWERS_JS = """
() => {
  window.__digit = {t0: null, t1: null, last: null};
  const current = () => {
    const el = document.querySelector('.digit-answer, .no-digit');  // a stroke may give "no digit"
    return el ? el.getAttribute('data-strokes') + '|' + el.getAttribute('data-confidence') + '|' + el.textContent : null;
  };
  window.__digit.last = current();
  window.addEventListener('mouseup', () => { window.__digit.t0 = performance.now(); window.__digit.t1 = null; },
                          {capture: true});
  new MutationObserver(() => {
    const now = current();
    if (now === null) window.__digit.last = null;  // cleared: the next answer is new even if it looks the same
    else if (now !== window.__digit.last) {
      window.__digit.last = now;
      if (window.__digit.t0 !== null && window.__digit.t1 === null) window.__digit.t1 = performance.now();
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}
"""


def watch_answers(page) -> None:
    """Start timing in the page: mouse-up (t0) to a changed answer (t1), in the browser's clock."""
    page.evaluate(WATCH_ANSWERS_JS)


def stroke_latency_ms(page, timeout: float = 10.0) -> float:
    """After a stroke: milliseconds from its mouse-up to the new answer on screen."""
    page.wait_for_function("() => window.__digit.t1 !== null", timeout=timeout * 1000)
    return page.evaluate("() => window.__digit.t1 - window.__digit.t0")


def exceptions(page) -> list[str]:
    """The texts of the exception boxes Streamlit shows on the page (none, when all is well)."""
    return page.locator("[data-testid=stException]").all_inner_texts()
