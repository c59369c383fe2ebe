"""The Qt viewport draws the whole composition: props where their transform puts them, the
layer filling what a moved eye sees behind the pillar, parts kept through dome edits."""

from __future__ import annotations

import numpy as np
import pytest

from renderers import view_math as vm
from renderers.scene_parts import scene_parts
from scene.composition import Scene
from scene.mesh import build_depth_mesh
from tests.renderers.composition_fixtures import UNLIT_COLOUR, composition

pytestmark = pytest.mark.gl

SIZE = (160, 120)


@pytest.fixture(scope="module")
def comp():
    room, scene = composition(256)
    return room, scene, build_depth_mesh(scene.dome), scene_parts(scene)


@pytest.fixture
def viewport(qtbot):
    from renderers.viewport import Viewport

    vp = Viewport(size=SIZE, backdrop=False)
    qtbot.addWidget(vp.native)
    vp.native.resize(*SIZE)
    vp.native.show()
    qtbot.waitExposed(vp.native)
    yield vp
    vp.close()


def prop_pixel(viewport, prop):
    cam = viewport.inside_camera
    (x, y), front = vm.project_points(np.asarray(prop.transform.translation), cam.view_matrix(),
                                      cam.projection_matrix(SIZE[0] / SIZE[1]), SIZE)
    assert front
    return int(y), int(x)


def test_props_and_layers_show_and_stay_through_dome_edits(viewport, comp):
    room, scene, mesh, parts = comp
    viewport.set_scene(scene.dome, mesh, parts=parts)
    unlit = scene.props[0]
    img = viewport.grab()
    assert tuple(img[prop_pixel(viewport, unlit)]) == UNLIT_COLOUR
    assert viewport.triangle_count == mesh.n_faces + parts.n_faces
    assert viewport.current_stats().triangles == viewport.triangle_count
    # A live edit of the dome's mesh keeps the props.
    assert viewport.update_mesh(build_depth_mesh(scene.dome))
    assert tuple(viewport.grab()[prop_pixel(viewport, unlit)]) == UNLIT_COLOUR
    # A new scene without parts shows the dome alone.
    viewport.set_scene(scene.dome, mesh)
    assert tuple(viewport.grab()[prop_pixel(viewport, unlit)]) != UNLIT_COLOUR
    assert viewport.triangle_count == mesh.n_faces


def test_the_layer_fills_the_holes_a_moved_eye_sees(viewport, comp):
    from renderers.viewport import BACKGROUND

    room, scene, mesh, parts = comp
    bg = np.rint(np.array(BACKGROUND) * 255)

    def holes():
        return int(np.count_nonzero(np.abs(viewport.grab() - bg).max(axis=-1) <= 1))

    viewport.set_scene(scene.dome, mesh)
    viewport.set_look(yaw_deg=30.0, fov_deg=60.0, eye=(-0.4, 0.0, 0.1))
    without = holes()
    viewport.set_parts(scene_parts(Scene(dome=scene.dome, layers=scene.layers)))
    assert without > 20 and holes() == 0
