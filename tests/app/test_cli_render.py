"""`panoforge render` end to end: a saved project in, a PNG with the right wall colours out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scene.project import Project, save_project
from scene.testing.analytic import box_room

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


def test_render_and_stereo_export_draw_the_saved_composition(tmp_path):
    """A version-2 project's layer and props appear in `render` and `export --stereo360`."""
    from tests.renderers.composition_fixtures import UNLIT_COLOUR, composition

    _, scene = composition(256)
    project = Project()
    res = project.add_result(scene.dome, kind="imported", label="room")
    res.layers[:] = list(scene.layers)
    res.props[:] = list(scene.props)
    path = tmp_path / "composition.panoforge"
    save_project(path, project)
    unlit = np.asarray(scene.props[0].transform.translation)
    yaw = f"{np.degrees(np.arctan2(unlit[0], -unlit[2])):.4f}"
    out = tmp_path / "prop.png"
    run = panoforge("render", str(path), "--yaw", yaw, "--size", "41x31", "--supersample", "1",
                    "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert "1 layer(s) and 3 prop(s)" in run.stdout
    # Looking at the prop's centre at its height (pitch 0, the prop 0.1 m up: still inside it).
    assert tuple(centre(out)) == UNLIT_COLOUR
    stereo = tmp_path / "stereo.png"
    run = panoforge("export", str(path), "--stereo360", str(stereo))
    assert run.returncode == 0, run.stderr
    img = np.asarray(Image.open(stereo).convert("RGB"))
    lon = np.arctan2(unlit[0], -unlit[2])
    lat = np.arcsin(unlit[1] / np.linalg.norm(unlit))
    x = int((lon + np.pi) / (2 * np.pi) * 256)
    y = int((np.pi / 2 - lat) / np.pi * 128)
    assert tuple(img[y, x]) == UNLIT_COLOUR and tuple(img[128 + y, x]) == UNLIT_COLOUR
