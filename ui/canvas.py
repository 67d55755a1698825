"""The drawing canvas (streamlit-drawable-canvas 0.13) with its Clear button, and two fixes made from the page."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digitlab.ink import canvas_strokes
from ui.state import Draw

# Three changes to the canvas component, made from the page since its code and styles live in
# its shadow root, which page CSS does not reach:
# - Its toolbar waits invisible over the canvas's top-right corner until the pointer hovers
#   the canvas, and a stroke begun under it is lost: a finger cannot hover, and a mouse that
#   comes in fast beats the toolbar's move. Keep it in view above the canvas.
# - Its buttons are bare icons, and some are for editing shapes, which a digit does not need.
#   Keep Undo and Redo, with their names written out; Clear is a Streamlit button under the
#   canvas (it also resets the answer at once); the upload arrow, which sends the drawing, is
#   pressed for the user (next point) and hidden.
# - It sends a drawing 200 ms after the last change, which is most of the time to an answer.
#   When a stroke ends, press its own "send now" button (after its handlers have added the
#   stroke), so the answer comes as soon as the pen lifts.
CANVAS_TWEAKS = """
<script>
(() => {
  if (window.digitlabCanvas) return;  // once per browser tab, however often the page is shown
  const HOSTS = "[data-testid=stBidiComponentIsolated]";
  const css = `
    .dc-toolbar { opacity: 1 !important; top: -2.65rem !important; }
    .dc-icon-button[title="Update the app with this drawing"], .dc-icon-button[title="Edit"],
    .dc-icon-button[title="Reset canvas & history"], .dc-toolbar-separator,
    .dc-toolbar-contextual { display: none !important; }
    .dc-icon-button[title="Undo"], .dc-icon-button[title="Redo"] {
      width: auto !important; padding: 0 .6rem !important; gap: .3rem; display: inline-flex;
      align-items: center; font: inherit; font-size: .875rem; }
    .dc-icon-button[title="Undo"]::after { content: "Undo"; }
    .dc-icon-button[title="Redo"]::after { content: "Redo"; }`;
  const restyle = () => {
    for (const host of document.querySelectorAll(HOSTS)) {
      const root = host.shadowRoot;
      if (root && root.querySelector(".dc-toolbar") && !root.querySelector("style.digitlab-toolbar")) {
        const style = document.createElement("style");
        style.className = "digitlab-toolbar";
        style.textContent = css;
        root.appendChild(style);
      }
    }
  };
  // A page observer does not see inside shadow roots, and the canvas fills its own after
  // mounting: look a few times a second (a querySelectorAll, nothing more).
  restyle();
  window.digitlabCanvas = setInterval(restyle, 250);

  let strokeOn = null;  // the canvas's shadow root while a stroke is drawn on it
  document.addEventListener("pointerdown", (e) => {
    const path = e.composedPath();
    const onCanvas = path.some((n) => n.classList && n.classList.contains("upper-canvas"));
    const host = path.find((n) => n.matches && n.matches(HOSTS));
    strokeOn = onCanvas && host ? host.shadowRoot : null;
  }, true);
  document.addEventListener("pointerup", () => {
    const root = strokeOn;
    strokeOn = null;
    if (!root) return;
    setTimeout(() => {
      const send = root.querySelector('button[title="Update the app with this drawing"]');
      if (send) send.click();
    }, 0);
  }, true);
})();
</script>
"""


def canvas_tweaks() -> None:
    """The script that makes the changes above: once per page run, outside the canvas's fragment, so
    a stroke does not send its 2 KB again."""
    st.html(CANVAS_TWEAKS, unsafe_allow_javascript=True)


@dataclass(frozen=True)
class Drawing:
    """What the canvas holds: an RGBA uint8 (side, side, 4) picture and its number of strokes.

    ``picture`` is the strokes on a transparent sheet (:func:`digitlab.ink.canvas_strokes`: a
    drawing, not a photo); None before the canvas has sent anything and just after Clear.
    ``number`` counts the drawings begun in this session: it changes on Clear.
    """

    picture: np.ndarray | None
    strokes: int
    number: int = 0


@dataclass(frozen=True)
class KeptDrawing:
    """A drawing as the canvas sent it (its fabric.js JSON) and as the app read it, kept in the session
    so that coming back to the page shows it again."""

    json: dict
    picture: np.ndarray
    strokes: int


def drawing_canvas(pen: int, side: int) -> Drawing:
    """White ink on a black ``side``×``side`` canvas, sent to the app as each stroke ends, and a Clear button.

    Clear hands the canvas a new, empty initial drawing (a counter in session state); a new
    widget key would re-create the canvas instead, and a stroke begun while it loads would be
    wiped. Streamlit forgets the canvas when another page runs: the last drawing it sent is kept,
    and a canvas made again starts from it (its initial drawing stays that drawing until Clear, so
    that later runs do not load it again over new strokes).
    """
    clears = st.session_state.setdefault(Draw.CANVAS_CLEARS, 0)
    if Draw.CANVAS not in st.session_state:  # the canvas is made (again): this session's first run of it, or back
        st.session_state[Draw.CANVAS_RESTORED] = st.session_state.get(Draw.CANVAS_KEPT)
    restored: KeptDrawing | None = st.session_state.get(Draw.CANVAS_RESTORED)
    st.space("small")  # room for the toolbar above the canvas
    canvas = st_canvas(
        stroke_width=pen, stroke_color="#FFFFFF", background_color="#000000",
        width=side, height=side, drawing_mode="freedraw",
        initial_drawing={**(restored.json if restored else {"objects": []}), "digitlabClears": clears},
        update_streamlit=True, return_image_data=True, key=Draw.CANVAS,
    )
    if st.button("Clear", key="clear", help="Start a new drawing. Undo, above the canvas, takes back the last stroke."):
        st.session_state[Draw.CANVAS_CLEARS] += 1
        st.session_state[Draw.CANVAS_KEPT] = st.session_state[Draw.CANVAS_RESTORED] = None
        # Until the canvas sends its empty drawing, the one it sent last is stale.
        st.session_state[Draw.CANVAS_STALE] = canvas.json_data
        st.rerun()
    if canvas.json_data is not None and canvas.json_data == st.session_state.get(Draw.CANVAS_STALE):
        return Drawing(None, 0, clears)
    if canvas.image_data is None and restored is not None:  # a canvas made again sends no picture until a stroke
        return Drawing(restored.picture, restored.strokes, clears)
    picture = None if canvas.image_data is None else canvas_strokes(canvas.image_data)
    strokes = len((canvas.json_data or {}).get("objects", []))
    kept = None if picture is None or not strokes else KeptDrawing(canvas.json_data, picture, strokes)
    st.session_state[Draw.CANVAS_KEPT] = kept
    return Drawing(picture, strokes, clears)
