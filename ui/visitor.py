"""Who is visiting: an anonymous id, kept in a cookie of their browser.

Streamlit gives the cookies the browser sent when the page opened
(``st.context.cookies``) but has no call to set one, so a new visitor's id is
written by a line of JavaScript (``st.html(..., unsafe_allow_javascript=True)``,
not iframed, so ``document.cookie`` is the app's own). A reload, or a return
within a year, sends it back. Without cookies a visitor keeps their id for
the session only.
"""

from __future__ import annotations

import streamlit as st

from digitlab import db
from digitlab.db.schema import ADDRESS_LENGTH
from digitlab.db.visitors import VISITOR_ID

COOKIE = "digitlab_visitor"
COOKIE_SECONDS = 365 * 24 * 3600  # a school year and the holidays after it


def visitor_id() -> str:
    """This session's visitor id: from the cookie, or new (and then written to the cookie)."""
    state = st.session_state
    if "visitor_id" not in state:
        sent = st.context.cookies.get(COOKIE)
        if isinstance(sent, str) and VISITOR_ID.match(sent):  # anything else is not ours
            state["visitor_id"] = sent
        else:
            state["visitor_id"] = db.new_id()
            state["visitor_cookie_unsent"] = True
    return state["visitor_id"]


def keep_in_browser() -> None:
    """Write a new visitor's id into their cookie. Sent on every run of the session that made
    it (a few bytes): a first run cut short by a rerun must not lose it."""
    vid = visitor_id()
    if st.session_state.get("visitor_cookie_unsent"):
        # The id is 32 hex digits (checked): nothing in it can break out of the string.
        st.sidebar.html(f'<script>document.cookie = "{COOKIE}={vid}; Max-Age={COOKIE_SECONDS}; Path=/; '
                        f'SameSite=Lax";</script>', unsafe_allow_javascript=True)


def visitor_address() -> str | None:
    """The network address this session's browser connects from (None when Streamlit does not know
    it): limits per address (wrong class codes, saves a day) and each saved drawing use it."""
    address = st.context.ip_address
    return address if isinstance(address, str) and 0 < len(address) <= ADDRESS_LENGTH else None  # AppTest: a mock
