"""A visitor's own digits, under the answer on the Draw page: the label box and *Save it* for the
drawing (or photo) on screen, how many they saved and how well the model reads them, *Download* and
*Delete…*. Every write is the visitor's alone (digitlab.db); the database failing is a sentence."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from digitlab.db import DatabaseError, drawings
from digitlab.preprocess import image_for_saving
from digitlab.words import count_words
from ui import resources
from ui.state import Draw
from ui.visitor import visitor_address, visitor_id

if TYPE_CHECKING:
    from digitlab.inference import Prediction
    from ui.resources import LoadedModel


@st.cache_data(show_spinner=False, max_entries=256)
def saved_digits(visitor: str, stamp: tuple[int, int], _loaded: LoadedModel, model_id: str) -> tuple[int, int, bytes]:
    """(count, how many the model reads right, npz bytes) of ``visitor``'s drawings; recomputed
    when they save or delete (``stamp``) or the model changes (``model_id``)."""
    mine = drawings.load(visitor)
    right = int((_loaded.classifier.probabilities(mine.images).argmax(1) == mine.labels).sum()) if len(mine) else 0
    return len(mine), right, drawings.to_npz_bytes(mine.images, mine.labels)


def save_drawing(prediction: Prediction, picture: np.ndarray | None, label: int, saved_key: str) -> bool:
    """Save the drawing with ``label``; True if it was saved (and ``saved_key`` remembers which)."""
    image = image_for_saving(prediction.steps)  # also of a drawing the model or the preprocessing refused
    try:
        drawings.save(visitor_id(), image, label, picture, address=visitor_address())
    except (drawings.QuotaExceeded, DatabaseError) as e:
        st.session_state[Draw.REFUSED] = str(e)  # kept: a toast would go unread
        return False
    st.session_state.pop(Draw.REFUSED, None)
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
        st.session_state[Draw.REFUSED] = str(e)
    else:
        st.session_state.pop(Draw.REFUSED, None)
        st.toast(f"Deleted {gone} of your drawings." if which == "all" else "Deleted the last one you saved.")


def _label_by_hand(hand_key: str, drawing_id: str) -> None:
    st.session_state[hand_key] = drawing_id


def show_own_digits(prediction: Prediction | None, picture: np.ndarray | None, loaded: LoadedModel, key: str,
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
        if refused := st.session_state.get(Draw.REFUSED):
            st.warning(refused)
        me = visitor_id()
        try:
            count, right, npz = saved_digits(me, drawings.stamp(me), loaded, loaded.run.id)
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
