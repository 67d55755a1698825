"""Draw page logic under Streamlit's AppTest (no browser): the canvas state is injected."""

import base64
import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, read_only, stroke_picture


def canvas_state(rgba: np.ndarray) -> dict:
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


@pytest.fixture
def app():
    at = AppTest.from_file(str(ROOT / "main.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def bars(at) -> list[str]:
    """The probability bars under the answer (ui.charts.probability_bars)."""
    return [h.proto.body for h in at.get("html") if h.proto.body.startswith("<div class=\"prob-bars\"")]


def answers(at) -> list[str]:
    return [m.value for m in at.markdown if "digit-answer" in m.value]


@pytest.mark.trained_model
def test_empty_canvas_shows_the_prompt_and_no_chart(app):
    assert any("Draw a digit, 0 to 9" in i.value for i in app.info)
    assert answers(app) == [] and bars(app) == []


@pytest.mark.trained_model
def test_drawn_seven_is_answered_with_a_chart(app):
    app.session_state["canvas"] = canvas_state(stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]))
    app.run()
    assert not app.exception, app.exception
    assert len(answers(app)) == 1 and ">7<" in answers(app)[0]
    assert len(bars(app)) == 1 and 'data-best="7"' in bars(app)[0]


@pytest.mark.trained_model
def test_clear_shows_the_prompt_before_the_canvas_sends_its_empty_drawing(app):
    seven = canvas_state(stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]))
    app.session_state["canvas"] = seven
    app.run()
    assert len(answers(app)) == 1
    app.button(key="clear").click().run()
    assert not app.exception, app.exception
    assert answers(app) == [] and any("Draw a digit, 0 to 9" in i.value for i in app.info)
    one = canvas_state(stroke_picture([(0.5, 0.1), (0.5, 0.9)]))
    one["drawing"]["raw"]["objects"].append({"type": "path", "n": 2})  # a different drawing than the stale one
    app.session_state["canvas"] = one
    app.run()
    assert len(answers(app)) == 1 and ">1<" in answers(app)[0]


@pytest.mark.trained_model
def test_a_drawing_comes_back_with_its_answer_after_another_page_and_not_after_clear(app):
    app.session_state["canvas"] = canvas_state(stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]))
    app.run()
    assert len(answers(app)) == 1
    app.switch_page("pages/training.py").run()
    assert "canvas" not in app.session_state  # Streamlit forgot the canvas, as a browser's would be
    app.switch_page("pages/draw.py").run()
    assert not app.exception, app.exception
    assert len(answers(app)) == 1 and ">7<" in answers(app)[0]  # the kept drawing, read again
    app.button(key="clear").click().run()
    app.switch_page("pages/training.py").run()
    app.switch_page("pages/draw.py").run()
    assert answers(app) == [] and any("Draw a digit, 0 to 9" in i.value for i in app.info)


@pytest.mark.trained_model
def test_dot_is_not_answered(app):
    app.session_state["canvas"] = canvas_state(stroke_picture([(0.5, 0.5), (0.505, 0.5)], pen=20))
    app.run()
    assert answers(app) == []
    assert any("dot" in w.value for w in app.warning)


@pytest.mark.trained_model
def test_a_shape_coloured_in_is_not_answered_and_the_advice_says_why(app):
    from digitlab.preprocess import PROBLEM_MESSAGES
    from digitlab.synth.filled_shapes import coloured_in

    _, heart = coloured_in(np.random.default_rng(4))  # a heart coloured in over a third of the canvas
    app.session_state["canvas"] = canvas_state(as_the_canvas_sends(heart))
    app.run()
    assert not app.exception, app.exception
    assert answers(app) == []
    assert [w.value for w in app.warning if PROBLEM_MESSAGES["filled"] in w.value and "not a shape coloured in" in w.value]


@pytest.mark.trained_model
def test_sidebar_lists_the_shipped_model(app):
    picker = app.sidebar.selectbox(key="model_picker-default")
    assert picker.value == "default"
    assert any("test accuracy" in c.value for c in app.sidebar.caption)



