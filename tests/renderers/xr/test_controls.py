"""Controller logic without a runtime: scaling the scene, grip + stick, presses, bindings,
and stepping through the project's results."""

from __future__ import annotations

import re

import numpy as np
import pytest

from renderers.xr.controls import (
    BINDINGS,
    GRIP_HELD,
    SCALE_RANGE,
    SCALE_STEP,
    Press,
    Rig,
    SnapTurn,
    start_origin,
    stick_commands,
)
from renderers.xr.math import view_from_pose
from renderers.xr.scene_source import SceneSource
from scene.project import Project, save_project
from scene.testing.analytic import box_room

IDENTITY_Q = (0.0, 0.0, 0.0, 1.0)


def _apply(m, p):
    v = np.asarray(m) @ np.append(np.asarray(p, dtype=float), 1.0)
    return v[:3] / v[3]


def test_two_scale_steps_double_the_scene_about_the_capture_point():
    rig = Rig(start_origin("stage"))
    assert rig.rescale(+1) and rig.rescale(+1)
    assert rig.scale == pytest.approx(2.0, abs=1e-12)
    # The capture point stays where it was; a scene point 1 m ahead is now 2 m ahead.
    assert _apply(rig.space_from_scene(), (0, 0, 0)) == pytest.approx(rig.origin)
    assert _apply(rig.space_from_scene(), (0, 0, -1)) == pytest.approx(rig.origin + (0, 0, -2))
    assert rig.scene_from_space() @ rig.space_from_scene() == pytest.approx(np.eye(4))
    # A head 0.3 m to the right of the capture point is 0.15 m from it in the scene.
    head = rig.origin + (0.3, 0, 0)
    assert rig.head_in_scene(head) == pytest.approx((0.15, 0, 0))
    # The eye sees the doubled scene: a scene point 2 m ahead appears 4 m ahead.
    view = rig.view(view_from_pose(IDENTITY_Q, rig.origin))
    assert _apply(view, (0, 0, -2)) == pytest.approx((0, 0, -4))


def test_scale_stays_within_its_range_and_recentre_restores_it():
    rig = Rig()
    assert not rig.rescale(0)
    for _ in range(20):
        rig.rescale(+1)
    assert rig.scale == pytest.approx(SCALE_RANGE[1])
    assert not rig.rescale(+1)  # at the top: nothing changes
    for _ in range(40):
        rig.rescale(-1)
    assert rig.scale == pytest.approx(SCALE_RANGE[0])
    rig.rescale(+1)
    assert rig.scale == pytest.approx(SCALE_RANGE[0] * SCALE_STEP)
    rig.recentre("local", IDENTITY_Q, (0.0, 0.0, 0.0))
    assert rig.scale == 1.0


def test_turning_and_moving_keep_working_on_a_scaled_scene():
    rig = Rig(start_origin("stage"))
    rig.rescale(+2)
    head = rig.origin + np.array([0.2, 0.0, 0.1])
    before = rig.head_in_scene(head)
    rig.turn(np.radians(30), head)
    assert rig.head_in_scene(head) == pytest.approx(before, abs=1e-12)  # turned about the head
    rig = Rig(start_origin("local"))
    rig.rescale(+2)
    rig.move((0.0, 1.0), 0.1, IDENTITY_Q)  # 0.1 m in the room is 0.05 m in a doubled scene
    assert rig.offset == pytest.approx((0, 0, -0.05))


