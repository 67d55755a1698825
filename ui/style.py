"""Page-wide CSS the app adds once per run: things Streamlit has no option for."""

from __future__ import annotations

import streamlit as st

# Streamlit stacks columns below this width (its own breakpoint): a phone held upright.
NARROW_MAX_PX = 640

CSS = f"""
<style>
/* The one-line answer above the canvas (pages/draw.py) is for phones, where the full answer is
   below the canvas, off-screen; wider screens have the full answer beside the canvas. */
.answer-compact {{ font-size: 1.1rem; min-height: 2.6rem; display: flex; align-items: center; }}
@media (min-width: {NARROW_MAX_PX + 1}px) {{
  div[data-testid="stElementContainer"]:has(.answer-compact),
  .answer-compact {{ display: none; }}
}}
/* The page menu hides behind a bare ">>" when the sidebar is closed (always, on a phone). */
[data-testid="stExpandSidebarButton"]::after {{
  content: "Menu"; font-size: 0.875rem; margin-left: 0.25rem;
}}
[data-testid="stExpandSidebarButton"] {{ width: auto; }}
</style>
"""


def page_css() -> None:
    """Add :data:`CSS` to the page (an ``st.html`` of styles only takes no room)."""
    st.html(CSS)
