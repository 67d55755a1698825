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

from digitlab import classroom, jobs
from digitlab.db import DatabaseError, classes, drawings
from digitlab.words import count_words
from digitlab.jobs.kinds import start_class_retrain
from digitlab.jobs.lock import StoreNotWritable, TrainingBusy
from digitlab.pictures import labelled_tiles, sheet
from ui import job_panel, resources
from ui.explore_charts import confusion_matrix
from digitlab.config import training_allowed
from ui.visitor import visitor_address, visitor_id

REFUSALS = ("join-refused", "create-refused")

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
        refuse_into("join-refused", classes.join, me, code, nickname, visitor_address())
if refused := st.session_state.get("join-refused"):
    st.error(refused)
mine = read_or_stop(classes.joined, me)
for info, nick in mine:
    a, b = st.columns([4, 1], vertical_alignment="center")
    # Names are checked when made (digitlab.db.classes); escaped as well, for names from before.
    a.markdown(f'<span class="class-joined">In <b>{html.escape(info.name)}</b> ({info.code}) as '
               f'<b>{html.escape(nick)}</b></span>', unsafe_allow_html=True)
    b.button("Leave", key=f"leave-{info.id}", on_click=refuse_into, args=("join-refused", classes.leave, me, info.id))
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
        refuse_into("create-refused", classes.create, me, name)
if refused := st.session_state.get("create-refused"):
    st.error(refused)
taught = read_or_stop(classes.taught, me)
if not taught:
    st.caption("Create a class, then give its code to your students. Only you (this browser) see its drawings.")
    st.stop()

labels = {c.id: f"{c.name} — code {c.code} — {count_words(c.students, 'student')}" for c in taught}
chosen = st.selectbox("Your class", [c.id for c in taught], format_func=labels.get, key="class-chosen")
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
            f"{html.escape(loaded.run.label)} reads {r.accuracy:.0%} of them right</span>", unsafe_allow_html=True)

a, b = st.columns(2)
with a:
    st.markdown("**Per student**")
    st.dataframe(pd.DataFrame([{"student": s, "drawings": n, "right": k, "accuracy": k / n}
                               for s, (k, n) in r.per_student.items()]),
                 hide_index=True, column_config={"accuracy": st.column_config.ProgressColumn(format="percent")})
    st.markdown("**Per digit**")
    st.dataframe(pd.DataFrame({"digit": range(10), "drawings": np.bincount(d.labels, minlength=10),
                               "accuracy": r.per_digit}), hide_index=True,
                 column_config={"accuracy": st.column_config.ProgressColumn(format="percent")})
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
st.caption(f"Fine-tunes {loaded.run.label} briefly on the drawings of about two thirds of the students, then "
           "compares both models on the others' drawings: students it never saw. MNIST was written by American "
           "census staff and students in the 1990s; is your class's handwriting like theirs?")


def _class_result(status: dict) -> None:
    if status.get("kind") != "class_retrain":
        job_panel.show(status, "class-job")
        return
    if status.get("class_id") not in {c.id for c in taught}:  # its students' nicknames are its teacher's
        st.info("A retraining with another class's drawings has just finished.")
        return
    st.success(f"On the held-out students ({', '.join(status['held_out'])}: {status['test_drawings']} drawings), "
               f"**{status['model_id']}** reads **{status['before']:.0%}**, the one fine-tuned on "
               f"{status['train_drawings']} drawings of {status['train_students']} classmates "
               f"**{status['after']:.0%}**.")
    st.caption(f"Stored as {status['run_id']}: pick it in the sidebar to draw with it.")
    st.button("Dismiss", on_click=jobs.dismiss, key="class-dismiss")


def _panel(status: dict | None) -> None:
    if status is not None:
        job_panel.show(status, "class-job", done=_class_result)
    if status is None or status["state"] in jobs.FINAL_STATES:
        if st.button("Retrain and compare", key="class-retrain", disabled=len(r.per_student) < 2,
                     help="Needs drawings from at least two students."):
            try:
                start_class_retrain(me, chosen, loaded.run.id)
            except (TrainingBusy, StoreNotWritable) as e:
                st.session_state["class-refused"] = str(e)
            else:
                st.session_state.pop("class-refused", None)
                st.rerun()
        if refused := st.session_state.get("class-refused"):
            st.error(refused)


if training_allowed():
    job_panel.panel(_panel)
else:
    st.info("Retraining is switched off on this server (DIGITLAB_ALLOW_TRAINING=0).")