@pytest.mark.trained_model
def test_the_label_box_follows_each_new_answer_until_changed_by_hand(app):
    seven = [(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]
    app.session_state["canvas"] = canvas_state(stroke_picture([(0.5, 0.1), (0.5, 0.9)]))
    app.run()
    assert app.selectbox(key="draw-label").value == 1
    second = canvas_state(stroke_picture(seven))
    second["drawing"]["raw"]["objects"].append({"type": "path", "n": 2})
    app.session_state["canvas"] = second
    app.run()
    assert ">7<" in answers(app)[0] and app.selectbox(key="draw-label").value == 7  # not the first stroke's 1
    app.selectbox(key="draw-label").set_value(9).run()
    third = canvas_state(stroke_picture([(0.5, 0.1), (0.5, 0.9)]))
    third["drawing"]["raw"]["objects"].extend([{"type": "path", "n": 2}, {"type": "path", "n": 3}])
    app.session_state["canvas"] = third
    app.run()
    assert app.selectbox(key="draw-label").value == 9  # the user's choice outlives a new stroke
    app.button(key="draw-save").click().run()
    assert not app.exception, app.exception
    from digitlab.db import drawings
    assert drawings.load(app.session_state["visitor_id"]).labels.tolist() == [9]
    app.button(key="clear").click().run()
    app.session_state["canvas"] = canvas_state(stroke_picture(seven))
    app.run()
    assert app.selectbox(key="draw-label").value == 7  # a new drawing: the box follows the model again


@pytest.mark.trained_model
def test_the_naive_resize_is_shown_beside_the_mnist_style_one_and_said_neutrally(app):
    app.session_state["canvas"] = canvas_state(stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]))
    app.run()
    app.toggle(key="draw-naive").set_value(True).run()
    assert not app.exception, app.exception
    captions = [c for image in app.get("image") for c in image.captions]
    assert any(c.startswith("The 28×28 it classified (MNIST-style): read as 7") for c in captions)
    assert any(c.startswith("Whole canvas squashed to 28×28: read as") for c in captions)
    assert not any("reads something else" in c.value for c in app.caption)


@pytest.mark.trained_model
def test_saving_counts_the_drawing_and_a_burst_of_saves_is_stopped_with_a_message(app):
    from digitlab.db import drawings

    app.session_state["canvas"] = canvas_state(stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]))
    app.run()
    app.button(key="draw-save").click().run()
    assert any("You have saved 1 digit<" in m.value for m in app.markdown if "own-count" in m.value)
    assert app.button(key="draw-saved-button").disabled  # the same drawing is not saved twice
    assert "draw-save" not in [b.key for b in app.button]
    for i in range(drawings.MAX_SAVES_PER_MINUTE):  # a burst of drawings, each saved at once
        app.session_state["canvas"] = canvas_state(stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.3 + 0.03 * i, 0.9)]))
        app.run()
        app.button(key="draw-save").click().run()
    assert not app.exception, app.exception
    assert any("in the last minute" in w.value for w in app.warning)
    assert drawings.count(app.session_state["visitor_id"]) == drawings.MAX_SAVES_PER_MINUTE


@pytest.mark.trained_model
def test_a_visitor_deletes_their_last_drawing_then_all_after_saying_yes(app):
    from digitlab.db import drawings

    for i in range(3):
        app.session_state["canvas"] = canvas_state(stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.35 + 0.1 * i, 0.9)]))
        app.run()
        app.button(key="draw-save").click().run()
    me = app.session_state["visitor_id"]
    assert drawings.count(me) == 3
    app.button(key="draw-delete-last").click().run()
    assert drawings.count(me) == 2
    assert not app.button(key="draw-save").disabled  # the drawing just deleted may be saved again
    assert "draw-saved-button" not in [b.key for b in app.button]
    assert app.button(key="draw-delete-all").disabled  # not before "yes"
    app.checkbox(key="draw-delete-sure").check().run()
    app.button(key="draw-delete-all").click().run()
    assert not app.exception, app.exception
    assert drawings.count(me) == 0 and not any("own-count" in m.value for m in app.markdown)
    app.session_state["canvas"] = canvas_state(stroke_picture([(0.2, 0.3), (0.8, 0.2), (0.5, 0.9)]))
    app.run()
    app.button(key="draw-save").click().run()
    assert not app.checkbox(key="draw-delete-sure").value  # "all" is asked again next time


@pytest.mark.trained_model
def test_a_database_that_stops_taking_writes_is_a_message_and_the_page_goes_on(app):
    from digitlab import db, paths
    from digitlab.db import drawings

    app.session_state["canvas"] = canvas_state(stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]))
    app.run()
    app.button(key="draw-save").click().run()
    app.session_state["canvas"] = canvas_state(stroke_picture([(0.2, 0.3), (0.8, 0.2), (0.5, 0.9)]))
    app.run()
    with read_only(paths.user_data_dir()):  # the SQLite file in it can no longer be written
        db.engine().dispose()  # the next connection opens it as it is now
        try:
            app.button(key="draw-save").click().run()
        finally:
            db.engine().dispose()  # nothing left open in the folder, so it can be mounted back
        assert not app.exception, app.exception
        assert any("Saving the drawing failed" in w.value for w in app.warning), [w.value for w in app.warning]
        assert any("digit-answer" in m.value for m in app.markdown)  # still answering
    assert drawings.count(app.session_state["visitor_id"]) == 1


