"""Walk mode in the Qt viewport (real OpenGL under Xvfb): keys move the eye on its level, it
stops at the walk radius, and the ring on the floor is drawn where the radius is."""

from __future__ import annotations

import numpy as np
import pytest

from renderers import view_math as vm
from renderers.walk_ring import RING_COLOUR, ring_points
from scene.composition import Layer, Scene
from scene.mesh import build_depth_mesh
from scene.testing.analytic import box_room
from scene.walk_bounds import WalkBounds, floor_height, walk_bounds
from tests.renderers.test_viewport import press_keys

pytestmark = pytest.mark.gl
CYAN = np.array(RING_COLOUR) * 255


@pytest.fixture(scope="module")
def room():
    return box_room(256)


@pytest.fixture
def viewport(qtbot, room):
    from renderers.viewport import Viewport

    vp = Viewport(size=(160, 120))
    qtbot.addWidget(vp.native)
    vp.native.resize(160, 120)
    vp.native.show()
    qtbot.waitExposed(vp.native)
    vp.set_scene(room.panorama, build_depth_mesh(room.panorama))
    yield vp
    vp.close()


def cyan_pixels(img) -> np.ndarray:
    return np.all(np.abs(img.astype(int) - CYAN) <= 8, axis=-1)


def test_keys_walk_on_the_eye_level_and_stop_at_the_radius(qtbot, viewport, room):
    bounds = WalkBounds(0.3, "recorded", None, floor_height(room.panorama))
    viewport.set_walk(True, bounds)
    cam = viewport.inside_camera
    widget = viewport.native
    press_keys(qtbot, widget, "W", 3)
    np.testing.assert_allclose(cam.state.eye, [0, 0, -0.15], atol=1e-9)
    press_keys(qtbot, widget, "E", 4)  # up/down do nothing while walking
    press_keys(qtbot, widget, "PageUp", 2)
    assert cam.state.eye[1] == 0.0
    press_keys(qtbot, widget, "Up", 10)
    np.testing.assert_allclose(cam.state.eye, [0, 0, -0.3], atol=1e-9)  # stopped at 0.3 m
    viewport.set_look(yaw_deg=90)
    press_keys(qtbot, widget, "D", 20)  # now facing +X; D steps towards +Z
    assert np.hypot(cam.state.eye[0], cam.state.eye[2]) == pytest.approx(0.3)
    assert cam.state.eye[1] == 0.0
    viewport.set_walk(False)
    press_keys(qtbot, widget, "E", 2)
    assert cam.state.eye[1] == pytest.approx(0.1)  # free look-around moves up again


def test_the_ring_is_drawn_on_the_floor_at_the_radius(viewport, room):
    floor = floor_height(room.panorama)
    assert floor == pytest.approx(-1.6, abs=0.05)  # the box room's floor
    viewport.set_look(pitch_deg=-60, fov_deg=100)
    assert not cyan_pixels(viewport.grab()).any()  # no ring outside walk mode
    viewport.set_walk(True, WalkBounds(0.6, "recorded", None, floor))
    img = viewport.grab()
    ring = cyan_pixels(img)
    assert ring.sum() > 40
    cam = viewport.inside_camera
    pts = ring_points(0.6, floor, 64)
    xy, front = vm.project_points(pts, cam.view_matrix(), cam.projection_matrix(160 / 120),
                                  (160, 120))
    inside = front & (xy[:, 0] >= 2) & (xy[:, 0] < 158) & (xy[:, 1] >= 2) & (xy[:, 1] < 118)
    assert inside.sum() > 10
    hits = [ring[int(y) - 1:int(y) + 2, int(x) - 1:int(x) + 2].any() for x, y in xy[inside]]
    assert np.mean(hits) > 0.9
    viewport.set_walk(False)
    assert not cyan_pixels(viewport.grab()).any()


def test_walk_bounds_come_from_the_recorded_zone_then_the_layers_then_the_default(room):
    pano = room.panorama
    assert walk_bounds(Scene(pano)).radius == 0.5 and walk_bounds(Scene(pano)).source == "default"
    layer = Layer("l1", pano, kind="fill", walk_radius=0.8)
    assert walk_bounds(Scene(pano, (layer,))).radius == 0.8
    pano.metadata.extra["walk_zone"] = {"walk_radius_m": 0.4, "layers_m": 0.35, "dome_m": 0.0}
    try:
        b = walk_bounds(Scene(pano, (layer,)))
        assert (b.radius, b.source, b.measured) == (0.4, "recorded", 0.35)
        assert walk_bounds(Scene(pano)).measured == 0.0
    finally:
        del pano.metadata.extra["walk_zone"]
