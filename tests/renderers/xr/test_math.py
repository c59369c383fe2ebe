"""Per-eye projection from an XrFovf, pose -> view, and placing the scene in the room."""

from __future__ import annotations

import numpy as np
import pytest

from renderers.xr.controls import (
    MOVE_RADIUS_M,
    STANDING_EYE_HEIGHT_M,
    Rig,
    SnapTurn,
    start_origin,
)
from renderers.xr.math import (
    pose_matrix,
    projection_from_fov,
    rotation_y,
    view_from_pose,
    yaw_of_quat,
)

IDENTITY_Q = (0.0, 0.0, 0.0, 1.0)


def _yaw_q(deg: float):
    """Quaternion (x, y, z, w) turning ``deg`` degrees counter-clockwise about +Y (to the left)."""
    h = np.radians(deg) / 2
    return (0.0, np.sin(h), 0.0, np.cos(h))


def _apply(m: np.ndarray, p) -> np.ndarray:
    v = m @ np.append(np.asarray(p, dtype=float), 1.0)
    return v[:3] / v[3]


# -- projection ----------------------------------------------------------------------------------
def test_asymmetric_projection_equals_the_hand_derived_frustum():
    # A left eye of a real headset: more field towards the nose side is cut.
    left, right, up, down = -0.82, 0.68, 0.77, -0.86
    n, f = 0.05, 200.0
    # glFrustum, written out by hand from the near-plane rectangle.
    lft, rgt = n * np.tan(left), n * np.tan(right)
    top, bot = n * np.tan(up), n * np.tan(down)
    expected = np.array([
        [2 * n / (rgt - lft), 0, (rgt + lft) / (rgt - lft), 0],
        [0, 2 * n / (top - bot), (top + bot) / (top - bot), 0],
        [0, 0, -(f + n) / (f - n), -2 * f * n / (f - n)],
        [0, 0, -1, 0],
    ])
    assert np.allclose(projection_from_fov(left, right, up, down, n, f), expected, atol=1e-12)


def test_frustum_edges_land_on_the_clip_edges():
    left, right, up, down = -0.74, 0.61, 0.70, -0.78
    p = projection_from_fov(left, right, up, down, 0.1, 50.0)
    z = -3.0  # any depth
    corners = {
        (-1, 1): (np.tan(left) * 3, np.tan(up) * 3),
        (1, -1): (np.tan(right) * 3, np.tan(down) * 3),
    }
    for (nx, ny), (x, y) in corners.items():
        ndc = _apply(p, (x, y, z))
        assert ndc[:2] == pytest.approx((nx, ny), abs=1e-12)
    assert _apply(p, (0, 0, -0.1))[2] == pytest.approx(-1.0)
    assert _apply(p, (0, 0, -50.0))[2] == pytest.approx(1.0)


def test_symmetric_fov_is_the_standard_perspective():
    half_x, half_y = np.radians(50.0), np.radians(40.0)
    n, f = 0.05, 100.0
    fovy, aspect = 2 * half_y, np.tan(half_x) / np.tan(half_y)
    # gluPerspective, as every OpenGL text writes it.
    g = 1 / np.tan(fovy / 2)
    expected = np.array([[g / aspect, 0, 0, 0], [0, g, 0, 0],
                         [0, 0, (f + n) / (n - f), 2 * f * n / (n - f)], [0, 0, -1, 0]])
    assert np.allclose(projection_from_fov(-half_x, half_x, half_y, -half_y, n, f), expected)


# -- pose -> view --------------------------------------------------------------------------------
def test_identity_pose_is_the_identity_view():
    assert np.allclose(view_from_pose(IDENTITY_Q, (0, 0, 0)), np.eye(4))


def test_ninety_degree_yaw():
    # Turned 90 degrees to the left, the eye looks along world -X.
    view = view_from_pose(_yaw_q(90), (0, 0, 0))
    assert _apply(view, (-2.0, 0.0, 0.0)) == pytest.approx((0, 0, -2.0), abs=1e-12)
    assert _apply(view, (0.0, 0.0, -1.0)) == pytest.approx((1.0, 0, 0), abs=1e-12)  # now right
    assert yaw_of_quat(_yaw_q(90)) == pytest.approx(np.pi / 2)
    assert yaw_of_quat(_yaw_q(-30)) == pytest.approx(np.radians(-30))


def test_translation():
    view = view_from_pose(IDENTITY_Q, (1.0, 2.0, 3.0))
    assert _apply(view, (1.0, 2.0, 2.0)) == pytest.approx((0, 0, -1.0))
    # Turned and moved: a point 2 m in front of the eye, wherever it stands.
    view = view_from_pose(_yaw_q(-90), (1.0, 2.0, 3.0))  # facing +X
    assert _apply(view, (3.0, 2.0, 3.0)) == pytest.approx((0, 0, -2.0), abs=1e-12)
    q = (0.1, -0.3, 0.2, 0.9)
    assert np.allclose(view_from_pose(q, (0.4, 1.7, -0.2)) @ pose_matrix(q, (0.4, 1.7, -0.2)),
                       np.eye(4))


