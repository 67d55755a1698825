"""Session state: the one place that names what each page keeps in ``st.session_state``.

Streamlit keeps a widget's value under its key, but drops it on a run that does
not draw the widget (another page, a hidden form, a closed section): the value
came back reset. :func:`kept` is the one way a widget's value survives that: a
copy under :data:`KEPT`, put back before the widget is drawn.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

KEPT = "kept"  # {widget key: its last value}, for kept()


def kept(key: str, default: Any) -> dict[str, Any]:
    """Keyword arguments for a widget whose value must survive runs that do not draw it:
    ``st.toggle("Label", **kept("my-toggle", False))``. Give the widget no value or index of its own."""
    store = st.session_state.setdefault(KEPT, {})
    if key in st.session_state:
        # Copied on every run that draws it, not only by its on_change: a change that came in while
        # another run was being replaced by a newer one must not be forgotten when the widget is hidden.
        # (Only once set: was_kept() tells what the visitor has set.)
        if key in store or st.session_state[key] != default:
            store[key] = st.session_state[key]
    else:
        st.session_state[key] = store.get(key, default)
    return {"key": key, "on_change": _keep, "args": (key,)}


def _keep(key: str) -> None:
    st.session_state[KEPT][key] = st.session_state[key]


def was_kept(prefix: str) -> bool:
    """Whether the visitor has set a widget whose key starts with ``prefix`` (through :func:`kept`)."""
    return any(k.startswith(prefix) for k in st.session_state.get(KEPT, {}))


class Sidebar:
    MODEL_CHOICE = "model_picked"  # the model this session picked, if it did (ui.resources)
    MODEL_ERROR = "model_picker_error"  # why the server's model could not be changed, until OK
    SIGN_IN = "operator-secret"  # the operator secret's box
    SIGN_IN_REFUSED = "operator-refused"


class Retrain:
    PREFIX = "rt-"  # the form's widget keys: rt-preset, rt-epochs-<preset>, ...
    COMPARE = "rt-compare-id"  # the new model whose comparison dialog is open
    REFUSED = "rt"  # ui.job_panel.refusal's key for the sidebar


class Draw:
    REFUSED = "own-refused"  # why the last save or delete failed
    CANVAS = "canvas"  # the canvas's widget key
    CANVAS_CLEARS = "canvas-clears"  # how many times Clear was pressed: part of the canvas's key
    CANVAS_STALE = "canvas-stale"
    CANVAS_KEPT = "canvas-kept"  # the last drawing the canvas sent (a KeptDrawing), for coming back to the page
    CANVAS_RESTORED = "canvas-restored"  # the KeptDrawing the canvas was given when it was made again


class Dubious:
    SPLIT = "dubious-split"
    METHOD = "dubious-method"
    SELECTED = "dubious-selected"  # (split, index) shown on the right
    FOLLOW = "dubious-follow"  # turn the grid to the page of the image shown, once
    PAGE = "dubious-page"
    JUMP = "dubious-jump"
    MARK_FAILED = "dubious-mark-failed"
    REFUSED = "dubious"  # ui.job_panel.refusal's key for the page's Compute and Retrain buttons


class Classes:
    JOIN_REFUSED = "join-refused"
    CREATE_REFUSED = "create-refused"
    CHOSEN = "class-chosen"
    REFUSED = "class"  # ui.job_panel.refusal's key for Retrain and compare


class Dataset:
    SPLIT = "dataset-split"
    LABEL = "dataset-label"
    INDEX = "dataset-index"
    PAGE = "dataset-page"
    NOTICE = "dataset-notice"  # said once, after a jump the label filter hid
    GOTO = "dataset-goto"  # {"split", "index"}: another page sends the visitor to an image (Misclassified)
    MAP_CHART = "dataset-map-chart"
    MAP_MODEL = "dataset-map-model"
    MAP_VIEW = "dataset-map-view"  # kept apart from the map picker's own key, which changes


class Misclassified:
    MATRIX = "misclassified-cm"
    TRUE = "misclassified-true"
    READ_AS = "misclassified-pred"
    PAGE = "misclassified-page"
    SCROLL = "misclassified-scroll"  # scroll to the images once, after a cell was picked


class Training:
    RUNS = "training-runs"
    GOTO = "training-goto"  # a run id another page sends the visitor to (Dataset)
