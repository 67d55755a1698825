"""Draw: draw a digit (or upload a photo), see what the model sees and its answer."""

from __future__ import annotations

import numpy as np
import streamlit as st
from scipy import ndimage

from digitlab.db import DatabaseError, drawings
from digitlab.images import BadImage, read_image
from digitlab.inference import Prediction
from digitlab.words import count_words
from digitlab.pictures import enlarge, fit_square, outline_box, to_uint8
from digitlab.preprocess import PROBLEM_MESSAGES, image_for_saving, naive_resize
from ui import charts, resources
from ui.visitor import visitor_address, visitor_id
from ui.canvas import drawing_canvas
from ui.inside import inside_view
from ui.neighbours import nearest_training_images
from ui.texts import NO_INK_IN_PHOTO, PROMPT, WELCOME_WORDS
from ui.upload import photo_uploader, show_photo

CANVAS_SIDE = 300  # fits a phone held upright, big enough for a finger

loaded = resources.active_model_or_stop()
clf = loaded.classifier


def show_answer(prediction: Prediction | None, strokes: int = 0, photo: bool = False) -> None:
    """The big digit, how sure, and all ten probabilities; or why there is no answer.

    ``strokes``: how many canvas strokes the answer is for (0 for an upload); ``photo``: the
    picture is an upload, so the advice is about the photo, not the pen.
    """
    if prediction is None or prediction.steps.problem == "empty":
        st.info(NO_INK_IN_PHOTO if photo else PROMPT)
        return
    if not prediction.steps.is_digit:
        advice = "Take it closer, one digit filling most of the picture." if photo else "Draw a whole digit, bigger."
        st.warning(f"{PROBLEM_MESSAGES[prediction.steps.problem]} {advice}")
        st.markdown(f'<div class="no-digit" data-strokes="{strokes}"></div>', unsafe_allow_html=True)
        return
    if prediction.no_digit_seen:
        p = prediction.probabilities
        st.markdown(f'<div class="no-digit" data-reason="model" data-strokes="{strokes}" '
                    f'data-confidence="{prediction.confidence:.6f}" style="font-size:2.2rem;font-weight:700">'
                    "That is not a digit, I think.</div>", unsafe_allow_html=True)
        st.caption(f"Its best guess, {int(p.argmax())}, gets only {prediction.confidence:.0%}. It learned to answer "
                   "scribbles, letters and shapes with every digit about equally likely, as here.")
        st.plotly_chart(charts.probabilities(p), config={"displayModeBar": False})
        return
    d, p = prediction.digit, prediction.probabilities
    # data-confidence changes with every stroke and data-strokes counts them: browser
    # tests and the latency benchmark watch them to see that a new answer arrived.
    st.markdown(f'<div class="digit-answer" data-confidence="{prediction.confidence:.6f}" data-strokes="{strokes}" '
                f'style="font-size:6rem;line-height:1;font-weight:700">{d}</div>', unsafe_allow_html=True)
    if prediction.unsure:
        r = prediction.runner_up
        st.warning(f"Not sure: it hesitates between **{d}** ({p[d]:.0%}) and **{r}** ({p[r]:.0%}).")
    else:
        st.markdown(f"**{prediction.confidence:.0%}** sure")
    st.plotly_chart(charts.probabilities(p), config={"displayModeBar": False})


def show_compact_answer(prediction: Prediction | None, strokes: int) -> None:
    """The answer in one line ("7 · 98% sure"), for phones: ui.style hides it on wider screens."""
    if prediction is None or prediction.steps.problem == "empty":
        text = "Draw a digit below"
    elif not prediction.steps.is_digit:  # the preprocessing's own reason, as on a wider screen
        text = f"{PROBLEM_MESSAGES[prediction.steps.problem]} Draw a whole digit, bigger."
    elif prediction.no_digit_seen:  # the model refused a drawing, however big
        text = "That is not a digit, I think."
    else:
        d = prediction.digit
        sure = (f"{prediction.confidence:.0%} sure, or maybe {prediction.runner_up}" if prediction.unsure
                else f"{prediction.confidence:.0%} sure")
        text = f'<b style="font-size:2.2rem;line-height:1">{d}</b>&nbsp; {sure}'
    st.markdown(f'<div class="answer-compact narrow-only" data-strokes="{strokes}">{text}</div>',
                unsafe_allow_html=True)


