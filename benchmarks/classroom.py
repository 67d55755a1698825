"""A classroom on one server: simulated visitors drawing, then the same while a model trains.

    python -m benchmarks.classroom [--visitors 30] [--seconds 120] [--interval 2] [--training-preset cnn]
    python -m benchmarks.classroom --servers 2 --database postgresql://... [--visitors 60]

Starts `streamlit run app.py` (its own store, user data and an SQLite database in a
temporary folder) — or, with ``--servers 2``, two of them behind HAProxy on one
PostgreSQL database (``deploy.balanced``, the route the README describes) — and runs
two phases of ``--seconds`` each: visitors drawing alone, then drawing while
``train_model.py`` trains (at nice 10, as the app's training job runs).

Each visitor is one websocket speaking Streamlit's own protocol (the protobuf
messages the ``streamlit`` package ships), with its own visitor cookie: no
browser, so the figure is the server's, not Chromium's. Every ``--interval``
seconds it sends the canvas's widget value a browser sends after a stroke (a
whole hand-made digit, as PNG in a data URL, in the JSON the canvas component
sends) and times it until the server's ``script_finished``; an answer is
counted when that rerun's deltas contain the digit answer. Errors: exceptions
shown by the app, reruns that did not finish within ``--timeout`` s, broken
connections. The server's RSS (with its children: the training is a separate
process, not counted) is sampled every second.

A stroke reruns what a browser's stroke reruns: the fragment the canvas is in (the
Draw tab), learnt from the first run's messages, as the browser learns it.

Each visitor comes from an address of its own (``X-Forwarded-For``, which the server
takes from a proxy on its own machine), as a class does from its tablets: nobody is
"on the server's machine", so nobody is the operator.

Printed per phase: reruns asked and answered, per second; latency p50/p95/max; errors;
the server's CPU seconds per answered stroke (user + system time of the server
processes, from /proc, over the phase) and its peak RSS; and the day's figure of
``benchmarks.classify_latency`` (this machine's speed varies ~3x between days: compare
two days' figures as ratios to it).

Not simulated: the browser's own reruns (the job panel's timer) and the media files
(pictures, charts) a browser fetches.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from benchmarks.classify_latency import day_figure
from deploy.balanced import balanced
from digitlab import identity
from digitlab.db.visitors import new_id
from appdriver import DIGIT_STROKES, ROOT, app_env, streamlit_server
from digitlab.synth.stroke_digits import render

# websockets 15 prefers `with connect(...)`; a visitor's connection outlives any one block here.
warnings.filterwarnings("ignore", category=DeprecationWarning, module="websockets")
warnings.filterwarnings("ignore", message="connect\\(\\) must be used as a context manager")
CANVAS_ID = re.compile(rb"\$\$ID-[0-9a-f]{32}-canvas")
ANSWER = b"digit-answer"
FEATURES_PENDING = b"looking at all 60,000"  # ui.neighbours' progress while the features are computed


def drawing_json(digit: int, rng: np.random.Generator) -> str:
    """The canvas component's value after a whole digit: its strokes (only counted by the app) and the picture."""
    strokes = DIGIT_STROKES[digit]
    jitter = [[(float(np.clip(x * 0.7 + 0.15 + rng.normal(0, 0.01), 0, 1)),
                float(np.clip(y * 0.7 + 0.15 + rng.normal(0, 0.01), 0, 1))) for x, y in s] for s in strokes]
    picture = render(jitter, canvas=300, box=(0.0, 0.0, 1.0), pen=18.0)
    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return json.dumps({"drawing": {"raw": {"objects": [{"type": "path"} for _ in strokes]}, "data": url}})


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    answers: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, answered: bool, error: str | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.answers += answered
            if error:
                self.errors.append(error)


