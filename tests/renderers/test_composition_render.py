"""Offscreen renders of a whole composition: dome + layer + props, with known answers.

The dome is the analytic box room; the layer holds the empty room's walls behind the pillar;
the props are flat-coloured cubes at known transforms, so where each one lands in a render is
computed from its transform and the camera.
"""

from __future__ import annotations

import numpy as np
import pytest

from renderers import view_math as vm
from renderers.offscreen import OffscreenRenderer, render_scene
from renderers.scene_parts import NO_PARTS, scene_parts, shade
from scene.composition import Scene
from scene.mesh import build_depth_mesh
from tests.renderers.composition_fixtures import LIT_COLOUR, UNLIT_COLOUR, composition

pytestmark = pytest.mark.gl

SIZE = (160, 120)
FOV = 90.0


@pytest.fixture(scope="module")
def comp():
    room, scene = composition(256)
    return room, scene, build_depth_mesh(scene.dome), scene_parts(scene)


def expected_pixel(point, yaw=0.0, pitch=0.0, eye=(0.0, 0.0, 0.0)):
    view = vm.view_yaw_pitch(yaw, pitch, eye)
    proj = vm.perspective(FOV, SIZE[0] / SIZE[1], 0.02, 100.0)
    (x, y), in_front = vm.project_points(np.asarray(point, float), view, proj, SIZE)
    assert in_front
    return int(y), int(x)


def prop_box(prop, yaw=0.0, eye=(0.0, 0.0, 0.0), margin=2):
    """Rows/columns (y0, y1, x0, x1) bounding a prop's projected corners, plus a margin."""
    lo, hi = prop.mesh.bounds()
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                        for z in (lo[2], hi[2])])
    world = prop.transform.apply(corners)
    view = vm.view_yaw_pitch(yaw, 0.0, eye)
    proj = vm.perspective(FOV, SIZE[0] / SIZE[1], 0.02, 100.0)
    xy, _ = vm.project_points(world, view, proj, SIZE)
    return (int(xy[:, 1].min()) - margin, int(xy[:, 1].max()) + margin + 1,
            int(xy[:, 0].min()) - margin, int(xy[:, 0].max()) + margin + 1)


def test_an_unlit_prop_shows_its_colour_where_its_transform_puts_it(comp):
    room, scene, mesh, parts = comp
    img = render_scene(scene, size=SIZE, fov_deg=FOV)
    unlit = scene.props[0]
    y, x = expected_pixel(unlit.transform.translation)
    assert tuple(img[y, x]) == UNLIT_COLOUR
    # Elsewhere the dome: outside the props' projected boxes, exactly the render without props
    # (which test_offscreen checks against the analytic room).
    bare = render_scene(Scene(dome=scene.dome, layers=scene.layers), size=SIZE, fov_deg=FOV)
    outside = np.ones(img.shape[:2], bool)
    for prop in scene.props[:2]:
        y0, y1, x0, x1 = prop_box(prop)
        outside[max(y0, 0):y1, max(x0, 0):x1] = False
    assert outside.mean() > 0.9
    assert np.array_equal(img[outside], bare[outside])
    assert not np.array_equal(img, bare)
    # Inside the unlit box's projection the prop colour covers a solid patch.
    y0, y1, x0, x1 = prop_box(unlit, margin=-3)
    assert (img[y0:y1, x0:x1] == UNLIT_COLOUR).all(axis=-1).mean() > 0.5


def test_a_lit_prop_is_shaded_by_the_light_and_its_normal(comp):
    room, scene, mesh, parts = comp
    img = render_scene(scene, size=SIZE, fov_deg=FOV)
    lit = scene.props[1]
    y, x = expected_pixel(lit.transform.translation)
    # From the centre its +Z face is seen (the ray to its centre crosses z = -2.4 inside it).
    want = shade(np.array([[*LIT_COLOUR, 255]], np.uint8), np.array([[0.0, 0.0, 1.0]]), True)[0]
    assert np.abs(img[y, x].astype(float) - want).max() <= 2, (img[y, x], want)
    # Lit differs from the raw colour (the light is not along +Z).
    assert np.abs(img[y, x].astype(float) - np.array(LIT_COLOUR)).max() > 20


