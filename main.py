"""The script every page runs in: the pages and the sidebar they share.

``streamlit run app.py`` serves it (app.py makes the server). Each page is a
file in pages/, and all the work is done by the digitlab library.
"""

import streamlit as st

st.set_page_config(page_title="Digit Lab", page_icon="✏️", layout="wide")

pages = st.navigation(
    [
        st.Page("pages/draw.py", title="Draw", icon="✏️", default=True),
        st.Page("pages/dataset.py", title="Dataset", icon="🗂️"),
        st.Page("pages/dubious.py", title="Dubious labels", icon="🧐"),
        st.Page("pages/misclassified.py", title="Misclassified", icon="❌"),
        st.Page("pages/training.py", title="Training", icon="📈"),
        st.Page("pages/classes.py", title="Classes", icon="🏫"),
    ]
)

from ui import retrain, style  # noqa: E402 - after set_page_config
from ui.sidebar import model_picker, operator_sign_in, welcome  # noqa: E402
from ui.visitor import keep_in_browser  # noqa: E402

style.page_css()
keep_in_browser()
welcome()
model_picker()
retrain.sidebar()
operator_sign_in()
pages.run()
