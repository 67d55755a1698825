"""Dubious labels: MNIST images whose label is probably wrong, with the evidence.

All the work is in digitlab.dubious; this page arranges it: a ranked grid, the
chosen image with its probabilities, fold votes and nearest training images,
the visitor's own marks (kept in the database), and a retraining without the images marked wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from digitlab import dubious, explore, roles, tasks
from digitlab.dubious import marks as label_marks
from digitlab.db import DatabaseError
from digitlab.db import marks as db_marks
from digitlab.dubious import reference
from digitlab.jobs import Status
from digitlab.models import DEFAULT_PRESET, PRESETS, TrainConfig
from digitlab.pictures import fit_square, labelled_tiles, sheet
from digitlab.store import SHIPPED_ID
from digitlab.tasks import dubious as dubious_task
from digitlab.tasks import train as training_task
from ui import charts, job_panel, resources
from digitlab.dubious import explain
from ui.label_evidence import METHOD_TITLES, alike_by_label, evidence_in_words, ranks_under_each_method
from ui.neighbours import rerun_when_ready
from ui.state import Dubious
from ui.visitor import visitor_id, who

PER_PAGE = 40
COLUMNS = 10
SHORTCUT = explain.SEEDS_EXAMPLE  # the seeds' question, as a navigation shortcut only: its rank comes from the models
SPLIT_NAMES = {"train": "Training set (60,000)", "test": "Test set (10,000)"}
MARK_BUTTONS = {"label wrong": "❌ Label wrong", "ambiguous": "❓ Ambiguous", "label fine": "✅ Label fine"}
TILE_COLUMNS = 8  # ten to a row shrank the tiles, and their captions, below reading size

st.title("Dubious labels")
st.caption("Some MNIST labels are wrong, and some digits could be two things. Models that never saw an image "
           "score it; the images whose given label the models find least likely come first.")

data = resources.mnist_or_stop()


@st.cache_resource(show_spinner="Loading the ranking…", max_entries=4)
def load_result(path: str, mtime: float) -> dubious.Result:
    return dubious.read(Path(path))


@st.cache_resource(show_spinner="Ranking…", max_entries=16)
def ranking(path: str, mtime: float, split: str, method: str) -> dubious.Ranking:
    return dubious.rank(load_result(path, mtime), split, method)


@st.cache_data(show_spinner=False, max_entries=4)
def ranking_csv(path: str, mtime: float, split: str, method: str) -> str:
    """The whole ranking in the CLI's CSV format."""
    r = ranking(path, mtime, split, method)
    return dubious.ranking_csv(r, len(r))


def results_for_data() -> list[Path]:
    return dubious.available(data.fingerprint)


# --------------------------------------------------------------------------- callbacks
# Each reads only its arguments and the session state, never this script's variables.


def follow_selection() -> None:
    """Another split or ranking: turn the grid to the page of the image shown."""
    st.session_state[Dubious.FOLLOW] = True


def set_mark(split_: str, index: int, mark: str | None) -> None:
    try:
        db_marks.set_mark(visitor_id(), split_, index, mark)
    except DatabaseError as e:
        st.session_state[Dubious.MARK_FAILED] = str(e)
    else:
        st.session_state.pop(Dubious.MARK_FAILED, None)


def select(split_: str, index: int, follow: bool = True) -> None:
    """Show image ``index`` of ``split_``; ``follow`` turns the grid to its page."""
    st.session_state[Dubious.SPLIT] = split_
    st.session_state[Dubious.SELECTED] = (split_, int(index))
    st.session_state[Dubious.FOLLOW] = follow


def on_table_select(key: str, indices: list[int]) -> None:
    rows = st.session_state[key].selection.rows
    if rows:
        select(st.session_state[Dubious.SPLIT], indices[rows[0]], follow=False)


def on_jump() -> None:
    if st.session_state.get(Dubious.JUMP) is not None:
        select(st.session_state[Dubious.SPLIT], int(st.session_state[Dubious.JUMP]))
        st.session_state[Dubious.JUMP] = None  # its range differs between the splits


# --------------------------------------------------------------------------- computing


