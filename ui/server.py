"""What the server does around Streamlit: the visitor cookie, set in the HTTP response, and the
heavy loading started when the server starts, before the first visitor asks.

Streamlit's script can read cookies (``st.context.cookies``) but cannot set
one; a cookie written by the page's JavaScript is readable by any script on the
page. So the server sets it: this ASGI middleware (``st.App(middleware=...)``,
app.py) adds ``Set-Cookie: digitlab_visitor=<id>.<signature>; HttpOnly;
SameSite=Lax`` to the app's HTML page when the browser has no valid one, before
the page opens its websocket, which then carries it (ui/visitor.py reads it).

A cookie from before ids were signed (32 hex digits, no signature) is signed for
the same visitor if the database recorded that id, so nobody loses their
drawings; a made-up one gets a new id.

:func:`lifespan` starts a thread at server start that imports TensorFlow, loads the server's model
and reads the training images' features (ui.resources: the same caches the pages use), so the first
visitor rarely waits for them; the Draw page shows the canvas either way before the model is ready.
"""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from http.cookies import SimpleCookie
from typing import Any, AsyncIterator, Callable

import anyio
from starlette.middleware import Middleware

from digitlab import identity
from digitlab.db.visitors import new_id

COOKIE_SECONDS = 365 * 24 * 3600  # a school year and the holidays after it


def _cookies(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    jar = SimpleCookie()
    for name, value in headers:
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
                pass
    return {k: m.value for k, m in jar.items()}


def _legacy_recorded(visitor_id: str) -> bool | None:
    """Whether the database knows this unsigned id; None when the database cannot say (try again later)."""
    from digitlab.db import visitors

    try:
        return visitors.recorded(visitor_id)
    except Exception:  # noqa: BLE001 - DatabaseError or whatever the driver raised: cannot say
        return None


async def cookie_to_set(request_headers: list[tuple[bytes, bytes]]) -> str | None:
    """The visitor id to give this browser in a new cookie, or None if its cookie is good (or cannot be
    judged now)."""
    sent = _cookies(request_headers).get(identity.VISITOR_COOKIE)
    if identity.visitor_from_cookie(sent):
        return None
    legacy = identity.unsigned_legacy_id(sent)
    if legacy:
        known = await anyio.to_thread.run_sync(_legacy_recorded, legacy)
        if known is None:
            return None  # the database is away: keep the old cookie until it can be checked
        if known:
            return legacy
    return new_id()


def set_cookie_header(visitor_id: str, secure: bool) -> tuple[bytes, bytes]:
    value = (f"{identity.VISITOR_COOKIE}={identity.visitor_cookie(visitor_id)}; Max-Age={COOKIE_SECONDS}; Path=/; HttpOnly; "
             f"SameSite=Lax" + ("; Secure" if secure else ""))
    return b"set-cookie", value.encode()


class VisitorCookie:
    """ASGI middleware: give a browser without a valid visitor cookie one, on the app's HTML page."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> Any:
        if scope["type"] != "http" or scope.get("method") != "GET":
            return await self.app(scope, receive, send)
        headers = scope.get("headers", [])

        async def send_with_cookie(message: dict) -> None:
            if message["type"] == "http.response.start":
                response_headers = list(message.get("headers", []))
                html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in response_headers)
                if html:
                    visitor = await cookie_to_set(headers)
                    if visitor:
                        forwarded = dict(headers).get(b"x-forwarded-proto", b"")
                        secure = scope.get("scheme") == "https" or forwarded == b"https"
                        response_headers.append(set_cookie_header(visitor, secure))
                        message = {**message, "headers": response_headers}
            await send(message)

        return await self.app(scope, receive, send_with_cookie)


def middleware() -> list[Middleware]:
    return [Middleware(VisitorCookie)]


log = logging.getLogger(__name__)


# What the first run of the Draw page imports (about 2 s here the first time: plotly, pandas, scipy),
# imported first, so that a visitor who comes while TensorFlow is still being imported finds them.
FIRST_PAGE = ("ui.retrain", "ui.sidebar", "ui.style", "ui.answer", "ui.own_digits", "ui.canvas", "ui.upload")


def warm_up() -> None:
    """Load what the first page and the first stroke need: the pages' modules, TensorFlow and the
    server's model, then the training images' features for the nearest images (their computation
    goes on in its own thread)."""
    import importlib

    from ui import resources

    try:
        for name in FIRST_PAGE:
            importlib.import_module(name)
        loaded = resources.model(resources.store().active_id())
        resources.train_features(loaded.run.id)
    except Exception:  # noqa: BLE001 - a page that asks later says what is wrong; here it is only logged
        log.exception("warming up failed; the first visitor will load the model instead")


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """``st.App``'s start and stop: the warm-up starts in the background, the server does not wait for it."""
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    yield
