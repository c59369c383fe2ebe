"""The XR process follows the editor: result, depth interpretation and cut threshold via the
control file; it shows the result's whole composition (layers and props)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from renderers.xr.scene_source import SceneSource
from scene.depth import DepthInterpretation
from scene.errors import InputError, ProjectFileError
from scene.mesh import cut_enabled
from scene.panorama import RGBDPanorama
from scene.project import Project, save_project
from scene.testing.analytic import box_room, nested_spheres


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


def test_interpretation_and_cut_threshold_edits(project_path, tmp_path):
    ctl = tmp_path / "ctl.json"
    src = SceneSource(project_path, result_id="r3", control_file=ctl)
    first = src.build()
    interp = first.panorama.interpretation.with_near_far(0.5, 20.0)
    _send(ctl, seq=1, interpretation=interp.to_dict())
    new = _poll(src, 1.0)
    expected = first.panorama.with_interpretation(
        replace(first.panorama.interpretation, near=0.5, far=20.0)).distance
    assert new.interpretation == interp.to_dict()
    assert new.panorama.interpretation == interp
    assert new.mesh.distances().max() == pytest.approx(float(np.nanmax(expected)), rel=1e-5)
    assert new.mesh.distances().min() == pytest.approx(float(np.nanmin(expected)), rel=1e-5)
    # Cut threshold: 0 keeps every face, a tiny one cuts the faces across depth steps.
    room = SceneSource(project_path, result_id="r1", control_file=ctl)
    base = room.build()
    _send(ctl, seq=5, cut_threshold=0.0)
    keep_all = _poll(room, 1.0)
    _send(ctl, seq=6, cut_threshold=0.01)
    cut = _poll(room, 2.0)
    assert not cut_enabled(keep_all.settings.cut_threshold)
    assert keep_all.mesh.n_faces >= base.mesh.n_faces  # (cut faces are backed: scene.backing)
    assert keep_all.mesh.stats.get("cut_faces", 0) == 0 < cut.mesh.stats["cut_faces"]
    assert base.mesh.stats.get("cut_faces", 0) < cut.mesh.stats["cut_faces"]


def test_a_metric_result_takes_the_clip_range_from_the_interpretation(project_path, tmp_path):
    ctl = tmp_path / "ctl.json"
    src = SceneSource(project_path, result_id="r1", control_file=ctl)
    first = src.build()
    interp = first.panorama.interpretation.with_near_far(1.5, 2.0)  # metric: a clip range
    _send(ctl, seq=1, result="r1", interpretation=interp.to_dict())
    new = _poll(src, 1.0)
    d = new.mesh.distances()
    assert first.mesh.distances().max() > 4.0
    assert d.max() == pytest.approx(2.0, rel=1e-5)
    assert np.nanmin(new.panorama.distance) == pytest.approx(1.5, rel=1e-5)
    # Another result without an interpretation is shown as saved.
    _send(ctl, seq=2, result="r2")
    other = _poll(src, 2.0)
    assert other.interpretation is None
    assert other.panorama.interpretation == nested_spheres(64).panorama.interpretation


def test_bad_edits_keep_the_current_scene(project_path, tmp_path, capsys):
    ctl = tmp_path / "ctl.json"
    src = SceneSource(project_path, control_file=ctl)
    first = src.build()
    _send(ctl, seq=1, result="r42")
    assert _poll(src, 1.0) is None
    _send(ctl, seq=2, cut_threshold=-1)
    assert _poll(src, 2.0) is None
    _send(ctl, seq=3, interpretation={"kind": "disparity", "near": 5.0, "far": 1.0})
    assert _poll(src, 3.0) is None
    _send(ctl, seq=4, interpretation=[1, 2])
    assert _poll(src, 4.0) is None
    ctl.write_text("{half a fi")  # mid-write: ignored
    assert _poll(src, 5.0) is None
    assert src.current is first
    err = capsys.readouterr().err
    assert "r42" in err and "cut threshold" in err and "near" in err and "JSON object" in err


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


@pytest.fixture()
def composition_path(tmp_path):
    """A saved project whose r1 is the room with the test composition's layer and props."""
    from tests.renderers.composition_fixtures import composition

    _, scene = composition(64)
    project = Project()
    room = project.add_result(scene.dome, kind="imported", label="room")
    room.layers[:] = list(scene.layers)
    room.props[:] = list(scene.props)
    project.add_result(nested_spheres(64).panorama, kind="imported", label="spheres")
    project.set_active("r1")
    path = tmp_path / "composition.panoforge"
    save_project(path, project)
    return path


def test_the_scene_source_carries_layers_and_props(composition_path, tmp_path):
    from renderers.scene_parts import scene_parts
    from scene.project import load_project

    ctl = tmp_path / "ctl.json"
    src = SceneSource(composition_path, result_id="r1", control_file=ctl)
    state = src.build()
    saved = load_project(composition_path).scene("r1")
    want = scene_parts(saved, state.settings)
    assert [p.id for p in state.parts.layers] == ["l1"]
    assert [p.id for p in state.parts.props] == ["p1", "p2", "p3"]
    assert np.array_equal(state.parts.layers[0].mesh.positions, want.layers[0].mesh.positions)
    for got, prop in zip(state.parts.props, saved.props, strict=True):
        assert np.allclose(got.positions, prop.world_positions())
        assert np.array_equal(got.colors, prop.mesh.colors)
    # The layer is meshed with the dome's settings: a new cut threshold reaches it too.
    _send(ctl, seq=1, cut_threshold=0.0)
    new = _poll(src, 1.0)
    assert not cut_enabled(new.settings.cut_threshold)
    assert not cut_enabled(new.parts.layers[0].mesh.stats["cut_threshold"])
    # A result without a composition shows the dome alone.
    _send(ctl, seq=2, result="r2")
    assert _poll(src, 2.0).parts.empty


def test_a_prop_saved_after_launch_reaches_the_headset(composition_path, tmp_path):
    import os

    from scene.project import load_project

    ctl = tmp_path / "ctl.json"
    src = SceneSource(composition_path, result_id="r1", control_file=ctl)
    src.build()
    project = load_project(composition_path)
    moved = project.get("r1").props[0]
    project.get("r1").props[:] = [moved.moved(moved.transform.yaw((0.0, 0.0, -1.0)))]
    save_project(composition_path, project)
    st = composition_path.stat()
    os.utime(composition_path, (st.st_atime, st.st_mtime + 5))  # a coarse clock still differs
    _send(ctl, seq=1, result="r1")
    new = _poll(src, 1.0)
    assert new is not None and [p.id for p in new.parts.props] == ["p1"]
    centre = new.parts.props[0].positions.mean(axis=0)
    assert np.allclose(centre, (0.0, 0.0, -1.0), atol=1e-5)
