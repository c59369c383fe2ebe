"""The bundle's entry point and spec, without freezing (the freeze itself takes minutes and
gigabytes: packaging/linux/build_bundle.py --check, run by hand; see the README's Install)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def _entry(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(ROOT / "packaging" / "entry.py"), *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_entry_is_the_command_line_and_the_thumbnailer(tmp_path):
    from scene.panorama import RGBDPanorama
    from scene.project import Project, save_project

    res = _entry("--help", cwd=tmp_path)
    assert res.returncode == 0 and "generate" in res.stdout

    project = Project()
    project.add_result(RGBDPanorama(rgb=np.full((32, 64, 3), 77, np.uint8)), kind="imported")
    save_project(tmp_path / "p.panoforge", project)
    res = _entry("--thumbnail", "-s", "32", "p.panoforge", "t.png", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    from PIL import Image

    with Image.open(tmp_path / "t.png") as im:
        assert im.size == (32, 16) and im.getpixel((5, 5)) == (77, 77, 77)

