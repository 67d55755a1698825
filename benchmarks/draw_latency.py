"""Mouse-up to new prediction on screen, measured in a real browser.

    python -m benchmarks.draw_latency [--n 40] [--url http://127.0.0.1:8501]

Starts `streamlit run app.py` (unless --url names a running app), opens it in
headless Chromium, draws digits stroke by stroke with the mouse and times each
stroke from its mouse-up event to the changed answer, both in the browser's
own clock. Also prints the time from `streamlit run` to the first answer, and
how many of the hand-made digits (random size, place, pen) were read right.
With --while-training PRESET a background training job (the one the sidebar
starts) runs during the measurement, and is cancelled afterwards. With --inside
the inside view ("See inside the network") is opened first and stays open, so
every stroke also recomputes it (after the answer, on the same server).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from appdriver import (DIGIT_STROKES, INSIDE_TOGGLE, chromium, clear, draw_strokes, open_app, streamlit_server,
                           stroke_latency_ms, switch, wait_for_answer, watch_answers)


def open_inside(page, box: dict) -> dict:
    """Draw a 7, open the inside view, wait for it, clear: it stays open for the next drawings.
    (Not a 1: a drawing identical to the one before Clear would be taken for the stale one.)"""
    draw_strokes(page, DIGIT_STROKES[7], box)
    wait_for_answer(page, timeout=120)
    switch(page, INSIDE_TOGGLE)
    page.locator(".inside-changed").wait_for(state="attached", timeout=60_000)
    return clear(page)


def run(url: str, n: int, seed: int, started: float | None, inside: bool = False) -> None:
    rng = np.random.default_rng(seed)
    with chromium() as page:
        box = open_app(page, url)
        if started is not None:
            draw_strokes(page, DIGIT_STROKES[1], box)
            wait_for_answer(page, timeout=120)
            print(f"streamlit run -> first answer on screen: {time.monotonic() - started:.1f} s")
            box = clear(page)
        if inside:
            box = open_inside(page, box)
            print("with the inside view open")
        watch_answers(page)
        latencies, right, drawn, lost = [], 0, 0, 0
        while len(latencies) < n:
            digit = int(rng.integers(10))
            size = float(rng.uniform(0.3, 0.85))
            left, top = (float(rng.uniform(0.02, 0.98 - size)) for _ in range(2))
            try:
                for stroke in DIGIT_STROKES[digit]:
                    draw_strokes(page, [stroke], box, left=left, top=top, size=size)
                    latencies.append(stroke_latency_ms(page))
                    print(f"  digit {digit}: {latencies[-1]:.0f} ms", file=sys.stderr, flush=True)
            except PlaywrightTimeout:  # no new answer within 10 s: counted, not hidden
                lost += 1
                print(f"  digit {digit}: no new answer within 10 s", file=sys.stderr, flush=True)
            else:
                drawn += 1
                right += wait_for_answer(page, strokes=len(DIGIT_STROKES[digit])) == str(digit)
                if inside:  # the view really was there, for this drawing
                    page.locator(".inside-changed").wait_for(state="attached", timeout=30_000)
            box = clear(page)
        lat = np.array(latencies)
        print(f"{len(lat)} strokes: mouse-up -> new prediction p50 {np.percentile(lat, 50):.0f} ms, "
              f"p95 {np.percentile(lat, 95):.0f} ms, mean {lat.mean():.0f} ms, max {lat.max():.0f} ms")
        print(f"hand-made digits read right: {right}/{drawn}; strokes with no new answer within 10 s: {lost}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=40, help="strokes to time")
    ap.add_argument("--url", help="an app that is already running")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--while-training", metavar="PRESET", help="measure while this preset trains in the background")
    ap.add_argument("--inside", action="store_true", help="with the inside view open (recomputed on every stroke)")
    args = ap.parse_args()
    if args.while_training:
        from benchmarks.train_presets import start_training
        from digitlab import jobs

        job = start_training(args.while_training, "benchmarks/draw_latency.py")
        while not (status := jobs.get(job.id)).final and not status.fields.get("batch"):
            time.sleep(0.5)
        print(f"measuring while {args.while_training} trains in the background")
    try:
        if args.url:
            run(args.url, args.n, args.seed, None, args.inside)
        else:
            started = time.monotonic()
            with streamlit_server() as url:
                run(url, args.n, args.seed, None if args.while_training else started, args.inside)
    finally:
        if args.while_training:
            jobs.cancel()


if __name__ == "__main__":
    main()
