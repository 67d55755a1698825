"""Retraining from the sidebar: settings, live progress, cancel, old vs new.

The training itself runs as a background job (digitlab.tasks.train); this module only
starts it and shows the jobs (ui.job_panel), from any page and any tab. Who may
train, cancel and make a model the server's is digitlab.roles's to say.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitlab import roles, tasks
from digitlab.db import DatabaseError, drawings
from digitlab.jobs import Status
from digitlab.metrics import accuracy_verdict, changed_predictions
from digitlab.models import DEFAULT_PRESET, PRESETS, TrainConfig
from digitlab.pictures import sheet
from digitlab.store import ModelStoreError
from digitlab.tasks import train as training_task
from digitlab.words import count_words, duration, first_of
from ui import job_panel, resources
from ui.state import Retrain, Sidebar, kept, was_kept
from ui.texts import TRAINING_IN_WORDS
from ui.visitor import visitor_id, who

COMPARE_SHOWN = 60  # thumbnails per group in the comparison: 4 rows of 15


def _own_count() -> int | None:
    """How many drawings this visitor saved; None when the database cannot say."""
    try:
        return drawings.count(visitor_id())
    except DatabaseError:
        return None


def settings_form() -> None:
    """The preset and its options, each explained in words, and the Retrain button. The values are
    kept for the session (ui.state.kept): the form is not drawn while a training runs."""
    st.caption(TRAINING_IN_WORDS)
    names = list(PRESETS)
    preset_name = st.selectbox("Preset (the recipe: which network, how it learns)", names,
                               **kept("rt-preset", DEFAULT_PRESET),
                               help=f"{DEFAULT_PRESET} is our best model (to train on 2 free cores: about 6-11 "
                                    "minutes on a CPU that computes bfloat16 (AMX or AVX-512 BF16), about 20 on one "
                                    "without; longer while other work "
                                    "runs); the seed… presets rebuild "
                                    "the networks of classic tutorials (seed003: under a minute).")
    preset = PRESETS[preset_name]
    st.caption(preset.description)
    a, b = st.columns(2)
    with a:
        epochs = st.number_input("Epochs", 1, 100, **kept(f"rt-epochs-{preset_name}", preset.epochs),
                                 help="One epoch: the network sees every training image once. More epochs learn "
                                      "more, up to the point where it starts memorising its training images.")
        seed = st.number_input("Random seed", 0, 2**31 - 1, **kept("rt-seed", 0),
                               help="Starts the random choices (first weights, order of the images): the same seed "
                                    "and settings give the same model.")
    with b:
        batch = st.number_input("Batch size", 1, 4096, **kept(f"rt-batch-{preset_name}", preset.batch_size),
                                help="How many images it looks at before each small correction of its weights.")
        val = st.number_input("Validation %", 0, 50,
                              **kept(f"rt-val-{preset_name}", round(preset.validation_split * 100)),
                              help="Kept out of the 60,000 training images to check, after each epoch, how the "
                                   "network does on digits it has not learned from (the validation curve).")
    augment = st.toggle("Canvas-like augmentation", **kept(f"rt-aug-{preset_name}", preset.augment),
                        help="Shows each training image slightly rotated, slanted, resized and with other pen "
                             "widths, so the network reads drawings on the canvas better. Slower.")
    keep_best = st.toggle("Keep the best epoch (by validation loss)",
                          **kept(f"rt-best-{preset_name}", preset.keep_best and val > 0), disabled=val == 0,
                          help="Keep the weights of the epoch that did best on the validation images, not the last.")
    quick = st.toggle("Quick try: train on the first 5,000 images only", **kept("rt-quick", False),
                      help="For a fast look at training; the model will be weaker.")
    n_own = _own_count()
    include_own = st.toggle(f"Include my own digits ({'?' if n_own is None else n_own} saved)",
                            **kept("rt-own", False), disabled=not n_own,
                            help="Adds the drawings you saved on the Draw page to the training images."
                                 + (" (Your drawings cannot be read now: the database is unavailable.)"
                                    if n_own is None else ""))

    if st.button("Retrain", type="primary", key="rt-start", width="stretch"):
        config = TrainConfig(preset_name, epochs=int(epochs), batch_size=int(batch), seed=int(seed),
                             validation_split=val / 100, keep_best=keep_best and val > 0, augment=augment,
                             subset=5000 if quick else None)
        request = training_task.Request(config, own_digits_of=visitor_id() if include_own and n_own else None)
        # A refusal is kept in the session: this panel redraws every second and would wipe a plain st.error.
        if job_panel.start(request, Retrain.REFUSED, source="the app"):
            st.rerun()
    job_panel.refusal(Retrain.REFUSED)


def _training_done(status: Status, outcome: training_task.Outcome) -> None:
    try:
        name = resources.store().get(outcome.run_id).label
    except ModelStoreError:
        name = outcome.run_id
    st.success(f"New model **{name}**: {outcome.test_accuracy:.2%} on the MNIST test set, "
               f"trained in {duration(outcome.training_seconds)}.")
    if st.button("Compare with the model in use", key=f"rt-compare-{status.id}", type="primary", width="stretch"):
        st.session_state[Retrain.COMPARE] = {"job": status.id, "run": outcome.run_id}
        st.rerun(scope="app")
    job_panel.dismiss_button(status, f"rt-{status.id}")


def _elsewhere_done(status: Status, outcome) -> None:
    """A class retraining's outcome is shown on the Classes page, and dismissed there."""
    st.success(f"{status.title}: done. Its result is on the Classes page.")


