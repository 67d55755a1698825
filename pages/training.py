"""Training: every stored run's loss and accuracy per epoch, overlaid, with its settings; a running one live."""

from __future__ import annotations

import streamlit as st

from digitlab import explore, jobs
from ui import explore_charts, resources

state = st.session_state


def curves_of(run) -> explore_charts.Curves:
    return explore_charts.Curves(run.id, run.info.get("history") or [], explore.kept_epoch(run.info))


@st.fragment(run_every=2)
def live_training() -> None:
    """A training started from the sidebar, redrawn every 2 s while it runs."""
    status = jobs.status()
    if status is None or status.get("kind") != "train":
        return
    if not jobs.is_active(status):
        if status.get("state") == jobs.State.DONE and status.get("run_id") not in [r.id for r in runs]:
            st.success(f"Training finished: {status['run_id']}.")
            if st.button("Show it below", key="training-show-new"):
                state["training-goto"] = status["run_id"]
                st.rerun(scope="app")
        return
    history = status.get("history") or []
    with st.container(border=True):
        st.markdown(f'<span class="training-live">Training <b>{status.get("preset", "?")}</b> now</span>: epoch '
                    f'{status.get("epoch", 0)}/{status.get("epochs", "?")}, batch {status.get("batch", 0)}/'
                    f'{status.get("batches", "?")}', unsafe_allow_html=True)
        if history:
            live = explore_charts.Curves(f"training now ({status.get('preset', '?')})", history, live=True)
            overlay = [curves_of(r) for r in runs if r.id in state.get("training-runs", [])]
            st.plotly_chart(explore_charts.training_curves([live, *overlay], height=340), key="training-live-chart")
        else:
            st.caption("The curves appear when the first epoch ends.")


st.title("Training")
runs = [r for r in resources.runs() if "error" not in r.info]
live_training()
if not runs:
    st.info("No trained models are stored yet. Train one from the sidebar (Retrain) or with `python train_model.py`.")
    st.stop()

ids = [r.id for r in runs]
goto = state.pop("training-goto", None)
if goto in ids:
    state["training-runs"] = [goto]
active = resources.chosen_model_id()
if "training-runs" not in state:
    state["training-runs"] = [active if active in ids else ids[0]]
state["training-runs"] = [i for i in state["training-runs"] if i in ids]  # a deleted run leaves the list
labels = {r.id: r.label for r in runs}
chosen = st.multiselect("Runs to compare", ids, key="training-runs", format_func=labels.get,
                        help="Overlay several runs to compare presets; solid is training, dotted is validation.")
if not chosen:
    st.info("Pick at least one run to see its curves.")
    st.stop()

selected = [r for r in runs if r.id in chosen]
st.plotly_chart(explore_charts.training_curves([curves_of(r) for r in selected]), key="training-curves")
st.caption("Solid lines: the training images; dotted: the validation images held out of training (only runs with a "
           "validation split have them). ★ marks the epoch the stored model kept: the one with the lowest validation "
           "loss for keep-best runs, otherwise the last. Loss is on a log scale.")
no_val = [r.id for r in selected if not any("val_loss" in h for h in r.info.get("history") or [])]
if no_val:
    st.caption(f"No validation curve for {', '.join(no_val)}: trained without a validation split.")

st.subheader("Settings and results")
st.dataframe([explore.run_summary(r.id, r.info) for r in selected], hide_index=True, key="training-table")
for r in selected:
    info = r.info
    with st.expander(f"{r.id}: {info.get('description', '')}"):
        summary = explore.run_summary(r.id, info)
        st.markdown(f"**Test accuracy** {summary['test accuracy']} · kept epoch {summary['kept epoch']} · "
                    f"{info.get('train_images') or '?'} training images, {info.get('validation_images') or 0} "
                    f"validation · {summary['parameters'] or '?'} parameters")
        st.json({k: info.get(k) for k in ("config", "versions", "data_fingerprint", "started", "training_seconds")},
                expanded=False)
