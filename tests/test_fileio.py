"""digitlab.fileio: every file is written whole or not at all, and a failed write leaves nothing behind."""

import io
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from digitlab import fileio
from digitlab.neighbours import cached_features
from tests.helpers import ROOT


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(fileio.TMP_PREFIX))


def test_each_writer_round_trips(tmp_path):
    fileio.write_json_atomic(tmp_path / "a" / "x.json", {"state": "done", "n": [1, 2]})
    assert fileio.read_json(tmp_path / "a" / "x.json") == {"state": "done", "n": [1, 2]}
    fileio.write_bytes_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    fileio.write_npy_atomic(tmp_path / "c.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    assert np.load(tmp_path / "c.npy").dtype == np.float32
    fileio.write_npz_atomic(tmp_path / "d.npz", compressed=True, x=np.ones(3), y=np.zeros(2))
    with np.load(tmp_path / "d.npz") as z:
        assert sorted(z.files) == ["x", "y"]
    assert oct((tmp_path / "d.npz").stat().st_mode & 0o777) == "0o644"  # data, not a secret
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "a") == []


def test_read_json_gives_the_default_for_a_missing_or_broken_file(tmp_path):
    assert fileio.read_json(tmp_path / "none.json") is None
    (tmp_path / "broken.json").write_text('{"state": "runn')
    assert fileio.read_json(tmp_path / "broken.json", {}) == {}


@pytest.mark.parametrize("write", [
    lambda p: fileio.write_json_atomic(p, {"new": 1}),
    lambda p: fileio.write_bytes_atomic(p, b"new"),
    lambda p: fileio.write_npy_atomic(p, np.ones(3)),
])
def test_a_write_that_fails_keeps_the_old_file_and_leaves_no_temporary_file(write, tmp_path, monkeypatch):
    path = tmp_path / "target"
    path.write_bytes(b"old")

    def disk_full(fd):  # the new bytes are half on disk when the disk fills up
        raise OSError("No space left on device")

    monkeypatch.setattr(fileio.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        write(path)
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_a_process_killed_mid_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "status.json"
    fileio.write_json_atomic(path, {"state": "running"})
    script = (
        "import sys, time\n"
        "from digitlab import fileio\n"
        "def slow(f):\n"
        "    f.write(b'{\"state\": \"do')\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
        "fileio.write_atomic(sys.argv[1], slow)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert fileio.read_json(path) == {"state": "running"}  # the half-written one is a hidden .tmp- file


def test_cached_features_leave_no_temporary_file_when_saving_fails(tmp_path, monkeypatch):
    # Regression: the features cache wrote through its own temporary file and left it behind on failure.
    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "save", disk_full)
    got = cached_features(tmp_path / "features.npy", lambda: np.ones((5, 3), np.float32))
    assert got.shape == (5, 3) and got.dtype == np.float32  # what was computed is not thrown away
    assert list(tmp_path.iterdir()) == []


def _npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, a=np.ones(3))
    return buffer.getvalue()


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "an npz"])
def test_a_damaged_cached_array_is_computed_again_and_replaced(tmp_path, damage):
    path = tmp_path / "features.npy"
    np.save(path, np.full((50, 3), 2, np.float16))
    whole = path.read_bytes()
    path.write_bytes({"empty": b"", "truncated": whole[:100], "garbage": b"\x93NUMPY\x01\x00{'descr': <f2",
                      "an npz": _npz_bytes()}[damage])
    assert fileio.read_npy(path) is None
    got = cached_features(path, lambda: np.ones((5, 3), np.float32))
    assert got.tolist() == np.ones((5, 3)).tolist()
    assert fileio.read_npy(path).shape == (5, 3)
