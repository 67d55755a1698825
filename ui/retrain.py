"""Retraining from the sidebar: settings, live progress, cancel, old vs new.

The training itself runs as a background job (digitlab.jobs); this module only
starts it and shows its status (ui.job_panel), from any page and any tab.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitlab import jobs
from digitlab.config import training_allowed
from digitlab.db import drawings
from digitlab.jobs import lock
from digitlab.jobs.kinds import start_training
from digitlab.jobs.lock import StoreNotWritable, TrainingBusy
from digitlab.metrics import accuracy_verdict, changed_predictions
from digitlab.models import DEFAULT_PRESET, PRESETS
from digitlab.pictures import sheet
from digitlab.store import ModelStoreError
from digitlab.training import TrainConfig
from digitlab.words import count_words, duration, first_of
from ui import job_panel, resources
from ui.texts import TRAINING_IN_WORDS
from ui.visitor import visitor_id

COMPARE_SHOWN = 60  # thumbnails per group in the comparison: 4 rows of 15


# The form's values, in plain session state: a widget's own state is dropped on a run that
# does not draw it (the form is hidden while a training runs), and the form came back reset.
SAVED = "rt-saved"


def _remembered(key: str, default):
    """What the user last set widget ``key`` to in this session, else ``default``."""
    return st.session_state.setdefault(SAVED, {}).get(key, default)


def _remember(key: str) -> None:
    st.session_state.setdefault(SAVED, {})[key] = st.session_state[key]


def _kept(widget, label: str, *args, key: str, default, **kwargs):
    """``widget(label, ..., key=key)`` starting from its remembered value."""
    return widget(label, *args, _remembered(key, default), key=key, on_change=_remember, args=(key,), **kwargs)


def settings_form() -> None:
    """The preset and its options, each explained in words, and the Retrain button."""
    st.caption(TRAINING_IN_WORDS)
    names = list(PRESETS)
    preset_name = st.selectbox("Preset (the recipe: which network, how it learns)", names,
                               index=names.index(_remembered("rt-preset", DEFAULT_PRESET)), key="rt-preset",
                               on_change=_remember, args=("rt-preset",),
                               help=f"{DEFAULT_PRESET} is our best model (about 4 minutes to train on 2 free "
                                    "cores, several times longer while other work runs); the seed… presets rebuild "
                                    "the networks of classic tutorials (seed003: under a minute).")
    preset = PRESETS[preset_name]
    st.caption(preset.description)
    a, b = st.columns(2)
    k = f"rt-epochs-{preset_name}"
    epochs = _kept(a.number_input, "Epochs", 1, 100, key=k, default=preset.epochs,
                   help="One epoch: the network sees every training image once. More epochs learn more, "
                        "up to the point where it starts memorising its training images.")
    k = f"rt-batch-{preset_name}"
    batch = _kept(b.number_input, "Batch size", 1, 4096, key=k, default=preset.batch_size,
                  help="How many images it looks at before each small correction of its weights.")
    seed = _kept(a.number_input, "Random seed", 0, 2**31 - 1, key="rt-seed", default=0,
                 help="Starts the random choices (first weights, order of the images): the same seed and "
                      "settings give the same model.")
    k = f"rt-val-{preset_name}"
    val = _kept(b.number_input, "Validation %", 0, 50, key=k, default=round(preset.validation_split * 100),
                help="Kept out of the 60,000 training images to check, after each epoch, how the network does "
                     "on digits it has not learned from (the validation curve).")
    augment = _kept(st.toggle, "Canvas-like augmentation", key=f"rt-aug-{preset_name}", default=preset.augment,
                    help="Shows each training image slightly rotated, slanted, resized and with other pen "
                         "widths, so the network reads drawings on the canvas better. Slower.")
    keep_best = _kept(st.toggle, "Keep the best epoch (by validation loss)", key=f"rt-best-{preset_name}",
                      default=preset.keep_best and val > 0, disabled=val == 0,
                      help="Keep the weights of the epoch that did best on the validation images, not the last.")
    quick = _kept(st.toggle, "Quick try: train on the first 5,000 images only", key="rt-quick", default=False,
                  help="For a fast look at training; the model will be weaker.")
    n_own = 0 if resources.database() else drawings.count(visitor_id())
    include_own = _kept(st.toggle, f"Include my own digits ({n_own} saved)", key="rt-own", default=False,
                        disabled=n_own == 0,
                        help="Adds the drawings you saved on the Draw page to the training images.")

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
    try:
        name = resources.store().get(status["run_id"]).label
    except ModelStoreError:
        name = status["run_id"]
    st.success(f"New model **{name}**: {status['test_accuracy']:.2%} on the MNIST test set, "
               f"trained in {duration(status.get('training_seconds'))}.")
    if st.button("Compare with the active model", key="rt-compare", type="primary", width="stretch"):
        st.session_state["rt-compare-id"] = status["run_id"]
        st.rerun(scope="app")
    st.button("Dismiss", on_click=jobs.dismiss, key="rt-dismiss-done", width="stretch")


def _panel(status: dict | None) -> None:
    """The latest job (of any kind: one runs at a time), or the settings to start one."""
    if status is None:
        # Collapsed: a first visit opens on the app, not on a form full of training words; open
        # again for a user who has set something in it.
        with st.expander("Train a model", expanded=bool(st.session_state.get(SAVED))):
            settings_form()
        return
    job_panel.show(status, "rt", done=_training_done)
    if status["state"] in jobs.FINAL_STATES:
        with st.expander("Train another"):
            settings_form()


def _verdict_and_changed_digits(old, new) -> str:
    """Say whether the new model reads MNIST's test digits worse, the same or better, and show the
    digits whose answer changed; returns the verdict."""
    old_acc, new_acc = old.info["test_accuracy"], new.info["test_accuracy"]
    verdict = accuracy_verdict(old_acc, new_acc)
    if verdict == "worse":
        st.warning(f"The new model is **worse**: {(old_acc - new_acc) * 100:.1f} points lower on the 10,000 test "
                   "digits. Keeping the current model is the safe choice.", icon="⚠️")
    elif verdict == "same":
        st.info("Both read the test digits about equally well: a difference this small is what the random seed "
                "alone makes.")
    data, error = resources.mnist()
    if data is None:
        st.info(f"Showing the changed test digits needs MNIST. {error}")
        return verdict
    worse, better = changed_predictions(data.y_test, np.array(old.info["test_predictions"]),
                                        np.array(new.info["test_predictions"]))
    for idx, label in ((worse, "right before, wrong now"), (better, "wrong before, right now")):
        st.markdown(f"**{count_words(len(idx), 'test digit')} {label}**")
        if len(idx):
            shown = idx[:COMPARE_SHOWN]
            st.image(sheet(data.x_test[shown], columns=15, scale=2), caption=first_of(len(shown), len(idx)))
    return verdict


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
        col.markdown(f"**{title}:** {run.label}")
        acc = run.info.get("test_accuracy")
        col.metric("MNIST test accuracy", f"{acc:.2%}" if acc is not None else "not measured")
        col.caption(f"{run.preset} · trained in {duration(run.info.get('training_seconds'))}")
    # A model fine-tuned on a class's drawings (or with a damaged run.json) has no MNIST test results.
    unmeasured = [r.label for r in (old, new) if not {"test_accuracy", "test_predictions"} <= r.info.keys()]
    verdict = None
    if unmeasured:
        st.info(f"No MNIST test results for {' and '.join(unmeasured)}: nothing to compare them on.")
    else:
        verdict = _verdict_and_changed_digits(old, new)
    # The primary (highlighted) button is the recommended choice: never a worse model.
    keep, make = st.columns(2)
    keep_first = verdict == "worse"
    if keep.button("Keep the current model", type="primary" if keep_first else "secondary", key="rt-keep",
                   width="stretch"):
        st.session_state.pop("rt-compare-id", None)
        st.rerun()
    if make.button("Make the new model active" + (" anyway" if keep_first else ""),
                   type="secondary" if keep_first else "primary", key="rt-activate", width="stretch"):
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
        job_panel.panel(_panel)
    if st.session_state.get("rt-compare-id"):
        compare_dialog(st.session_state["rt-compare-id"])
