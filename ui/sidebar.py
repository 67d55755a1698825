"""The sidebar every page shares: a welcome with what each page is for, the model this visitor
uses, and, for the operator, the server's (digitlab.roles).

A visitor's choice lasts for their session and changes nothing for anyone
else. The server's active model, the one every new visitor starts with, is
changed by the operator only: ``train_model.py --activate``, or here. Where an
operator secret is set, a collapsed *Run this server?* at the bottom takes it.
"""

from __future__ import annotations

import time

import streamlit as st

from digitlab import config, roles
from digitlab.store import ModelStoreError
from ui import resources
from ui.state import Sidebar
from ui.texts import PAGE_GUIDE, WELCOME
from ui.visitor import is_operator, sign_in, sign_out, signed_in_with_secret, visitor_address, who


def welcome() -> None:
    """One line on what the app is, and a line per page."""
    st.sidebar.markdown(WELCOME)
    st.sidebar.caption("  \n".join(f"**{page}**: {what}" for page, what in PAGE_GUIDE))


def model_picker() -> None:
    runs = resources.runs()
    active = resources.store().active_id()
    st.sidebar.subheader("Model", help="The trained network every page uses.")
    if not runs:
        st.sidebar.error("No model found: the shipped model_store/default is missing. Train one with train_model.py.")
        return
    ids = [r.id for r in runs]
    labels = {r.id: ("★ " if r.id == active else "") + r.label for r in runs}  # a suffix was cut off in the box
    current = resources.chosen_model_id()
    # The widget's key follows the server's model: when the operator changes it, a visitor who
    # never picked one is shown (and uses) the new one, and no stale widget value wins.
    key = f"model_picker-{active}"
    chosen = st.sidebar.selectbox("Model", ids, index=ids.index(current) if current in ids else 0,
                                  format_func=labels.get, key=key, on_change=_picked, args=(key,),
                                  help="The model every page uses for you, in this session only: others keep "
                                       "theirs. ★ is the server's model, the one new visitors start with. Trained "
                                       "models are listed newest first.")
    run = next(r for r in runs if r.id == chosen)
    if chosen != active and roles.may_make_servers_model(who(), run.info):
        st.sidebar.button("Make it the server's model", key="model-activate", on_click=_activate, args=(chosen,),
                          help="New visitors start with the server's model.")
    if error := st.session_state.get(Sidebar.MODEL_ERROR):
        # Kept until dismissed: the sidebar redraws every second while a job runs.
        st.sidebar.error(error)
        st.sidebar.button("OK", key="model-error-ok", on_click=st.session_state.pop, args=(Sidebar.MODEL_ERROR, None))
    info = run.info
    if "error" in info:
        st.sidebar.warning(f"This model's run.json is damaged: {info['error']}")
        return
    acc = info.get("test_accuracy")
    lines = [f"**{run.preset}** — {info.get('description', '')}"]
    if isinstance(acc, float):
        lines.append(f"MNIST test accuracy **{acc:.2%}**")
    lines.append(f"trained {info.get('started', '?')[:16].replace('T', ' ')} in {info.get('training_seconds', 0):.0f} s")
    st.sidebar.caption("  \n".join(lines))


def _picked(key: str) -> None:
    st.session_state[Sidebar.MODEL_CHOICE] = st.session_state[key]


def _activate(run_id: str) -> None:
    store = resources.store()
    try:
        if not roles.may_make_servers_model(who(), store.get(run_id).info):  # checked again: a stale button
            raise ModelStoreError("only the person who runs this server can change the server's model")
        store.set_active(run_id)
    except ModelStoreError as e:
        st.session_state[Sidebar.MODEL_ERROR] = str(e)[:1].upper() + str(e)[1:] + "."
    except OSError as e:
        st.session_state[Sidebar.MODEL_ERROR] = (f"Cannot change the server's model: its folder is not writable "
                                                 f"({e.strerror}).")
    else:
        st.session_state.pop(Sidebar.MODEL_ERROR, None)
        st.session_state.pop(Sidebar.MODEL_CHOICE, None)  # follow the server's model from now on


# Wrong secrets tried from one address: a few typos pass, a script guessing gets one try a minute.
WRONG_SECRETS_PER_10_MINUTES = 10
_wrong_secrets: dict[str, list[float]] = {}


def operator_sign_in() -> None:
    """Where an operator secret is set: *Run this server?* takes it (once per browser); the operator
    sees who they are and may stop being it."""
    if config.operator_secret() is None:
        return
    if is_operator():
        st.sidebar.caption("You run this server: you can change its model and stop any job.")
        if signed_in_with_secret():
            st.sidebar.button("Stop being the operator in this browser", key="operator-sign-out", on_click=sign_out)
        return
    with st.sidebar.expander("Run this server?"):
        with st.form("operator-sign-in", border=False):
            secret = st.text_input("Operator secret", type="password", key=Sidebar.SIGN_IN,
                                   help="Set by whoever started the server (DIGITLAB_OPERATOR_SECRET).")
            if st.form_submit_button("Sign in"):
                _try_secret(secret)
        if message := st.session_state.get(Sidebar.SIGN_IN_REFUSED):
            st.error(message)


def _try_secret(secret: str) -> None:
    address, now = visitor_address(), time.monotonic()
    recent = [t for t in _wrong_secrets.get(address, []) if now - t < 600]
    if len(recent) >= WRONG_SECRETS_PER_10_MINUTES:
        st.session_state[Sidebar.SIGN_IN_REFUSED] = "Too many wrong secrets from here: wait ten minutes."
    elif sign_in(secret):
        st.session_state.pop(Sidebar.SIGN_IN_REFUSED, None)
        st.rerun()
    else:
        _wrong_secrets[address] = recent + [now]
        st.session_state[Sidebar.SIGN_IN_REFUSED] = "That is not the operator secret."

