"""A click's ray meets the dome where the analytic room says, from inside and from outside."""

from __future__ import annotations

import numpy as np
import pytest

from scene.errors import InputError
from scene.panorama import RGBDPanorama
from scene.picking import ray_dome_hit
from scene.placement import surface_hit
from scene.testing.analytic import box_room


@pytest.fixture(scope="module")
def room():
    return box_room(512, pillar=None).panorama  # x -3..3.5, y -1.6..1.4, z -4.5..2.5


def test_from_the_capture_point_it_is_the_placement_rule_s_point(room):
    d = np.array([0.2, -0.7, -1.0])
    np.testing.assert_array_equal(ray_dome_hit(room, (0, 0, 0), d), surface_hit(room, d)[0])


def test_from_an_eye_off_the_capture_point_it_meets_the_analytic_floor(room):
    o = np.array([0.3, 0.2, 0.4])
    d = np.array([-0.3, -0.8, -1.0])
    d = d / np.linalg.norm(d)
    expected = o + d * ((-1.6 - o[1]) / d[1])
    np.testing.assert_allclose(ray_dome_hit(room, o, d), expected, atol=0.03)


def test_from_outside_it_is_the_far_wall_the_dollhouse_shows(room):
    o = np.array([0.5, 0.5, 12.0])
    d = np.array([0.0, -0.05, -1.0])
    d = d / np.linalg.norm(d)
    expected = o + d * ((-4.5 - o[2]) / d[2])  # leaves the room through the front wall
    np.testing.assert_allclose(ray_dome_hit(room, o, d), expected, atol=0.03)


def test_a_ray_that_misses_or_a_panorama_without_depth_is_refused(room):
    with pytest.raises(InputError, match="no surface"):
        ray_dome_hit(room, (0, 0, 20.0), (0, 0, 1.0))  # looks away from the room
    with pytest.raises(InputError, match="no depth"):
        ray_dome_hit(RGBDPanorama(rgb=room.rgb), (0, 0, 1.0), (0, 0, -1.0))


def test_pixel_ray_inverts_project_points():
    from renderers import view_math as vm
    from renderers.picking import pixel_ray

    view = vm.view_yaw_pitch(30.0, -20.0, (0.1, 0.0, -0.2))
    proj = vm.perspective(80.0, 1.5, 0.02, 100.0)
    point = np.array([1.0, -1.2, -3.0])
    (x, y), front = vm.project_points(point, view, proj, (300, 200))
    assert front
    origin, d = pixel_ray(x, y, view, proj, (300, 200))
    np.testing.assert_allclose(origin, (0.1, 0.0, -0.2), atol=1e-9)
    to_point = (point - origin) / np.linalg.norm(point - origin)
    np.testing.assert_allclose(d, to_point, atol=1e-9)