def test_the_depth_test_hides_a_prop_behind_the_pillar(comp):
    room, scene, mesh, parts = comp
    hidden = scene.props[2]
    yaw = float(np.degrees(np.arctan2(hidden.transform.translation[0],
                                      -hidden.transform.translation[2])))
    img = render_scene(scene, size=SIZE, fov_deg=FOV, yaw_deg=yaw)
    y, x = expected_pixel(hidden.transform.translation, yaw=yaw)
    assert tuple(img[y, x]) == room.colours["pillar"]
    # Without the pillar in the way it would show.
    only = Scene(dome=scene.dome, props=(hidden,))
    assert not (np.abs(img.astype(int) - UNLIT_COLOUR).max(axis=-1) == 0).any()
    bare = render_scene(Scene(dome=scene.dome), size=SIZE, fov_deg=FOV, yaw_deg=yaw)
    assert np.array_equal(render_scene(only, size=SIZE, fov_deg=FOV, yaw_deg=yaw), bare)


def holes(img):
    return int(np.count_nonzero(img.sum(axis=-1) == 0))


def test_a_layer_fills_what_a_moved_eye_sees_behind_the_pillar(comp):
    room, scene, mesh, parts = comp
    kw = dict(yaw_deg=30.0, fov_deg=60.0, eye=(-0.4, 0.0, 0.1))
    no_layer = scene_parts(Scene(dome=scene.dome))
    layer_only = scene_parts(Scene(dome=scene.dome, layers=scene.layers))
    assert len(layer_only.layers) == 1 and not layer_only.props
    with OffscreenRenderer(scene.dome, mesh, size=SIZE, backdrop=False,
                           parts=no_layer) as r:
        without = r.render(**kw)
    with OffscreenRenderer(scene.dome, mesh, size=SIZE, backdrop=False,
                           parts=layer_only) as r:
        with_layer = r.render(**kw)
        from_centre = r.render(yaw_deg=30.0, fov_deg=60.0)
    assert holes(without) > 20
    assert holes(with_layer) == 0
    # What fills them is the wall behind the pillar, not the pillar's colour smeared.
    filled = (without.sum(axis=-1) == 0)
    walls = [room.colours[n] for n in ("wall_front", "wall_right", "floor", "ceiling")]
    got = with_layer[filled].astype(int)
    near_wall = np.min([np.abs(got - c).max(axis=-1) for c in walls], axis=0)
    assert np.mean(near_wall <= 6) > 0.9
    # From the capture point the layer is hidden behind the pillar: the dome shows, with no
    # slits beside the pillar (what the cut removes is backed, scene.backing).
    with OffscreenRenderer(scene.dome, mesh, size=SIZE, backdrop=False) as r:
        dome_only = r.render(yaw_deg=30.0, fov_deg=60.0)
    assert holes(dome_only) == 0 and holes(from_centre) == 0
    # (the backing and the layer both lie on the far wall beside the pillar: either may show)
    same = np.abs(from_centre.astype(int) - dome_only).max(axis=-1) <= 6
    assert same.mean() > 0.98


def test_a_dome_only_scene_renders_like_the_single_panorama_entry_point(comp):
    room, scene, mesh, parts = comp
    dome = Scene(dome=scene.dome)
    with OffscreenRenderer(scene.dome, mesh, size=SIZE) as r:
        plain = r.render(yaw_deg=45.0)
    assert np.array_equal(render_scene(dome, size=SIZE, yaw_deg=45.0), plain)
    with OffscreenRenderer(scene.dome, mesh, size=SIZE, parts=NO_PARTS) as r:
        assert np.array_equal(r.render(yaw_deg=45.0), plain)


def test_depth_mode_colours_props_by_distance_too(comp):
    room, scene, mesh, parts = comp
    img = render_scene(scene, size=SIZE, fov_deg=FOV, mode="depth")
    y, x = expected_pixel(scene.props[0].transform.translation)
    assert tuple(img[y, x]) != UNLIT_COLOUR
    bare = render_scene(Scene(dome=scene.dome), size=SIZE, fov_deg=FOV, mode="depth")
    # The prop is nearer than the wall behind it: another colour of the map.
    assert np.abs(img[y, x].astype(int) - bare[y, x]).max() > 10