class Visitor:
    """One browser tab's worth of websocket, with its own visitor cookie."""

    def __init__(self, url: str, timeout: float, address: str = "10.1.0.1"):
        host = url.split("://", 1)[1]
        # A cookie the server did not sign: it gives this session an id of its own, as a new browser gets.
        self.ws = connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], open_timeout=60,
                          additional_headers={"Origin": url, "Cookie": f"{identity.VISITOR_COOKIE}={new_id()}",
                                              "X-Forwarded-For": address}, max_size=2**26)
        self.timeout = timeout
        self.canvas_id: str | None = None
        self.fragment_id = ""  # the fragment the canvas is drawn in: a browser reruns only that on a stroke
        self.page_hash = ""

    def rerun(self, widgets: dict[str, str] | None = None) -> tuple[float, bytes, str | None]:
        """Send a rerun with the canvas's value; (seconds until script_finished, the deltas' bytes,
        the first exception the app showed or None)."""
        msg = BackMsg()
        msg.rerun_script.page_script_hash = self.page_hash
        if widgets and self.fragment_id:
            msg.rerun_script.fragment_id = self.fragment_id
        for wid, value in (widgets or {}).items():
            w = msg.rerun_script.widget_states.widgets.add()
            w.id, w.json_value = wid, value
        t0 = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        seen, exception = [], None
        while True:
            raw = self.ws.recv(timeout=max(0.1, self.timeout - (time.perf_counter() - t0)))
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "new_session" and fwd.new_session.page_script_hash:
                self.page_hash = fwd.new_session.page_script_hash
            elif kind == "delta":
                seen.append(raw)
                if fwd.delta.fragment_id and CANVAS_ID.search(raw):
                    self.fragment_id = fwd.delta.fragment_id
                if fwd.delta.WhichOneof("type") == "new_element" and \
                        fwd.delta.new_element.WhichOneof("type") == "exception" and exception is None:
                    exception = f"{fwd.delta.new_element.exception.type}: {fwd.delta.new_element.exception.message}"
            elif kind == "script_finished":
                return time.perf_counter() - t0, b"".join(seen), exception

    def open(self) -> None:
        """The first run, as a page load: learns the canvas's widget id."""
        _, deltas, _ = self.rerun()
        m = CANVAS_ID.search(deltas)
        if not m:
            raise RuntimeError("the Draw page sent no canvas")
        self.canvas_id = m.group().decode()

    def close(self) -> None:
        self.ws.close()


