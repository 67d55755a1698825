"""Page-wide CSS and scripts the app adds once per run, and scrolling to a place: things
Streamlit has no option for."""

from __future__ import annotations

import json

import streamlit as st

# Streamlit stacks columns below this width (its own breakpoint): a phone held upright.
NARROW_MAX_PX = 640
# Up to this width Streamlit's sidebar opens over the page instead of beside it (its theme's
# "md" breakpoint, 768px, in Streamlit 1.67's frontend).
SIDEBAR_OVER_PAGE_MAX_PX = 768

CSS = f"""
<style>
/* For phones only (class narrow-only): the one-line answer above the canvas (pages/draw.py), where
   the full answer is below the canvas, off-screen; the welcome, whose sidebar starts closed there.
   Wider screens have the full answer beside the canvas and the sidebar open. */
.answer-compact {{ font-size: 1.1rem; min-height: 2.6rem; display: flex; align-items: center; }}
@media (min-width: {NARROW_MAX_PX + 1}px) {{
  div[data-testid="stElementContainer"]:has(.narrow-only),
  .narrow-only {{ display: none; }}
}}
/* The page menu hides behind a bare ">>" when the sidebar is closed (always, on a phone). */
[data-testid="stExpandSidebarButton"]::after {{
  content: "Menu"; font-size: 0.875rem; margin-left: 0.25rem;
}}
[data-testid="stExpandSidebarButton"] {{ width: auto; }}
/* The Draw page's ten probabilities (ui.charts.probability_bars): a bar per digit, its share above,
   the digit below; as tall as the plotly chart it replaced. */
.prob-bars {{ display: flex; align-items: stretch; gap: 0.4rem; height: 200px; padding: 0.5rem 0.2rem 0; }}
.prob-bars > div {{ flex: 1; display: flex; flex-direction: column; justify-content: flex-end; align-items: center; }}
.prob-bars span {{ font-size: 0.75rem; min-height: 1.1rem; opacity: 0.75; }}
.prob-bars i {{ display: block; width: 100%; border-radius: 2px 2px 0 0; }}
.prob-bars b {{ font-weight: 400; font-size: 0.85rem; margin-top: 0.2rem; }}
/* What scroll_into_view brings up stops below Streamlit's header bar, not under it. */
.scroll-target {{ scroll-margin-top: 4.5rem; }}
</style>
"""


# On a touch screen plotly answers the first tap on a chart with its hover label only; the click
# (a cell of the confusion matrix, a thumbnail, a dot on the map) came with the second tap. Its
# click uses the point the last hover found, and a tap has no hover before it: give it one.
FIRST_TAP_CLICKS = """
<script>
(() => {
  if (window.digitlabFirstTap) return;  // once per browser tab
  window.digitlabFirstTap = true;
  document.addEventListener("touchstart", (e) => {
    const drag = e.target.closest && e.target.closest(".js-plotly-plot .nsewdrag");
    if (!drag || e.touches.length !== 1) return;
    const t = e.touches[0];
    drag.dispatchEvent(new MouseEvent("mousemove", {clientX: t.clientX, clientY: t.clientY, bubbles: true}));
  }, {capture: true, passive: true});
})();
</script>
"""


# Where the sidebar opens over the page (a phone), choosing a page in it left it open, over 300 of
# the 390 px, until the user closed it. Streamlit 1.67 closes it itself only when the browser's user
# agent names a phone (ua-parser's device type "mobile"): not on a tablet, a narrow window or a phone
# asking for the desktop site. Close it when a page link is followed, on any screen that narrow, by
# pressing its own close button (so Streamlit's state agrees), unless Streamlit already did.
CLOSE_MENU_ON_PAGE_CHOICE = f"""
<script>
(() => {{
  if (window.digitlabCloseMenu) return;  // once per browser tab
  window.digitlabCloseMenu = true;
  document.addEventListener("click", (e) => {{
    if (!(e.target.closest && e.target.closest("[data-testid=stSidebarNav] a"))) return;
    if (!window.matchMedia("(max-width: {SIDEBAR_OVER_PAGE_MAX_PX}px)").matches) return;
    setTimeout(() => {{  // after Streamlit's own handler: it may have closed it already
      const open = document.querySelector("[data-testid=stSidebar][data-collapsed=false]");
      const close = document.querySelector("[data-testid=stSidebarCollapseButton] button");
      if (open && close) close.click();
    }}, 0);
  }}, {{capture: true}});
}})();
</script>
"""


def page_css() -> None:
    """Add :data:`CSS`, :data:`FIRST_TAP_CLICKS` and :data:`CLOSE_MENU_ON_PAGE_CHOICE` to the
    page (none takes room)."""
    st.html(CSS)
    st.html(FIRST_TAP_CLICKS, unsafe_allow_javascript=True)
    st.html(CLOSE_MENU_ON_PAGE_CHOICE, unsafe_allow_javascript=True)


def scroll_into_view(selector: str) -> None:
    """Scroll the page, once, so that the element ``selector`` comes to the top (give it the
    class ``scroll-target`` to keep it clear of the header). For a result that appears far from
    the click that asked for it. The script is new on every call (a counter), so it runs each time.
    """
    st.session_state["scrolls"] = st.session_state.get("scrolls", 0) + 1
    # The element may be drawn after this script: look for it for up to 2 s.
    st.html(f"""<script>/* {st.session_state['scrolls']} */
      (() => {{ let tries = 0; const go = () => {{
        const el = document.querySelector({json.dumps(selector)});
        if (!el) {{ if (tries++ < 40) setTimeout(go, 50); return; }}
        el.scrollIntoView({{block: "start", behavior: "smooth"}});
      }}; go(); }})();</script>""", unsafe_allow_javascript=True)
