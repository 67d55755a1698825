"""The sidebar every page shares: a welcome with what each page is for, which model is
active, and picking another."""

from __future__ import annotations

import streamlit as st

from digitlab.store import ModelStoreError
from ui import resources


WELCOME_WORDS = "draw a digit and see how a neural network reads it, and why."
WELCOME = f"**Welcome to Digit Lab**: {WELCOME_WORDS}"

# (page title as in app.py, what it is for); the menu above lists the same pages.
PAGE_GUIDE = (
    ("Draw", "draw a digit; the answer, the steps to 28×28, a look inside the network"),
    ("Dataset", "MNIST's 70,000 digits, and a map where alike digits sit together"),
    ("Dubious labels", "training digits whose label is probably wrong"),
    ("Misclassified", "the test digits the model gets wrong, and which it confuses"),
    ("Training", "how each stored model learned, epoch by epoch"),
)


def welcome() -> None:
    """One line on what the app is, and a line per page."""
    st.sidebar.markdown(WELCOME)
    st.sidebar.caption("  \n".join(f"**{page}**: {what}" for page, what in PAGE_GUIDE))


def model_picker() -> None:
    store = resources.store()
    runs = resources.runs()
    active = store.active_id()
    st.sidebar.subheader("Model", help="The trained network every page uses.")
    if not runs:
        st.sidebar.error("No model found: the shipped model_store/default is missing. Train one with train_model.py.")
        return
    ids = [r.id for r in runs]
    labels = {r.id: r.label for r in runs}
    # The store, not this session's widget, says which model is active: another tab or the
    # retraining dialog may change it. The key follows the active id, so a widget value the
    # browser still holds from before such a change is never taken for a new choice.
    key = f"model_picker-{active}"
    chosen = st.sidebar.selectbox("Active model", ids, index=ids.index(active) if active in ids else 0,
                                  format_func=labels.get, key=key, on_change=_activate_picked, args=(key,),
                                  help="Every page uses this model. Trained models are listed newest first.")
    if error := st.session_state.pop("model_picker_error", None):
        st.sidebar.error(error)
    run = next(r for r in runs if r.id == chosen)
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


def _activate_picked(key: str) -> None:
    try:
        resources.store().set_active(st.session_state[key])
    except ModelStoreError as e:
        st.session_state["model_picker_error"] = str(e)
