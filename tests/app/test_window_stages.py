"""The window's stages and props, for real: gallery actions, worker threads, undo, the viewport.

"Upscale ×4", "Repair Poles" and "Estimate Depth" on a gallery item each add a child result
through the document's undo stack; "Add Prop…" makes a procedural prop and stands it where a
click in the 3D view meets the depth surface.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from scene.panorama import RGBDPanorama
from scene.project import load_project
from scene.testing.analytic import box_room
from tests.app.conftest import wait_mesh

pytest.importorskip("cv2")


def _procedural(width: int = 64):
    from app import workflows
    from models.base import GenerationRequest

    return workflows.generate("procedural", GenerationRequest(prompt="a pine forest", seed=3,
                                                              width=width, height=width // 2))


def _run(qtbot, w, label: str, rid: str, timeout: int = 60000) -> str:
    """Trigger gallery item ``rid``'s context-menu entry ``label``; the stage's outcome."""
    entries = dict(w.gallery.extra_actions(rid))
    with qtbot.waitSignal(w.stages.stageEnded, timeout=timeout) as sig:
        entries[label]()
    return sig.args[1]


def test_upscale_adds_a_4x_child_and_undo_removes_it(make_window, qtbot):
    w = make_window()
    parent = w.doc.add_made(_procedural(64))
    assert _run(qtbot, w, "Upscale ×4", parent.id) == "finished"
    assert [r.id for r in w.doc.results] == [parent.id, "r2"] and w.doc.active_id == "r2"
    child = w.doc.result("r2")
    assert child.kind == "upscaled" and child.parent_id == parent.id
    assert (child.panorama.width, child.panorama.height) == (256, 128)
    assert child.panorama.metadata.extra["upscale"]["method"] == "classical"
    assert w.gallery.ids() == [parent.id, "r2"]
    w.doc.undo_stack.undo()
    assert [r.id for r in w.doc.results] == [parent.id] and w.doc.active_id == parent.id
    assert w.gallery.ids() == [parent.id]
    w.doc.undo_stack.redo()
    assert w.doc.active_id == "r2" and w.doc.result("r2") is child


def test_cancel_stops_the_upscale_and_adds_nothing(make_window, qtbot, monkeypatch):
    import models.ldm3d_sr.classical as classical

    gate = threading.Event()
    original = classical.upscale_rgb

    def held(rgb, factor):  # hold the stage between its first and second step
        assert gate.wait(30)
        return original(rgb, factor)

    monkeypatch.setattr(classical, "upscale_rgb", held)
    w = make_window()
    parent = w.doc.add_made(_procedural(64))
    steps = w.doc.undo_stack.count()
    worker = w.stages.start("upscale", parent.id)
    assert w.stages.progress.isVisible()
    qtbot.waitUntil(lambda: worker.last_progress is not None, timeout=20000)
    with qtbot.waitSignal(w.stages.stageEnded, timeout=30000) as sig:
        qtbot.mouseClick(w.stages.progress.cancel_button, Qt.MouseButton.LeftButton)
        gate.set()
    assert sig.args == ["upscale", "cancelled"]
    assert [r.id for r in w.doc.results] == [parent.id]
    assert w.doc.undo_stack.count() == steps and not w.prompter.errors
    assert not w.stages.progress.isVisible()


def test_repair_poles_adds_a_repaired_child(make_window, qtbot):
    clean = box_room(128, pillar=None).panorama
    damaged_rgb = clean.rgb.copy()
    rows = slice(0, 6)  # within 17° of the zenith (the panorama is 128x64)
    damaged_rgb[rows] = np.random.default_rng(0).integers(0, 256, damaged_rgb[rows].shape)
    damaged = RGBDPanorama(rgb=damaged_rgb, raw_depth=clean.raw_depth,
                           interpretation=clean.interpretation, metadata=clean.metadata)
    w = make_window()
    parent = w.doc.add_result(damaged, kind="imported")
    assert _run(qtbot, w, "Repair Poles", parent.id) == "finished"
    child = w.doc.active
    assert child.kind == "repaired" and child.parent_id == parent.id
    out = child.panorama.rgb.astype(float)
    # the cap is restored towards the clean ceiling; away from the caps nothing changed
    err_damaged = np.abs(damaged_rgb[rows].astype(float) - clean.rgb[rows]).mean()
    err_repaired = np.abs(out[rows] - clean.rgb[rows]).mean()
    assert err_repaired < 0.25 * err_damaged
    middle = slice(16, 48)  # |lat| < 45°, outside the 20° caps and their 5° feather
    assert np.array_equal(child.panorama.rgb[middle], damaged_rgb[middle])
    w.doc.undo_stack.undo()
    assert [r.id for r in w.doc.results] == [parent.id]


@pytest.fixture(scope="module")
def tiny_depth(tmp_path_factory):
    from tests.models.tiny_depth_anything import build_tiny_depth_anything

    return build_tiny_depth_anything(tmp_path_factory.mktemp("da") / "tiny-da")


def _rgb_only(width: int = 128) -> RGBDPanorama:
    return RGBDPanorama(rgb=box_room(width).panorama.rgb)


def test_estimate_depth_adds_a_depth_estimated_child(make_window, qtbot, tiny_depth):
    w = make_window()
    w.settings.set_model_folder("depth-anything-v2-small", str(tiny_depth))
    w.settings.set_device("cpu")
    with_depth = w.doc.add_result(box_room(64).panorama, kind="imported")
    assert "Estimate Depth" not in dict(w.gallery.extra_actions(with_depth.id))
    parent = w.doc.add_result(_rgb_only(), kind="imported")
    assert _run(qtbot, w, "Estimate Depth", parent.id, timeout=120000) == "finished"
    assert not w.prompter.errors
    child = w.doc.active
    assert child.kind == "depth-estimated" and child.parent_id == parent.id
    assert child.panorama.has_depth and np.array_equal(child.panorama.rgb, parent.panorama.rgb)
    assert child.panorama.metadata.extra["depth_estimation"]["model_id"] == str(tiny_depth)
    assert not parent.panorama.has_depth
    wait_mesh(qtbot, w)
    w.doc.undo_stack.undo()
    assert w.doc.active_id == parent.id and len(w.doc.results) == 2


def test_estimate_depth_without_weights_names_the_models_page(make_window, qtbot, tmp_path,
                                                              monkeypatch):
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    w = make_window()
    parent = w.doc.add_result(_rgb_only(64), kind="imported")
    assert _run(qtbot, w, "Estimate Depth", parent.id) == "errored"
    (title, exc), = w.prompter.errors
    text = f"{exc.message} {exc.hint}"
    assert title == "Estimate Depth failed"
    assert "Preferences ▸ Models" in text and "Copy download command" in text
    assert "hf download depth-anything/Depth-Anything-V2-Small-hf" in text
    assert "--depth-model" not in text and "--" not in exc.message
    assert [r.id for r in w.doc.results] == [parent.id]


def _expected_click_direction(x: int, y: int, size, yaw: float, pitch: float, fov: float):
    """The view direction through the centre of widget pixel (x, y), from the pinhole model:
    horizontal field of view ``fov``, the camera turned by ``yaw``/``pitch``."""
    from renderers.view_math import rotation_yaw_pitch

    width, height = size
    tx = np.tan(np.radians(fov) / 2)
    ty = tx * height / width
    cam = np.array([(2 * (x + 0.5) / width - 1) * tx, (1 - 2 * (y + 0.5) / height) * ty, -1.0])
    d = rotation_yaw_pitch(yaw, pitch) @ cam
    return d / np.linalg.norm(d)


def test_add_prop_by_clicking_the_viewport_stands_it_on_the_clicked_floor(
        make_window, qtbot, tmp_path):
    from app.window.props import PropOptions
    from app.workflows_props import describe_prop
    from scene.placement import surface_hit

    scene = box_room(128)
    w = make_window()
    res = w.doc.add_result(scene.panorama, kind="imported")
    wait_mesh(qtbot, w)
    faces_before = w.viewport.triangle_count
    yaw, pitch, fov = 0.0, -30.0, 90.0
    w.viewport.set_look(yaw_deg=yaw, pitch_deg=pitch, fov_deg=fov)
    with qtbot.waitSignal(w.stages.stageEnded, timeout=60000) as sig:
        w.props.begin(PropOptions(prompt="a red crate", height=0.5, grid=32))
    assert sig.args == ["add_prop", "finished"] and w.props.pending is not None
    native = w.viewport.native
    size = (native.width(), native.height())
    x, y = size[0] // 2 - 40, int(size[1] * 0.75)
    qtbot.mouseClick(native, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert w.props.pending is None and not w.prompter.errors
    (prop,) = w.doc.result(res.id).props
    d = _expected_click_direction(x, y, size, yaw, pitch, fov)
    assert d[1] < 0  # (the floor)
    point, _ = surface_hit(scene.panorama, d)
    base = np.array(describe_prop(prop)["base"])
    np.testing.assert_allclose(base, point, atol=2e-3)
    floor = d * (-1.6 / d[1])  # the analytic floor, 1.6 m below the eye
    np.testing.assert_allclose(base, floor, rtol=0.02, atol=0.02)
    assert prop.source["placement"]["surface"] == "ground"
    assert abs(describe_prop(prop)["height_m"] - 0.5) < 1e-3
    assert w.viewport.triangle_count == faces_before + prop.mesh.n_faces
    assert w.props_panel.list.count() == 1
    assert abs(w.props_panel.spins["height"].value() - 0.5) < 1e-2
    # numeric fields move it (one undo step each)
    w.props_panel.spins["x"].setValue(base[0] + 0.25)
    x_field = w.props_panel.spins["x"].value()  # (millimetres)
    assert abs(x_field - (base[0] + 0.25)) <= 5e-4
    moved = w.doc.result(res.id).props[0]
    np.testing.assert_allclose(describe_prop(moved)["base"], [x_field, base[1], base[2]],
                               atol=1e-3)
    w.doc.undo_stack.undo()
    np.testing.assert_allclose(describe_prop(w.doc.result(res.id).props[0])["base"], base,
                               atol=1e-3)
    # undo removes it (and the viewport stops drawing it); redo brings it back
    w.doc.undo_stack.undo()
    assert w.doc.result(res.id).props == [] and w.viewport.triangle_count == faces_before
    w.doc.undo_stack.redo()
    assert w.doc.result(res.id).props == [prop]
    # saved in the project and read back
    path = tmp_path / "room.panoforge"
    assert w.save_as(path)
    (back,) = load_project(path).results[0].props
    assert back.id == prop.id and back.name == prop.name
    np.testing.assert_allclose(back.transform.matrix(), prop.transform.matrix(), atol=1e-9)
    # and a window that opens the file shows it: the Props panel and the viewport
    w2 = make_window()
    assert w2.files.open_project(path)
    wait_mesh(qtbot, w2)
    assert w2.props_panel.list.count() == 1 and w2.props_panel.current_prop_id() == prop.id
    assert w2.viewport.triangle_count == w2.current_mesh.n_faces + prop.mesh.n_faces


def test_an_lrm_prop_without_weights_names_the_models_page_and_procedural(
        make_window, qtbot, tmp_path, monkeypatch):
    from PIL import Image

    from app.window.props import PropOptions

    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    Image.fromarray(np.full((64, 64, 3), 200, np.uint8)).save(tmp_path / "statue.png")
    w = make_window()
    res = w.doc.add_result(box_room(64).panorama, kind="imported")
    with qtbot.waitSignal(w.stages.stageEnded, timeout=60000) as sig:
        w.props.begin(PropOptions(image=str(tmp_path / "statue.png"), backend="lrm",
                                  height=1.0, grid=32))
    assert sig.args == ["add_prop", "errored"] and w.props.pending is None
    (title, exc), = w.prompter.errors
    text = f"{exc.message} {exc.hint}"
    assert title == "Add Prop failed" and "Preferences ▸ Models" in text
    assert "Procedural" in text and "--" not in text.replace("--local-dir", "")
    assert w.doc.result(res.id).props == []


def test_add_prop_dialog_and_the_result_menu(make_window):
    from app.window.props import PropDialog

    w = make_window()
    dlg = PropDialog(w)
    dlg.prompt.setText("a mossy rock")
    dlg.height.setValue(0.6)
    o = dlg.options()
    assert (o.prompt, o.backend, o.height, o.image) == ("a mossy rock", "procedural", 0.6, "")
    dlg.deleteLater()
    texts = [a.text() for a in w.result_menu.actions() if a.text()]
    assert texts == ["Upscale ×4", "Repair Poles", "Estimate Depth", "Add &Prop…"]
    flat = w.doc.add_result(RGBDPanorama(rgb=box_room(64).panorama.rgb), kind="imported")
    assert [t for t, _ in w.gallery.extra_actions(flat.id)] == [
        "Upscale ×4", "Repair Poles", "Estimate Depth"]  # no depth: nothing to stand a prop on


def test_dragging_in_the_viewport_moves_the_selected_prop_over_the_surface(make_window, qtbot):
    from app.window.props import PropOptions
    from app.workflows_props import describe_prop
    from scene.placement import surface_hit

    scene = box_room(128)
    w = make_window()
    res = w.doc.add_result(scene.panorama, kind="imported")
    wait_mesh(qtbot, w)
    yaw, pitch, fov = 0.0, -30.0, 90.0
    w.viewport.set_look(yaw_deg=yaw, pitch_deg=pitch, fov_deg=fov)
    with qtbot.waitSignal(w.stages.stageEnded, timeout=60000):
        w.props.begin(PropOptions(prompt="a barrel", height=0.8, grid=32))
    native = w.viewport.native
    size = (native.width(), native.height())
    a = QPoint(size[0] // 2 - 40, int(size[1] * 0.75))
    b = QPoint(size[0] // 2 + 20, int(size[1] * 0.65))
    qtbot.mouseClick(native, Qt.MouseButton.LeftButton, pos=a)
    (placed,) = w.doc.result(res.id).props
    start = describe_prop(placed)["base"]
    steps = w.doc.undo_stack.count()
    look = w.viewport.inside_camera.state.yaw_deg, w.viewport.inside_camera.state.pitch_deg
    w.props_panel.drag_check.setChecked(True)
    qtbot.mousePress(native, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(native, QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2))
    qtbot.mouseMove(native, b)
    qtbot.mouseRelease(native, Qt.MouseButton.LeftButton, pos=b)
    (moved,) = w.doc.result(res.id).props
    d = _expected_click_direction(b.x(), b.y(), size, yaw, pitch, fov)
    np.testing.assert_allclose(describe_prop(moved)["base"], surface_hit(scene.panorama, d)[0],
                               atol=2e-3)
    assert abs(describe_prop(moved)["height_m"] - 0.8) < 1e-3
    assert (w.viewport.inside_camera.state.yaw_deg,
            w.viewport.inside_camera.state.pitch_deg) == look  # the view did not turn
    assert w.doc.undo_stack.count() == steps + 1  # the whole drag is one step
    w.doc.undo_stack.undo()
    np.testing.assert_allclose(describe_prop(w.doc.result(res.id).props[0])["base"], start,
                               atol=1e-6)
