"""One progress panel for any background job (digitlab.jobs): in the sidebar, on a page.

While a job runs, :func:`panel` redraws itself every second on its own (a
fragment), so progress moves without a click; otherwise it looks every 5 s
whether a job was started elsewhere (another tab, a page). Each redraw
competes with the strokes on the Draw page, so it is not done every second.
"""

from __future__ import annotations

from typing import Callable

import plotly.graph_objects as go
import streamlit as st

from digitlab import jobs
from digitlab.jobs import State
from digitlab.words import duration

# kind -> (what it is called, what a failure leaves unchanged)
KIND_WORDS = {"train": ("training", " The active model is unchanged."),
              "dubious": ("computation", " The rankings already computed are unchanged."),
              "class_retrain": ("class retraining", " The models are unchanged.")}

Render = Callable[[dict | None], None]


def progress_words(status: dict) -> str:
    """"starting…" until the first batch is done (loading the images, building the network), then
    "epoch 2/10 · batch 31/235"."""
    if not status.get("epochs") or not status.get("batches") or not (status.get("epoch") or status.get("batch")):
        # Loading MNIST, then (the cnn) drawing its extra images: a minute or more on a fresh cache.
        return "starting… drawing the extra training images" if status.get("phase") == "preparing" else "starting…"
    return f"epoch {status['epoch']}/{status['epochs']} · batch {status['batch']}/{status['batches']}"


def _accuracy_curves(history: list[dict]) -> go.Figure:
    epochs = [h["epoch"] for h in history]
    fig = go.Figure()
    for key, name, dash in (("accuracy", "train", "solid"), ("val_accuracy", "validation", "dot")):
        if history and key in history[0]:
            fig.add_trace(go.Scatter(x=epochs, y=[h[key] for h in history], name=name, line=dict(dash=dash)))
    fig.update_layout(height=170, margin=dict(l=0, r=0, t=20, b=0), title=dict(text="accuracy", font_size=12),
                      legend=dict(orientation="h", y=-0.25), xaxis=dict(dtick=1))
    return fig


def _running(status: dict, key: str) -> None:
    cancelling = status["state"] == State.CANCELLING
    st.markdown(f"**{status.get('title', 'A job')}** {'(cancelling…)' if cancelling else ''}")
    if status.get("kind") == "train":
        st.progress(float(status.get("fraction", 0.0)), text=progress_words(status))
        if status.get("elapsed") is not None:  # none before the first batch
            left = ("estimating the time left" if status.get("remaining") is None
                    else f'~{duration(status.get("remaining"))} left')
            st.caption(f'<span class="job-times">{duration(status.get("elapsed"))} elapsed · {left}</span>',
                       unsafe_allow_html=True)
        if status.get("history"):
            st.plotly_chart(_accuracy_curves(status["history"]), config={"displayModeBar": False},
                            key=f"{key}-curves")
    else:
        st.progress(float(status.get("fraction", 0.0)), text=status.get("message", ""))
    noun = KIND_WORDS.get(status.get("kind"), ("job", ""))[0]
    st.button(f"Cancel {noun}", on_click=jobs.cancel, key=f"{key}-cancel", disabled=cancelling, width="stretch")


def _ended(status: dict, key: str) -> None:
    """A failed, cancelled or interrupted job: what happened, and Dismiss."""
    noun, unchanged = KIND_WORDS.get(status.get("kind"), ("job", ""))
    state = status["state"]
    what = {State.FAILED: "failed", State.CANCELLED: "was cancelled", State.INTERRUPTED: "was interrupted"}[state]
    detail = f": {status['error']}" if status.get("error") else "."
    (st.error if state == State.FAILED else st.warning)(f"{noun.capitalize()} {what}{detail}{unchanged}")
    st.button("Dismiss", on_click=jobs.dismiss, key=f"{key}-dismiss", width="stretch")


def show(status: dict, key: str, done: Render | None = None) -> None:
    """One job's status: progress and Cancel while it runs; when it has ended, what
    happened and Dismiss. ``done(status)`` draws a finished job (default: a line and Dismiss)."""
    if jobs.is_active(status):
        _running(status, key)
    elif status["state"] != State.DONE:
        _ended(status, key)
    elif done is not None:
        done(status)
    else:
        st.success(f"{status.get('title', 'The job')}: done.")
        st.button("Dismiss", on_click=jobs.dismiss, key=f"{key}-dismiss", width="stretch")


@st.fragment(run_every=1.0)
def _while_active(render: Render) -> None:
    status = jobs.status()
    if not jobs.is_active(status):
        st.rerun(scope="app")  # finished: the whole page may show its result
    render(status)


@st.fragment(run_every=5.0)
def _while_idle(render: Render) -> None:
    status = jobs.status()
    if jobs.is_active(status):
        st.rerun(scope="app")
    render(status)


def panel(render: Render) -> None:
    """``render(status or None)``, redrawn every second while a job runs, else every 5 s."""
    (_while_active if jobs.is_active(jobs.status()) else _while_idle)(render)
