"""Driving the real app in a real browser: a Streamlit server, Chromium, pen strokes.

Used by the browser tests (tests/test_e2e_*.py) and benchmarks/draw_latency.py.
Playwright's own browser download does not work offline, so this launches
Debian's Chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("DIGITLAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium is not installed: apt-get install chromium (or set DIGITLAB_CHROMIUM)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(env: dict[str, str] | None = None, timeout: float = 90.0):
    """Run ``streamlit run app.py`` on a free local port; yields its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"streamlit-{port}.log", "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def chromium(viewport=(1280, 1000)):
    """A fresh headless Chromium page (Playwright), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            yield page
        finally:
            browser.close()


def _arc(cx, cy, rx, ry, start, end, n=24):
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, end, n)]


# Each digit: strokes of (x, y) points in the unit square, drawn the way most
# people draw them (angles in degrees, y pointing down). Hand-made, not MNIST.
DIGIT_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_arc(0.5, 0.5, 0.3, 0.42, -90, 275, 40)],
    1: [[(0.38, 0.25), (0.55, 0.1), (0.55, 0.9)]],
    2: [_arc(0.5, 0.32, 0.28, 0.22, 200, 380, 16) + [(0.7, 0.5), (0.22, 0.9), (0.8, 0.9)]],
    3: [_arc(0.48, 0.3, 0.26, 0.2, 200, 450, 20) + _arc(0.48, 0.7, 0.28, 0.2, -90, 160, 20)],
    4: [[(0.6, 0.1), (0.2, 0.62), (0.82, 0.62)], [(0.64, 0.35), (0.64, 0.92)]],
    5: [[(0.75, 0.1), (0.3, 0.1), (0.27, 0.45)] + _arc(0.48, 0.66, 0.28, 0.25, -120, 150, 20)],
    6: [[(0.68, 0.1), (0.4, 0.3)] + _arc(0.5, 0.68, 0.27, 0.24, 200, 560, 30)],
    7: [[(0.2, 0.12), (0.8, 0.12), (0.42, 0.92)]],
    8: [_arc(0.5, 0.3, 0.22, 0.2, 90, 450, 24) + _arc(0.5, 0.71, 0.26, 0.21, -90, 270, 24)],
    9: [_arc(0.5, 0.32, 0.24, 0.22, 0, 360, 26) + [(0.74, 0.35), (0.7, 0.92)]],
}


def canvas_box(page) -> dict:
    """The drawing canvas's box on the page (it lives in the component's open shadow root)."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible", timeout=60_000)
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


def answer_text(page) -> str | None:
    loc = page.locator(".digit-answer")
    return loc.first.inner_text() if loc.count() else None


def wait_for_answer(page, previous: str | None = None, timeout: float = 20.0) -> str:
    """Wait until the answer shows a digit (different from ``previous`` if given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = answer_text(page)
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
    const el = document.querySelector('.digit-answer');
    return el ? el.getAttribute('data-confidence') + '|' + el.textContent : null;
  };
  window.__digit.last = current();
  window.addEventListener('mouseup', () => { window.__digit.t0 = performance.now(); window.__digit.t1 = null; },
                          {capture: true});
  new MutationObserver(() => {
    const now = current();
    if (now !== null && now !== window.__digit.last) {
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