def test_the_grip_turns_the_right_stick_from_turning_to_scaling():
    turn, scale = SnapTurn(), SnapTurn()
    frames = [  # (stick x, stick y, grip) -> (turn, scale)
        ((0.9, 0.0, 0.0), (1, 0)),   # push right: snap turn
        ((0.0, 0.0, 0.0), (0, 0)),
        ((0.0, 0.9, 1.0), (0, 1)),   # grip held, push up: bigger
        ((0.0, 0.9, 1.0), (0, 0)),   # held: once per push
        ((0.0, 0.0, 1.0), (0, 0)),
        ((0.0, -0.9, 1.0), (0, -1)),  # push down: smaller
        ((0.9, -0.9, 1.0), (0, 0)),  # x ignored while the grip is held
        ((0.9, -0.9, 0.0), (0, 0)),  # grip let go with the stick still pushed: nothing fires
        ((0.0, 0.0, 0.0), (0, 0)),
        ((0.0, 0.9, 0.0), (0, 0)),   # up without the grip: nothing
        ((0.0, 0.9, 1.0), (0, 0)),   # grip taken with the stick up: nothing either
        ((0.0, 0.0, 0.0), (0, 0)),
        ((-0.9, 0.0, GRIP_HELD - 0.1), (-1, 0)),  # a light touch on the grip still turns
    ]
    got = [stick_commands(x, y, g, turn, scale) for (x, y, g), _ in frames]
    assert got == [want for _, want in frames]


def test_a_press_fires_once():
    press = Press()
    assert [press.update(b) for b in (False, True, True, False, True)] == [
        False, True, False, False, True]


def test_every_profile_binds_known_actions_to_well_formed_paths():
    from renderers.xr.controls import _ACTIONS

    path = re.compile(r"^/user/hand/(left|right)/input/[a-z_]+(/(click|value|touch))?$")
    for profile, bindings in BINDINGS.items():
        assert profile.startswith("/interaction_profiles/")
        for name, paths in bindings.items():
            assert name in _ACTIONS, name
            assert all(path.match(p) for p in paths), paths
    # Results and scale are on the two controllers with buttons and sticks to spare
    # (Touch and Index; Monado's remote driver is an Index pair).
    for profile in ("/interaction_profiles/oculus/touch_controller",
                    "/interaction_profiles/valve/index_controller"):
        assert {"next_result", "previous_result", "grip", "turn"} <= set(BINDINGS[profile])
        # No input does two things.
        flat = [p for paths in BINDINGS[profile].values() for p in paths]
        assert len(flat) == len(set(flat))


@pytest.fixture()
def three_results(tmp_path):
    project = Project()
    for n in range(3):
        project.add_result(box_room(64).panorama, kind="imported", label=f"room {n}")
    project.set_active("r3")
    path = tmp_path / "three.panoforge"
    save_project(path, project)
    return path


def test_step_result_goes_round_the_project(three_results):
    source = SceneSource(three_results)
    assert source.build().result_id == "r3"
    seen = []
    for step in (+1, +1, -1, -1, -1):
        want = source.step_result(step)
        source.wait_idle()
        state = source.poll()
        assert state is not None and state.result_id == want
        seen.append(want)
    assert seen == ["r1", "r2", "r1", "r3", "r2"]  # wraps both ways


def test_step_result_with_one_result_does_nothing(tmp_path):
    project = Project()
    project.add_result(box_room(64).panorama, kind="imported")
    save_project(tmp_path / "one.panoforge", project)
    source = SceneSource(tmp_path / "one.panoforge")
    source.build()
    assert source.step_result(+1) is None
    assert source.poll() is None


def test_the_status_file_says_what_is_shown_once_per_change(three_results, tmp_path):
    import json

    from app.xr_launcher import STATUS_FILE_NAME as LAUNCHER_NAME
    from renderers.xr.scene_source import STATUS_FILE_NAME

    assert LAUNCHER_NAME == STATUS_FILE_NAME  # the window reads what the XR process writes
    control = tmp_path / "xr-control.json"
    control.write_text("{}")
    source = SceneSource(three_results, control_file=control)
    source.build()
    status = tmp_path / STATUS_FILE_NAME
    assert source.report(1.0)
    assert json.loads(status.read_text()) == {"result": "r3", "scale": 1.0}
    assert not source.report(1.0)  # unchanged: not rewritten
    source.step_result(+1)
    source.wait_idle()
    source.poll()
    assert source.report(2 ** 0.5)
    assert json.loads(status.read_text()) == {"result": "r1", "scale": round(2 ** 0.5, 6)}
    assert not SceneSource(three_results).report(1.0)  # no control file: no status
