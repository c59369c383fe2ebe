"""View and projection matrices: known answers, agreement with scene.conventions and OpenXR's layout."""

from __future__ import annotations

import numpy as np
import pytest

from renderers import view_math as vm
from scene.conventions import lonlat_to_direction
from scene.errors import InputError

ANGLES = [(0, 0), (90, 0), (-90, 0), (180, 0), (30, 20), (-135, -60), (45, 89)]


@pytest.mark.parametrize("yaw, pitch", ANGLES)
def test_view_direction_is_the_panorama_direction_at_lon_yaw_lat_pitch(yaw, pitch):
    expected = lonlat_to_direction(np.radians(yaw), np.radians(pitch))
    np.testing.assert_allclose(vm.forward_vector(yaw, pitch), expected, atol=1e-12)
    # The view matrix sends that direction to the camera's -Z axis.
    v = vm.view_yaw_pitch(yaw, pitch)
    np.testing.assert_allclose(v[:3, :3] @ expected, [0, 0, -1], atol=1e-12)


def test_yaw_zero_looks_at_minus_z_with_plus_x_on_the_right():
    r = vm.rotation_yaw_pitch(0, 0)
    np.testing.assert_allclose(r, np.eye(3), atol=1e-15)
    r = vm.rotation_yaw_pitch(90, 0)
    # Turned right by 90°: looking along +X, the right hand points to +Z, up stays +Y.
    np.testing.assert_allclose(r[:, 0], [0, 0, 1], atol=1e-12)
    np.testing.assert_allclose(r[:, 1], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(-r[:, 2], [1, 0, 0], atol=1e-12)


@pytest.mark.parametrize("yaw, pitch", ANGLES)
def test_rotation_is_proper_and_pitch_keeps_the_horizon_level(yaw, pitch):
    r = vm.rotation_yaw_pitch(yaw, pitch)
    np.testing.assert_allclose(r.T @ r, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    assert abs(r[1, 0]) < 1e-12  # the right axis stays horizontal (no roll)


@pytest.mark.parametrize("yaw, pitch", ANGLES)
def test_quaternion_of_yaw_pitch_is_the_same_rotation(yaw, pitch):
    q = vm.quaternion_yaw_pitch(yaw, pitch)
    assert np.linalg.norm(q) == pytest.approx(1.0)
    np.testing.assert_allclose(vm.quaternion_to_matrix(q), vm.rotation_yaw_pitch(yaw, pitch),
                               atol=1e-12)


def test_quaternion_to_matrix_known_answers_and_normalisation():
    # 90° about +Y, (x, y, z, w) order: +X goes to -Z.
    q = [0.0, np.sin(np.pi / 4), 0.0, np.cos(np.pi / 4)]
    np.testing.assert_allclose(vm.quaternion_to_matrix(q) @ [1, 0, 0], [0, 0, -1], atol=1e-12)
    # Not normalised: same rotation.
    np.testing.assert_allclose(vm.quaternion_to_matrix(np.array(q) * 3.0),
                               vm.quaternion_to_matrix(q), atol=1e-12)
    np.testing.assert_allclose(vm.quaternion_to_matrix([0, 0, 0, 1]), np.eye(3))
    with pytest.raises(InputError):
        vm.quaternion_to_matrix([0, 0, 0, 0])


def test_view_from_pose_inverts_the_pose():
    q = vm.quaternion_yaw_pitch(40, -25)
    pos = np.array([0.3, 1.6, -0.2])
    v = vm.view_from_pose(q, pos)
    r = vm.quaternion_to_matrix(q)
    # A point one metre straight ahead of the head lands on the eye's -Z axis.
    ahead = pos + r @ [0, 0, -1]
    np.testing.assert_allclose((v @ np.append(ahead, 1))[:3], [0, 0, -1], atol=1e-12)
    np.testing.assert_allclose((v @ np.append(pos, 1))[:3], 0, atol=1e-12)
    # The pose matrix times the view matrix is the identity.
    pose = np.eye(4)
    pose[:3, :3] = r
    pose[:3, 3] = pos
    np.testing.assert_allclose(v @ pose, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(v, vm.view_yaw_pitch(40, -25, pos), atol=1e-12)


def test_projection_from_fov_symmetric_known_values():
    a = np.radians(45)
    p = vm.projection_from_fov(-a, a, a, -a, 0.1, 100.0)
    expected = np.array([
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, -(100.1) / 99.9, -2 * 100 * 0.1 / 99.9],
        [0, 0, -1, 0],
    ])
    np.testing.assert_allclose(p, expected, atol=1e-12)
    np.testing.assert_allclose(vm.perspective(90, 1.0, 0.1, 100.0), expected, atol=1e-12)


def _ndc(p, point):
    c = p @ np.append(point, 1.0)
    return c[:3] / c[3]


def test_projection_from_fov_maps_the_frustum_edges_to_the_clip_cube():
    left, right, up, down = -0.7, 0.4, 0.5, -0.3  # OpenXR XrFovf, radians, asymmetric
    near, far = 0.05, 50.0
    p = vm.projection_from_fov(left, right, up, down, near, far)
    z = 3.0
    assert _ndc(p, [np.tan(left) * z, 0, -z])[0] == pytest.approx(-1.0)
    assert _ndc(p, [np.tan(right) * z, 0, -z])[0] == pytest.approx(1.0)
    assert _ndc(p, [0, np.tan(up) * z, -z])[1] == pytest.approx(1.0)
    assert _ndc(p, [0, np.tan(down) * z, -z])[1] == pytest.approx(-1.0)
    assert _ndc(p, [0, 0, -near])[2] == pytest.approx(-1.0)
    assert _ndc(p, [0, 0, -far])[2] == pytest.approx(1.0)


def test_projection_with_infinite_far_plane():
    p = vm.projection_from_fov(-0.5, 0.5, 0.5, -0.5, 0.1, np.inf)
    assert _ndc(p, [0, 0, -0.1])[2] == pytest.approx(-1.0)
    assert _ndc(p, [0, 0, -1e9])[2] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("args", [
    (0.5, -0.5, 0.5, -0.5, 0.1, 10),      # left > right
    (-0.5, 0.5, -0.5, 0.5, 0.1, 10),      # down > up
    (-1.6, 0.5, 0.5, -0.5, 0.1, 10),      # beyond 90°
    (-0.5, 0.5, 0.5, -0.5, 0.0, 10),      # near 0
    (-0.5, 0.5, 0.5, -0.5, 1.0, 0.5),     # far < near
])
def test_projection_rejects_bad_frusta(args):
    with pytest.raises(InputError):
        vm.projection_from_fov(*args)


def test_perspective_uses_horizontal_fov():
    p = vm.perspective(90, 2.0, 0.1, 10.0)
    # 45° to the right sits on the right edge; 45° up is beyond the top (vertical fov 53°).
    assert _ndc(p, [1.0, 0, -1.0])[0] == pytest.approx(1.0)
    assert _ndc(p, [0, 0.5, -1.0])[1] == pytest.approx(1.0)
    assert vm.vertical_fov_deg(90, 2.0) == pytest.approx(np.degrees(2 * np.arctan(0.5)))
    assert vm.vertical_fov_deg(70, 1.0) == pytest.approx(70)
    with pytest.raises(InputError):
        vm.perspective(180, 1.0, 0.1, 10)


def test_look_at_from_outside():
    v = vm.look_at([0, 0, 5])
    np.testing.assert_allclose((v @ [0, 0, 0, 1])[:3], [0, 0, -5], atol=1e-12)
    np.testing.assert_allclose(v[:3, :3], np.eye(3), atol=1e-12)
    # Straight down still gives a valid rotation.
    v = vm.look_at([0, 4, 0])
    np.testing.assert_allclose(v[:3, :3] @ v[:3, :3].T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose((v @ [0, 0, 0, 1])[:3], [0, 0, -4], atol=1e-12)
    with pytest.raises(InputError):
        vm.look_at([1, 1, 1], [1, 1, 1])


def test_project_points_pixel_positions():
    size = (200, 100)
    view = vm.view_yaw_pitch(0, 0)
    proj = vm.perspective(90, 2.0, 0.1, 100)
    pts = [[0, 0, -5], [np.tan(np.radians(30)) * 5, 0, -5], [0, 0, 5]]
    xy, front = vm.project_points(pts, view, proj, size)
    np.testing.assert_allclose(xy[0], [100, 50])
    np.testing.assert_allclose(xy[1], [100 + 100 * np.tan(np.radians(30)), 50])
    assert front.tolist() == [True, True, False]
