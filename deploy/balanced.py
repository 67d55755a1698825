"""Two (or more) app servers behind HAProxy, sticky by cookie, on one PostgreSQL and one model store.

    python -m deploy.balanced --database postgresql://postgres@127.0.0.1:5432/digitlab --port 8500

Starts ``--servers`` Streamlit servers (``streamlit run app.py``) on free local ports and HAProxy
(Debian's ``haproxy``) in front of them on ``--port``, and waits; Ctrl-C (or SIGTERM) stops them all.
What makes several servers one app:

- **one database** (PostgreSQL): drawings, marks and classes are seen through any server, and the
  one-training-at-a-time lock holds across servers (an advisory lock there);
- **one model store** (``--store``, default ``model_store/``): models and the jobs' status;
- **one secret key** (``DIGITLAB_SECRET_KEY``, made here if not set): a visitor cookie signed by one
  server is good on the other;
- **session affinity**: a Streamlit session lives in one server's memory and its websocket must stay
  there (an upload sent to another server fails with "Invalid session_id"), so HAProxy inserts a
  cookie, ``digitlab_server``, naming the server of the browser's first request, and sends its every
  later request (the websocket and uploads included) there. A server that stops answering
  ``/_stcore/health`` is taken out; its visitors move to the other and start a new session (their
  drawings are in the database, not in the session).

HAProxy adds ``X-Forwarded-For``: the servers see each visitor's address (for the limits per
address), and nobody is "on the server's machine" through it, so the operator signs in with
``DIGITLAB_OPERATOR_SECRET`` (digitlab.roles), or opens a server's own port on that machine.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
AFFINITY_COOKIE = "digitlab_server"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"  # Debian puts it in sbin, off a user's PATH
HEALTH = "/_stcore/health"


def haproxy_config(port: int, servers: list[int], address: str = "127.0.0.1") -> str:
    """HAProxy's configuration: ``address:port`` in front of the app servers on ``servers`` (local ports)."""
    lines = [
        "global",
        "    maxconn 4096",
        "defaults",
        "    mode http",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        # A websocket is open as long as the visitor's tab: Streamlit pings it every few seconds,
        # so an hour without a byte is a dead one.
        "    timeout tunnel 1h",
        "    option forwardfor",
        "frontend digitlab",
        f"    bind {address}:{port}",
        "    default_backend apps",
        "backend apps",
        "    balance roundrobin",
        f"    cookie {AFFINITY_COOKIE} insert indirect nocache httponly",
        f"    option httpchk GET {HEALTH}",
        "    http-check expect string ok",
    ]
    lines += [f"    server app{i + 1} 127.0.0.1:{p} check inter 2s cookie app{i + 1}" for i, p in enumerate(servers)]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, proc: subprocess.Popen, deadline: float, log: Path) -> None:
    """Until ``url`` answers its health check; ``RuntimeError`` naming ``log`` if ``proc`` ends or time runs out."""
    while True:
        try:
            if urllib.request.urlopen(url + HEALTH, timeout=2).read() == b"ok":
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not start; see {log}")
        time.sleep(0.3)


@contextmanager
def app_servers(envs: list[dict[str, str]], folder: Path, timeout: float = 120.0) -> Iterator[list[tuple[str, int]]]:
    """One ``streamlit run app.py`` per environment (the whole environment of each), each on a free local port,
    all started at once (a start is mostly waiting for imports), logs in ``folder/streamlit-<port>.log``;
    yields ``[(url, pid)]`` once every one answers its health check, and stops them after."""
    started = []
    try:
        for env in envs:
            port = free_port()
            cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                   "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
            log = folder / f"streamlit-{port}.log"
            with open(log, "w") as out:
                started.append((subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT),
                                f"http://127.0.0.1:{port}", log))
        deadline = time.monotonic() + timeout
        for proc, url, log in started:
            wait_until_healthy(url, proc, deadline, log)
        yield [(url, proc.pid) for proc, url, _ in started]
    finally:
        for proc, _, _ in started:
            proc.terminate()
        for proc, _, _ in started:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def balanced(database_url: str, *, servers: int = 2, port: int | None = None, env: dict[str, str] | None = None,
             folder: Path | None = None, haproxy: str = HAPROXY, timeout: float = 120.0) -> Iterator[dict]:
    """Start ``servers`` app servers and HAProxy in front; yields ``{"url", "servers": [urls], "pids"}``.

    ``env``: more environment for the servers (a model store, a secret key: made here if missing);
    ``folder``: where logs and HAProxy's configuration go (default: a new temporary folder).
    """
    folder = Path(folder or tempfile.mkdtemp(prefix="digitlab-balanced-"))
    folder.mkdir(parents=True, exist_ok=True)
    shared = {"DIGITLAB_DATABASE_URL": database_url, **(env or {})}
    shared.setdefault("DIGITLAB_SECRET_KEY", secrets.token_hex(32))
    front = port or free_port()
    with app_servers([{**os.environ, **shared}] * servers, folder, timeout) as started:
        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config(front, [int(url.rsplit(":", 1)[1]) for url, _ in started]))
        log = folder / "haproxy.log"
        with open(log, "w") as out:
            proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{front}"
            wait_until_healthy(url, proxy, time.monotonic() + 30.0, log)
            yield {"url": url, "servers": [u for u, _ in started], "pids": [pid for _, pid in started],
                   "folder": folder}
        finally:
            proxy.terminate()
            try:
                proxy.wait(10)
            except subprocess.TimeoutExpired:
                proxy.kill()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", default=os.environ.get("DIGITLAB_DATABASE_URL"),
                   help="PostgreSQL URL the servers share (default: $DIGITLAB_DATABASE_URL)")
    p.add_argument("--servers", type=int, default=2)
    p.add_argument("--port", type=int, default=8500, help="HAProxy's port (default: %(default)s)")
    p.add_argument("--store", help="the model store the servers share (default: $DIGITLAB_MODEL_STORE or model_store/)")
    args = p.parse_args(argv)
    if not args.database or not args.database.startswith(("postgresql://", "postgres://")):
        print("error: several servers need one PostgreSQL database: --database postgresql://…", file=sys.stderr)
        return 2
    env = {"DIGITLAB_MODEL_STORE": args.store} if args.store else {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        with balanced(args.database, servers=args.servers, port=args.port, env=env) as running:
            print(f"Digit Lab on {running['url']} ({args.servers} servers behind HAProxy: "
                  f"{', '.join(running['servers'])}; logs in {running['folder']}). Ctrl-C stops them.", flush=True)
            while not stop:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except (RuntimeError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
