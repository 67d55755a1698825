"""Misclassified: the test images the active model gets wrong, where, and compared with another model."""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitlab import explore, metrics, words
from digitlab.pictures import captioned_sheet, fit_square
from digitlab.store import ModelStoreError
from ui import charts, explore_charts, resources, style
from ui.state import Dataset, Misclassified

PER_PAGE, COLUMNS = 60, 10
ANY = "any"
COMPARE_SHOWN = 40
state = st.session_state


def digit_or_none(value) -> int | None:
    return None if value == ANY else int(value)


def cell_clicked() -> None:
    points = state[Misclassified.MATRIX]["selection"]["points"]
    if points:
        true, predicted = (int(v) for v in points[0]["customdata"][:2])
        state[Misclassified.TRUE], state[Misclassified.READ_AS] = true, predicted
        state[Misclassified.PAGE] = 1
        state[Misclassified.SCROLL] = True  # the images are below the matrix, often off-screen


def open_in_dataset(index: int) -> None:
    state[Dataset.GOTO] = {"split": "test", "index": index}


def caption(i: int) -> str:
    return f"{y[i]} as {pred[i]} {conf[i]:.0%}"


st.title("Misclassified")
data = resources.mnist_or_stop()
run = resources.active_model_or_stop().run
try:
    probs = resources.test_probabilities(run.id, data)
except ModelStoreError as e:
    st.error(f"Cannot score the test images with {run.id}: {e}")
    st.stop()

y = data.y_test.astype(np.int64)
pred = probs.argmax(axis=1)
conf = probs.max(axis=1)
wrong = int((pred != y).sum())
st.markdown(f'Model *{run.label}* reads <span class="mis-count">{wrong}</span> '
            f"of the 10,000 test images wrong ({1 - wrong / len(y):.2%} right).", unsafe_allow_html=True)

cm_col, pr_col = st.columns([1, 1], gap="large")
true_sel, pred_sel = digit_or_none(state.get(Misclassified.TRUE, ANY)), digit_or_none(state.get(Misclassified.READ_AS, ANY))
with cm_col:
    st.markdown("**Confusion matrix** — click a cell to see its images")
    cell = (true_sel, pred_sel) if true_sel is not None and pred_sel is not None else None
    st.plotly_chart(explore_charts.confusion_matrix(metrics.confusion(y, pred), selected=cell), key=Misclassified.MATRIX,
                    on_select=cell_clicked, selection_mode="points", config={"displayModeBar": False},
                    width="content")
with pr_col:
    st.markdown("**What each digit loses: precision and recall, as errors**")
    scores = metrics.class_scores(y, pred)
    st.plotly_chart(explore_charts.class_scores(scores.precision, scores.recall), config={"displayModeBar": False},
                    key="misclassified-scores")
    worst = int(np.argmin(scores.recall))
    st.caption(f"Recall: of the d's, how many the model finds; the orange bar is the rest, the d's it missed. "
               f"Precision: of the images it calls d, how many are d; the blue bar is the rest. The axis starts at "
               f"0, so the bars compare honestly. Lowest recall here: **{worst}** ({scores.recall[worst]:.2%}).")

st.subheader("The images")
a, b, c = st.columns(3)
a.selectbox("True digit", [ANY, *range(10)], key=Misclassified.TRUE, on_change=lambda: state.update({Misclassified.PAGE: 1}))
b.selectbox("Read as", [ANY, *range(10)], key=Misclassified.READ_AS, on_change=lambda: state.update({Misclassified.PAGE: 1}))
true_sel, pred_sel = digit_or_none(state[Misclassified.TRUE]), digit_or_none(state[Misclassified.READ_AS])
diagonal = true_sel is not None and true_sel == pred_sel
# A diagonal cell holds right answers: show the shakiest first, they are the near misses.
chosen = metrics.select_predictions(y, probs, true_digit=true_sel, predicted_digit=pred_sel, wrong_only=not diagonal,
                                    least_confident_first=diagonal)