def compute_form(key: str) -> None:
    """Settings and the Compute button (a background job, under the training lock)."""
    if (reason := roles.why_not_train(who())) is not None:
        st.info(f"{reason} The ranking can be computed with `python -m digitlab.dubious compute` where you can.")
        return
    d = dubious.Settings()
    names = list(PRESETS)
    a, b, c = st.columns(3)
    preset = a.selectbox("Fold model", names, index=names.index(d.preset), key=f"dubious-{key}-preset",
                         help=f"The model trained on each fold. {dubious.FOLD_PRESET}, the default, is the shipped "
                              "model's recipe; the seed-003 MLP is much quicker and finds fewer errors (README).")
    folds = b.number_input("Folds", 2, 10, d.folds, key=f"dubious-{key}-folds")
    suggested = dubious.Settings.for_preset(preset)
    epochs = c.number_input("Epochs per fold", 1, 50, suggested.resolved().epochs, key=f"dubious-{key}-epochs-{preset}")
    a, b = st.columns(2)
    augment = a.checkbox("Augmentation", value=suggested.augment, key=f"dubious-{key}-aug-{preset}",
                         help="Train each fold model on moved, turned, thickened digits, as the shipped model "
                              "trains. Slower, and stronger.")
    tta = b.checkbox("Test-time augmentation", value=suggested.tta, key=f"dubious-{key}-tta-{preset}",
                     help="Score each image also shifted a pixel and turned a few degrees, and average.")
    varies = augment and bool(PRESETS[preset].extras)  # only then is there a choice of what to learn
    both = b.checkbox("Both ways, joined", value=suggested.ensemble, key=f"dubious-{key}-ensemble-{preset}",
                      disabled=not varies,
                      help="Two sets of fold models, one that also learns the extra images and one that learns "
                           "MNIST alone, their answers joined: the default, the best on MNIST errors judged by "
                           "eye (README). Each set is kept, so one already computed is not trained again.")
    extras = a.checkbox("Extra images", value=suggested.extras, key=f"dubious-{key}-extras-{preset}",
                        disabled=not varies or both,
                        help="With augmentation, also pen digits, styles MNIST lacks and non-digits, as the "
                             "shipped model learns. Off: MNIST alone, which finds more of the test set's errors "
                             "and no more of the training set's (README).")
    refused = reference.problem(SHIPPED_ID, data.fingerprint)
    second = st.checkbox(f"Second opinion on the test images from model {SHIPPED_ID!r}",
                         value=d.reference == SHIPPED_ID and refused is None, disabled=refused is not None,
                         key=f"dubious-{key}-reference",
                         help="The shipped model learned from the training images only: it never saw the test images, "
                              "so its doubt about a test label counts. It helps weak fold models (the padded CNN of "
                              "3 epochs: a third more realistic label errors found); the default fold models are as "
                              "strong as it is, and it adds nothing to them (README). "
                              + (f"Not available: {refused}." if refused else ""))
    settings = dubious.Settings.for_preset(preset, folds=int(folds), epochs=int(epochs), augment=augment, tta=tta,
                                           extras=extras, ensemble=both, reference=SHIPPED_ID if second else None)
    st.caption(f"Trains {folds} models{' for each set not computed yet' if both and varies else ''}, each on "
               f"{(folds - 1) / folds:.0%} of the training set, "
               "in the background: you can use the other pages meanwhile. One training at a time on this machine.")
    if st.button("Compute the ranking", type="primary", key=f"dubious-{key}-start"):
        if job_panel.start(dubious_task.Request(settings, mnist_path=data.source), Dubious.REFUSED,
                           source="the Dubious labels page"):
            st.rerun()
    job_panel.refusal(Dubious.REFUSED)


def _ranking_ready(status: Status, outcome) -> None:
    """A computation of this visitor's ended well: the page shows it already; say so once and forget it."""
    tasks.dismiss(status.id, who())
    st.toast("The ranking is ready.")


def compute_section(key: str) -> None:
    """The running job (anyone's: one at a time), this visitor's last computation if it went wrong, the form."""
    me = who()
    running, finished, _ = tasks.visible(me)
    if running is not None:
        job_panel.live(f"dubious-{key}")
        return
    for status in finished:
        if status.kind == "dubious":
            job_panel.finished(status, f"dubious-{key}-{status.id}", done={"dubious": _ranking_ready})
    compute_form(key)


found = results_for_data()
for skipped, problem in dubious.damaged(data.fingerprint):
    st.warning(f"Skipped {skipped.name} ({skipped.parent.name}/): {problem}. Compute the ranking again to replace it.")