def test_rotation_y_turns_counter_clockwise_from_above():
    assert _apply(rotation_y(np.pi / 2), (0, 0, -1)) == pytest.approx((-1, 0, 0), abs=1e-12)


# -- eye-height placement ------------------------------------------------------------------------
def test_local_space_puts_the_capture_point_at_the_eye():
    rig = Rig(start_origin("local"))
    assert np.allclose(rig.space_from_scene(), np.eye(4))
    view = rig.view(view_from_pose(IDENTITY_Q, (0, 0, 0)))
    assert _apply(view, (0, 0, -5)) == pytest.approx((0, 0, -5))


def test_stage_space_puts_the_capture_point_at_standing_eye_height():
    assert start_origin("stage") == pytest.approx((0, STANDING_EYE_HEIGHT_M, 0))
    rig = Rig(start_origin("stage"))
    # An eye standing at the stage centre, 1.6 m above the floor, sees the scene from its
    # capture point: the panorama centre straight ahead, the scene's floor below.
    view = rig.view(view_from_pose(IDENTITY_Q, (0, 1.6, 0)))
    assert _apply(view, (0, 0, -5)) == pytest.approx((0, 0, -5))
    assert _apply(view, (0, -1.6, -2)) == pytest.approx((0, -1.6, -2))
    # The stage floor (y = 0) is the scene's plane 1.6 m below the capture point.
    assert _apply(rig.scene_from_space(), (0.0, 0.0, 0.0)) == pytest.approx((0, -1.6, 0))


def test_stage_space_uses_the_tracked_head_when_plausible():
    assert start_origin("stage", (0.3, 1.75, -0.2)) == pytest.approx((0.3, 1.75, -0.2))
    # A head on the floor (tracking not settled): standing height above its floor position.
    assert start_origin("stage", (0.3, 0.05, -0.2)) == pytest.approx((0.3, 1.6, -0.2))
    rig = Rig()
    head_q, head_p = _yaw_q(90), (0.5, 1.7, 0.4)
    rig.recentre("stage", head_q, head_p)
    view = rig.view(view_from_pose(head_q, head_p))
    # After a recentre the panorama centre is straight ahead of the head, whichever way it
    # faces in the room, and the head is at the capture point.
    assert _apply(view, (0, 0, -5)) == pytest.approx((0, 0, -5), abs=1e-9)
    assert _apply(rig.scene_from_space(), head_p) == pytest.approx((0, 0, 0), abs=1e-12)


# -- controllers ---------------------------------------------------------------------------------
def test_thumbstick_moves_forward_within_the_radius():
    rig = Rig(start_origin("local"))
    rig.move((0.0, 1.0), 0.1, IDENTITY_Q)  # full forward for 0.1 s at 1 m/s
    assert rig.offset == pytest.approx((0, 0, -0.1))
    view = rig.view(view_from_pose(IDENTITY_Q, (0, 0, 0)))
    assert _apply(view, (0, 0, -5)) == pytest.approx((0, 0, -4.9))
    for _ in range(100):
        rig.move((1.0, 1.0), 0.1, IDENTITY_Q)
    assert np.hypot(rig.offset[0], rig.offset[2]) == pytest.approx(MOVE_RADIUS_M)
    assert rig.offset[1] == 0.0
    before = rig.offset.copy()
    rig.move((0.1, 0.05), 0.1, IDENTITY_Q)  # inside the dead zone
    assert np.array_equal(rig.offset, before)


def test_snap_turn_turns_the_view_about_the_head():
    rig = Rig(start_origin("stage"))
    head = np.array([0.2, 1.6, 0.1])
    scene_head = _apply(rig.scene_from_space(), head)
    rig.turn(np.radians(30), head)
    # The head stays at the same scene point...
    assert _apply(rig.scene_from_space(), head) == pytest.approx(scene_head, abs=1e-12)
    # ...and what was 30 degrees to the right is now straight ahead.
    view = rig.view(view_from_pose(IDENTITY_Q, head))
    ahead = scene_head + 5 * np.array([np.sin(np.radians(30)), 0, -np.cos(np.radians(30))])
    assert _apply(view, ahead) == pytest.approx((0, 0, -5), abs=1e-9)


def test_snap_turn_fires_once_per_push():
    snap = SnapTurn()
    seq = [0.0, 0.8, 0.9, 1.0, 0.5, 0.2, -0.75, -0.9, 0.0, 0.75]
    assert [snap.update(x) for x in seq] == [0, 1, 0, 0, 0, 0, -1, 0, 0, 1]