what = (f"true {true_sel if true_sel is not None else 'any digit'}, read as "
        f"{pred_sel if pred_sel is not None else 'anything else'}")
if len(chosen) == 0:
    st.info(f"The model makes no mistakes with {what}. Pick other digits, or click another cell.")
else:
    pages = explore.page_count(len(chosen), PER_PAGE)
    state[Misclassified.PAGE] = min(max(int(state.get(Misclassified.PAGE, 1)), 1), pages)
    c.number_input(f"Page (of {pages})", 1, pages, key=Misclassified.PAGE)
    on_page = explore.page_items(chosen, int(state[Misclassified.PAGE]) - 1, PER_PAGE)
    noun, order = ("right answer", "least sure first") if diagonal else ("mistake", "most confidently wrong first")
    n = len(chosen)
    number, nouns = words.count_words(n, noun).split(" ", 1)
    st.markdown(f'<div class="mis-list scroll-target"><span class="mis-shown">{number}</span> {nouns}, {order} '
                f"({what}).</div>", unsafe_allow_html=True)
    if state.pop(Misclassified.SCROLL, False):
        style.scroll_into_view(".mis-list")
    colours = [(120, 220, 120) if pred[i] == y[i] else (255, 150, 120) for i in on_page]
    st.image(captioned_sheet(data.x_test[on_page], [caption(i) for i in on_page], COLUMNS, colours=colours),
             caption="under each: true digit as the model's answer, and its confidence")
    pick = st.selectbox("Look closely at one", on_page.tolist(), key=f"misclassified-pick-{what}-{state['misclassified-page']}",
                        format_func=lambda i: f"test #{i}: {caption(i)}")
    left, right = st.columns([1, 2])
    left.image(fit_square(data.x_test[pick], 224), caption=f"test #{pick}, labelled {y[pick]}")
    with right:
        st.plotly_chart(charts.probabilities(probs[pick], height=220), config={"displayModeBar": False},
                        key="misclassified-probs")
        if st.button("Show it in Dataset, with its neighbours on the map →", key="misclassified-to-dataset",
                     on_click=open_in_dataset, args=(int(pick),)):
            st.switch_page("pages/dataset.py")

st.subheader("Compared with another model")
others = [r for r in resources.runs() if r.id != run.id and "error" not in r.info]
if not others:
    st.info("Only one model is stored. Train another from the sidebar (Retrain) to see which mistakes they share.")
else:
    names = {r.id: r.label for r in others}
    other = st.selectbox("Other model", list(names), key="misclassified-other", format_func=names.get)
    try:
        other_pred = resources.test_predictions(other, data)
    except ModelStoreError as e:
        st.error(f"Cannot compare with {names[other]}: {e}")
    else:
        cmp = metrics.compare_errors(y, pred, other_pred)
        m1, m2, m3 = st.columns(3)
        m1.metric("Wrong for both", len(cmp.shared), help=f"{len(cmp.same_answer)} of them with the same wrong answer")
        m2.metric("Only the active one wrong", len(cmp.only_a))
        m3.metric("Only the other one wrong", len(cmp.only_b))
        for title, idx, answers in ((f"wrong for both ({len(cmp.same_answer)} with the same answer)", cmp.shared, pred),
                                    (f"only *{run.label}* (active) is wrong", cmp.only_a, pred),
                                    (f"only *{names[other]}* is wrong", cmp.only_b, other_pred)):
            st.markdown(f"**{len(idx)} {title}**" + (f", first {COMPARE_SHOWN} shown" if len(idx) > COMPARE_SHOWN else ""))
            if len(idx):
                shown = idx[:COMPARE_SHOWN]
                st.image(captioned_sheet(data.x_test[shown], [f"{y[i]} as {answers[i]}" for i in shown], COLUMNS))