if not found:
    st.info("No ranking has been computed for this copy of MNIST yet. It needs out-of-fold probabilities: "
            "K models, each trained without one K-th of the training set, score the images they never saw. "
            f"With the default settings ({dubious.Settings().describe()}) that takes "
            f"{dubious.DEFAULT_MINUTES} on two cores (or run `python -m digitlab.dubious compute`).")
    compute_section("first")
    st.stop()

# --------------------------------------------------------------------------- the result and ranking

default_name = dubious.file_name(dubious.Settings(), data.fingerprint)
found.sort(key=lambda p: p.name != default_name)  # the default settings first, else the newest
if len(found) > 1:
    path = st.selectbox("Computed with", found, key="dubious-result",
                        format_func=lambda p: load_result(str(p), p.stat().st_mtime).settings.label()
                        + (" (the default)" if p.name == default_name else ""))
else:
    path = found[0]
stamp = (str(path), path.stat().st_mtime)
result = load_result(*stamp)

a, b = st.columns([2, 3])
split = a.radio("Images", dubious.SPLITS, format_func=SPLIT_NAMES.get, horizontal=True, key=Dubious.SPLIT,
                on_change=follow_selection)
methods = dubious.methods_of(result)  # a result made before the neighbours' evidence offers fewer
if st.session_state.get(Dubious.METHOD) not in methods:
    st.session_state[Dubious.METHOD] = dubious.DEFAULT_METHOD if dubious.DEFAULT_METHOD in methods else methods[0]
method = b.selectbox("Ranking", methods, format_func=METHOD_TITLES.get, key=Dubious.METHOD,
                     on_change=follow_selection,
                     help="  \n".join(f"**{METHOD_TITLES[m]}**: {dubious.METHODS[m]}" for m in methods))
r = ranking(*stamp, split, method)
images, _ = data.split(split)
database_problem = resources.database("Marking labels")
marks = {}
if not database_problem:
    try:
        marks = db_marks.load(visitor_id())
    except DatabaseError as e:
        database_problem = str(e)


selected = st.session_state.get(Dubious.SELECTED)
if not selected or selected[0] != split or selected[1] >= len(r):
    selected = (split, int(r.order[0]))
