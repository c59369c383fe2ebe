"""The rules every writer follows (scene.output_paths through scene.atomic)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from scene.atomic import TEMP_MARK, atomic_write_bytes, remove_stale_temp_files
from scene.output_paths import FOLDER_LISTENERS, OutputError, check_output_file, make_folder


def test_a_device_node_is_never_replaced(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mknod needs root")
    dev = tmp_path / "null"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    with pytest.raises(OutputError, match="is a device"):
        atomic_write_bytes(dev, b"x")
    st = os.lstat(dev)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert sorted(os.listdir(tmp_path)) == ["null"]  # no temporary file made either


def test_a_fifo_socket_or_folder_is_refused(tmp_path):
    import socket

    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "dir").mkdir()
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        for name, phrase in (("pipe", "FIFO"), ("dir", "is a folder"), ("sock", "socket")):
            with pytest.raises(OutputError, match=phrase):
                atomic_write_bytes(tmp_path / name, b"x")
    finally:
        sock.close()
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)


def test_a_symlink_is_followed_and_stays_a_link(tmp_path):
    real = tmp_path / "real" / "a.glb"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "a.glb"
    link.symlink_to(real)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    dev_link = tmp_path / "b.glb"
    dev_link.symlink_to("/dev/null")
    with pytest.raises(OutputError, match="points to /dev/null"):
        atomic_write_bytes(dev_link, b"x")
    assert dev_link.is_symlink()


def test_a_file_where_a_folder_should_be(tmp_path):
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output_file(tmp_path / "f" / "sub" / "x.glb")
    with pytest.raises(OutputError, match="/dev/full is a device, not a folder"):
        make_folder("/dev/full/sub")


def test_made_folders_are_announced(tmp_path):
    made = []
    FOLDER_LISTENERS.append(made.append)
    try:
        atomic_write_bytes(tmp_path / "a" / "b" / "c.bin", b"x")
        atomic_write_bytes(tmp_path / "a" / "b" / "d.bin", b"x")
    finally:
        FOLDER_LISTENERS.remove(made.append)
    assert made == [tmp_path / "a", tmp_path / "a" / "b"]


def test_temp_files_are_named_and_a_killed_writers_are_removed(tmp_path):
    # A writer killed with SIGKILL mid-write leaves its temporary file behind.
    code = ("import sys, os, signal; from scene.atomic import atomic_writer\n"
            "with atomic_writer(sys.argv[1]) as fh:\n"
            "    fh.write(b'x' * 1000); fh.flush(); os.kill(os.getpid(), signal.SIGKILL)\n")
    target = tmp_path / "scene.glb"
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    res = subprocess.run([sys.executable, "-c", code, str(target)], env=env)
    assert res.returncode == -9
    left = [p for p in os.listdir(tmp_path)]
    assert len(left) == 1 and left[0].startswith(".scene.glb" + TEMP_MARK), left
    # Someone else's hidden file and a live process's temp file are kept.
    (tmp_path / ".notes.txt").write_bytes(b"mine")
    live = tmp_path / f".other.glb{TEMP_MARK}{os.getppid()}-abc"
    live.write_bytes(b"busy")
    os.utime(live, (time.time() + 5, time.time() + 5))
    atomic_write_bytes(tmp_path / "other.bin", b"y")  # the next write to that folder
    assert sorted(os.listdir(tmp_path)) == sorted([".notes.txt", live.name, "other.bin"])


def test_stale_temp_from_a_reused_process_id_is_removed(tmp_path):
    # pid 1 is alive, but started before the file was written: a leftover, not its file.
    # (A file written before the process started cannot be that process's.)
    old = tmp_path / f".x.glb{TEMP_MARK}1-abc"
    old.write_bytes(b"x")
    os.utime(old, (1_000_000, 1_000_000))
    assert remove_stale_temp_files(tmp_path) == [old]
