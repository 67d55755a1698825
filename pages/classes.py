"""Classes: a teacher makes a class and gets a code; students join with it and a nickname.

The teacher sees the class's saved drawings read by the model: accuracy per
student and per digit, the confusion matrix, exports, and a retraining with
the class's drawings compared on students it never saw.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from digitlab import classroom, roles, tasks
from digitlab.db import DatabaseError, classes, drawings
from digitlab.words import count_words
from digitlab.jobs import Status
from digitlab.store import ModelStoreError
from digitlab.tasks import class_retrain as class_task
from digitlab.pictures import labelled_tiles, sheet
from ui import job_panel, resources
from ui.explore_charts import confusion_matrix
from ui.state import Classes
from ui.visitor import visitor_address, visitor_id, who

REFUSALS = (Classes.JOIN_REFUSED, Classes.CREATE_REFUSED)
# Whole percents everywhere on the page: "66.67%" beside "50%" and "83%" read as three kinds of figure.
PERCENT = st.column_config.ProgressColumn(format="%.0f%%", min_value=0, max_value=100)

st.title("Classes")
# A refusal stays across this page's reruns until the next success, but not once the visitor has
# been on another page: its form's widgets (and their state) are then gone.
if "class-join-code" not in st.session_state:
    for key in REFUSALS:
        st.session_state.pop(key, None)
if problem := resources.database("Joining and teaching classes"):
    st.error(problem)
    st.stop()
me = visitor_id()


def read_or_stop(read, *args):
    """``read(*args)``; if the database fails, its one sentence, and the page ends here."""
    try:
        return read(*args)
    except DatabaseError as e:
        st.error(str(e))
        st.stop()


def refuse_into(key: str, action, *args) -> None:
    """Run ``action``; a refusal (ClassError, or the database failing) is kept in the session to show
    until the next success."""
    try:
        action(*args)
    except (classes.ClassError, DatabaseError) as e:
        st.session_state[key] = str(e)[:1].upper() + str(e)[1:]
    else:
        st.session_state.pop(key, None)


# --------------------------------------------------------------------------- students

st.subheader("Join a class")
with st.form("join-class", border=False):
    a, b, c = st.columns([2, 2, 1], vertical_alignment="bottom")
    code = a.text_input("Class code", max_chars=12, placeholder="e.g. K7QX3M", key="class-join-code")
    nickname = b.text_input("Your nickname", max_chars=40, key="class-join-nickname")
    if c.form_submit_button("Join", width="stretch"):
        refuse_into(Classes.JOIN_REFUSED, classes.join, me, code, nickname, visitor_address())
if refused := st.session_state.get(Classes.JOIN_REFUSED):
    st.error(refused)
mine = read_or_stop(classes.joined, me)
for info, nick in mine:
    a, b = st.columns([4, 1], vertical_alignment="center")
    # Names are checked when made (digitlab.db.classes); escaped as well, for names from before.
    a.markdown(f'<span class="class-joined">In <b>{html.escape(info.name)}</b> ({info.code}) as '
               f'<b>{html.escape(nick)}</b></span>', unsafe_allow_html=True)
    b.button("Leave", key=f"leave-{info.id}", on_click=refuse_into, args=(Classes.JOIN_REFUSED, classes.leave, me, info.id))
if mine:
    try:
        saved = count_words(drawings.count(me), "drawing")
    except DatabaseError as e:
        st.caption(str(e))
    else:
        st.caption(f"Your saved drawings ({saved}) count for your classes: save more on the Draw page.")

# --------------------------------------------------------------------------- teachers

st.divider()
st.subheader("Teach a class")
with st.form("new-class", border=False):
    a, b = st.columns([4, 1], vertical_alignment="bottom")
    name = a.text_input("Class name", max_chars=80, placeholder="e.g. Year 5 blue", key="class-new-name")
    if b.form_submit_button("Create", width="stretch"):
        refuse_into(Classes.CREATE_REFUSED, classes.create, me, name)
if refused := st.session_state.get(Classes.CREATE_REFUSED):
    st.error(refused)
taught = read_or_stop(classes.taught, me)
if not taught:
    st.caption("Create a class, then give its code to your students. Only you (this browser) see its drawings.")
    st.stop()

labels = {c.id: f"{c.name} — code {c.code} — {count_words(c.students, 'student')}" for c in taught}
chosen = st.selectbox("Your class", [c.id for c in taught], format_func=labels.get, key=Classes.CHOSEN)
info = next(c for c in taught if c.id == chosen)
st.markdown(f'Code: <span class="class-code" style="font-size:2rem;font-weight:700;letter-spacing:.2em">'
            f"{info.code}</span>", unsafe_allow_html=True)

got = read_or_stop(classes.class_drawings, me, chosen)
if not len(got):
    st.info("No drawings yet: students join with the code, then save drawings on the Draw page.")
    st.stop()

loaded = resources.active_model_or_stop()
d = got.drawings
probabilities = loaded.classifier.probabilities(d.images)
r = classroom.report(d.labels, got.students, probabilities)
st.markdown(f'<span class="class-accuracy">{count_words(len(got), "drawing")} from '
            f'{count_words(len(r.per_student), "student")} (of {count_words(info.students, "student")} who joined); '
            f"the model in use ({html.escape(loaded.run.label)}) reads {r.accuracy:.0%} of them right</span>",
            unsafe_allow_html=True)

a, b = st.columns(2)
with a:
    st.markdown("**Per student**")
    st.dataframe(pd.DataFrame([{"student": s, "drawings": n, "right": k, "accuracy": 100 * k / n}
                               for s, (k, n) in r.per_student.items()]),
                 hide_index=True, column_config={"accuracy": PERCENT})
    st.markdown("**Per digit**")
    st.dataframe(pd.DataFrame({"digit": range(10), "drawings": np.bincount(d.labels, minlength=10),
                               "accuracy": 100 * np.asarray(r.per_digit)}), hide_index=True,
                 column_config={"accuracy": PERCENT})
with b:
    st.markdown("**Confusion matrix** (rows: the digit drawn; columns: what the model read)")
    st.plotly_chart(confusion_matrix(r.confusion, side=420), width="content", key="class-confusion")

wrong = np.flatnonzero(probabilities.argmax(1) != d.labels)
with st.expander(f"The class's drawings ({count_words(len(got), 'drawing')}, {len(wrong)} misread)"):
    shown = np.concatenate([wrong, np.flatnonzero(probabilities.argmax(1) == d.labels)])[:200]
    st.image(sheet(labelled_tiles(d.images[shown], [f"{got.students[i][:8]} {d.labels[i]}→{probabilities[i].argmax()}"
                                                     for i in shown], scale=3, band=14), columns=10, scale=1))

a, b = st.columns(2)
a.download_button("Download the drawings (.npz: x, y, student)",
                  drawings.to_npz_bytes(d.images, d.labels, student=got.students.astype(str)),
                  f"class-{info.code}.npz", key="class-npz")
b.download_button("Download the answers (CSV)", classroom.to_csv(d.labels, got.students, probabilities),
                  f"class-{info.code}.csv", "text/csv", key="class-csv")

# --------------------------------------------------------------------------- retraining

st.divider()
st.subheader("Retrain with the class's drawings")
st.caption(f"Fine-tunes the model in use ({loaded.run.label}) briefly on the drawings of about two thirds of the "
           "students, then compares both models on the others' drawings: students it never saw. MNIST was written "
           "by American census staff and students in the 1990s; is your class's handwriting like theirs?")


def _class_result(status: Status, outcome: class_task.Outcome) -> None:
    """The teacher's own retraining result: both models on the held-out students' drawings."""
    store = resources.store()

    def name(run_id: str) -> str:
        try:
            return store.get(run_id).label
        except ModelStoreError:
            return run_id

    held = outcome.held_out
    st.success(f"On the drawings of the students held out ({', '.join(held)}: "
               f"{count_words(outcome.test_drawings, 'drawing')}), **{name(outcome.model_id)}** reads "
               f"**{outcome.before:.0%}** right, and the model fine-tuned on "
               f"{count_words(outcome.train_drawings, 'drawing')} of "
               f"{count_words(outcome.train_students, 'other classmate')} reads **{outcome.after:.0%}**.")
    st.caption(f"Stored as **{name(outcome.run_id)}**: pick it in the sidebar to draw with it (only you see it).")
    job_panel.dismiss_button(status, f"class-{status.id}")


def _jobs() -> None:
    """The job that runs (anyone's), this teacher's results for the class, the button to retrain."""
    me = who()
    running, finished, _ = tasks.visible(me)
    job_panel.live("class-job")
    for status in finished:
        if status.kind == "class_retrain" and status.fields.get("class_id") == chosen:
            job_panel.finished(status, f"class-{status.id}", done={"class_retrain": _class_result})
    if running is None:
        if st.button("Retrain and compare", key="class-retrain", disabled=len(r.per_student) < 2,
                     help="Needs drawings from at least two students."):
            if job_panel.start(class_task.Request(me.visitor_id, chosen, loaded.run.id), Classes.REFUSED,
                               source="the Classes page"):
                st.rerun()
        job_panel.refusal(Classes.REFUSED)


if (reason := roles.why_not_train(who())) is None:
    _jobs()
else:
    st.info(f"Retraining with a class's drawings is not available here: {reason[:1].lower() + reason[1:]}")
