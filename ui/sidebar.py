"""The sidebar every page shares: a welcome with what each page is for, the model this visitor
uses, and (for the operator) the server's.

A visitor's choice lasts for their session and changes nothing for anyone
else. The server's active model, the one every new visitor starts with, is
changed by the operator: ``train_model.py --activate``, or here when training
is allowed on this server (DIGITLAB_ALLOW_TRAINING).
"""

from __future__ import annotations

import streamlit as st

from digitlab.config import training_allowed
from digitlab.store import ModelStoreError
from ui import resources
from ui.texts import PAGE_GUIDE, WELCOME


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
    labels = {r.id: r.label + (" (the server's)" if r.id == active else "") for r in runs}
    current = resources.chosen_model_id()
    # The widget's key follows the server's model: when the operator changes it, a visitor who
    # never picked one is shown (and uses) the new one, and no stale widget value wins.
    key = f"model_picker-{active}"
    chosen = st.sidebar.selectbox("Model", ids, index=ids.index(current) if current in ids else 0,
                                  format_func=labels.get, key=key, on_change=_picked, args=(key,),
                                  help="The model every page uses for you, in this session only: others keep "
                                       "theirs. Trained models are listed newest first.")
    run = next(r for r in runs if r.id == chosen)
    if chosen != active and training_allowed():
        st.sidebar.button("Make it the server's model", key="model-activate", on_click=_activate, args=(chosen,),
                          help="New visitors start with the server's model.")
    if error := st.session_state.get("model_picker_error"):
        # Kept until dismissed: the sidebar redraws every second while a job runs.
        st.sidebar.error(error)
        st.sidebar.button("OK", key="model-error-ok", on_click=st.session_state.pop, args=("model_picker_error", None))
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
    st.session_state[resources.CHOICE_KEY] = st.session_state[key]


def _activate(run_id: str) -> None:
    try:
        resources.store().set_active(run_id)
    except ModelStoreError as e:
        st.session_state["model_picker_error"] = str(e)
    except OSError as e:
        st.session_state["model_picker_error"] = (f"Cannot change the server's model: the model store "
                                                  f"{resources.store().root} is not writable ({e.strerror}).")
    else:
        st.session_state.pop("model_picker_error", None)
        st.session_state.pop(resources.CHOICE_KEY, None)  # follow the server's model from now on
