"""Digit Lab: MNIST data, MNIST-style preprocessing, models, training and analyses.

This package never imports Streamlit, so everything in it runs under plain
pytest, in scripts and from the command line.
"""

import os

# TensorFlow's C++ start-up chatter would drown the CLIs' output; a user who
# wants it can still set the variable.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
