"""Headset 6DoF: the tracked head is used as it is inside the walk radius and rendered from the
nearest point of the walk ball beyond it, both eyes shifted alike."""

from __future__ import annotations

import numpy as np
import pytest

from renderers import view_math as vm
from renderers.xr.controls import Rig
from renderers.xr.math import translation


def eye_position(view: np.ndarray) -> np.ndarray:
    """Scene-frame position of the camera of a scene -> eye matrix."""
    return np.linalg.inv(view)[:3, 3]


@pytest.mark.parametrize("yaw", [0.0, 0.7])
def test_inside_the_radius_the_tracked_head_is_used_as_it_is(yaw):
    rig = Rig(origin=(0.0, 1.6, 0.0), yaw=yaw)
    head = np.array([0.2, 1.5, -0.1])  # 0.24 m from the capture point
    clamp = rig.head_clamp(head, 0.5)
    np.testing.assert_array_equal(clamp, np.eye(4))
    view = rig.view(vm.view_yaw_pitch(10, 0, head), clamp)
    np.testing.assert_allclose(eye_position(view), rig.head_in_scene(head), atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(rig.head_in_scene(head)), np.sqrt(0.06), atol=1e-12)


@pytest.mark.parametrize("yaw", [0.0, 1.2])
def test_beyond_the_radius_both_eyes_render_from_the_walk_ball_keeping_their_separation(yaw):
    rig = Rig(origin=(0.0, 1.6, 0.0), yaw=yaw)
    head = np.array([0.9, 1.6, -0.4])  # ~0.98 m out
    ipd = 0.064
    right = vm.rotation_yaw_pitch(30, 0)[:, 0]
    eyes = [head - right * ipd / 2, head + right * ipd / 2]
    clamp = rig.head_clamp(head, 0.5)
    s = rig.head_in_scene(head)
    want_head = s * 0.5 / np.linalg.norm(s)
    rendered = [eye_position(rig.view(vm.view_yaw_pitch(30, 0, e), clamp)) for e in eyes]
    np.testing.assert_allclose((rendered[0] + rendered[1]) / 2, want_head, atol=1e-12)
    assert np.linalg.norm((rendered[0] + rendered[1]) / 2) == pytest.approx(0.5)
    assert np.linalg.norm(rendered[1] - rendered[0]) == pytest.approx(ipd)
    # Orientation is untouched: only a translation is added.
    plain = rig.view(vm.view_yaw_pitch(30, 0, eyes[0]))
    np.testing.assert_allclose(rig.view(vm.view_yaw_pitch(30, 0, eyes[0]), clamp)[:3, :3],
                               plain[:3, :3], atol=1e-12)
    # Stepping back in undoes it (nothing is remembered between frames).
    np.testing.assert_array_equal(rig.head_clamp(np.array([0.1, 1.6, 0.0]), 0.5), np.eye(4))


def test_the_thumbstick_offset_counts_towards_the_radius():
    rig = Rig(origin=(0.0, 1.6, 0.0))
    rig.offset = np.array([0.4, 0.0, 0.0])
    head = np.array([0.3, 1.6, 0.0])  # 0.3 m in the room, 0.7 m from the capture point
    assert rig.head_in_scene(head) == pytest.approx([0.7, 0.0, 0.0])
    np.testing.assert_allclose(rig.head_clamp(head, 0.5), translation([0.2, 0.0, 0.0]),
                               atol=1e-12)
    np.testing.assert_array_equal(rig.head_clamp(head, np.inf), np.eye(4))


def test_the_headset_takes_the_walk_radius_the_layers_were_made_for(tmp_path):
    from renderers.xr.scene_source import SceneSource
    from scene.project import Project, save_project
    from scene.testing.analytic import box_room

    project = Project()
    pano = box_room(64).panorama
    pano.metadata.extra["walk_zone"] = {"walk_radius_m": 0.35, "dome_m": 0.1, "layers_m": 0.3}
    project.add_result(pano, kind="imported")
    project.add_result(box_room(64).panorama, kind="imported")
    save_project(tmp_path / "p.panoforge", project)
    assert SceneSource(tmp_path / "p.panoforge", "r1").build().walk_radius == 0.35
    assert SceneSource(tmp_path / "p.panoforge", "r2").build().walk_radius == 0.5
