"""Draw: draw a digit (or upload a photo), see what the model sees and its answer.

The page is drawn before the model is loaded (a new server's first visitor sees the canvas at once),
and each tab is a fragment: a stroke reruns the canvas and its answer, not the sidebar or the rest.
"""

from __future__ import annotations

import streamlit as st

from digitlab.images import BadImage, read_image
from ui import resources
from ui.answer import show_answer, show_compact_answer, show_details
from ui.canvas import canvas_tweaks, drawing_canvas
from ui.neighbours import rerun_when_ready
from ui.own_digits import show_own_digits
from ui.texts import WELCOME_WORDS
from ui.upload import photo_uploader, show_photo

CANVAS_SIDE = 300  # fits a phone held upright, big enough for a finger


@st.fragment
def draw_tab() -> None:
    """The canvas, and beside it the answer to what is on it; a stroke reruns only this."""
    left, right = st.columns([5, 6])
    with left:
        # On a phone the columns stack and the answer would come below the canvas, off-screen:
        # a one-line answer above the canvas, shown on narrow screens only (ui.style).
        compact, canvas_slot, under = st.empty(), st.container(), st.container()
        pen = under.slider("Pen width", 6, 40, 18, key="pen")
        with canvas_slot:
            drawing = drawing_canvas(pen, CANVAS_SIDE)
    with right:
        loaded = resources.active_model_or_stop()  # the canvas is on screen while the model loads
        prediction = None if drawing.picture is None else loaded.classifier.classify(drawing.picture)
        show_answer(prediction, drawing.strokes)
        show_own_digits(prediction, drawing.picture, loaded, "draw", f"drawing-{drawing.number}")
    with compact:
        show_compact_answer(prediction, drawing.strokes)
    if prediction is not None and prediction.steps.is_digit:  # a drawing the model refused too: look inside
        show_details(drawing.picture, prediction, loaded, "draw")


@st.fragment
def upload_tab() -> None:
    upload = photo_uploader()
    if upload is None:
        return
    try:
        photo = read_image(upload.getvalue())  # upright (EXIF), 8 bits, whatever the file held
    except BadImage as e:
        st.error(f"Cannot use {upload.name}: {e}.")
        return
    a, b = st.columns([5, 6])
    with a:
        show_photo(photo, upload.name)
    with b:
        loaded = resources.active_model_or_stop()
        p = loaded.classifier.classify(photo)
        show_answer(p, photo=True)
        show_own_digits(p, photo, loaded, "upload", f"upload-{upload.file_id}")
    if p.steps.is_digit:
        show_details(photo, p, loaded, "upload")


st.title("Draw a digit")
# The sidebar's welcome, for phones, where the sidebar starts closed.
st.markdown(f'<div class="narrow-only"><b>Welcome to Digit Lab</b>: {WELCOME_WORDS} <b>» Menu</b>, top left: the '
            "other pages and the model.</div>", unsafe_allow_html=True)
canvas_tweaks()
draw, upload = st.tabs(["Draw", "Upload a photo"])
with draw:
    draw_tab()
with upload:
    upload_tab()
rerun_when_ready()  # after the tabs: they show the nearest images
