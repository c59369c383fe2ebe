"""The Debian trixie chroot with Monado (tools/xr/chroot.py), shared by the Monado tests."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHROOT_PY = Path(__file__).resolve().parents[3] / "tools" / "xr" / "chroot.py"


def _load_chroot_module():
    spec = importlib.util.spec_from_file_location("panoforge_xr_chroot", CHROOT_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _tail(text: str, n: int = 40) -> str:
    return "\n".join(text.splitlines()[-n:])


@pytest.fixture(scope="session")
def xr_chroot():
    """The built chroot, mounted for this test session (built first when missing)."""
    if os.geteuid() != 0:
        pytest.fail("the Monado integration test needs root (debootstrap, chroot, mount); "
                    "run the suite as root, as CI does")
    mod = _load_chroot_module()
    root = mod.chroot_dir()
    if not mod.is_ready(root):
        res = subprocess.run([sys.executable, str(CHROOT_PY), "build"], capture_output=True,
                             text=True, timeout=1800)
        if res.returncode != 0 or not mod.is_ready(root):
            pytest.fail(f"could not build the trixie chroot with Monado at {root} "
                        f"(exit {res.returncode}):\n{_tail(res.stdout + res.stderr)}")
    with mod.using_chroot(root):
        yield mod, root
