"""Background jobs as a visitor sees them (digitlab.tasks), in the sidebar and on a page.

- :func:`start` starts a job or says why not: the one way every page starts one;
- the job that runs now: its progress and *Cancel* for whoever started it and for
  the operator; everyone else only learns that the server is busy, with what and
  until about when (no controls, nobody else's outcome);
- the finished jobs of this visitor (the operator: everyone's), each with its
  outcome and *Dismiss*, until they dismiss it.

:func:`live` redraws the running job every second on its own (a fragment), so
progress moves without a click, and runs the page again when a job starts or
ends (in another tab, on another page: seen within 10 s), for its form or its result. It is one
fragment whether a job runs or not; only its pace changes. Two fragments (every second while one
ran, every 5 s otherwise), swapped by a rerun of the whole page at each start and end, lost a click
or a list's typed filter that landed on the swap (two browser tests, about one run in three). Only
whoever may start jobs, or has one, is given a place that polls (ui.retrain), so a class of
visitors does not pay for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

import plotly.graph_objects as go
import streamlit as st

from digitlab import jobs, roles, tasks
from digitlab.db import DatabaseError
from digitlab.jobs import State, Status, StoreNotWritable, TrainingBusy
from digitlab.jobs.lock import holder, is_held
from digitlab.roles import NotAllowed, Who
from digitlab.words import duration
from ui.visitor import who as current_who

# kind -> (what it is called, what a failure leaves unchanged)
KIND_WORDS = {"train": ("training", " The models are unchanged."),
              "dubious": ("dubious-label computation", " The rankings already computed are unchanged."),
              "class_retrain": ("class retraining", " The models are unchanged.")}
REFUSED = "job-refused"  # why the last start on this page was refused, per place: {key: message}

Render = Callable[[Status, Any], None]  # (status, its typed outcome)


def noun(kind: str) -> str:
    return KIND_WORDS.get(kind, ("job", ""))[0]


def start(request: Any, key: str, *, source: str) -> bool:
    """Start ``request``'s task for this visitor; True if it started. A refusal (not allowed, busy, a store
    that cannot be written, bad settings) is kept under ``key`` for :func:`refusal` to show."""
    refused = st.session_state.setdefault(REFUSED, {})
    try:
        tasks.start(request, current_who(), source=source)
    except (NotAllowed, TrainingBusy, StoreNotWritable, DatabaseError) as e:
        # DatabaseError: with PostgreSQL, the lock that keeps one training at a time across servers
        # lives there; without it no training may start.
        refused[key] = str(e)[:1].upper() + str(e)[1:]
    except ValueError as e:
        refused[key] = f"Cannot start it with these settings: {e}"
    else:
        refused.pop(key, None)
        return True
    return False


def refusal(key: str) -> None:
    """Why the last start under ``key`` was refused, until dismissed (or, if it was busy, until it is not)."""
    refused = st.session_state.setdefault(REFUSED, {})
    message = refused.get(key)
    if message and "already running" in message and not is_held():
        refused.pop(key)  # what blocked it has finished
    elif message:
        st.error(message)
        st.button("OK", key=f"{key}-refused-ok", on_click=refused.pop, args=(key, None))


def _accuracy_curves(history: list[dict]) -> go.Figure:
    epochs = [h["epoch"] for h in history if isinstance(h, dict) and "epoch" in h]
    fig = go.Figure()
    for name_key, name, dash in (("accuracy", "train", "solid"), ("val_accuracy", "validation", "dot")):
        ys = [h.get(name_key) for h in history if isinstance(h, dict) and "epoch" in h]
        if epochs and all(isinstance(y, (int, float)) for y in ys):
            fig.add_trace(go.Scatter(x=epochs, y=ys, name=name, line=dict(dash=dash)))
    fig.update_layout(height=170, margin=dict(l=0, r=0, t=20, b=0), title=dict(text="accuracy", font_size=12),
                      legend=dict(orientation="h", y=-0.25), xaxis=dict(dtick=1))
    return fig


def progress_words(status: Status) -> str:
    """"starting…" until the first batch is done (loading the images, building the network), then
    "epoch 2/10 · batch 31/235"."""
    f = status.fields
    if not f.get("epochs") or not f.get("batches") or not (f.get("epoch") or f.get("batch")):
        # Loading MNIST, then (the cnn) drawing its extra images: a minute or more on a fresh cache.
        return "starting… drawing the extra training images" if status.phase == "preparing" else "starting…"
    return f"epoch {f['epoch']}/{f['epochs']} · batch {f['batch']}/{f['batches']}"


def _until(status: Status) -> str:
    left = status.seconds_left()
    if left is None:
        return ""
    done = datetime.now() + timedelta(seconds=left)
    return f", until about {done:%H:%M} ({duration(left)} left)"


def busy(status: Status | None) -> None:
    """The server is busy with someone else's job: what, since when, until about when. No controls."""
    if status is None:  # a training from the shell (train_model.py) holds the lock: it has no status here
        h = holder() or {}
        since = str(h.get("since", ""))[11:16]
        st.info(f"The server is busy with a training ({h.get('preset', 'a model')}, from {h.get('source', 'elsewhere')}"
                f"{', since ' + since if since else ''}). One runs at a time; you can go on using every page.", icon="⏳")
        return
    began = status.started_at
    since = f" since {began:%H:%M}" if began else ""
    st.info(f"The server is busy with a {noun(status.kind)}{since}{_until(status)}. One runs at a time; "
            "you can go on using every page.", icon="⏳")


