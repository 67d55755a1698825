"""Training: every stored run's loss and accuracy per epoch, overlaid, with its settings; a running one live."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from digitlab import explore, roles, tasks
from ui import explore_charts, job_panel, resources
from ui.state import Training
from ui.visitor import who

state = st.session_state


def curves_of(run) -> explore_charts.Curves:
    return explore_charts.Curves(run.label, run.info.get("history") or [], explore.kept_epoch(run.info))


@st.fragment(run_every=2)
def live_training() -> None:
    """A training this visitor started (the operator: anyone's), redrawn every 2 s while it runs; once it
    is done, a link to its curves. Someone else's training is theirs: the sidebar says the server is busy."""
    me = who()
    running, finished, _ = tasks.visible(me)
    if running is None or running.kind != "train" or not roles.may_control(me, running.owner):
        for status in finished:
            outcome = tasks.outcome(status)
            if status.kind == "train" and outcome is not None and outcome.run_id not in [r.id for r in runs]:
                st.success(f"Training finished: {outcome.run_id}.")
                if st.button("Show it below", key=f"training-show-new-{status.id}"):
                    state[Training.GOTO] = outcome.run_id
                    st.rerun(scope="app")
        return
    history = running.fields.get("history") or []
    preset = running.fields.get("preset", "?")
    with st.container(border=True):
        st.markdown(f'<span class="training-live">Training <b>{preset}</b> now</span>: '
                    f'{job_panel.progress_words(running)}', unsafe_allow_html=True)
        if history:
            live = explore_charts.Curves(f"training now ({preset})", history, live=True)
            overlay = [curves_of(r) for r in runs if r.id in state.get(Training.RUNS, [])]
            st.plotly_chart(explore_charts.training_curves([live, *overlay], height=340), key="training-live-chart",
                            config={"displayModeBar": False})
        else:
            st.caption("The curves appear when the first epoch ends.")


st.title("Training")
runs = [r for r in resources.runs() if "error" not in r.info]
damaged = [r for r in resources.runs() if "error" in r.info]
live_training()
if damaged:  # skipped, and said, rather than a traceback for every run
    st.caption("Not shown, their run.json is damaged: " + "; ".join(f"{r.id} ({r.info['error']})" for r in damaged)
               + ".")
if not runs:
    st.info("No trained models are stored yet. Train one from the sidebar (Retrain) or with `python train_model.py`.")
    st.stop()

ids = [r.id for r in runs]
goto = state.pop(Training.GOTO, None)
if goto in ids:
    state[Training.RUNS] = [goto]
active = resources.chosen_model_id()
if Training.RUNS not in state:
    state[Training.RUNS] = [active if active in ids else ids[0]]
state[Training.RUNS] = [i for i in state[Training.RUNS] if i in ids]  # a deleted run leaves the list
labels = {r.id: r.label for r in runs}
chosen = st.multiselect("Runs to compare", ids, key=Training.RUNS, format_func=labels.get,
                        help="Overlay several runs to compare presets; solid is training, dotted is validation.")
if not chosen:
    st.info("Pick at least one run to see its curves.")
    st.stop()

selected = [r for r in runs if r.id in chosen]
# No mode bar: it covered the "accuracy" title, and dragging still zooms (double-click: back).
st.plotly_chart(explore_charts.training_curves([curves_of(r) for r in selected]), key="training-curves",
                config={"displayModeBar": False})
st.caption("Solid lines: the training images; dotted: the validation images held out of training (only runs with a "
           "validation split have them). ★ marks the epoch the stored model kept: the one with the lowest validation "
           "loss for keep-best runs, otherwise the last. Loss is on a log scale.")
no_val = [r.label for r in selected if not any("val_loss" in h for h in r.info.get("history") or [])]
if no_val:
    st.caption(f"No validation curve for {', '.join(no_val)}: trained without a validation split.")

st.subheader("Settings and results")
# One column per run, one row per setting: seventeen columns of runs were cut off at the right.
table = pd.DataFrame({r.label: {k: "" if v is None else str(v) for k, v in explore.run_summary(r.id, r.info).items()}
                      for r in selected})
# The settings' names in a column of their own, wide enough for the longest (under 7 px a letter here):
# as the table's index they were cut off ("pen digits, unseen wr…"). Pinned, so they stay in view
# when many runs scroll sideways.
names_px = 7 * max(len(name) for name in table.index) + 16
st.dataframe(table.rename_axis("setting").reset_index(), key="training-table", width="stretch", hide_index=True,
             height=35 * (len(table) + 1) + 3,
             column_config={"setting": st.column_config.TextColumn("", width=names_px, pinned=True)})
if any(r.info.get("people") for r in selected):
    st.caption("Pen digits: the 14 writers of the pendigits test split, whom no model here learned from "
               "(F. Alimoglu and E. Alpaydin, *Pen-Based Recognition of Handwritten Digits*, UCI Machine Learning "
               "Repository, CC BY 4.0); photos: their digits on made-up paper; non-digits: scribbles, #, stars, "
               "letters… answered with a digit at 70% or more; unseen kinds: hearts, clouds, polygons, typeset "
               "glyphs, filled shapes… that no training here draws. Measured by `python -m benchmarks.read_people`.")
for r in selected:
    info = r.info
    with st.expander(f"{r.label}: {info.get('description', '')}"):
        summary = explore.run_summary(r.id, info)
        trained_on, held_out = info.get("train_images"), info.get("validation_images") or 0
        st.markdown(f"**Test accuracy** {summary['test accuracy']} · kept epoch {summary['kept epoch']} · "
                    f"{summary['MNIST images used']} MNIST images: "
                    f"{f'{trained_on:,}' if isinstance(trained_on, int) else '?'} to train on "
                    f"(extras included), {held_out:,} for validation · "
                    f"{summary['parameters'] or '?'} parameters")
        st.json({k: info.get(k) for k in ("config", "versions", "data_fingerprint", "started", "training_seconds")},
                expanded=False)
