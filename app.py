"""Digit Lab: learn how a neural network reads handwriting.

    streamlit run app.py

This file makes the server: Streamlit's own (``st.App``), running main.py (the
pages and the sidebar they share) for every visitor, with what a plain script
cannot do (ui/server.py): the visitor cookie set by the server itself, signed
and out of reach of the page's scripts, and the model loaded as the server
starts, before the first visitor asks.
"""

import streamlit as st

from ui.server import lifespan, middleware

app = st.App("main.py", middleware=middleware(), lifespan=lifespan)