def running(status: Status, who: Who, key: str) -> None:
    """A running job: progress and Cancel for its owner and the operator, else :func:`busy`."""
    if not roles.may_control(who, status.owner):
        busy(status)
        return
    cancelling = status.state == State.CANCELLING
    st.markdown(f"**{status.title}** {'(cancelling…)' if cancelling else ''}")
    f = status.fields
    if status.kind == "train":
        st.progress(status.fraction, text=progress_words(status))
        if f.get("elapsed") is not None:  # none before the first batch
            left = ("estimating the time left" if f.get("remaining") is None
                    else f'~{duration(f.get("remaining"))} left')
            st.caption(f'<span class="job-times">{duration(f.get("elapsed"))} elapsed · {left}</span>',
                       unsafe_allow_html=True)
        if isinstance(f.get("history"), list) and f["history"]:
            st.plotly_chart(_accuracy_curves(f["history"]), config={"displayModeBar": False}, key=f"{key}-curves")
    else:
        st.progress(status.fraction, text=status.message)
    st.button(f"Cancel {noun(status.kind)}", on_click=_cancel, args=(status.id,), key=f"{key}-cancel",
              disabled=cancelling, width="stretch")


def _cancel(job_id: str) -> None:
    try:
        tasks.cancel(job_id, current_who())
    except NotAllowed as e:
        st.toast(str(e))


def _dismiss(job_id: str) -> None:
    try:
        tasks.dismiss(job_id, current_who())
    except NotAllowed as e:
        st.toast(str(e))


def dismiss_button(status: Status, key: str) -> None:
    st.button("Dismiss", on_click=_dismiss, args=(status.id,), key=f"{key}-dismiss", width="stretch")


def finished(status: Status, key: str, done: dict[str, Render] | None = None) -> None:
    """A finished job of this visitor's: a failure, cancel or interruption says what happened; a job done
    is drawn by ``done[kind](status, outcome)`` if given, else a line. Both with Dismiss."""
    what, unchanged = KIND_WORDS.get(status.kind, ("job", ""))
    if status.state != State.DONE:
        verb = {State.FAILED: "failed", State.CANCELLED: "was cancelled", State.INTERRUPTED: "was interrupted"}
        detail = f": {status.error}" if status.error else "."
        (st.error if status.state == State.FAILED else st.warning)(
            f"{status.title}: the {what} {verb.get(status.state, 'ended')}{detail}{unchanged}")
        dismiss_button(status, key)
        return
    outcome = tasks.outcome(status)
    render = (done or {}).get(status.kind)
    if render is not None and outcome is not None:
        render(status, outcome)
    else:
        st.success(f"{status.title}: done.")
        dismiss_button(status, key)


ACTIVE_SEEN = "job-panel-active"  # per place: the job that ran when the page last ran, if any


def _now_running(active: Status | None, key: str) -> None:
    if active is not None:
        running(active, current_who(), key)
    elif is_held():
        busy(None)  # a training from the shell


# Seconds between redraws while a job runs, and while none does (to notice one started elsewhere). Every
# redraw sends the browser's state of *every* widget on the page with it, and a change that rides on one
# runs its on_change inside the redraw, where what the callback sets for another widget is lost (the
# Dataset page's "Go to image" left the grid on its old page, 1 of 37 browser tests once): polling every
# second only while something moves keeps that window small.
POLL_RUNNING, POLL_IDLE = 1.0, 10.0


def _polled(key: str) -> None:
    active = jobs.active()
    if (None if active is None else active.id) != st.session_state[ACTIVE_SEEN].get(key):
        st.rerun(scope="app")  # a job started or ended: the page shows its form, or its outcome, again
    _now_running(active, key)


def live(key: str, *, poll: bool = True) -> None:
    """The job that runs now, anyone's (:func:`running`), or the shell's training (:func:`busy`); nothing
    when none runs. With ``poll`` it is redrawn on its own (every second while a job runs, every 10 s
    otherwise), and the whole page is run again when a job starts or ends; ``key``: this place's name.

    Only this is redrawn: forms, buttons and finished jobs are drawn with the page, which need not
    redraw them every second (nor move them: ui.retrain keeps them in a container of their own).
    """
    active = jobs.active()
    st.session_state.setdefault(ACTIVE_SEEN, {})[key] = None if active is None else active.id
    if poll:
        # One fragment (the same function at the same place) whatever its pace: the browser replaces its timer.
        # It reads the jobs itself (its redraws run it again with the arguments of the page's run).
        st.fragment(_polled, run_every=POLL_IDLE if active is None else POLL_RUNNING)(key)
    else:
        _now_running(active, key)
