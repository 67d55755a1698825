"""The CLIs on paths that are no picture file (a device, a pipe, a folder, a huge sparse file) and
explain's outputs (two images of one name, --out a file): refused at once, memory bounded, nothing lost.

The CLIs run as subprocesses under a wrapper that reports their peak memory (``RUSAGE_CHILDREN``
of the wrapper: only the CLI) and caps it (``RLIMIT_DATA``, so the code before the fix, which read
/dev/zero until 11 GB, fails here at the cap instead of taking the machine's memory), and kills
them after a timeout, so a hang on a FIFO fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitlab.images import MAX_BYTES
from digitlab.preprocess import preprocess

from tests.helpers import ROOT, run_main, stroke_picture

SEVEN = [(0.25, 0.25), (0.75, 0.25), (0.45, 0.85)]
ONE = [(0.5, 0.1), (0.5, 0.9)]
MEMORY_CAP = 3 * 2**30  # the CLI with TensorFlow and the model peaks near 700 MB here
TIMEOUT = 300  # TensorFlow's start on a busy machine; a hang waits this long, then fails

WRAPPER = """
import json, resource, subprocess, sys
cap, timeout = int(sys.argv[1]), float(sys.argv[2])
def limit():
    resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
try:
    r = subprocess.run(sys.argv[3:], capture_output=True, text=True, preexec_fn=limit, timeout=timeout)
    out = {"code": r.returncode, "stdout": r.stdout, "stderr": r.stderr}
except subprocess.TimeoutExpired:  # run() has killed it
    out = {"code": None, "stdout": "", "stderr": "timed out"}
out["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""


def cli(*args: str) -> dict:
    """Runs ``python *args``: {"code" (None if it timed out), "stdout", "stderr", "peak_mb"}."""
    r = subprocess.run([sys.executable, "-c", WRAPPER, str(MEMORY_CAP), str(TIMEOUT), sys.executable, *args],
                       cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT + 60, env=dict(os.environ))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def rows(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def errors(stderr: str) -> dict[str, str]:
    """The CLI's "error: PATH: why" lines, by path."""
    out = {}
    for line in stderr.splitlines():
        if line.startswith("error: "):
            path, _, why = line.removeprefix("error: ").partition(": ")
            out[path] = why
    return out


def save_png(path: Path, array: np.ndarray) -> str:
    Image.fromarray(array).save(path)
    return str(path)


@pytest.fixture
def bad_paths(tmp_path):
    """{what: path} of paths that are no picture file, each refused with a message saying what it is."""
    fifo = tmp_path / "camera.png"
    os.mkfifo(fifo)  # nobody writes: reading it waits for ever
    sparse = tmp_path / "huge.png"
    with open(sparse, "wb") as f:
        f.truncate(3 * 2**30)  # 3 GB of holes: nothing on disk, 3 GB to read
    folder = tmp_path / "photos.png"
    folder.mkdir()
    return {"device": "/dev/zero", "pipe": str(fifo), "the limit is 10 MB": str(sparse), "folder": str(folder)}


@pytest.mark.trained_model
def test_predict_refuses_devices_pipes_folders_and_huge_files_at_once_in_little_memory(tmp_path, bad_paths):
    good = save_png(tmp_path / "seven.png", stroke_picture(SEVEN))
    baseline = cli("-m", "digitlab.predict", good)
    assert baseline["code"] == 0, baseline["stderr"]
    r = cli("-m", "digitlab.predict", *bad_paths.values(), good)
    assert r["code"] == 1, r["stderr"]  # not a hang (None), not a crash
    assert rows(r["stdout"]) == rows(baseline["stdout"])  # the good file still read, and only it
    said = errors(r["stderr"])
    for what, path in bad_paths.items():
        assert what in said[path], (path, said)
    assert "Traceback" not in r["stderr"]
    # Nothing of the 3 GB file nor of /dev/zero was held: the same peak as reading one small picture
    # (before: 3.85 GB for the sparse file, past 11 GB for /dev/zero).
    assert r["peak_mb"] < baseline["peak_mb"] + 100, (r["peak_mb"], baseline["peak_mb"])


@pytest.mark.trained_model
def test_explain_refuses_them_too_and_writes_nothing_for_them(tmp_path, bad_paths):
    out = tmp_path / "out"
    good = save_png(tmp_path / "seven.png", stroke_picture(SEVEN))
    r = cli("-m", "digitlab.explain", "--out", str(out), *bad_paths.values(), good)
    assert r["code"] == 1, r["stderr"]
    assert [row["file"] for row in rows(r["stdout"])] == [good]
    assert set(errors(r["stderr"])) == set(bad_paths.values())
    assert sorted(p.name for p in out.iterdir()) == ["seven.npz"]
    assert r["peak_mb"] < MEMORY_CAP / 2**20 / 2


def test_a_file_that_grows_past_the_limit_after_it_was_looked_at_is_not_read_past_it(tmp_path, monkeypatch):
    from digitlab import images

    path = tmp_path / "growing.png"
    path.write_bytes(b"\x89PNG" + b"\0" * 100)
    real_stat = os.stat

    def stat_before_it_grew(p, *a, **k):  # the stat sees the small file; then it grows
        st = real_stat(p, *a, **k)
        with open(path, "ab") as f:
            f.truncate(MAX_BYTES + 5000)
        return st

    monkeypatch.setattr(images.os, "stat", stat_before_it_grew)
    with pytest.raises(images.BadImage, match="the file is over 10 MB; the limit is 10 MB"):
        images.read_file(path)


@pytest.mark.trained_model
def test_explain_never_replaces_one_output_with_another(tmp_path, capsys):
    from digitlab.explain.__main__ import main as explain_main

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = save_png(tmp_path / "a" / "x.png", stroke_picture(SEVEN))
    second = save_png(tmp_path / "b" / "x.png", stroke_picture(ONE))
    other = save_png(tmp_path / "b" / "y.png", stroke_picture(ONE))
    out = tmp_path / "out"
    # In this process (the CLI's own main()): what is tested is which file is written, not memory.
    r = run_main(explain_main, "--out", str(out), first, second, other, capsys=capsys)
    assert r.returncode == 1, r.stderr  # as for an unreadable file: reported, the rest explained
    assert [(row["file"], row["npz"]) for row in rows(r.stdout)] == [(first, str(out / "x.npz")),
                                                                     (other, str(out / "y.npz"))]
    why = errors(r.stderr)[second]
    assert first in why and "x.npz" in why  # names the image that has the name
    assert sorted(p.name for p in out.iterdir()) == ["x.npz", "y.npz"]
    with np.load(out / "x.npz") as f:  # still the first image's, not replaced by the second's
        np.testing.assert_array_equal(f["input"].reshape(28, 28), preprocess(stroke_picture(SEVEN)).image)


def test_explain_out_naming_a_file_is_a_clear_error(tmp_path):
    taken = tmp_path / "results.txt"
    taken.write_text("keep me")
    image = save_png(tmp_path / "seven.png", stroke_picture(SEVEN))
    r = subprocess.run([sys.executable, "-m", "digitlab.explain", "--out", str(taken), image], cwd=ROOT,
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 2
    assert "is a file, not a folder" in r.stderr and "Traceback" not in r.stderr
    assert taken.read_text() == "keep me"