def show_steps(prediction: Prediction) -> None:
    """Every preprocessing step, so a learner sees why size and place do not matter."""
    s = prediction.steps
    com = ndimage.center_of_mass(s.image)
    marked = np.stack([enlarge(s.image, 8)] * 3, axis=-1)
    r, c = int(com[0] * 8 + 4), int(com[1] * 8 + 4)
    marked[max(r - 1, 0) : r + 2, max(c - 8, 0) : c + 9] = (255, 60, 60)
    marked[max(r - 8, 0) : r + 9, max(c - 1, 0) : c + 2] = (255, 60, 60)
    if s.paper is not None:  # a photo or scan: the light was evened out first
        a, b = st.columns(2)
        a.image(to_uint8(s.paper), caption="0. The paper's light, estimated (the ink taken out)", width="stretch")
        b.image(to_uint8(s.ink), caption="0. The photo divided by it: even light, any ink colour, the grain "
                                         "and printed lines gone", width="stretch")
    cols = st.columns(4)
    cols[0].image(outline_box(s.ink, s.box, width=max(2, s.ink.shape[0] // 100)),
                  caption="1. Find the ink's bounding box (a stray dot is left out)", width="stretch")
    cols[1].image(fit_square(s.cropped, 224), caption="2. Cut it out", width="stretch")
    cols[2].image(fit_square(np.pad(s.fitted, 4), 224),
                  caption=f"3. Scale to {s.fitted.shape[0]}×{s.fitted.shape[1]} (longer side 20), grey edges",
                  width="stretch")
    cols[3].image(marked, caption="4. Place in 28×28 so the centre of mass (red) is at the centre",
                  width="stretch")
    st.caption("This is how MNIST itself was made, so a digit drawn small, in a corner or wide looks to the model "
               "like the 60,000 digits it learned from.")


def show_naive(picture: np.ndarray, prediction: Prediction) -> None:
    """The whole canvas squashed to 28×28, beside the MNIST-style 28×28 (same size), and what each is read as."""
    naive = naive_resize(picture)
    digit, confidence, _ = clf.classify_image(naive)
    read_as = int(prediction.probabilities.argmax())
    st.image(fit_square(naive, 224), caption=f"Whole canvas squashed to 28×28: read as {digit} ({confidence:.0%})")
    if digit != read_as:
        # Neutral on purpose: either one may be the right reading (a user's 1 squashed can win).
        st.caption(f"Without cropping and centring, the same drawing is read as {digit}, not {read_as}: the "
                   "preprocessing changed the answer.")
    else:
        st.caption(f"Squashed, it is still read as {digit}; the MNIST-style version is usually read more surely.")


def show_details(picture: np.ndarray, prediction: Prediction, key: str) -> None:
    st.subheader("What the model saw")
    naive_on = st.toggle("Compare with a naive resize", key=f"{key}-naive")
    a, b, _ = st.columns([1, 1, 1])
    a.image(fit_square(prediction.steps.image, 224),
            caption=f"The 28×28 it classified (MNIST-style): read as {int(prediction.probabilities.argmax())} "
                    f"({prediction.confidence:.0%})")
    if naive_on:
        with b:
            show_naive(picture, prediction)
    # A toggle, not an expander: an expander's content is made (4 pictures) on every stroke even when closed.
    if st.toggle("How your drawing became 28×28", key=f"{key}-steps"):
        show_steps(prediction)
    st.subheader("Training images it finds most alike")
    nearest_training_images(prediction.steps.image, loaded, features=prediction.features)
    inside_view(prediction, loaded, key)


@st.cache_data(show_spinner=False, max_entries=256)
def saved_digits(visitor: str, stamp: tuple[int, int], model_id: str) -> tuple[int, int, bytes]:
    """(count, how many the model reads right, npz bytes) of ``visitor``'s drawings; recomputed
    when they save or delete (``stamp``) or the model changes."""
    mine = drawings.load(visitor)
    right = int((clf.probabilities(mine.images).argmax(1) == mine.labels).sum()) if len(mine) else 0
    return len(mine), right, drawings.to_npz_bytes(mine.images, mine.labels)


def save_drawing(prediction: Prediction, picture: np.ndarray | None, label: int, saved_key: str) -> bool:
    """Save the drawing with ``label``; True if it was saved (and ``saved_key`` remembers which)."""
    image = image_for_saving(prediction.steps)  # also of a drawing the model or the preprocessing refused
    try:
        drawings.save(visitor_id(), image, label, picture, address=visitor_address())
    except (drawings.QuotaExceeded, DatabaseError) as e:
        st.session_state["own-refused"] = str(e)  # kept: a toast would go unread
        return False
    st.session_state.pop("own-refused", None)
    st.session_state[saved_key] = image.tobytes()
    st.toast(f"Saved your {label}.")
    return True


def delete_drawings(which: str, key: str) -> None:
    """Delete the visitor's newest saved drawing (``"last"``) or all of them (``"all"``). The
    panel ``key``'s drawing may be saved again (with another label), and "all" is asked again."""
    me = visitor_id()
    st.session_state[f"{key}-delete-sure"] = False
    st.session_state.pop(f"{key}-saved", None)
    try:
        gone = drawings.delete_all(me) if which == "all" else int(drawings.delete_one(me, drawings.stamp(me)[1]))
    except DatabaseError as e:
        st.session_state["own-refused"] = str(e)
    else:
        st.session_state.pop("own-refused", None)
        st.toast(f"Deleted {gone} of your drawings." if which == "all" else "Deleted the last one you saved.")


def _label_by_hand(hand_key: str, drawing_id: str) -> None:
    st.session_state[hand_key] = drawing_id


def show_own_digits(prediction: Prediction | None, picture: np.ndarray | None, key: str,
                    drawing_id: str) -> None:
    """The label box and Save of ``picture``; ``drawing_id`` changes when a new drawing (or photo) begins.

    The box follows the model's latest answer, stroke after stroke, until the user picks a
    label by hand for this drawing: a widget keeps its first value otherwise, and a 4 read as
    6 after its first stroke was saved as a 6. A drawing the model or the preprocessing refused
    can be saved too (a student's real but unusual digit): its box is empty until the user picks
    the digit. Only a picture without ink has nothing to save.
    """
    label_key, hand_key = f"{key}-label", f"{key}-label-by-hand"
    with st.container(border=True):
        st.markdown("**Your own digits**")
        if problem := resources.database("Saving your digits"):
            st.caption(problem)  # the answer above is the model's: it needs no database
            return
        keep = None if prediction is None else image_for_saving(prediction.steps)
        if keep is not None:
            if st.session_state.get(hand_key) != drawing_id:
                st.session_state[label_key] = prediction.digit  # None (an empty box) when it saw no digit
            if prediction.digit is None:
                st.caption("If it is a digit all the same, pick which and save it: it counts among your digits.")
            a, b = st.columns([2, 1], vertical_alignment="bottom")
            label = a.selectbox("This digit really is a", range(10), index=None, placeholder="Pick the digit you drew",
                                key=label_key, on_change=_label_by_hand, args=(hand_key, drawing_id),
                                help="The model's answer until you pick another: save what you meant to draw.")
            # A second click on the same drawing would count it twice in a class's figures. Saved
            # where the button is read, not in an on_click: a click landing while a stroke's rerun
            # was cut short lost its callback (2 of 11 runs of a browser test; 0 of 13 since).
            slot = b.empty()
            saved = st.session_state.get(f"{key}-saved") == keep.tobytes()
            if not saved and slot.button("Save it", key=f"{key}-save", disabled=label is None,
                                         help="Pick the digit first." if label is None else None):
                saved = save_drawing(prediction, picture, label, f"{key}-saved")
            if saved:
                slot.button("Saved", key=f"{key}-saved-button", disabled=True,
                            help="Draw another digit to save it too, or delete this one (Delete…) to save it "
                                 "with another label.")
        if refused := st.session_state.get("own-refused"):
            st.warning(refused)
        me = visitor_id()
        try:
            count, right, npz = saved_digits(me, drawings.stamp(me), loaded.run.id)
        except DatabaseError as e:  # e.g. a damaged page in the database file: said, and the page goes on
            st.caption(str(e))
            return
        if count:
            st.markdown(f'<span class="own-count">You have saved {count} digit{"s" * (count != 1)}</span>; '
                        f"this model reads {right} of them right ({right / count:.0%}).", unsafe_allow_html=True)
            download, remove = st.columns([3, 1])
            download.download_button("Download them", npz, "my_digits.npz", key=f"{key}-download",
                                     help="A NumPy file (my_digits.npz) with your digits as the model saw them: "
                                          "x, the 28×28 pictures (uint8 0–255, N×28×28), and y, your labels.")
            with remove.popover("Delete…", width="stretch"):
                st.button("Delete the last one I saved", key=f"{key}-delete-last", on_click=delete_drawings,
                          args=("last", key))
                sure = st.checkbox("Yes, all of them", key=f"{key}-delete-sure")
                st.button(f"Delete {count_words(count, 'drawing')}", key=f"{key}-delete-all", on_click=delete_drawings,
                          args=("all", key), disabled=not sure, type="primary")
            st.caption(f"Only you see them: this browser keeps your anonymous visitor id ({me[:8]}…). "
                       "Another browser, or a private window, is another visitor.")
        else:
            st.caption("Save drawings with their true label to see how well the model reads *your* handwriting.")


def classify(picture: np.ndarray | None) -> Prediction | None:
    return None if picture is None else clf.classify(picture)


st.title("Draw a digit")
# The sidebar's welcome, for phones, where the sidebar starts closed.
st.markdown(f'<div class="narrow-only"><b>Welcome to Digit Lab</b>: {WELCOME_WORDS} <b>» Menu</b>, top left: the '
            "other pages and the model.</div>", unsafe_allow_html=True)
draw_tab, upload_tab = st.tabs(["Draw", "Upload a photo"])

with draw_tab:
    left, right = st.columns([5, 6])
    with left:
        # On a phone the columns stack and the answer would come below the canvas, off-screen:
        # a one-line answer above the canvas, shown on narrow screens only (ui.style).
        compact, canvas_slot, under = st.empty(), st.container(), st.container()
        pen = under.slider("Pen width", 6, 40, 18, key="pen")
        with canvas_slot:
            drawing = drawing_canvas(pen, CANVAS_SIDE)
    prediction = classify(drawing.picture)
    with compact:
        show_compact_answer(prediction, drawing.strokes)
    with right:
        show_answer(prediction, drawing.strokes)
        show_own_digits(prediction, drawing.picture, "draw", f"drawing-{drawing.number}")
    if prediction is not None and prediction.steps.is_digit:  # a drawing the model refused too: look inside
        show_details(drawing.picture, prediction, "draw")

with upload_tab:
    upload = photo_uploader()
    if upload is not None:
        try:
            photo = read_image(upload.getvalue())  # upright (EXIF), 8 bits, whatever the file held
        except BadImage as e:
            st.error(f"Cannot use {upload.name}: {e}.")
        else:
            p = clf.classify(photo)
            a, b = st.columns([5, 6])
            with a:
                show_photo(photo, upload.name)
            with b:
                show_answer(p, photo=True)
                show_own_digits(p, photo, "upload", f"upload-{upload.file_id}")
            if p.steps.is_digit:
                show_details(photo, p, "upload")
