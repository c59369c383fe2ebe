"""Standing a prop on the dome's depth surface (scene.placement) in an analytic room."""

from __future__ import annotations

import numpy as np
import pytest

from models.props import PropRequest, generate_prop
from scene.errors import InputError
from scene.placement import next_prop_id, place_prop
from scene.testing.analytic import box_room, ground_plane


@pytest.fixture(scope="module")
def room():
    return box_room(1024, pillar=None).panorama  # floor y = -1.6, back wall z = -4.5


@pytest.fixture(scope="module")
def crate():
    return generate_prop(PropRequest(prompt="crate", resolution=32)).mesh


def test_on_the_floor_upright_to_scale_facing_the_viewer(room, crate):
    prop = place_prop(crate, room, (-1.0, -1.6, -2.0), 0.8, prop_id="p1", name="crate")
    world = prop.world_positions()
    lo, hi = world.min(axis=0), world.max(axis=0)
    assert lo[1] == pytest.approx(-1.6, abs=0.01)
    assert hi[1] - lo[1] == pytest.approx(0.8, rel=1e-5)
    assert (lo[[0, 2]] + hi[[0, 2]]) / 2 == pytest.approx([-1.0, -2.0], abs=0.02)
    assert prop.source["placement"]["surface"] == "ground"
    m = prop.transform.matrix()[:3, :3]
    front = m @ [0.0, 0.0, 1.0]
    to_viewer = -np.array([-1.0, 0.0, -2.0]) / np.hypot(1.0, 2.0)
    np.testing.assert_allclose(front / np.linalg.norm(front), to_viewer, atol=1e-6)
    np.testing.assert_allclose(m @ [0.0, 1.0, 0.0] / prop.transform.scale, [0, 1, 0], atol=1e-9)


def test_the_direction_not_the_distance_picks_the_spot(room, crate):
    near = place_prop(crate, room, (-0.1, -0.16, -0.2), 0.8, prop_id="p1")
    far = place_prop(crate, room, (-1.0, -1.6, -2.0), 0.8, prop_id="p2")
    np.testing.assert_allclose(near.transform.translation, far.transform.translation, atol=1e-6)


def test_against_a_wall_it_stands_in_front(room, crate):
    prop = place_prop(crate, room, (0.0, 0.0, -1.0), 1.0, prop_id="p1")
    assert prop.source["placement"]["surface"] == "wall"
    world = prop.world_positions()
    assert world[:, 2].min() >= -4.5 - 0.02
    assert world[:, 2].min() == pytest.approx(-4.5, abs=0.05)


def test_no_snap_and_yaw(room, crate):
    prop = place_prop(crate, room, (2.0, 0.5, 1.0), 2.0, prop_id="p3", snap=False, yaw_deg=90)
    world = prop.world_positions()
    assert world[:, 1].min() == pytest.approx(0.5, abs=1e-5)
    front = prop.transform.matrix()[:3, :3] @ [0.0, 0.0, 1.0]
    np.testing.assert_allclose(front / np.linalg.norm(front), [1, 0, 0], atol=1e-6)
    assert prop.source["placement"] == {"at": [2.0, 0.5, 1.0], "snap": False, "surface": None}


def test_unknown_depth_and_bad_values_are_explained(crate):
    open_sky = ground_plane(256).panorama  # NaN above the horizon
    with pytest.raises(InputError, match="unknown in that direction"):
        place_prop(crate, open_sky, (0.0, 1.0, -1.0), 1.0, prop_id="p1")
    with pytest.raises(InputError, match="height"):
        place_prop(crate, open_sky, (0.0, -1.0, -1.0), -2.0, prop_id="p1")
    with pytest.raises(InputError, match="direction"):
        place_prop(crate, open_sky, (0.0, 0.0, 0.0), 1.0, prop_id="p1")


def test_next_prop_id(crate):
    from scene.composition import Prop

    assert next_prop_id([]) == "p1"
    assert next_prop_id([Prop("p2", crate), Prop("p7", crate)]) == "p8"
