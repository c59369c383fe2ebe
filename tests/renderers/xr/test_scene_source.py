"""The XR process follows the editor: result, near/far and cut threshold via the control file."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from renderers.xr.scene_source import SceneSource
from scene.analytic import box_room, nested_spheres
from scene.depth import DepthInterpretation
from scene.errors import InputError, ProjectFileError
from scene.panorama import RGBDPanorama
from scene.project import Project, save_project


def _disparity_pano(width: int = 64) -> RGBDPanorama:
    h = width // 2
    raw = np.tile(np.linspace(0.2, 1.0, width, dtype=np.float32), (h, 1))
    rgb = np.zeros((h, width, 3), dtype=np.uint8)
    return RGBDPanorama(rgb=rgb, raw_depth=raw,
                        interpretation=DepthInterpretation("disparity", near=1.0, far=10.0))


@pytest.fixture()
def project_path(tmp_path):
    project = Project()
    project.add_result(box_room(64).panorama, kind="imported", label="room")
    project.add_result(nested_spheres(64).panorama, kind="imported", label="spheres")
    project.add_result(_disparity_pano(), kind="imported", label="disparity")
    project.set_active("r1")
    path = tmp_path / "p.panoforge"
    save_project(path, project)
    return path


def _send(path, **state):
    path.write_text(json.dumps(state))


def _poll(source, t):
    source.poll(now=t)
    source.wait_idle()
    return source.poll(now=t + 0.01)  # picks up the finished rebuild


def test_starts_on_the_active_or_the_chosen_result(project_path):
    src = SceneSource(project_path)
    assert src.current is None  # the mesh is built only on build()
    assert src.build().result_id == "r1"
    assert SceneSource(project_path, result_id="2").build().result_id == "r2"
    with pytest.raises(InputError):
        SceneSource(project_path, result_id="r9")
    with pytest.raises(ProjectFileError):
        SceneSource(project_path.with_name("missing.panoforge"))


def test_result_switch_reaches_the_session(project_path, tmp_path):
    ctl = tmp_path / "ctl.json"
    src = SceneSource(project_path, control_file=ctl)
    src.build()
    assert src.poll(now=0.0) is None  # no control file yet
    _send(ctl, seq=1, result="r2")
    new = _poll(src, 5.0)
    assert new is not None and new.result_id == "r2"
    assert src.current is new
    assert new.mesh.n_faces > 0
    assert np.array_equal(new.panorama.rgb, nested_spheres(64).panorama.rgb)
    # The same request again changes nothing.
    _send(ctl, seq=2, result="r2")
    assert _poll(src, 10.0) is None


def test_polls_at_most_once_a_second(project_path, tmp_path):
    ctl = tmp_path / "ctl.json"
    src = SceneSource(project_path, control_file=ctl)
    src.build()
    _send(ctl, seq=1)
    src.poll(now=100.0)
    _send(ctl, seq=2, result="r2")
    assert _poll(src, 100.5) is None  # within the second: not read yet
    assert _poll(src, 101.1).result_id == "r2"


def test_near_far_and_cut_threshold_edits(project_path, tmp_path):
    ctl = tmp_path / "ctl.json"
    src = SceneSource(project_path, result_id="r3", control_file=ctl)
    first = src.build()
    _send(ctl, seq=1, near=0.5, far=20.0)
    new = _poll(src, 1.0)
    expected = first.panorama.with_interpretation(
        replace(first.panorama.interpretation, near=0.5, far=20.0)).distance
    assert new.near == 0.5 and new.far == 20.0
    assert new.mesh.distances().max() == pytest.approx(float(np.nanmax(expected)), rel=1e-5)
    assert new.mesh.distances().min() == pytest.approx(float(np.nanmin(expected)), rel=1e-5)
    # Cut threshold: 0 keeps every face, a tiny one cuts the faces across depth steps.
    room = SceneSource(project_path, result_id="r1", control_file=ctl)
    base = room.build()
    _send(ctl, seq=5, cut_threshold=0.0)
    keep_all = _poll(room, 1.0)
    _send(ctl, seq=6, cut_threshold=0.01)
    cut = _poll(room, 2.0)
    assert keep_all.settings.cut_threshold == 0.0
    assert keep_all.mesh.n_faces >= base.mesh.n_faces > cut.mesh.n_faces


def test_bad_edits_keep_the_current_scene(project_path, tmp_path, capsys):
    ctl = tmp_path / "ctl.json"
    src = SceneSource(project_path, control_file=ctl)
    first = src.build()
    _send(ctl, seq=1, result="r42")
    assert _poll(src, 1.0) is None
    _send(ctl, seq=2, cut_threshold=-1)
    assert _poll(src, 2.0) is None
    ctl.write_text("{half a fi")  # mid-write: ignored
    assert _poll(src, 3.0) is None
    assert src.current is first
    err = capsys.readouterr().err
    assert "r42" in err and "cut threshold" in err


def test_quit_request(project_path, tmp_path):
    ctl = tmp_path / "ctl.json"
    src = SceneSource(project_path, control_file=ctl)
    src.build()
    _send(ctl, seq=1, quit=True)
    src.poll(now=1.0)
    assert src.quit_requested


def test_a_result_saved_after_launch_is_found(project_path, tmp_path):
    from scene.project import load_project

    ctl = tmp_path / "ctl.json"
    src = SceneSource(project_path, control_file=ctl)
    src.build()
    project = load_project(project_path)
    project.add_result(box_room(32).panorama, kind="imported", label="late")
    save_project(project_path, project)
    _send(ctl, seq=1, result="r4")
    new = _poll(src, 1.0)
    assert new is not None and new.result_id == "r4" and new.panorama.width == 32