index = selected[1]
positions = r.positions
pages = -(-len(r) // PER_PAGE)
if st.session_state.pop(Dubious.FOLLOW, False):
    st.session_state[Dubious.PAGE] = int(positions[index]) // PER_PAGE + 1
# Set before the widget exists (never as its default too), kept within this ranking's pages.
st.session_state[Dubious.PAGE] = min(max(1, int(st.session_state.get(Dubious.PAGE, 1))), pages)

# Where the shortcut image ranks, whatever split is shown.
s_split, s_index = SHORTCUT
r_short = ranking(*stamp, s_split, method)
line, button = st.columns([4, 1], vertical_alignment="center")
if s_index < len(r_short):
    rank = r_short.rank_of(s_index)
    chance = " (its rank and its number match by chance)" if rank == s_index else ""  # as shipped: read as a slip
    line.markdown(f'<span class="dubious-500">{explain.seeds_example(result)} It ranks '
                  f"**{rank:,}** of {len(r_short):,} by {METHOD_TITLES[method].lower()}{chance}.</span>",
                  unsafe_allow_html=True)
else:
    line.caption(f"Training image #{s_index} is not in this result (it covers the first {len(r_short):,}).")
button.button(f"Show train #{s_index}", key="dubious-show-500", on_click=select, args=SHORTCUT,
              disabled=s_index >= len(r_short), width="stretch")

left, right = st.columns([3, 2], gap="large")

# --------------------------------------------------------------------------- the ranked grid

with left:
    a, b, c = st.columns([1, 1.4, 1.6], vertical_alignment="bottom")  # "0 to 59,999" whole beside its steppers
    page = a.number_input(f"Page (of {pages:,})", 1, pages, key=Dubious.PAGE)
    b.number_input(f"Go to {split} image #", 0, len(r) - 1, None, key=Dubious.JUMP, on_change=on_jump,
                   placeholder=f"0 to {len(r) - 1:,}")
    c.caption(f"{int(r.flagged.sum()):,} of {len(r):,} are flagged as label issues by cleanlab's confident "
              "learning.")
    start = (page - 1) * PER_PAGE
    rows = r.rows(start, start + PER_PAGE)
    shown = [i for _, i, _, _, _ in rows]
    captions = [f"{rk}: {g}→{s}" for rk, _, g, s, _ in rows]
    tiles = labelled_tiles(images[shown], captions, scale=3, band=20,
                           highlight=[k for k, i in enumerate(shown) if i == index])
    st.image(sheet(tiles, columns=TILE_COLUMNS, scale=1),
             caption=f"Ranks {start + 1:,}–{start + len(rows):,}, left to right: rank: given label→most likely "
                     "digit (the one shown on the right is highlighted). Pick one in the table below.",
             width="stretch")
    table = pd.DataFrame({
        "rank": [x[0] for x in rows], "image #": shown, "given": [x[2] for x in rows],
        "most likely": [x[3] for x in rows], "score": [round(x[4], 4) for x in rows],
        "flagged": [bool(r.flagged[i]) for i in shown],
        "your mark": [label_marks.mark_of(marks, split, i) or "" for i in shown],
    })
    table_key = f"dubious-table-{split}-{method}-{page}"
    st.dataframe(table, key=table_key, on_select=lambda: on_table_select(table_key, shown),
                 selection_mode="single-row", hide_index=True, height=300, width="stretch")
    st.download_button(f"Download this ranking of all {len(r):,} {split} images (CSV)",
                       ranking_csv(*stamp, split, method), f"dubious_{split}_{method}.csv", "text/csv",
                       key="dubious-download-ranking")

# --------------------------------------------------------------------------- the chosen image and its evidence


with right:
    given, suggested = int(r.given[index]), int(r.suggested[index])
    probs = result.split(split).probs[index]
    st.subheader(f"{split.capitalize()} image #{index}")
    a, b = st.columns([1, 1])
    a.image(fit_square(images[index], 224), width="stretch")
    with b:
        st.metric("Given label", given)
        st.metric("Most likely", f"{suggested} ({probs[suggested]:.0%})")
        st.markdown(f"Rank **{int(positions[index]) + 1:,}** of {len(r):,} · score {r.score[index]:.3f}"
                    f"{' · flagged by cleanlab' if r.flagged[index] else ''}")
    st.plotly_chart(charts.probabilities(probs, height=200), config={"displayModeBar": False},
                    key="dubious-probs")
    evidence_in_words(result, split, index)

    current = label_marks.mark_of(marks, split, index)
    st.markdown(f'Your mark: <span class="dubious-mark">{current or "none"}</span>', unsafe_allow_html=True)
    # Two by two: four in a row were cut to "Lab…", "Am…", "Lab…" at 1400 px.
    cols = [c for _ in range(2) for c in st.columns(2)]
    for col, (mark, label) in zip(cols, MARK_BUTTONS.items()):
        col.button(label, key=f"dubious-mark-{mark}", on_click=set_mark, args=(split, index, mark),
                   type="primary" if current == mark else "secondary", width="stretch",
                   disabled=database_problem is not None)
    cols[3].button("Clear the mark", key="dubious-mark-clear", on_click=set_mark, args=(split, index, None),
                   disabled=current is None, width="stretch")
    if database_problem:
        st.caption(database_problem)
    if failed := st.session_state.get(Dubious.MARK_FAILED):
        st.error(failed)
    ranks_under_each_method(result, split, index, lambda m: ranking(*stamp, split, m))
    alike_by_label(images[index], given, suggested, exclude=index if split == "train" else None)

# --------------------------------------------------------------------------- marks, export, retraining

st.divider()
st.subheader("Your marks")
if marks:
    counts = {m: sum(e["mark"] == m for e in marks.values()) for m in db_marks.MARKS}
    st.markdown(f'<span class="dubious-mark-count">{len(marks)} marked</span>: '
                + ", ".join(f"{n} {m}" for m, n in counts.items()), unsafe_allow_html=True)
    rankings = {s: ranking(*stamp, s, method) for s in dubious.SPLITS}
    csv_text = label_marks.marks_csv(marks, rankings)
    st.download_button("Download the marks (CSV)", csv_text, "dubious_labels_marks.csv", "text/csv",
                       key="dubious-download")
    with st.expander("Marked images"):
        marked = sorted(marks.values(), key=lambda e: (e["split"], e["index"]))
        st.image(sheet(labelled_tiles(
            np.stack([data.split(e["split"])[0][e["index"]] for e in marked[:100]]),
            [f"{e['split'][:2]} #{e['index']}" for e in marked[:100]], scale=3, band=14), columns=COLUMNS, scale=1))
else:
    st.caption("Mark images with the buttons above; your marks are yours alone (kept for this browser) and can be downloaded.")

if roles.may_train(who()):
    with st.expander("Retrain without them"):
        train_ranking = ranking(*stamp, "train", method)
        wrong = label_marks.excluded_training_images(marks)
        names = list(PRESETS)
        a, b = st.columns(2)
        preset = a.selectbox("Preset", names, index=names.index(DEFAULT_PRESET), key="dubious-rt-preset")
        top = b.number_input(f"Also leave out the top N training images ({METHOD_TITLES[method].lower()})", 0, 5000, 0,
                             key="dubious-rt-top")
        leave_out = label_marks.excluded_training_images(marks, train_ranking, int(top))
        st.caption(f"Leaves out {len(leave_out):,} training images ({len(wrong)} marked 'label wrong'). "
                   "The model is trained in the background like the sidebar's Retrain; when it is done, "
                   "compare it with the active model there. For a fair comparison, compare with the same preset "
                   "and random seed trained on all images (see the table).")
        if st.button("Retrain without them", key="dubious-rt-start", disabled=not leave_out):
            request = training_task.Request(TrainConfig(preset, exclude=leave_out), mnist_path=data.source)
            if job_panel.start(request, Dubious.REFUSED, source="the Dubious labels page"):
                st.rerun()
        job_panel.refusal(Dubious.REFUSED)
        same = [run for run in resources.runs() if run.preset == preset and "test_accuracy" in run.info]
        if same:
            columns = ["model", "images left out", "random seed", "epochs", "test accuracy"]
            st.dataframe(pd.DataFrame([{"model": run.label, **explore.run_summary(run.id, run.info)}
                                       for run in same])[columns], hide_index=True, key="dubious-rt-runs")

with st.expander("How this ranking was made"):
    meta = result.meta
    accs = ", ".join(f"{a:.2%}" for a in meta.get("fold_accuracy", []))
    where = "shipped with Digit Lab" if dubious.is_shipped(path) else f"cached in {path.parent}"
    st.markdown(
        f"- {result.settings.describe()}; computed {meta.get('created', '?')} in {meta.get('seconds', '?')} s "
        f"({where}).\n"
        f"- Each fold model's accuracy on the fold it never saw: {accs}. Their average on the test set: "
        f"{meta.get('fold_test_accuracy', meta.get('test_accuracy', 0)):.2%}.\n"
        "- **Out-of-fold**: the training images are cut into folds, and each fold is scored by a model trained "
        "on all the others, one that never saw those images, so it cannot just repeat their labels.\n"
        + (f"- **Test images, a second opinion**: model {result.settings.reference!r} "
           f"({meta['reference'].get('trained_as')}, {meta['reference'].get('test_accuracy') or 0:.2%} on the test "
           "set), trained on the training images only, reads them too; the two opinions are joined by a geometric "
           "mean, so either one's doubt about a label counts.\n" if meta.get("reference") else "")
        + f"- **{METHOD_TITLES['self_confidence']}**: how unlikely the out-of-fold model finds the given label, "
        "as a *surprise*: −log₁₀ of its probability (1 means a chance in ten, 2 a chance in a hundred).\n"
        f"- **{METHOD_TITLES['neighbours']}**: the share of the given label among the image's "
        f"{dubious.evidence.NEIGHBOURS} nearest training images, as the fold model sees them (images it learned "
        f"from); **{METHOD_TITLES['combined']}**: the surprise of the geometric mean of that share and the "
        "probability of the given label.\n"
        f"- **{METHOD_TITLES['fold_agreement']}**: how many of the fold models read another digit than the "
        "given label (for a training image, the one that never saw it and those that trained on it and "
        "still could not learn its label).\n"
        f"- **{METHOD_TITLES['confident_learning']}** and **{METHOD_TITLES['normalized_margin']}** come from "
        "[cleanlab](https://github.com/cleanlab/cleanlab): how far the given label's probability falls "
        "below the best other digit's, judged against how sure the models are of each digit on average.\n"
        "- The ranking comes from the models and the data alone: nothing in Digit Lab lists known errors.")
    st.markdown("**Compute again** with other settings (the result is kept beside this one):")
    compute_section("again")
rerun_when_ready()  # at the end: the evidence above shows the nearest images
