"""Disks that misbehave, made by the test itself (as root): a full one and a read-only one.

:func:`full_disk` mounts a 1 MiB tmpfs and fills it; :func:`read_only_disk` bind-mounts a
folder and remounts it read-only. Both unmount when the ``with`` block ends. Tests that need
them skip where the process cannot mount (not root, no mount namespace).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["full_disk", "read_only_disk", "fill", "make_device", "need_root"]


def need_root() -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount(8) to make device nodes and disks")


def _mount(*args: str) -> None:
    res = subprocess.run(["mount", *args], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount here: {res.stderr.strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder: Path) -> None:
    """Write zeros into ``folder`` until its disk is full."""
    fd = os.open(folder / ".filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (1 << 16, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)


@contextlib.contextmanager
def full_disk(where: Path, size: str = "1m"):
    """A mounted tmpfs of ``size`` at ``where``; call :func:`fill` once its files are in place."""
    need_root()
    where.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    try:
        yield where
    finally:
        _umount(where)


@contextlib.contextmanager
def read_only_disk(source: Path, where: Path):
    """``source`` (filled by the caller first) seen read-only at ``where``."""
    need_root()
    where.mkdir(parents=True, exist_ok=True)
    _mount("--bind", str(source), str(where))
    try:
        res = subprocess.run(["mount", "-o", "remount,bind,ro", str(where)],
                             capture_output=True, text=True)
        if res.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {res.stderr.strip()}")
        yield where
    finally:
        _umount(where)


def make_device(path: Path) -> int:
    """A character device like ``/dev/null`` (1, 3) at ``path``; returns its ``st_rdev``."""
    need_root()
    os.mknod(path, 0o666 | 0o020000, os.makedev(1, 3))
    return os.stat(path).st_rdev
