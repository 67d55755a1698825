"""Every form of a picture reaches the same ink map: EXIF-turned phone JPEGs, 16-bit, 32-bit and
float greyscale, 16-bit colour, transparency, CMYK, 1-bit (digitlab.images.read_image)."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from digitlab.images import BadImage, read_image
from digitlab.ink import to_ink
from digitlab.synth.file_forms import DEEP_GREY, ORIENTATIONS, STORED, phone_jpeg, png16, tiff

from digitlab.predict import main as predict_main
from tests.helpers import paper_photo, run_main, stroke_picture

SEVEN = [(0.25, 0.25), (0.75, 0.25), (0.45, 0.85)]
# The turn a viewer makes to show the stored pixels: the inverse of STORED (6 and 8 undo each other,
# the others undo themselves).
VIEWED = {o: STORED[{6: 8, 8: 6}.get(o, o)] for o in STORED}


def paper_seven(height: int = 280, width: int = 360) -> np.ndarray:
    """uint8 RGB (H, W, 3): a dark 7 on light, unevenly lit paper; wider than high, so a turn shows."""
    ink = stroke_picture(SEVEN, size=height)[..., 3].astype(np.float32) / 255
    paper = np.full((height, width), 235, np.float32) - np.linspace(0, 30, width, dtype=np.float32)
    paper[:, :height] = paper[:, :height] * (1 - ink) + 30 * ink
    rgb = np.stack([paper, paper * 0.98, paper * 0.95], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def grey_of(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("L"))


def encoded(picture: np.ndarray | Image.Image, fmt: str = "PNG", **options) -> bytes:
    buf = io.BytesIO()
    (picture if isinstance(picture, Image.Image) else Image.fromarray(picture)).save(buf, format=fmt, **options)
    return buf.getvalue()


# --------------------------------------------------------------------------- EXIF orientation


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_a_phone_jpeg_is_read_as_a_viewer_shows_it(orientation):
    picture = paper_seven()
    data = phone_jpeg(picture, orientation)
    stored = np.asarray(Image.open(io.BytesIO(data)))  # the pixels as the sensor saw them (no turn)
    read = read_image(data)
    # Exactly the stored pixels turned back (numpy's turn, not Pillow's), so upright as it was taken.
    np.testing.assert_array_equal(read, VIEWED[orientation](stored))
    assert read.shape == picture.shape
    assert np.abs(read.astype(int) - picture).mean() < 2  # only JPEG's loss
    assert np.abs(to_ink(read) - to_ink(picture)).mean() < 0.01


def test_a_big_turned_phone_jpeg_is_decoded_reduced_then_turned():
    picture = np.full((1800, 2400), 230, np.uint8)
    picture[:300, :300] = 20  # a dark square top left, as it is seen
    read = read_image(phone_jpeg(picture, 6, quality=70))
    assert read.shape == (900, 1200)  # 1/2 scale (still >= MAX_WORK_SIDE), turned upright
    assert read[:100, :100].mean() < 60 and read[-100:, -100:].mean() > 200


def test_a_108_megapixel_phone_jpeg_is_read_at_an_eighth():
    # Pillow warns past ~89 megapixels when it opens a file; that warning refused this photo
    # before it could be decoded at 1/8 ("not a readable image (DecompressionBombWarning)").
    buf = io.BytesIO()
    Image.new("L", (12000, 9000), 230).save(buf, format="JPEG", quality=30)
    assert read_image(buf.getvalue()).shape == (1125, 1500)


def test_damaged_exif_leaves_the_picture_as_stored():
    picture = paper_seven()
    data = bytearray(phone_jpeg(picture, 6))
    start = data.index(b"Exif\0\0") + 6
    data[start : start + 8] = b"XX\0\0\0\0\0\0"  # the TIFF header inside the EXIF block, broken
    assert read_image(bytes(data)).shape == (picture.shape[1], picture.shape[0], 3)  # not turned


# --------------------------------------------------------------------------- bit depths and modes


def ramp() -> np.ndarray:
    """uint8 (64, 80): every level 0-255, so a scale that is off by any step shows."""
    return (np.arange(64 * 80).reshape(64, 80) % 256).astype(np.uint8)


@pytest.mark.parametrize("form", DEEP_GREY)
def test_deep_greyscale_is_read_as_the_8_bit_picture(form):
    levels = ramp()
    np.testing.assert_array_equal(read_image(DEEP_GREY[form](levels)), levels)
    grey = grey_of(paper_seven())
    np.testing.assert_array_equal(to_ink(read_image(DEEP_GREY[form](grey))), to_ink(grey))


def scaled(levels: np.ndarray, top: int, dtype) -> np.ndarray:
    return np.rint(levels.astype(np.float64) * (top / 255)).astype(dtype)


@pytest.mark.parametrize("name, data", [
    ("16-bit big-endian TIFF", lambda g: tiff(scaled(g, 65535, np.uint16).astype(">u2"), byteorder=">")),
    ("16-bit signed TIFF", lambda g: tiff(scaled(g, 32767, np.int16))),
    ("16-bit TIFF, 0 is white", lambda g: tiff(scaled(255 - g, 65535, np.uint16), photometric="miniswhite")),
    ("float TIFF, 0 to 255", lambda g: tiff(g.astype(np.float32))),
    ("big-endian float TIFF, 0 to 1", lambda g: tiff((g / 255).astype(">f4"), byteorder=">")),
    ("16-bit PNG by Pillow", lambda g: encoded(scaled(g, 65535, np.uint16))),
])
def test_other_deep_greyscale_files(name, data):
    levels = ramp()
    np.testing.assert_array_equal(read_image(data(levels)), levels)


def test_float_greyscale_outside_0_to_1_is_scaled_by_its_own_range_and_nan_is_paper():
    levels = ramp().astype(np.float32) * 4 - 100  # -100 .. 920: no fixed range to go by
    levels[0, :5] = np.nan
    read = read_image(tiff(levels))
    assert read[0, 5:].tolist() == np.rint((levels[0, 5:] + 100) * 255 / 1020).astype(int).tolist()
    assert read[0, :5].tolist() == [255] * 5  # no value: counted as the lightest, paper
    with pytest.raises(BadImage, match="no grey levels"):
        read_image(tiff(np.full((8, 8), np.nan, np.float32)))


def test_a_32_bit_unsigned_tiff_past_2_to_the_31_is_not_wrapped():
    # Pillow holds it as signed 32-bit: 4294967295 (white) came out as -1.
    white = np.full((8, 8), 2**32 - 1, np.uint32)
    assert read_image(tiff(white)).tolist() == np.full((8, 8), 255).tolist()


@pytest.mark.parametrize("name, data, tolerance", [
    ("16-bit RGB PNG", lambda p: png16(scaled(p, 65535, np.uint16)), 1),
    ("16-bit RGBA PNG", lambda p: png16(np.dstack([scaled(p, 65535, np.uint16), np.full(p.shape[:2], 65535, ">u2")])),
     1),
    ("16-bit RGB TIFF", lambda p: tiff(scaled(p, 65535, np.uint16), photometric="rgb"), 1),
    ("8-bit RGB TIFF", lambda p: tiff(p, photometric="rgb"), 0),
])
def test_deep_colour_reaches_the_same_picture(name, data, tolerance):
    picture = paper_seven()
    read = read_image(data(picture))
    assert np.abs(read[..., :3].astype(int) - picture).max() <= tolerance  # Pillow keeps the top 8 bits
    assert np.abs(to_ink(read) - to_ink(picture)).max() < 0.02


def test_transparency_grey_alpha_and_palette_reach_the_canvas_ink_map():
    drawing = stroke_picture(SEVEN)  # RGBA: white ink... on a transparent sheet, the ink in alpha
    black_ink = drawing.copy()
    black_ink[..., :3] = 0
    reference = to_ink(read_image(encoded(black_ink)))
    grey_alpha = np.dstack([black_ink[..., 0], black_ink[..., 3]])  # LA
    assert to_ink(read_image(encoded(grey_alpha))).tolist() == reference.tolist()
    # A palette of black and a transparent colour, as drawing programs save a transparent PNG.
    index = (black_ink[..., 3] > 127).astype(np.uint8)
    palette = Image.frombytes("P", (280, 280), index.tobytes())
    palette.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    buf = io.BytesIO()
    palette.save(buf, format="PNG", transparency=0)
    read = read_image(buf.getvalue())
    assert read.shape == (280, 280, 4)
    assert np.abs(to_ink(read) - (index > 0)).max() == 0  # the opaque colour is the ink, as on the canvas
    assert np.abs(to_ink(read) - reference).mean() < 0.05  # the reference is anti-aliased, this is not


def test_cmyk_jpeg_and_1_bit_png_reach_the_ink_map_of_the_rgb_picture():
    picture = paper_seven()
    rgb = read_image(encoded(picture, "JPEG", quality=95))
    cmyk = read_image(encoded(Image.fromarray(picture).convert("CMYK"), "JPEG", quality=95))
    assert cmyk.shape == picture.shape
    assert np.abs(to_ink(cmyk) - to_ink(rgb)).mean() < 0.01
    black_and_white = grey_of(picture) > 128
    one_bit = read_image(encoded(black_and_white))
    assert one_bit.dtype == np.uint8 and set(np.unique(one_bit)) == {0, 255}
    assert to_ink(one_bit).tolist() == to_ink(black_and_white.astype(np.uint8) * 255).tolist()


# --------------------------------------------------------------------------- plain words


CLASS_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]*)+\b|Error|Exception|Warning|Errno|<.*>")


@pytest.mark.parametrize("data", [
    b"",
    b"hello, not an image",
    b"\x89PNG\r\n\x1a\n" + b"\0" * 40,
    b"II*\0" + b"\0" * 40,
    encoded(np.random.default_rng(0).integers(0, 255, (200, 200), dtype=np.uint8))[:300],  # cut short
    encoded(np.zeros((8, 8, 3), np.uint8), "PPM"),
    tiff(np.zeros((8, 8), np.float64)),  # 64-bit float: Pillow cannot
    tiff(np.full((8, 8), np.nan, np.float32)),
    b"\0" * (10 * 2**20 + 1),
])
def test_every_refusal_is_in_plain_words(data):
    with pytest.raises(BadImage) as refused:
        read_image(data)
    message = str(refused.value)
    assert not CLASS_NAME.search(message), message
    assert len(message) > 10


def test_a_decompression_bomb_is_refused_in_plain_words():
    bomb = io.BytesIO()
    Image.new("1", (15000, 15000)).save(bomb, format="PNG")  # 225 million pixels: Pillow's own refusal
    with pytest.raises(BadImage, match="far bigger than any photo") as refused:
        read_image(bomb.getvalue())
    assert not CLASS_NAME.search(str(refused.value))


# --------------------------------------------------------------------------- the predict CLI


@pytest.mark.mnist
@pytest.mark.trained_model
def test_predict_reads_phone_and_scanner_files_as_the_upright_8_bit_pictures(tmp_path, mnist, capsys):
    rng = np.random.default_rng(0)
    forms: dict[str, list[str]] = {}

    def put(form: str, name: str, data: bytes) -> None:
        (tmp_path / name).write_bytes(data)
        forms.setdefault(form, []).append(str(tmp_path / name))

    for k in range(10):
        picture = paper_photo(mnist.x_test[k], rng)
        grey = grey_of(picture)
        put("upright JPEG", f"{k}.jpg", phone_jpeg(picture, 1))
        put("upright grey PNG", f"{k}-grey.png", encoded(grey))
        for o in ORIENTATIONS:
            put(f"EXIF {o}", f"{k}-exif{o}.jpg", phone_jpeg(picture, o))
        for form, write in DEEP_GREY.items():
            put(form, f"{k}-{form.split(' (')[0].replace(' ', '-')}.{'png' if 'PNG' in form else 'tif'}", write(grey))
    files = [f for paths in forms.values() for f in paths]
    r = run_main(predict_main, *files, capsys=capsys)  # python -m digitlab.predict's main(), in this process
    assert r.returncode == 0, r.stderr
    digit = {row["file"]: row["digit"] for row in map(json.loads, r.stdout.splitlines())}
    upright = {name: [digit[f] for f in forms[name]] for name in ("upright JPEG", "upright grey PNG")}
    for name, answers in upright.items():  # the upright pictures are readable in the first place
        assert sum(a == y for a, y in zip(answers, mnist.y_test[:10].tolist())) >= 8, (name, answers)
    for form, paths in forms.items():
        expected = upright["upright JPEG" if form.startswith(("EXIF", "upright JPEG")) else "upright grey PNG"]
        assert [digit[f] for f in paths] == expected, form
