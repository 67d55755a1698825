"""Who is visiting: the visitor id the server gave their browser, and whether they are the operator.

The id comes in the ``digitlab_visitor`` cookie, which the server itself sets
(ui/server.py: signed, HttpOnly, so no script on the page can read it) and which
only the server can have made (:mod:`digitlab.identity`). A session without a
valid one (cookies off, a client that never loaded the page) gets an id for the
session only. Whether the browser is the operator (:mod:`digitlab.roles`) is
decided on every run: on the server's own machine, or once it entered the
operator secret, which leaves a token in a second cookie.
"""

from __future__ import annotations

import streamlit as st

from digitlab import config, identity
from digitlab.db.schema import ADDRESS_LENGTH
from digitlab.db.visitors import new_id
from digitlab.roles import Who

OPERATOR_COOKIE = "digitlab_operator"
OPERATOR_SECONDS = 30 * 24 * 3600  # a month; entering the secret again is cheap
VISITOR_KEY = "visitor_id"
SIGNED_IN_KEY = "operator_signed_in"  # the secret was entered in this session
COOKIE_WRITE_KEY = "operator_cookie_write"  # the operator cookie's next value for the browser ("" clears it)


def visitor_id() -> str:
    """This session's visitor id: the one the server signed into the cookie, else one for this session only."""
    state = st.session_state
    if VISITOR_KEY not in state:
        sent = st.context.cookies.get(identity.VISITOR_COOKIE)
        vid = identity.visitor_from_cookie(sent)
        legacy = identity.unsigned_legacy_id(sent)
        if vid is None and legacy is not None and _recorded(legacy):
            vid = legacy  # a cookie from before ids were signed: the server re-signs it on the next page load
        state[VISITOR_KEY] = vid or new_id()
    return state[VISITOR_KEY]


def _recorded(legacy: str) -> bool:
    from digitlab.db import visitors

    try:
        return visitors.recorded(legacy)
    except Exception:  # noqa: BLE001 - the database is away: a session id now, the old id once it is back
        return False


def is_operator() -> bool:
    """Whether this browser is the operator: the secret entered in this session or before (its token
    cookie), or a browser on the server's own machine (``DIGITLAB_LOCAL_OPERATOR``)."""
    if config.local_operator() and identity.is_local_request(_peer(), st.context.headers.to_dict()):
        return True
    return signed_in_with_secret()


def signed_in_with_secret() -> bool:
    """Whether this browser is the operator by the secret (not by being on the server's machine)."""
    return bool(st.session_state.get(SIGNED_IN_KEY)) or (
        st.session_state.get(COOKIE_WRITE_KEY) != ""
        and identity.is_operator_token(visitor_id(), st.context.cookies.get(OPERATOR_COOKIE)))


def who() -> Who:
    """The one asking, for :mod:`digitlab.roles` and :mod:`digitlab.tasks`."""
    return Who(visitor_id(), operator=is_operator())


def _peer() -> str | None:
    """The connection's peer address; None for this machine (``st.context.ip_address``), and for a run
    without a connection (a test's AppTest, which has a stand-in there)."""
    ip = st.context.ip_address
    return ip if isinstance(ip, str) else None


def visitor_address() -> str | None:
    """The network address this session's browser connects from, for limits per address (wrong class
    codes, saves a day, operator secrets) and each saved drawing: the connection's peer (uvicorn puts
    a local proxy's X-Forwarded-For there); None for this machine, or when Streamlit does not know it."""
    address = _peer()
    return address if address is not None and 0 < len(address) <= ADDRESS_LENGTH else None


def sign_in(secret: str) -> bool:
    """Make this browser the operator if ``secret`` is the operator secret; the token goes to its cookie."""
    if not identity.is_operator_secret(secret):
        return False
    st.session_state[SIGNED_IN_KEY] = True
    st.session_state[COOKIE_WRITE_KEY] = identity.operator_token(visitor_id())
    return True


def sign_out() -> None:
    st.session_state.pop(SIGNED_IN_KEY, None)
    st.session_state[COOKIE_WRITE_KEY] = ""


def keep_in_browser() -> None:
    """Write (or clear) the operator token cookie after a sign-in (or out). Streamlit's script cannot set
    a cookie, so a line of JavaScript does: this one is readable by the page's scripts, but it is an
    HMAC of the visitor id, worth nothing without the visitor cookie, which they cannot read. Sent on
    every run of the session: a run cut short by a rerun must not lose it."""
    token = st.session_state.get(COOKIE_WRITE_KEY)
    if token is None:
        return
    age = OPERATOR_SECONDS if token else 0
    # The token is hex (an HMAC): nothing in it can break out of the string.
    st.sidebar.html(f'<script>document.cookie = "{OPERATOR_COOKIE}={token}; Max-Age={age}; Path=/; '
                    'SameSite=Strict";</script>', unsafe_allow_javascript=True)
