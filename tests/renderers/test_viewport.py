"""The Qt viewport on real OpenGL under Xvfb: framebuffer contents, mouse, wheel, keys, modes, updates."""

from __future__ import annotations

import numpy as np
import pytest

from renderers import view_math as vm
from scene.mesh import build_depth_mesh
from scene.mesh_settings import MeshSettings
from scene.testing.analytic import box_room

pytestmark = pytest.mark.gl

PILLAR_YAW = float(np.degrees(np.arctan2(1.0, 1.8)))
UNCUT = MeshSettings(cut_threshold=np.inf)


@pytest.fixture(scope="module")
def room():
    return box_room(256)


@pytest.fixture(scope="module")
def room_mesh(room):
    return build_depth_mesh(room.panorama, UNCUT)


@pytest.fixture
def viewport(qtbot, room, room_mesh):
    from renderers.viewport import Viewport

    vp = Viewport(size=(160, 120))
    qtbot.addWidget(vp.native)
    vp.native.resize(160, 120)
    vp.native.show()
    qtbot.waitExposed(vp.native)
    vp.set_scene(room.panorama, room_mesh)
    yield vp
    vp.close()


def centre(img: np.ndarray) -> np.ndarray:
    return img[img.shape[0] // 2, img.shape[1] // 2].astype(int)


def close_to(pixel, colour, tol=3) -> bool:
    return bool(np.all(np.abs(np.asarray(pixel, int) - np.asarray(colour)) <= tol))


# -- event helpers (real Qt events into the native widget) --------------------------------------
def _mouse(widget, kind, x, y, button=True):
    from PySide6 import QtCore, QtGui, QtWidgets

    pos = QtCore.QPointF(x, y)
    btn = QtCore.Qt.MouseButton.LeftButton
    buttons = btn if button else QtCore.Qt.MouseButton.NoButton
    types = {"press": QtCore.QEvent.Type.MouseButtonPress,
             "move": QtCore.QEvent.Type.MouseMove,
             "release": QtCore.QEvent.Type.MouseButtonRelease}
    which = QtCore.Qt.MouseButton.NoButton if kind == "move" else btn
    if kind == "release":
        buttons = QtCore.Qt.MouseButton.NoButton
    ev = QtGui.QMouseEvent(types[kind], pos, widget.mapToGlobal(pos), which, buttons,
                           QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(widget, ev)


def drag(widget, start, end, steps=5):
    _mouse(widget, "press", *start)
    for i in range(1, steps + 1):
        t = i / steps
        _mouse(widget, "move", start[0] + (end[0] - start[0]) * t,
               start[1] + (end[1] - start[1]) * t)
    _mouse(widget, "release", *end)


def wheel(widget, notches: int):
    from PySide6 import QtCore, QtGui, QtWidgets

    pos = QtCore.QPointF(80, 60)
    for _ in range(abs(notches)):
        ev = QtGui.QWheelEvent(pos, widget.mapToGlobal(pos), QtCore.QPoint(0, 0),
                               QtCore.QPoint(0, 120 if notches > 0 else -120),
                               QtCore.Qt.MouseButton.NoButton,
                               QtCore.Qt.KeyboardModifier.NoModifier,
                               QtCore.Qt.ScrollPhase.NoScrollPhase, False)
        QtWidgets.QApplication.sendEvent(widget, ev)


def press_keys(qtbot, widget, key, times):
    from PySide6 import QtCore

    for _ in range(times):
        qtbot.keyClick(widget, getattr(QtCore.Qt.Key, f"Key_{key}"))


# -- tests ------------------------------------------------------------------------------------
def test_framebuffer_shows_the_scene(viewport, room):
    img = viewport.grab()
    assert img.shape == (120, 160, 3)
    assert close_to(centre(img), room.colours["wall_front"])
    viewport.set_look(yaw_deg=90)
    assert close_to(centre(viewport.grab()), room.colours["wall_right"])
    viewport.set_look(yaw_deg=PILLAR_YAW)
    img = viewport.grab()
    assert close_to(centre(img), room.colours["pillar"])
    # Known place: the pillar's projection lands where view_math says.
    cam = viewport.inside_camera
    (x, y), _ = vm.project_points([1.0, 0.5, -1.8], cam.view_matrix(),
                                  cam.projection_matrix(160 / 120), (160, 120))
    assert close_to(img[int(y), int(x)], room.colours["pillar"])


def test_mouse_drag_turns_the_view(qtbot, viewport, room):
    widget = viewport.native
    drag(widget, (40, 60), (100, 60))
    # The scene follows the pointer: 60 px right at 90° over 160 px turns 33.75° left.
    assert viewport.inside_camera.state.yaw_deg == pytest.approx(-60 * 90 / 160)
    drag(widget, (80, 30), (80, 70))
    assert viewport.inside_camera.state.pitch_deg == pytest.approx(40 * 90 / 160)
    # Back to where the drag began: the front wall is in the centre again.
    drag(widget, (100, 70), (40, 30))
    assert viewport.inside_camera.state.yaw_deg == pytest.approx(0.0, abs=1e-9)
    assert viewport.inside_camera.state.pitch_deg == pytest.approx(0.0, abs=1e-9)
    assert close_to(centre(viewport.grab()), room.colours["wall_front"])


def test_wheel_changes_the_field_of_view_within_limits(viewport):
    cam = viewport.inside_camera
    wheel(viewport.native, 1)
    assert cam.state.fov_deg == pytest.approx(90 / 1.1)
    wheel(viewport.native, 40)
    assert cam.state.fov_deg == pytest.approx(30.0)
    wheel(viewport.native, -60)
    assert cam.state.fov_deg == pytest.approx(120.0)
    assert viewport.current_stats().fov_deg == pytest.approx(120.0)


def test_keys_move_the_eye_within_the_radius(qtbot, viewport):
    widget = viewport.native
    cam = viewport.inside_camera
    before = viewport.grab()
    press_keys(qtbot, widget, "W", 3)
    np.testing.assert_allclose(cam.state.eye, [0, 0, -0.15], atol=1e-9)  # yaw 0: forward is -Z
    press_keys(qtbot, widget, "W", 30)
    np.testing.assert_allclose(cam.state.eye, [0, 0, -0.5], atol=1e-9)   # clamped at 0.5 m
    press_keys(qtbot, widget, "D", 30)
    assert np.linalg.norm(cam.state.eye) == pytest.approx(0.5)
    assert cam.state.eye[0] > 0.3                                         # moved right (+X)
    press_keys(qtbot, widget, "Left", 60)
    assert cam.state.eye[0] < -0.3
    assert not np.array_equal(viewport.grab(), before)                    # parallax
    # Double-click recentres the eye, the direction and the zoom.
    viewport.set_look(yaw_deg=45, fov_deg=60)
    qtbot.mouseDClick(widget, __import__("PySide6").QtCore.Qt.MouseButton.LeftButton)
    np.testing.assert_allclose(cam.state.eye, 0)
    assert (cam.state.yaw_deg, cam.state.fov_deg) == (0.0, 90.0)
    np.testing.assert_array_equal(viewport.grab(), before)


def test_modes_render_differently(viewport, room):
    images = {}
    for mode in ("textured", "depth", "wireframe", "points"):
        viewport.set_mode(mode)
        images[mode] = viewport.grab()
    names = list(images)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not np.array_equal(images[a], images[b]), (a, b)
    assert close_to(centre(images["textured"]), room.colours["wall_front"])
    with pytest.raises(Exception, match="unknown viewport mode"):
        viewport.set_mode("shaded")


def test_update_mesh_changes_the_image(viewport, room, room_mesh):
    """Live depth edit: push the pillar back to the wall; the depth view shows it at once."""
    viewport.set_mode("depth")
    viewport.set_look(yaw_deg=PILLAR_YAW)
    before = centre(viewport.grab())
    no_pillar = box_room(256, pillar=None).panorama.distance
    edited = build_depth_mesh(room.panorama, UNCUT, distance=no_pillar)
    assert viewport.update_mesh(edited) is True          # same topology: positions only
    after = centre(viewport.grab())
    assert after.sum() > before.sum() + 60                # far (bright) instead of near (dark)
    # A different topology (cut faces) takes the full rebuild and still draws.
    cut = build_depth_mesh(room.panorama)
    assert viewport.update_mesh(cut) is False
    assert viewport.triangle_count == cut.n_faces
    assert close_to(centre(viewport.grab()), before, tol=6)


def test_outside_view_looks_into_the_room(viewport, room):
    viewport.set_view("outside")
    cam = viewport.outside_camera
    img = viewport.grab()
    # The centre ray goes through the origin along the camera's forward direction; the near
    # walls are culled, so it shows the surface the ray from the origin hits.
    fwd = vm.forward_vector(cam.state.yaw_deg, cam.state.pitch_deg)
    expected = room.colours[room.labels[int(room.label_of(fwd))]]
    assert close_to(centre(img), expected)
    # Orbit with the mouse: a drag changes the camera's yaw.
    drag(viewport.native, (40, 60), (90, 60))
    assert cam.state.yaw_deg == pytest.approx(-50 * 0.4)
    viewport.set_view("inside")
    assert close_to(centre(viewport.grab()), room.colours["wall_front"])


def test_stats_callback_reports_triangles_and_frame_time(qtbot, viewport, room_mesh):
    seen = []
    viewport.stats = seen.append
    viewport.set_mode("textured")
    viewport.native.update()
    qtbot.waitUntil(lambda: len(seen) > 0, timeout=5000)
    s = seen[-1]
    assert s.triangles == room_mesh.n_faces and s.vertices == room_mesh.n_vertices
    assert s.frame_time_ms > 0 and np.isfinite(s.frame_time_ms)
    assert viewport.frame_time_ms == s.frame_time_ms
    assert (s.mode, s.view) == ("textured", "inside")


def test_clear_shows_only_the_background_until_the_next_scene(viewport, room, room_mesh):
    from renderers.viewport import BACKGROUND

    viewport.clear()
    img = viewport.grab()
    bg = np.rint(np.array(BACKGROUND) * 255)
    assert np.abs(img.reshape(-1, 3) - bg).max() <= 1
    with pytest.raises(Exception, match="set_scene"):
        viewport.update_mesh(room_mesh)
    viewport.set_scene(room.panorama, room_mesh)
    assert close_to(centre(viewport.grab()), room.colours["wall_front"])
