"""Atomic writes: whole or nothing, and ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from scene.atomic import atomic_write_bytes, atomic_writer


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "a.bin"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_failure_midway_keeps_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "a.bin"
    atomic_write_bytes(target, b"good")
    with pytest.raises(RuntimeError), atomic_writer(target) as fh:
        fh.write(b"half")
        raise RuntimeError("crash")
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_new_file_gets_umask_permissions_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "new.bin", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.bin").stat().st_mode) == 0o644


def test_existing_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "kept.bin"
    target.write_bytes(b"x")
    target.chmod(0o640)
    atomic_write_bytes(target, b"y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
