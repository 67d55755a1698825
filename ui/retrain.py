"""Retraining from the sidebar: settings, live progress, cancel, old vs new.

The training itself runs as a background job (digitlab.jobs); this module only
starts it and shows its status (ui.job_panel), from any page and any tab.
"""

from __future__ import annotations

import os

import numpy as np
import streamlit as st

from digitlab import jobs
from digitlab.db import drawings
from digitlab.jobs import lock
from digitlab.jobs.kinds import start_training
from digitlab.jobs.lock import StoreNotWritable, TrainingBusy
from digitlab.metrics import changed_predictions
from digitlab.models import DEFAULT_PRESET, PRESETS
from digitlab.pictures import sheet
from digitlab.store import ModelStoreError
from digitlab.training import TrainConfig
from ui import job_panel, resources
from ui.visitor import visitor_id


def training_allowed() -> bool:
    """False when DIGITLAB_ALLOW_TRAINING=0: public deployments hide retraining."""
    return os.environ.get("DIGITLAB_ALLOW_TRAINING", "1").strip().lower() not in ("0", "false", "no")


def settings_form() -> None:
    """The preset and its options, and the Retrain button."""
    names = list(PRESETS)
    preset_name = st.selectbox("Preset", names, index=names.index(DEFAULT_PRESET), key="rt-preset",
                               help=f"{DEFAULT_PRESET} is our best model (about 11 minutes to train here); the "
                                    "seed presets reproduce classic tutorials (seed003: under a minute).")
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
    n_own = 0 if resources.database() else drawings.count(visitor_id())
    include_own = st.toggle(f"Include my own digits ({n_own} saved)", False, key="rt-own", disabled=n_own == 0)

    if st.button("Retrain", type="primary", key="rt-start", width="stretch"):
        config = TrainConfig(preset_name, epochs=int(epochs), batch_size=int(batch), seed=int(seed),
                             validation_split=val / 100, keep_best=keep_best and val > 0, augment=augment,
                             subset=5000 if quick else None)
        try:
            start_training(config, source="the app", own_digits_of=visitor_id() if include_own else None)
        except (TrainingBusy, StoreNotWritable) as e:
            # Kept in the session: this panel redraws every second and would wipe a plain st.error.
            st.session_state["rt-refused"] = str(e)
        except ValueError as e:
            st.session_state["rt-refused"] = f"Cannot train with these settings: {e}"
        else:
            st.session_state.pop("rt-refused", None)
            st.rerun()
    refused = st.session_state.get("rt-refused")
    if refused and "already running" in refused and not lock.is_held():
        st.session_state.pop("rt-refused")  # what blocked it has finished
    elif refused:
        st.error(refused)
        st.button("OK", key="rt-refused-ok", on_click=st.session_state.pop, args=("rt-refused", None))


def _training_done(status: dict) -> None:
    if status.get("kind") != "train":
        job_panel.show(status, "rt")  # another kind of job: its own line and Dismiss
        return
    st.success(f"New model **{status['run_id']}**: {status['test_accuracy']:.2%} on the MNIST test set, "
               f"trained in {job_panel.duration(status.get('training_seconds'))}.")
    if st.button("Compare with the active model", key="rt-compare", type="primary", width="stretch"):
        st.session_state["rt-compare-id"] = status["run_id"]
        st.rerun(scope="app")
    st.button("Dismiss", on_click=jobs.dismiss, key="rt-dismiss-done", width="stretch")


def _panel(status: dict | None) -> None:
    """The latest job (of any kind: one runs at a time), or the settings to start one."""
    if status is None:
        settings_form()
        return
    job_panel.show(status, "rt", done=_training_done)
    if status["state"] in jobs.FINAL_STATES:
        with st.expander("Train another"):
            settings_form()


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
        col.caption(f"{run.preset} · trained in {job_panel.duration(run.info.get('training_seconds'))}")
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
        try:
            store.set_active(new_id)
        except ModelStoreError as e:
            st.error(str(e))
            return
        st.session_state.pop(resources.CHOICE_KEY, None)  # the operator follows the model just made active
        jobs.dismiss()
        st.session_state.pop("rt-compare-id", None)
        st.rerun()


def sidebar() -> None:
    """Everything about retraining, in the sidebar; nothing if training is switched off."""
    if not training_allowed():
        return
    with st.sidebar:
        st.subheader("Retrain")
        job_panel.panel(_panel)
    if st.session_state.get("rt-compare-id"):
        compare_dialog(st.session_state["rt-compare-id"])
