"""Being written in this session; see the issue."""
import streamlit as st

st.info("This page is being built.")
