"""The app's words that more than one place shows, or that a reader may want to change in one place:
the welcome, the page guide, what training is, the Draw page's prompts."""

from __future__ import annotations

WELCOME_WORDS = "draw a digit and see how a neural network reads it, and why."
WELCOME = f"**Welcome to Digit Lab**: {WELCOME_WORDS}"

# (page title as in app.py, what it is for); the menu above lists the same pages.
PAGE_GUIDE = (
    ("Draw", "draw a digit; the answer, the steps to 28×28, a look inside the network"),
    ("Dataset", "MNIST's 70,000 digits, and a map where alike digits sit together"),
    ("Dubious labels", "training digits whose label is probably wrong"),
    ("Misclassified", "the test digits the model gets wrong, and which it confuses"),
    ("Training", "how each stored model learned, epoch by epoch"),
    ("Classes", "for a teacher: a class's own digits, how the model reads them, retraining with them"),
)

TRAINING_IN_WORDS = (
    "Training shows the network the 60,000 MNIST training digits again and again, nudging its "
    "weights after each small batch so that its answers match the labels. A new model joins the "
    "list above; it becomes active only if you say so. For a first look, pick a *seed…* preset "
    "and a quick try: done in under a minute."
)

PROMPT = "Draw a digit, 0 to 9, on the black square. The answer appears as soon as you lift the pen."
NO_INK_IN_PHOTO = ("No ink found in this photo. A dark digit on light paper, filling a good part of the "
                   "picture, reads best.")