def visitor_loop(url: str, seconds: float, interval: float, timeout: float, drawings: list[tuple[int, str]],
                 results: Results, seed: int, start_at: float) -> None:
    rng = np.random.default_rng(seed)
    address = f"10.1.{seed // 250 % 250}.{seed % 250 + 1}"
    try:
        v = Visitor(url, timeout, address)
        v.open()
    except Exception as e:  # noqa: BLE001 - any failure to connect is an error of this visitor
        results.add(float("nan"), False, f"connect: {type(e).__name__}: {e}")
        return
    time.sleep(max(0.0, start_at - time.monotonic()) + rng.uniform(0, interval))  # not all in step
    end = time.monotonic() + seconds
    next_at = time.monotonic()
    try:
        while time.monotonic() < end:
            digit, value = drawings[rng.integers(len(drawings))]
            try:
                took, deltas, exception = v.rerun({v.canvas_id: value})
            except TimeoutError:
                results.add(timeout, False, f"no answer within {timeout:.0f} s")
                v.close()
                v = Visitor(url, timeout, address)
                v.open()
            else:
                results.add(took, ANSWER in deltas, exception)
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
    except Exception as e:  # noqa: BLE001
        results.add(float("nan"), False, f"{type(e).__name__}: {e}")
    finally:
        v.close()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes ``pids`` have used so far (threads included)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def server_pid(port: int) -> int:
    """The pid of the streamlit process started with ``--server.port port`` (read from /proc)."""
    wanted = ["--server.port", str(port)]
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                args = (d / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if any(args[i:i + 2] == wanted for i in range(len(args) - 1)) and "streamlit" in " ".join(args):
                return int(d.name)
    raise RuntimeError(f"no streamlit process on port {port}")


def phase(url: str, pids: list[int], args, drawings, seed: int) -> dict:
    results = Results()
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], sum(rss_mb(pid) for pid in pids))
            time.sleep(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu0 = time.process_time()
    start_at = time.monotonic() + 5.0  # every visitor connected before the clock starts
    server_cpu0 = [None]

    def at_start() -> None:
        time.sleep(max(0.0, start_at - time.monotonic()))
        server_cpu0[0] = cpu_seconds(pids)

    threading.Thread(target=at_start, daemon=True).start()
    threads = [threading.Thread(target=visitor_loop, args=(url, args.seconds, args.interval, args.timeout, drawings,
                                                           results, seed + i, start_at))
               for i in range(args.visitors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    server_cpu = cpu_seconds(pids) - (server_cpu0[0] or 0.0)
    stop.set()
    lat = np.array([x for x in results.latencies if x == x])
    asked = args.visitors * args.seconds / args.interval
    return {"reruns_asked": int(asked), "reruns": len(lat), "answers": results.answers,
            "asked_per_s": round(asked / args.seconds, 1), "answered_per_s": round(results.answers / args.seconds, 1),
            "server_cpu_ms_per_answer": round(1000 * server_cpu / max(results.answers, 1), 1),
            "p50_ms": float(np.percentile(lat, 50) * 1000) if len(lat) else None,
            "p95_ms": float(np.percentile(lat, 95) * 1000) if len(lat) else None,
            "max_ms": float(lat.max() * 1000) if len(lat) else None,
            "errors": len(results.errors), "error_kinds": sorted(set(results.errors))[:5],
            "server_rss_peak_mb": round(peak[0]), "client_cpu_s": round(time.process_time() - cpu0, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--visitors", type=int, default=30)
    p.add_argument("--seconds", type=float, default=120.0, help="length of each phase")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between one visitor's drawings")
    p.add_argument("--timeout", type=float, default=30.0, help="a rerun slower than this is an error")
    p.add_argument("--training-preset", default="cnn", help="what trains in the second phase")
    p.add_argument("--no-training", action="store_true", help="only the first phase")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--servers", type=int, default=1, help="several behind HAProxy (needs --database)")
    p.add_argument("--database", help="PostgreSQL URL for --servers 2 or more")
    args = p.parse_args(argv)
    if args.servers > 1 and not (args.database or "").startswith("postgresql"):
        p.error("--servers 2 or more share one PostgreSQL database: --database postgresql://...")

    figure = day_figure()
    print(f"benchmarks.classify_latency today: preprocess + classify p50 {figure:.2f} ms", flush=True)
    rng = np.random.default_rng(args.seed)
    drawings = [(d, drawing_json(d, rng)) for d in range(10) for _ in range(3)]
    folder = Path(tempfile.mkdtemp(prefix="classroom-"))
    env = app_env(folder)
    env.pop("DIGITLAB_DATABASE_URL", None)
    with ExitStack() as stack:
        if args.servers > 1:
            running = stack.enter_context(balanced(args.database, servers=args.servers, env=env, folder=folder / "logs"))
            url, pids = running["url"], running["pids"]
        else:
            url = stack.enter_context(streamlit_server(env))
            pids = [server_pid(int(url.rsplit(":", 1)[1]))]
        for _ in range(2 * args.servers):  # each server's first load is not a visitor's wait
            warm = Visitor(url, 120)
            warm.open()
            deadline = time.monotonic() + 300
            # Until the training images' features (for the nearest images) are computed and cached, as
            # a server that has served before has them: computing them once is not a stroke's cost.
            while FEATURES_PENDING in warm.rerun({warm.canvas_id: drawings[0][1]})[1] and time.monotonic() < deadline:
                time.sleep(1.0)
            warm.close()
        print(f"server pids {pids}, RSS after warm-up {sum(rss_mb(pid) for pid in pids):.0f} MB", flush=True)
        report = {"visitors": args.visitors, "seconds": args.seconds, "interval": args.interval,
                  "servers": args.servers, "classify_p50_ms": figure,
                  "alone": phase(url, pids, args, drawings, args.seed)}
        print(json.dumps(report["alone"]), flush=True)
        if not args.no_training:
            trainer = subprocess.Popen(
                ["nice", "-n", "10", sys.executable, "train_model.py", "--preset", args.training_preset],
                cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(15)  # past TensorFlow's import and MNIST's load: training proper
            try:
                report["while_training"] = phase(url, pids, args, drawings, args.seed + 1000)
                report["while_training"]["training_still_running"] = trainer.poll() is None
            finally:
                trainer.terminate()
                trainer.wait()
            print(json.dumps(report["while_training"]), flush=True)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
