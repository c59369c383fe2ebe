"""A panorama's GPano initial heading is where the viewer starts (issue 13).

The import records ``extra["gpano"]["initial_view_lon_deg"]``; the window's inside view and
``panoforge render``'s default view (no ``--yaw``) face it, and Recentre goes back there.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scene.gpano import initial_view_yaw_deg
from scene.project import Project, save_project
from scene.testing.analytic import box_room
from tests.app.conftest import wait_mesh

pytestmark = pytest.mark.gl

ROOT = Path(__file__).resolve().parents[2]
#: The heading the test panorama asks for: the right wall (east, +X).
HEADING = 90.0


def _with_heading(pano, lon_deg: float = HEADING):
    gpano = {"initial_view_heading_deg": lon_deg, "initial_view_lon_deg": lon_deg}
    return pano.with_metadata(replace(pano.metadata, extra={**pano.metadata.extra,
                                                             "gpano": gpano}))


def test_the_recorded_heading_is_the_initial_yaw():
    pano = box_room(64).panorama
    assert initial_view_yaw_deg(pano) is None
    assert initial_view_yaw_deg(_with_heading(pano, -30.0)) == -30.0


def test_the_window_starts_facing_the_recorded_heading(make_window, qtbot):
    w = make_window()
    w.doc.add_result(_with_heading(box_room(128).panorama), kind="imported")
    wait_mesh(qtbot, w)
    cam = w.viewport.inside_camera
    assert cam.state.yaw_deg == pytest.approx(HEADING)
    cam.set_view(yaw_deg=-45.0)
    w.viewport.recentre()  # Recentre goes back to the heading, not the panorama centre
    assert cam.state.yaw_deg == pytest.approx(HEADING)
    # A result without a heading recentres on the panorama centre again.
    w.doc.add_result(box_room(128, pillar=None).panorama, kind="imported")
    wait_mesh(qtbot, w)
    w.viewport.recentre()
    assert cam.state.yaw_deg == pytest.approx(0.0)


def _render(project: Path, out: Path, *yaw: str) -> np.ndarray:
    res = subprocess.run([sys.executable, "-m", "app", "render", str(project), *yaw,
                          "--size", "80x48", "--supersample", "1", "-o", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return np.asarray(Image.open(out).convert("RGB"))


def test_render_default_view_faces_the_recorded_heading(tmp_path):
    room = box_room(256)
    project = Project()
    project.add_result(_with_heading(room.panorama), kind="imported", label="room")
    path = tmp_path / "room.panoforge"
    save_project(path, project)
    default = _render(path, tmp_path / "default.png")
    at_heading = _render(path, tmp_path / "heading.png", "--yaw", str(HEADING))
    at_centre = _render(path, tmp_path / "centre.png", "--yaw", "0")
    np.testing.assert_array_equal(default, at_heading)
    assert not np.array_equal(default, at_centre)
    centre = default[default.shape[0] // 2, default.shape[1] // 2].astype(int)
    assert np.abs(centre - room.colours["wall_right"]).max() <= 3
