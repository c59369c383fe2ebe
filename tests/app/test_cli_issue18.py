"""Issue 18, defect 14: the command line as an artist types it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scene.project import Project, save_project
from scene.testing.analytic import box_room

ROOT = Path(__file__).resolve().parents[2]


def panoforge(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def room_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli18") / "room.panoforge"
    project = Project()
    project.add_result(box_room(128).panorama, kind="imported")
    save_project(path, project)
    return path


def test_negative_vectors_are_values_not_options():
    from app.cli import _attach_negative_vectors

    argv = ["render", "p", "--eye", "-0.18,-0.09,0", "--pitch", "-10", "-o", "x.png"]
    assert _attach_negative_vectors(argv) == ["render", "p", "--eye=-0.18,-0.09,0",
                                              "--pitch", "-10", "-o", "x.png"]


@pytest.mark.gl
def test_render_takes_a_negative_eye_and_an_empty_display_quietly(tmp_path, room_file):
    env = dict(os.environ, DISPLAY="")
    out = tmp_path / "left.png"
    res = panoforge("render", str(room_file), "--eye", "-0.18,-0.09,0", "--size", "64x32",
                    "--supersample", "1", "-o", str(out), env=env)
    assert res.returncode == 0, res.stderr
    centred = tmp_path / "centre.png"
    assert panoforge("render", str(room_file), "--size", "64x32", "--supersample", "1",
                     "-o", str(centred), env=env).returncode == 0
    a = np.asarray(Image.open(out).convert("RGB"), dtype=int)
    b = np.asarray(Image.open(centred).convert("RGB"), dtype=int)
    assert np.abs(a - b).max() > 0  # the eye moved
    talk = res.stdout + res.stderr
    assert "xdpyinfo" not in talk and "DPI" not in talk, talk


def test_export_says_on_the_terminal_when_16_bit_depth_clamps(tmp_path):
    pano = box_room(64).panorama
    far = dataclasses.replace(pano, raw_depth=(pano.raw_depth * 30.0).astype(np.float32))
    assert float(np.nanmax(far.distance)) > 65.535
    path = tmp_path / "far.panoforge"
    project = Project()
    project.add_result(far, kind="imported")
    save_project(path, project)
    res = panoforge("export", str(path), "--images", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    assert "clamped" in res.stderr and "65.535 m" in res.stderr


def test_info_shows_no_steps_for_a_result_made_without_any(room_file):
    res = panoforge("info", str(room_file))
    assert res.returncode == 0, res.stderr
    assert "steps 0" not in res.stdout
