"""The Draw page's upload: the file box with its limit in words, and the photo shown big enough to see."""

from __future__ import annotations

import numpy as np
import streamlit as st

from digitlab.images import MAX_BYTES
from digitlab.pictures import for_showing

MAX_MB = MAX_BYTES // 2**20  # Streamlit's own server.maxUploadSize (.streamlit/config.toml) is the same
# What read_image reads: a scanner's TIFF too. The browser's file chooser offers these only.
TYPES = ["png", "jpg", "jpeg", "tif", "tiff", "webp", "bmp", "gif"]
LABEL = f"A photo or scan of one handwritten digit (PNG, JPEG or TIFF, up to {MAX_MB} MB)"
TOO_BIG = (f"A file over {MAX_MB} MB is refused as it arrives (a red mark on it, and its reason under it): "
           "send a smaller copy, for example a phone's *medium* size or a screenshot of the digit.")

# Streamlit refuses a file over server.maxUploadSize in the browser, and the script never hears of
# it; its words ("File must be 10.0MB or smaller.") sit in the file's chip, clipped to 1 pixel and
# shown only on hover, so a phone, which has no hover, showed a red icon and nothing else. Here the
# chip's message is unclipped, under the file's name, in the error colour (for any refusal of the
# chip: too big, or a type not offered).
REFUSAL_CSS = """<style>
[data-testid="stFileChip"]:has([role="alert"]) { flex-wrap: wrap; height: auto; }
[data-testid="stFileChip"] [role="alert"] {
  position: static; clip: auto; width: auto; height: auto; overflow: visible; white-space: normal;
  flex-basis: 100%; margin-top: 0.15rem; font-size: 0.8rem; color: rgb(200, 30, 30);
}
</style>"""


def photo_uploader():
    """The upload box; the uploaded file (Streamlit's UploadedFile) or None."""
    st.html(REFUSAL_CSS)
    upload = st.file_uploader(LABEL, type=TYPES, key="upload")
    st.caption(TOO_BIG)
    return upload


def show_photo(photo: np.ndarray, name: str) -> None:
    """The uploaded picture as read (upright, 8 bits), stretched to the column if it is a photo;
    a small one enlarged with sharp pixels and framed, its real size said."""
    shown, scale = for_showing(photo)
    if scale == 1:
        st.image(shown, caption=name, width="stretch")
    else:
        h, w = photo.shape[:2]
        st.image(shown, caption=f"{name}: {w}×{h} pixels, shown {scale} times bigger", width="content")