def as_the_canvas_sends(sheet: np.ndarray) -> np.ndarray:
    """Strokes on a transparent sheet (uint8 RGBA, ink in alpha) as streamlit-drawable-canvas sends
    them: white strokes painted on its black background, opaque everywhere (checked in Chromium)."""
    out = np.zeros_like(sheet)
    out[..., :3] = sheet[..., 3:4]
    out[..., 3] = 255
    return out


def compact_answer(at) -> str:
    return next(m.value for m in at.markdown if "answer-compact" in m.value)


def big_letter_a() -> np.ndarray:
    from digitlab.synth.non_digits import LETTERS
    from digitlab.synth.stroke_digits import render

    return as_the_canvas_sends(render(LETTERS["A"], canvas=300, box=(0.03, 0.03, 0.94), pen=18))


@pytest.mark.trained_model
def test_a_canvas_drawing_shows_only_the_steps_a_drawing_goes_through(app):
    app.session_state["canvas"] = canvas_state(as_the_canvas_sends(stroke_picture([(0.2, 0.2), (0.8, 0.2),
                                                                                    (0.45, 0.9)], size=300)))
    app.run()
    app.toggle(key="draw-steps").set_value(True).run()
    assert not app.exception, app.exception
    captions = [c for image in app.get("image") for c in image.captions]
    assert any(c.startswith("1. Find the ink's bounding box") for c in captions)
    assert not any(c.startswith("0.") for c in captions), captions  # a photo's paper step: not a drawing's


@pytest.mark.trained_model
def test_a_drawing_the_model_refuses_is_said_so_on_a_phone_and_can_be_saved_with_a_picked_label(app):
    from digitlab.db import drawings

    app.session_state["canvas"] = canvas_state(big_letter_a())
    app.run()
    assert any('data-reason="model"' in m.value for m in app.markdown)  # the model saw no digit in it
    assert "That is not a digit, I think." in compact_answer(app)
    assert "bigger" not in compact_answer(app)  # it fills the canvas
    box = app.selectbox(key="draw-label")
    assert box.value is None  # no digit offered: the user says which
    assert app.button(key="draw-save").disabled
    box.set_value(4).run()
    app.button(key="draw-save").click().run()
    assert not app.exception, app.exception
    assert drawings.load(app.session_state["visitor_id"]).labels.tolist() == [4]
    assert any("You have saved 1 digit<" in m.value for m in app.markdown if "own-count" in m.value)
    assert app.button(key="draw-saved-button").disabled


@pytest.mark.trained_model
def test_a_drawing_the_preprocessing_refuses_says_its_reason_and_can_be_saved_but_no_ink_cannot(app):
    from digitlab.db import drawings
    from digitlab.preprocess import PROBLEM_MESSAGES

    app.session_state["canvas"] = canvas_state(as_the_canvas_sends(stroke_picture([(0.5, 0.5), (0.505, 0.5)],
                                                                                  size=300, pen=20)))
    app.run()
    assert PROBLEM_MESSAGES["dot"] in compact_answer(app)
    assert app.selectbox(key="draw-label").value is None
    app.selectbox(key="draw-label").set_value(1).run()
    app.button(key="draw-save").click().run()
    assert not app.exception, app.exception
    mine = drawings.load(app.session_state["visitor_id"])
    assert mine.labels.tolist() == [1] and mine.images[0].max() > 0  # the dot, made 28×28 all the same
    app.button(key="clear").click().run()
    assert "draw-label" not in [s.key for s in app.selectbox]  # an empty canvas has nothing to save


@pytest.mark.trained_model
def test_the_download_says_what_it_is_in_plain_words(app):
    app.session_state["canvas"] = canvas_state(stroke_picture([(0.2, 0.2), (0.8, 0.2), (0.45, 0.9)]))
    app.run()
    app.button(key="draw-save").click().run()
    download = next(e for e in app.get("download_button"))
    assert download.proto.label == "Download them"
    assert "28×28" in download.proto.help and "label" in download.proto.help