def _computed(status: Status, outcome) -> None:
    st.success(f"{status.title}: done. The ranking is on the Dubious labels page.")
    job_panel.dismiss_button(status, f"rt-{status.id}")


DONE = {"train": _training_done, "class_retrain": _elsewhere_done, "dubious": _computed}


def _finished_and_form(running: Status | None, finished: list[Status], damaged: list[str]) -> None:
    """This visitor's finished jobs and, while none runs, the form to train (drawn with the page)."""
    me = who()
    for line in damaged:
        st.warning(line)
    for status in finished:
        job_panel.finished(status, f"rt-{status.id}", done=DONE)
    if running is None and roles.may_train(me):
        # Collapsed: a first visit opens on the app, not on a form full of training words; open
        # again for a user who has set something in it.
        with st.expander("Train another" if finished else "Train a model", expanded=was_kept(Retrain.PREFIX)):
            settings_form()
    elif running is None:  # no form for this visitor: say why, where they would look for it
        st.caption(f'<span class="no-training">{roles.why_not_train(me)}</span>', unsafe_allow_html=True)


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
def compare_dialog(job_id: str, new_id: str) -> None:
    """The model this visitor uses against the new one; the operator may make a server's model of it,
    a visitor may use it in their session (digitlab.roles)."""
    store, me = resources.store(), who()
    try:
        old, new = store.get(resources.chosen_model_id()), store.get(new_id)
    except ModelStoreError as e:
        st.error(str(e))
        return
    a, b = st.columns(2)
    for col, run, title in ((a, old, "In use now"), (b, new, "New")):
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
        st.session_state.pop(Retrain.COMPARE, None)
        st.rerun()
    servers = roles.may_make_servers_model(me, new.info)
    label = ("Make it the server's model" if servers else "Use the new model") + (" anyway" if keep_first else "")
    if make.button(label, type="secondary" if keep_first else "primary", key="rt-activate", width="stretch",
                   help="Every new visitor starts with the server's model." if servers
                   else "For you, in this session: nobody else's model changes."):
        if servers:
            try:
                store.set_active(new_id)
            except ModelStoreError as e:
                st.error(str(e))
                return
            st.session_state.pop(Sidebar.MODEL_CHOICE, None)  # the operator follows the model just made active
        else:
            st.session_state[Sidebar.MODEL_CHOICE] = new_id
        try:
            tasks.dismiss(job_id, me)
        except roles.NotAllowed:
            pass  # another's job, compared by the operator: its owner dismisses it
        st.session_state.pop(Retrain.COMPARE, None)
        st.rerun()


def sidebar() -> None:
    """Everything about background jobs and retraining, in the sidebar: the job that runs (anyone's: one at
    a time), this visitor's finished jobs, the form to train. The running job is redrawn on its own every
    second for whoever may train or has it running; for everyone else (a class of visitors on a public
    server) it is drawn with the page: 30 of them polling would be 30 more reruns a second for the server,
    to show that it is busy."""
    me = who()
    running, finished, damaged = tasks.visible(me)
    with st.sidebar:
        job_panel.live("rt", poll=roles.may_train(me) or (running is not None and running.owner == me.visitor_id))
        # One container: finished jobs come and go without moving the form (a form that moved was
        # on screen twice for a moment, the old one until the run ended).
        with st.container():
            _finished_and_form(running, finished, damaged)
    compare = st.session_state.get(Retrain.COMPARE)
    if isinstance(compare, dict):
        compare_dialog(compare["job"], compare["run"])
