"""A new server's first visitor sees the app at once: the welcome and the canvas come before the model.

To hold the model's loading open for as long as the test looks, the server's model is a stored
model whose file is a named pipe: loading it waits until the test writes into the pipe (then it
fails, a pipe cannot be read as a zip file, and the app falls back to the shipped model, saying so).
"""

from __future__ import annotations

import json
import os
import shutil
import threading

import pytest

from appdriver import app_env, chromium, exceptions, streamlit_server
from digitlab.store import MODEL_FILE, ModelStore


@pytest.mark.trained_model
@pytest.mark.browser
def test_the_first_page_shows_the_welcome_and_the_canvas_while_the_model_is_still_loading(tmp_path):
    store = ModelStore(tmp_path / "store")
    shipped = store.get("default")
    slow = store.root / "slow"
    shutil.copytree(shipped.path, slow)
    (slow / MODEL_FILE).unlink()
    os.mkfifo(slow / MODEL_FILE)
    (slow / "run.json").write_text(json.dumps({**shipped.info, "started": "2026-12-06T00:00:00"}))
    (store.root / "active.json").write_text(json.dumps({"id": "slow"}))

    def let_it_load() -> None:  # whoever waits on the pipe reads this (and cannot open it as a model)
        try:
            with open(slow / MODEL_FILE, "wb") as pipe:
                pipe.write(b"not a zip file")
        except BrokenPipeError:  # the reader gave up after the first bytes and closed its end first
            pass

    with streamlit_server(app_env(tmp_path)) as url, chromium() as page:
        page.goto(url)
        page.get_by_text("Welcome to Digit Lab", exact=False).first.wait_for(timeout=30_000)
        page.locator("canvas.upper-canvas").first.wait_for(timeout=30_000)
        page.get_by_text("Loading the model", exact=False).first.wait_for(timeout=30_000)
        assert page.get_by_text("Draw a digit, 0 to 9").count() == 0  # no answer area yet: it waits for the model
        threading.Thread(target=let_it_load, daemon=True).start()
        page.get_by_text("Draw a digit, 0 to 9").wait_for(timeout=120_000)
        page.get_by_text("Using the shipped default model instead", exact=False).first.wait_for(timeout=30_000)
        assert not exceptions(page), exceptions(page)
