"""The Draw page's answer (the big digit, how sure, the ten probabilities, or why there is none), its
one-line form for phones, and what the model saw: the 28×28, the steps, a naive resize, the most
alike training images and the inside view."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st
from scipy import ndimage

from digitlab.pictures import enlarge, fit_square, outline_box, to_uint8
from digitlab.preprocess import PROBLEM_MESSAGES, naive_resize
from ui import charts
from ui.neighbours import nearest_training_images
from ui.texts import NO_INK_IN_PHOTO, PROMPT

if TYPE_CHECKING:  # TensorFlow: the page is drawn before it is imported
    from digitlab.inference import Prediction
    from ui.resources import LoadedModel


def show_answer(prediction: Prediction | None, strokes: int = 0, photo: bool = False) -> None:
    """The big digit, how sure, and all ten probabilities; or why there is no answer.

    ``strokes``: how many canvas strokes the answer is for (0 for an upload); ``photo``: the
    picture is an upload, so the advice is about the photo, not the pen.
    """
    if prediction is None or prediction.steps.problem == "empty":
        st.info(NO_INK_IN_PHOTO if photo else PROMPT)
        return
    if not prediction.steps.is_digit:
        st.warning(f"{PROBLEM_MESSAGES[prediction.steps.problem]} {_advice(prediction.steps.problem, photo)}")
        st.markdown(f'<div class="no-digit" data-strokes="{strokes}"></div>', unsafe_allow_html=True)
        return
    if prediction.no_digit_seen:
        p = prediction.probabilities
        st.markdown(f'<div class="no-digit" data-reason="model" data-strokes="{strokes}" '
                    f'data-confidence="{prediction.confidence:.6f}" style="font-size:2.2rem;font-weight:700">'
                    "That is not a digit, I think.</div>", unsafe_allow_html=True)
        st.caption(f"Its best guess, {int(p.argmax())}, gets only {prediction.confidence:.0%}. It learned to answer "
                   "scribbles, letters and shapes with every digit about equally likely, as here.")
        st.html(charts.probability_bars(p))
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
    st.html(charts.probability_bars(p))


def show_compact_answer(prediction: Prediction | None, strokes: int) -> None:
    """The answer in one line ("7 · 98% sure"), for phones: ui.style hides it on wider screens."""
    if prediction is None or prediction.steps.problem == "empty":
        text = "Draw a digit below"
    elif not prediction.steps.is_digit:  # the preprocessing's own reason, as on a wider screen
        text = f"{PROBLEM_MESSAGES[prediction.steps.problem]} {_advice(prediction.steps.problem, photo=False)}"
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


def show_naive(picture: np.ndarray, prediction: Prediction, loaded: LoadedModel) -> None:
    """The whole canvas squashed to 28×28, beside the MNIST-style 28×28 (same size), and what each is read as."""
    naive = naive_resize(picture)
    digit, confidence, _ = loaded.classifier.classify_image(naive)
    read_as = int(prediction.probabilities.argmax())
    st.image(fit_square(naive, 224), caption=f"Whole canvas squashed to 28×28: read as {digit} ({confidence:.0%})")
    if digit != read_as:
        # Neutral on purpose: either one may be the right reading (a user's 1 squashed can win).
        st.caption(f"Without cropping and centring, the same drawing is read as {digit}, not {read_as}: the "
                   "preprocessing changed the answer.")
    else:
        st.caption(f"Squashed, it is still read as {digit}; the MNIST-style version is usually read more surely.")


def show_details(picture: np.ndarray, prediction: Prediction, loaded: LoadedModel, key: str) -> None:
    """Under the answer: the 28×28 it classified, its steps and a naive resize when asked, the most alike
    training images, and the inside view."""
    from ui.inside import inside_view  # TensorFlow's explain module: only once there is an answer

    st.subheader("What the model saw")
    naive_on = st.toggle("Compare with a naive resize", key=f"{key}-naive")
    a, b, _ = st.columns([1, 1, 1])
    a.image(fit_square(prediction.steps.image, 224),
            caption=f"The 28×28 it classified (MNIST-style): read as {int(prediction.probabilities.argmax())} "
                    f"({prediction.confidence:.0%})")
    if naive_on:
        with b:
            show_naive(picture, prediction, loaded)
    # A toggle, not an expander: an expander's content is made (4 pictures) on every stroke even when closed.
    if st.toggle("How your drawing became 28×28", key=f"{key}-steps"):
        show_steps(prediction)
    st.subheader("Training images it finds most alike")
    nearest_training_images(prediction.steps.image, loaded, features=prediction.features)
    inside_view(prediction, loaded, key)


def _advice(problem: str, photo: bool) -> str:
    """What to do about a picture the preprocessing refused (``problem``, as in PROBLEM_MESSAGES)."""
    if problem == "filled":
        return "Write the digit in lines, as with a pen." if photo else "Draw the digit's lines, not a shape coloured in."
    return "Take it closer, one digit filling most of the picture." if photo else "Draw a whole digit, bigger."
