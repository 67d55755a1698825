"""Small library pieces: checked image files, the own-digits export, nearest neighbours, pictures."""

import io

import numpy as np
import pytest
from PIL import Image

from digitlab.db.drawings import to_npz_bytes
from digitlab.images import MAX_BYTES, BadImage, read_image
from digitlab.neighbours import cached_features, nearest, unit_rows
from digitlab.pictures import FRAME_GREY, enlarge, fit_square, for_showing, outline_box, sheet


def png_bytes(array, fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt)
    return buf.getvalue()


def test_png_and_jpeg_are_read():
    grey = np.zeros((40, 30), np.uint8)
    assert read_image(png_bytes(grey)).shape == (40, 30)
    assert read_image(png_bytes(np.zeros((20, 20, 3), np.uint8), "JPEG")).shape == (20, 20, 3)


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"hello, not an image", "not a picture"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "PNG file of a kind not read here, or damaged"),
])
def test_bad_bytes_are_refused_with_a_reason(data, message):
    with pytest.raises(BadImage, match=message):
        read_image(data)


def test_truncated_png_is_refused():
    with pytest.raises(BadImage):
        read_image(png_bytes(np.random.default_rng(0).integers(0, 255, (200, 200), dtype=np.uint8))[:300])


def test_oversized_file_is_refused_before_decoding():
    with pytest.raises(BadImage, match="limit is"):
        read_image(b"\0" * (MAX_BYTES + 1))


def test_decompression_bomb_is_refused():
    # A 1-bit 12000x12000 PNG: a few KB on disk, 144 million pixels when decoded.
    bomb = Image.new("1", (12000, 12000))
    buf = io.BytesIO()
    bomb.save(buf, format="PNG")
    assert len(buf.getvalue()) < MAX_BYTES
    with pytest.raises(BadImage):
        read_image(buf.getvalue())


def test_own_digits_export_in_mnists_layout():
    images = np.zeros((2, 28, 28), np.uint8)
    images[1, 5:20, 10:14] = 255
    labels = np.array([1, 7], np.uint8)
    with np.load(io.BytesIO(to_npz_bytes(images, labels))) as z:
        assert z["x"].dtype == np.uint8 and z["x"].shape == (2, 28, 28) and list(z["y"]) == [1, 7]
        assert (z["x"] == images).all()


def test_nearest_ranks_by_cosine_and_can_exclude_itself():
    features = unit_rows(np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]], np.float32))
    assert list(nearest(np.array([1.0, 0.0]), features, k=2)) == [0, 1]
    assert list(nearest(np.array([1.0, 0.0]), features, k=2, exclude=0)) == [1, 2]


def test_features_are_computed_once_and_cached(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return np.ones((5, 3), np.float32)

    path = tmp_path / "f" / "x.npy"
    a, b = cached_features(path, compute), cached_features(path, compute)
    assert len(calls) == 1 and np.array_equal(a, b) and path.exists()


def test_pictures_are_enlarged_without_blur():
    img = np.array([[0, 255], [255, 0]], np.uint8)
    big = enlarge(img, 3)
    assert big.shape == (6, 6) and set(np.unique(big)) == {0, 255}
    assert fit_square(np.ones((28, 28), np.float32), 100).shape == (100, 100)
    assert sheet(np.zeros((5, 28, 28), np.uint8), columns=3, scale=1).shape == (2 * 30 + 2, 3 * 30 + 2)
    boxed = outline_box(np.zeros((50, 50), np.float32), (10, 10, 30, 30))
    assert boxed.shape == (50, 50, 3) and boxed[9, 15].tolist() == [255, 140, 0]


def test_a_picture_bigger_than_its_square_is_shrunk_whole_not_cut():
    # A photo's cut-out digit, 300 rows high: the square showed its top-left 224x224 only.
    cut_out = np.zeros((300, 200), np.uint8)
    cut_out[270:300, 160:200] = 255  # ink in the bottom-right corner
    shown = fit_square(cut_out, 224)
    assert shown.shape == (224, 224) and shown.max() == 255
    rows, cols = np.nonzero(shown)
    assert rows.max() == 223 and rows.min() >= 200  # at the bottom, as in the picture
    width = round(200 * 224 / 300)  # the picture shrunk, centred
    assert cols.max() == (224 - width) // 2 + width - 1  # at its right edge
    ink = 255 * 30 * 40 * (224 / 300) ** 2  # the corner's ink, shrunk by the same factor both ways
    assert abs(int(shown.astype(int).sum()) - ink) < 0.05 * ink


def test_small_pictures_are_shown_enlarged_with_sharp_pixels_in_a_frame():
    dot, scale = for_showing(np.zeros((1, 1, 4), np.uint8))  # a transparent 1x1 PNG
    assert scale == 224 and dot.shape == (228, 228, 4)
    assert (dot[2:-2, 2:-2] == 0).all()  # the pixel, 224x224, still transparent
    assert (dot[:2, :, :3] == FRAME_GREY).all() and (dot[:2, :, 3] == 255).all()  # an opaque grey frame
    digit = np.random.default_rng(0).integers(0, 256, (28, 20), dtype=np.uint8)
    shown, scale = for_showing(digit)
    assert scale == 8 and (shown[2:-2, 2:-2] == enlarge(digit, 8)).all()  # nearest neighbour, nothing blurred
    photo = np.zeros((300, 400, 3), np.uint8)
    shown, scale = for_showing(photo)
    assert scale == 1 and shown is photo
