"""Retraining from the sidebar: settings, live progress, cancel, old vs new.

The training itself runs in a worker process (digitlab.jobs); this module only
starts it and shows its status file, from any page and any tab.
"""

from __future__ import annotations

import os

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from digitlab import jobs, own_digits
from digitlab.lock import TrainingBusy, is_training_running
from digitlab.models import PRESETS
from digitlab.pictures import sheet
from digitlab.store import ModelStoreError
from digitlab.training import TrainConfig
from ui import resources


def training_allowed() -> bool:
    """False when DIGITLAB_ALLOW_TRAINING=0: public deployments hide retraining."""
    return os.environ.get("DIGITLAB_ALLOW_TRAINING", "1").strip().lower() not in ("0", "false", "no")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    m, s = divmod(int(seconds), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def settings_form() -> None:
    """The preset and its options, and the Retrain button."""
    names = list(PRESETS)
    preset_name = st.selectbox("Preset", names, index=names.index("seed003-mlp512-rmsprop"), key="rt-preset",
                               help="The seed presets reproduce classic tutorials; default is our best model.")
    preset = PRESETS[preset_name]
    st.caption(preset.description)
    a, b = st.columns(2)
    epochs = a.number_input("Epochs", 1, 100, preset.epochs, key=f"rt-epochs-{preset_name}")
    batch = b.number_input("Batch size", 1, 4096, preset.batch_size, key=f"rt-batch-{preset_name}")
    seed = a.number_input("Random seed", 0, 2**31 - 1, 0, key="rt-seed")
    val = b.number_input("Validation %", 0, 50, round(preset.validation_split * 100), key=f"rt-val-{preset_name}",
                         help="Held out from the 60,000 training images; shown as the validation curve.")
    augment = st.toggle("Canvas-like augmentation", preset.augment, key=f"rt-aug-{preset_name}",
                        help="Random rotations, slants, sizes and pen widths: slower, better on drawings.")
    keep_best = st.toggle("Keep the best epoch (by validation loss)", preset.keep_best and val > 0,
                          key=f"rt-best-{preset_name}", disabled=val == 0)
    quick = st.toggle("Quick try: train on the first 5,000 images only", False, key="rt-quick",
                      help="For a fast look at training; the model will be weaker.")
    n_own = own_digits.count()
    include_own = st.toggle(f"Include my own digits ({n_own} saved)", False, key="rt-own", disabled=n_own == 0)

    if st.button("Retrain", type="primary", key="rt-start", width="stretch"):
        config = TrainConfig(preset_name, epochs=int(epochs), batch_size=int(batch), seed=int(seed),
                             validation_split=val / 100, keep_best=keep_best and val > 0, augment=augment,
                             subset=5000 if quick else None)
        try:
            jobs.start(config, source="the app", include_own_digits=include_own)
        except TrainingBusy as e:
            # Kept in the session: this panel redraws every second and would wipe a plain st.error.
            st.session_state["rt-refused"] = str(e)
        except ValueError as e:
            st.session_state["rt-refused"] = f"Cannot train with these settings: {e}"
        else:
            st.session_state.pop("rt-refused", None)
            st.rerun()
    refused = st.session_state.get("rt-refused")
    if refused and "already running" in refused and not is_training_running():
        st.session_state.pop("rt-refused")  # what blocked it has finished
    elif refused:
        st.error(refused)
        st.button("OK", key="rt-refused-ok", on_click=st.session_state.pop, args=("rt-refused", None))


def _curves(history: list[dict]) -> go.Figure:
    epochs = [h["epoch"] for h in history]
    fig = go.Figure()
    for key, name, dash in (("accuracy", "train", "solid"), ("val_accuracy", "validation", "dot")):
        if history and key in history[0]:
            fig.add_trace(go.Scatter(x=epochs, y=[h[key] for h in history], name=name, line=dict(dash=dash)))
    fig.update_layout(height=170, margin=dict(l=0, r=0, t=20, b=0), title=dict(text="accuracy", font_size=12),
                      legend=dict(orientation="h", y=-0.25), xaxis=dict(dtick=1))
    return fig


def _status_body(status: dict) -> None:
    state = status["state"]
    if state in jobs.ACTIVE_STATES:
        epoch, epochs = status.get("epoch", 0), status.get("epochs", "?")
        st.markdown(f"**Training {status['preset']}** {'(cancelling…)' if state == 'cancelling' else ''}")
        st.progress(float(status.get("fraction", 0.0)),
                    text=f"epoch {epoch}/{epochs} · batch {status.get('batch', 0)}/{status.get('batches', '?')}")
        st.caption(f'<span class="job-times">{_duration(status.get("elapsed"))} elapsed · '
                   f'~{_duration(status.get("remaining"))} left</span>', unsafe_allow_html=True)
        if status.get("history"):
            st.plotly_chart(_curves(status["history"]), config={"displayModeBar": False}, key="rt-curves")
        st.button("Cancel training", on_click=jobs.cancel, key="rt-cancel", disabled=state == "cancelling",
                  width="stretch")
    elif state == "done":
        st.success(f"New model **{status['run_id']}**: {status['test_accuracy']:.2%} on the MNIST test set, "
                   f"trained in {_duration(status.get('training_seconds'))}.")
        if st.button("Compare with the active model", key="rt-compare", type="primary", width="stretch"):
            st.session_state["rt-compare-id"] = status["run_id"]
            st.rerun(scope="app")
        st.button("Dismiss", on_click=jobs.dismiss, key="rt-dismiss-done", width="stretch")
    else:
        message = {"failed": "Training failed", "cancelled": "Training was cancelled",
                   "interrupted": "Training was interrupted"}[state]
        detail = f": {status['error']}" if status.get("error") else "."
        (st.error if state == "failed" else st.warning)(f"{message}{detail} The active model is unchanged.")
        st.button("Dismiss", on_click=jobs.dismiss, key="rt-dismiss", width="stretch")


def _panel(status: dict | None) -> None:
    if status is None:
        settings_form()
        return
    _status_body(status)
    if status["state"] in jobs.FINAL_STATES:
        with st.expander("Train another"):
            settings_form()


def _is_active(status: dict | None) -> bool:
    return status is not None and status["state"] in jobs.ACTIVE_STATES


@st.fragment(run_every=1.0)
def _live_panel() -> None:
    """While a training runs: re-drawn every second on its own, so progress moves without a click."""
    status = jobs.read_status()
    if not _is_active(status):
        st.rerun(scope="app")  # finished: back to the quiet panel
    _panel(status)


@st.fragment(run_every=5.0)
def _quiet_panel() -> None:
    """No training: looks every 5 s whether one was started in another tab. Each redraw
    competes with the strokes on the Draw page, so it is not done every second."""
    status = jobs.read_status()
    if _is_active(status):
        st.rerun(scope="app")
    _panel(status)


def status_panel() -> None:
    (_live_panel if _is_active(jobs.read_status()) else _quiet_panel)()


def changed_predictions(y_true: np.ndarray, old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices where (old right, new wrong) and (old wrong, new right)."""
    old_ok, new_ok = old == y_true, new == y_true
    return np.flatnonzero(old_ok & ~new_ok), np.flatnonzero(~old_ok & new_ok)


@st.dialog("Old model vs new model", width="large")
def compare_dialog(new_id: str) -> None:
    store = resources.store()
    try:
        old, new = store.get(store.active_id()), store.get(new_id)
    except ModelStoreError as e:
        st.error(str(e))
        return
    a, b = st.columns(2)
    for col, run, title in ((a, old, "Active now"), (b, new, "New")):
        col.markdown(f"**{title}:** {run.id}")
        col.metric("MNIST test accuracy", f"{run.info.get('test_accuracy', 0):.2%}")
        col.caption(f"{run.info.get('preset')} · trained in {_duration(run.info.get('training_seconds'))}")
    data, error = resources.mnist()
    if data is None:
        st.info(f"Showing the changed test digits needs MNIST. {error}")
    else:
        worse, better = changed_predictions(data.y_test, np.array(old.info["test_predictions"]),
                                            np.array(new.info["test_predictions"]))
        for idx, label in ((worse, "right before, wrong now"), (better, "wrong before, right now")):
            st.markdown(f"**{len(idx)} test digits {label}**")
            if len(idx):
                st.image(sheet(data.x_test[idx[:60]], columns=15, scale=2))
    if st.button("Make the new model active", type="primary", key="rt-activate"):
        store.set_active(new_id)
        jobs.dismiss()
        st.session_state.pop("rt-compare-id", None)
        st.rerun()


def sidebar() -> None:
    """Everything about retraining, in the sidebar; nothing if training is switched off."""
    if not training_allowed():
        return
    with st.sidebar:
        st.subheader("Retrain")
        status_panel()
    if st.session_state.get("rt-compare-id"):
        compare_dialog(st.session_state["rt-compare-id"])
