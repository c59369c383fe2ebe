"""`panoforge render` end to end: a saved project in, a PNG with the right wall colours out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scene.analytic import box_room
from scene.project import Project, save_project

pytestmark = pytest.mark.gl

ROOT = Path(__file__).resolve().parents[2]


def panoforge(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def room():
    return box_room(256)


@pytest.fixture(scope="module")
def project_file(tmp_path_factory, room):
    path = tmp_path_factory.mktemp("render") / "room.panoforge"
    project = Project()
    project.add_result(room.panorama, kind="imported", label="box room")
    # A second result (the room with no pillar) so --result has something to choose.
    empty = box_room(256, pillar=None)
    project.add_result(empty.panorama, kind="imported", label="empty room")
    project.set_active("r1")
    save_project(path, project)
    return path


def centre(path: Path) -> np.ndarray:
    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return img[img.shape[0] // 2, img.shape[1] // 2]


def test_render_writes_the_view_in_the_requested_direction(tmp_path, project_file, room):
    out = tmp_path / "right.png"
    res = panoforge("render", str(project_file), "--yaw", "90", "--size", "80x48",
                    "--supersample", "1", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert Image.open(out).size == (80, 48)
    assert np.abs(centre(out) - room.colours["wall_right"]).max() <= 3
    assert "wrote" in res.stdout and "triangles" in res.stdout


def test_render_result_pitch_mode_and_mesh_options(tmp_path, project_file, room):
    pillar_yaw = f"{np.degrees(np.arctan2(1.0, 1.8)):.3f}"
    # The active result has the pillar; r2 does not, so the back of the room shows through.
    out = tmp_path / "a.png"
    assert panoforge("render", str(project_file), "--yaw", pillar_yaw, "--size", "40x30",
                     "-o", str(out)).returncode == 0
    assert np.abs(centre(out) - room.colours["pillar"]).max() <= 3
    out2 = tmp_path / "b.png"
    res = panoforge("render", str(project_file), "--result", "r2", "--yaw", pillar_yaw,
                    "--size", "40x30", "--mesh", "adaptive", "--cut-threshold", "inf",
                    "-o", str(out2))
    assert res.returncode == 0, res.stderr
    assert np.abs(centre(out2) - room.colours["wall_front"]).max() <= 3
    out3 = tmp_path / "floor.jpg"
    assert panoforge("render", str(project_file), "--pitch", "-90", "--size", "40x30",
                     "-o", str(out3)).returncode == 0
    assert np.abs(centre(out3) - room.colours["floor"]).max() <= 8  # JPEG
    out4 = tmp_path / "depth.png"
    assert panoforge("render", str(project_file), "--mode", "depth", "--size", "40x30",
                     "-o", str(out4)).returncode == 0
    assert np.abs(centre(out4) - centre(out)).max() > 30  # not the textured colours


@pytest.mark.parametrize("args, message", [
    (["--size", "0x10"], "render size"),
    (["--fov", "200"], "field of view"),
    (["--result", "r9"], "no result"),
    (["--supersample", "7"], "supersample"),
])
def test_bad_options_exit_2_with_a_message(tmp_path, project_file, args, message):
    res = panoforge("render", str(project_file), *args, "-o", str(tmp_path / "x.png"))
    assert res.returncode == 2, res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x.png").exists()


def test_bad_output_name_and_missing_project(tmp_path, project_file):
    res = panoforge("render", str(project_file), "-o", str(tmp_path / "x.bmp"))
    assert res.returncode == 2 and "png" in res.stderr
    res = panoforge("render", str(tmp_path / "nope.panoforge"), "-o", str(tmp_path / "x.png"))
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_no_opengl_exits_2_and_says_what_to_install(tmp_path, project_file):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PANOFORGE_GL"] = "glfw"  # a windowed backend with no display cannot start
    res = panoforge("render", str(project_file), "-o", str(tmp_path / "x.png"), env=env)
    assert res.returncode == 2
    assert "OpenGL" in res.stderr and "xvfb-run" in res.stderr and "apt-get install" in res.stderr
    assert "Traceback" not in res.stderr
