"""The authoring window, for real: Qt widgets, the vispy viewport on Mesa, the real scene code.

Scenes come from :mod:`scene.testing.analytic`, so what the viewport must show and what the mesh must
be are known exactly.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from scene.project import load_project, project_to_bytes
from scene.testing.analytic import BOX_ROOM_COLOURS, box_room, nested_spheres
from tests.app.conftest import disparity_box_room, wait_mesh

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "diffusers", "transformers", "open3d")


def _add(window, pano, kind="imported"):
    res = window.doc.add_result(pano, kind=kind)
    return res


def test_window_starts_without_heavy_imports(qt_app, tmp_path):
    """`panoforge` opens the window without importing torch, diffusers or open3d."""
    code = (
        "import sys\n"
        "from app.window.app import make_application\n"
        "app = make_application([])\n"
        "from app.window.main_window import MainWindow\n"
        "from app.window.preferences_store import WindowSettings, make_settings\n"
        f"w = MainWindow(settings=WindowSettings(make_settings({str(tmp_path / 's.ini')!r})),"
        f" recovery_root={str(tmp_path / 'sessions')!r})\n"
        "w.show(); app.processEvents()\n"
        "print(w.isVisible(), w.viewport is not None)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "w.shutdown()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert lines[-2] == "True True"
    assert lines[-1] == "[]", f"heavy modules at start: {lines[-1]}"


def test_viewport_draws_the_active_result_s_layers_and_props(make_window, qtbot):
    from renderers import view_math as vm
    from tests.renderers.composition_fixtures import UNLIT_COLOUR, composition

    w = make_window()
    room, scene = composition(256)
    res = _add(w, scene.dome)
    res.layers[:] = list(scene.layers)
    res.props[:] = list(scene.props)
    wait_mesh(qtbot, w)
    assert w.viewport.triangle_count > w.current_mesh.n_faces
    w.viewport.set_look(yaw_deg=0.0, pitch_deg=0.0, fov_deg=90.0)
    img = w.viewport.grab()
    cam = w.viewport.inside_camera
    h, wd = img.shape[:2]
    (x, y), _ = vm.project_points(np.asarray(scene.props[0].transform.translation),
                                  cam.view_matrix(), cam.projection_matrix(wd / h), (wd, h))
    assert tuple(img[int(y), int(x)]) == UNLIT_COLOUR
    # The layer is meshed with the dome's settings, and follows them.
    from scene.mesh import build_depth_mesh

    layer_pano = scene.layers[0].panorama
    (node,) = w.viewport.layers.layer_nodes
    assert node.n_faces == build_depth_mesh(layer_pano, w.doc.mesh_settings).n_faces
    w.doc.set_mesh_settings(w.doc.mesh_settings.with_(cut_threshold=0.01))
    wait_mesh(qtbot, w)
    (node,) = w.viewport.layers.layer_nodes
    assert node.n_faces == build_depth_mesh(layer_pano, w.doc.mesh_settings).n_faces


def test_viewport_shows_the_box_room_in_its_known_colours(make_window, qtbot):
    w = make_window()
    scene = box_room(256)
    _add(w, scene.panorama)
    wait_mesh(qtbot, w)
    assert w.viewport.triangle_count == w.current_mesh.n_faces > 0
    assert w.tri_label.text().startswith(f"{w.current_mesh.n_faces:,}")
    w.viewport.set_look(yaw_deg=0.0, pitch_deg=0.0, fov_deg=60.0)
    img = w.viewport.grab()
    h, wd = img.shape[:2]
    bg = np.array([round(c * 255) for c in (0.11, 0.11, 0.13)])
    # the room fills the view (only the cut silhouette of the pillar lets the background through)
    assert (np.abs(img.astype(int) - bg).sum(axis=-1) > 30).mean() > 0.95
    # Straight ahead (-Z) is the front wall; to the right (+X) the right wall; down the floor.
    centre = img[h // 2 - 2:h // 2 + 3, wd // 2 - 2:wd // 2 + 3].reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(centre, BOX_ROOM_COLOURS["wall_front"], atol=4)
    w.viewport.set_look(yaw_deg=90.0, pitch_deg=0.0)
    img = w.viewport.grab()
    np.testing.assert_allclose(img[h // 2, wd // 2], BOX_ROOM_COLOURS["wall_right"], atol=4)
    w.viewport.set_look(yaw_deg=0.0, pitch_deg=-80.0)
    img = w.viewport.grab()
    np.testing.assert_allclose(img[h // 2, wd // 2], BOX_ROOM_COLOURS["floor"], atol=4)
    # The whole window grab includes the GL area (what the README screenshot relies on).
    win = w.grab().toImage()
    assert not win.isNull() and win.width() > 800


def _drag_far(w, qtbot, factor_steps):
    """Drag the far handle of the histogram region through several positions, then release."""
    region = w.depth_panel.region
    near, far = w.depth_panel.near_far()
    for f in factor_steps:
        region.lines[1].setValue(math.log10(far * f))  # a mouse move during the drag
        qtbot.wait(5)
    region.lineMoveFinished()  # the mouse button is released
    return far * factor_steps[-1]


def test_near_far_drag_reshapes_the_mesh_as_one_undo_step(make_window, qtbot):
    w = make_window()
    pano, near, far = disparity_box_room(256)
    _add(w, pano)
    wait_mesh(qtbot, w)
    before = w.current_mesh.positions.copy()
    r_before = np.linalg.norm(before, axis=1)
    new_far = _drag_far(w, qtbot, [1.2, 1.5, 1.8, 2.0])
    wait_mesh(qtbot, w)
    assert w.doc.undo_stack.count() == 1  # the whole drag is one step
    interp = w.doc.active.panorama.interpretation
    assert interp.far == pytest.approx(new_far, rel=1e-6) and interp.near == pytest.approx(near)
    after = w.current_mesh.positions.copy()
    r_after = np.linalg.norm(after, axis=1)
    assert r_after.max() == pytest.approx(2 * r_before.max(), rel=1e-3)  # farthest point moved
    assert w.viewport.triangle_count == w.current_mesh.n_faces
    w.act_undo.trigger()
    wait_mesh(qtbot, w)
    assert np.array_equal(w.current_mesh.positions, before)  # exactly the original mesh
    assert w.doc.active.panorama.interpretation.far == far
    assert w.depth_panel.far_spin.value() == pytest.approx(far, abs=0.01)
    w.act_redo.trigger()
    wait_mesh(qtbot, w)
    assert np.array_equal(w.current_mesh.positions, after)


def test_metric_depth_clip_cut_and_resolution_are_undoable(make_window, qtbot):
    w = make_window()
    scene = box_room(256)
    _add(w, scene.panorama)
    wait_mesh(qtbot, w)
    full = w.current_mesh
    # Clip the far distances to 3 m: no vertex stays beyond it.
    w.depth_panel.set_near_far(0.5, 3.0)
    wait_mesh(qtbot, w)
    assert np.linalg.norm(w.current_mesh.positions, axis=1).max() <= 3.0 + 1e-4
    assert w.panorama_view.image() is not None
    # The cut slider dragged through three values: one undo step.
    w.depth_panel.cut_slider.setSliderDown(True)
    w.depth_panel._on_cut_pressed()
    for v in (60, 40, 5):
        w.depth_panel.cut_slider.setValue(v)
    w.depth_panel.cut_slider.setSliderDown(False)
    w.depth_panel._on_cut_released()
    wait_mesh(qtbot, w)
    assert w.doc.mesh_settings.cut_threshold == pytest.approx(0.05)
    assert w.doc.undo_stack.count() == 2
    w.depth_panel.mode_combo.setCurrentIndex(w.depth_panel.mode_combo.findData("adaptive"))
    wait_mesh(qtbot, w)
    assert w.current_mesh.stats["mode"] == "adaptive"
    assert w.current_mesh.n_faces < full.n_faces
    for _ in range(3):
        w.act_undo.trigger()
    wait_mesh(qtbot, w)
    assert np.array_equal(w.current_mesh.positions, full.positions)
    assert np.array_equal(w.current_mesh.faces, full.faces)


def test_gallery_activate_use_settings_and_undoable_delete(make_window, qtbot):
    from dataclasses import replace

    w = make_window()
    a = box_room(128).panorama
    meta = replace(a.metadata, backend="procedural", user_prompt="a red room", prompt="a red room",
                   seed=4242, steps=1, width=128, height=64)
    r1 = _add(w, a.with_metadata(meta), kind="generated")
    r2 = _add(w, disparity_box_room(128)[0])
    assert w.gallery.ids() == [r1.id, r2.id] and w.doc.active_id == r2.id
    assert "4242" in w.gallery.list.item(0).toolTip()
    w.gallery.list.setCurrentRow(0)  # a click
    assert w.doc.active_id == r1.id
    wait_mesh(qtbot, w)
    w.gallery.use_button.click()
    gp = w.generate_panel
    assert gp.prompt() == "a red room" and gp.seed_spin.value() == 4242
    assert gp.seed_lock.isChecked() and gp.size() == (128, 64)
    assert gp.build_request().seed == 4242  # locked: the same seed again
    w.gallery.delete_button.click()
    assert w.gallery.ids() == [r2.id] and w.doc.active_id == r2.id
    w.act_undo.trigger()
    assert w.gallery.ids() == [r1.id, r2.id] and w.doc.active_id == r1.id
    # A result added while a delete is undoable never takes the deleted one's id.
    w.act_redo.trigger()
    r3 = _add(w, a)
    assert r3.id not in (r1.id, r2.id)
    w.act_undo.trigger()
    ids = [r.id for r in w.doc.results]
    assert sorted(ids) == sorted([r1.id, r2.id, r3.id])


def test_presets_add_their_words_visibly(make_window):
    w = make_window()
    gp = w.generate_panel
    assert len(gp.presets) >= 4
    gp.prompt_edit.setPlainText("a misty pine forest")
    preset = next(p for p in gp.presets if p.name == "Golden hour")
    gp.preset_buttons["Golden hour"].click()
    assert gp.prompt() == f"a misty pine forest, {preset.words}"
    gp.preset_buttons["Golden hour"].click()  # not twice
    assert gp.prompt().count(preset.words) == 1
    assert preset.negative in gp.negative_edit.toPlainText()


def test_save_close_reopen_is_identical(make_window, qtbot, tmp_path):
    w = make_window()
    _add(w, box_room(128).panorama)
    pano, near, far = disparity_box_room(128)
    res = _add(w, pano)
    wait_mesh(qtbot, w)
    w.depth_panel.set_near_far(near, far * 1.5)
    w.depth_panel.mode_combo.setCurrentIndex(w.depth_panel.mode_combo.findData("adaptive"))
    wait_mesh(qtbot, w)
    mesh = w.current_mesh
    assert w.isWindowModified()
    path = tmp_path / "room.panoforge"
    w.prompter.save_answer = str(tmp_path / "room")  # the suffix is added
    w.act_save.trigger()
    assert path.is_file() and not w.isWindowModified() and "room.panoforge" in w.windowTitle()
    saved = project_to_bytes(w.doc.project)
    w.close()
    assert w.closed and w.prompter.asked.count("unsaved") == 0

    w2 = make_window()
    w2.prompter.open_answer = str(path)
    w2.act_open.trigger()
    assert project_to_bytes(w2.doc.project) == saved
    assert project_to_bytes(load_project(path)) == saved
    assert w2.doc.active_id == res.id
    wait_mesh(qtbot, w2)
    assert np.array_equal(w2.current_mesh.positions, mesh.positions)
    assert np.array_equal(w2.current_mesh.faces, mesh.faces)
    assert w2.settings.recent_files()[0] == str(path.resolve())
    assert not w2.isWindowModified()


def test_closing_with_unsaved_changes_asks(make_window, qtbot, tmp_path):
    w = make_window()
    _add(w, box_room(64).panorama)
    w.prompter.unsaved_answer = "cancel"
    assert not w.close()
    assert not w.closed and w.isVisible() and w.prompter.asked == ["unsaved"]
    w.prompter.unsaved_answer = "save"
    w.prompter.save_answer = str(tmp_path / "kept.panoforge")
    assert w.close()
    assert w.closed and (tmp_path / "kept.panoforge").is_file()
    assert len(load_project(tmp_path / "kept.panoforge").results) == 1


def test_export_glb_from_the_menu_passes_the_khronos_validator(make_window, qtbot, tmp_path):
    from tests.gltf_validator import assert_clean

    w = make_window()
    _add(w, box_room(256).panorama)
    wait_mesh(qtbot, w)
    assert w.act_export_glb.isEnabled()
    w.prompter.export_folder = tmp_path / "out"
    w.act_export_glb.trigger()
    assert w.prompter.errors == []
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["scene_r1.glb"]  # only the GLB was chosen from this menu entry
    report = assert_clean(tmp_path / "out" / "scene_r1.glb")
    assert report["issues"]["numErrors"] == 0


def test_export_dialog_writes_every_format(make_window, qtbot, tmp_path):
    w = make_window()
    _add(w, box_room(128).panorama)
    w.prompter.export_folder = tmp_path / "all"
    w.prompter.export_overrides = dict(glb=False, ply=True, images=True, cubemap=True,
                                       cube_face=32)
    w.act_export.trigger()
    names = {p.name for p in (tmp_path / "all").iterdir()}
    assert names == {"scene_r1.ply", "scene_r1_images", "scene_r1_cubemap"}
    images = {p.name for p in (tmp_path / "all" / "scene_r1_images").iterdir()}
    assert any(n.endswith(".exr") for n in images) and any(n.endswith(".json") for n in images)
    faces = {p.name for p in (tmp_path / "all" / "scene_r1_cubemap").iterdir()}
    assert {f"{f}.png" for f in ("px", "nx", "py", "ny", "pz", "nz")} <= faces


def test_drop_an_image_imports_it_and_a_project_opens(make_window, qtbot, tmp_path):
    from PIL import Image

    w = make_window()
    rgb = box_room(128).panorama.rgb
    Image.fromarray(rgb).save(tmp_path / "pano.png")
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(tmp_path / "pano.png"))])
    ev = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    w.dropEvent(ev)
    assert w.prompter.errors == []
    assert len(w.doc.results) == 1 and w.doc.active.kind == "imported"
    assert np.array_equal(w.doc.active.panorama.rgb, rgb)
    assert not w.doc.active.panorama.has_depth
    w.prompter.save_answer = str(tmp_path / "dropped.panoforge")
    w.act_save_as.trigger()
    w.act_new.trigger()
    assert w.doc.results == [] and w.doc.path is None
    md2 = QMimeData()
    md2.setUrls([QUrl.fromLocalFile(str(tmp_path / "dropped.panoforge"))])
    w.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, md2,
                           Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    assert w.doc.path == tmp_path / "dropped.panoforge" and len(w.doc.results) == 1


def test_layout_recent_files_and_preferences_persist(make_window, tmp_path):
    from app.window.preferences_store import KEY_DEVICE, KEY_STATE, WindowSettings, make_settings

    w = make_window()
    w.gallery_dock.hide()
    w.set_mode("wireframe")
    w.settings.set_model_folder("ldm3d-pano", str(tmp_path))
    w.settings.set_device("cpu")
    w.close()
    store = make_settings(tmp_path / "settings.ini")
    assert store.value(KEY_STATE) is not None and store.value(KEY_DEVICE) == "cpu"
    w2 = make_window(settings=WindowSettings(store))
    assert not w2.gallery_dock.isVisible() and w2.generate_dock.isVisible()
    assert w2.mode_combo.currentData() == "wireframe" and w2.viewport.mode == "wireframe"
    assert w2.generate_panel.device == "cpu"
    w2.generate_panel.set_backend("ldm3d-pano")
    assert w2.generate_panel.model_edit.text() == str(tmp_path)
    w2.reset_layout()
    assert w2.gallery_dock.isVisible()


def test_view_modes_inside_outside_and_status(make_window, qtbot):
    w = make_window()
    _add(w, box_room(128).panorama)
    wait_mesh(qtbot, w)
    inside = w.viewport.grab()
    w.act_outside.trigger()
    assert w.viewport.view == "outside"
    outside = w.viewport.grab()
    assert not np.array_equal(inside, outside)
    for mode in ("depth", "wireframe", "points", "textured"):
        w.mode_actions[mode].trigger()
        assert w.viewport.mode == mode and w.mode_combo.currentData() == mode
    w.act_inside.trigger()
    assert w.viewport.view == "inside"
    qtbot.waitUntil(lambda: "ms/frame" in w.frame_label.text()
                    and w.frame_label.text()[0].isdigit(), timeout=5000)


def test_about_and_shortcuts_dialogs(make_window):
    from app.window.dialogs import environment_report

    w = make_window()
    rows = dict(environment_report(probe_gpu=False))
    assert rows["Panoforge"] and rows["diffusers"] != "not installed"
    about = w.show_about()
    names = [about.table.item(i, 0).text() for i in range(about.table.rowCount())]
    assert {"Panoforge", "torch", "diffusers", "GPU"} <= set(names)
    about.close()
    sc = w.show_shortcuts()
    keys = {sc.table.item(i, 0).text(): sc.table.item(i, 1).text()
            for i in range(sc.table.rowCount())}
    assert keys["Generate"] == "Ctrl+Return" and keys["Cancel Generation"] == "Esc"
    sc.close()
    assert w.act_headset.isEnabled() and w.act_headset.isCheckable()


def test_void_calls_keep_none_alive(qt_app):
    """PySide6 6.12.0 under CPython 3.11 dropped a reference to None on every void method call
    and aborted long sessions (``none_dealloc``); pyproject excludes it. This fails on such a
    build instead of crashing the suite later."""
    from PySide6.QtCore import QObject

    o = QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        o.setObjectName("x")
    assert abs(before - sys.getrefcount(None)) < 100


def test_a_drag_shows_a_coarse_preview_then_the_full_mesh(make_window, qtbot):
    from app.window.mesh_service import PREVIEW_WIDTH

    w = make_window()
    _add(w, box_room(2 * PREVIEW_WIDTH).panorama)
    wait_mesh(qtbot, w)
    full_faces = w.current_mesh.n_faces
    region = w.depth_panel.region
    near, far = w.depth_panel.near_far()
    region.lines[1].setValue(math.log10(far * 0.8))  # the mouse button is still down
    wait_mesh(qtbot, w)
    assert w.depth_panel.dragging
    assert w.current_mesh.n_faces < full_faces / 3  # a 512-column preview
    assert "(preview)" in w.tri_label.text()
    assert np.linalg.norm(w.current_mesh.positions, axis=1).max() <= far * 0.8 * 1.0001
    region.lineMoveFinished()  # released
    wait_mesh(qtbot, w)
    assert not w.depth_panel.dragging and "(preview)" not in w.tri_label.text()
    assert w.current_mesh.n_faces > full_faces * 0.9  # the full grid again
    assert w.viewport.triangle_count == w.current_mesh.n_faces


def test_import_dialog_brings_rgb_and_depth_back_exactly(make_window, tmp_path):
    from models.import_source import ImportRequest

    w = make_window()
    scene = box_room(128)
    _add(w, scene.panorama)
    w.prompter.export_folder = tmp_path / "flat"
    w.prompter.export_overrides = dict(glb=False, images=True)
    w.act_export.trigger()
    flat = tmp_path / "flat" / "scene_r1_images"  # the CLI's names, in the result's folder
    exr = next(flat.glob("*.exr"))
    png16 = next(p for p in flat.glob("*depth*.png"))
    for depth, tol in ((exr, 0.0), (png16, 0.0005)):
        w.prompter.import_answer = ImportRequest(rgb_path=flat / "panorama.png",
                                                 depth_path=depth, kind="distance")
        w.act_import.trigger()
        assert w.prompter.errors == []
        res = w.doc.active
        assert res.kind == "imported" and w.gallery.ids()[-1] == res.id
        assert np.array_equal(res.panorama.rgb, scene.panorama.rgb)
        np.testing.assert_allclose(res.panorama.distance, scene.panorama.distance, atol=tol)
    # A bad file is refused with a message, and nothing is added.
    (tmp_path / "bad.png").write_bytes(b"not an image")
    w.prompter.import_answer = ImportRequest(rgb_path=tmp_path / "bad.png")
    n = len(w.doc.results)
    w.act_import.trigger()
    assert len(w.doc.results) == n and w.prompter.errors[-1][0] == "Import panorama"


def test_preferences_and_open_recent(make_window, tmp_path):
    from app.window.dialogs import PreferencesDialog

    w = make_window()
    dlg = PreferencesDialog(w.settings, w)
    dlg.backend_combo.setCurrentIndex(dlg.backend_combo.findData("ldm3d-pano"))
    dlg.device_combo.setCurrentText("cpu")
    dlg.folder_edits["ldm3d-pano"].setText(str(tmp_path))
    dlg.apply()
    assert w.settings.default_backend() == "ldm3d-pano" and w.settings.device() == "cpu"
    assert w.settings.model_folders() == {"ldm3d-pano": str(tmp_path)}
    _add(w, box_room(64).panorama)
    w.save_as(tmp_path / "a.panoforge")
    w.act_new.trigger()
    w.recent_menu.aboutToShow.emit()
    acts = [a for a in w.recent_menu.actions() if a.text() == "a.panoforge"]
    assert len(acts) == 1
    acts[0].trigger()
    assert w.doc.path == tmp_path / "a.panoforge" and len(w.doc.results) == 1


GUI_RUN = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import app.window.app as window_app

def report():
    try:
        w = next(x for x in QApplication.topLevelWidgets() if x.objectName() == "MainWindow")
        print("OPENED", w.doc.path.name if w.doc.path else None, len(w.doc.results), flush=True)
        w.close()
    finally:
        QApplication.instance().quit()

make = window_app.make_application
def make_and_schedule(argv=None):
    app = make(argv)
    QTimer.singleShot(2000, report)  # the event loop is running by then
    return app
window_app.make_application = make_and_schedule
from app.cli import main
sys.exit(main(["gui", sys.argv[1], "--no-recovery"]))
"""


def test_panoforge_gui_opens_the_project_given(make_window, tmp_path):
    w = make_window()
    _add(w, box_room(64).panorama)
    w.save_as(tmp_path / "given.panoforge")
    env = dict(__import__("os").environ, XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-c", GUI_RUN, str(tmp_path / "given.panoforge")],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "OPENED given.panoforge 1" in out.stdout


class _FakeHeadset:
    """Stands in for app.xr_launcher's handle: records updates, ends when told to."""

    def __init__(self, path, result_id):
        self.path, self.first, self.updates = path, result_id, []
        self.code, self.stopped, self.log = None, False, ""

    running = property(lambda self: self.code is None and not self.stopped)
    returncode = property(lambda self: self.code)

    def output(self):
        return self.log

    def update(self, **kw):
        self.updates.append(kw)

    def stop(self):
        self.stopped = True
        return self.code


class _FakeLauncher:
    def __init__(self):
        self.started = []

    def start_headset(self, path, result_id=None):
        self.started.append(_FakeHeadset(path, result_id))
        return self.started[-1]


def test_view_in_headset_forwards_edits_reports_failure_and_stops(make_window, tmp_path, qtbot):
    from app.window.headset import HeadsetLink

    w = make_window()
    launcher = _FakeLauncher()
    w.headset._launcher = launcher
    room = _add(w, box_room(128).panorama)
    second = _add(w, nested_spheres(128).panorama)
    assert w.save_as(tmp_path / "vr.panoforge")

    w.act_headset.trigger()  # starts on the saved file, at the active result
    (h,) = launcher.started
    assert h.path == tmp_path / "vr.panoforge" and h.first == second.id
    assert w.headset.running and w.act_headset.isChecked()

    w.doc.set_active(room.id)
    w.doc.set_mesh_settings(w.doc.mesh_settings.with_(cut_threshold=0.5))
    w.doc.set_depth_range(room.id, 0.8, 3.0)
    assert h.updates[0]["result_id"] == room.id
    interp = w.doc.result(room.id).panorama.interpretation
    assert interp.near_far == (0.8, 3.0)
    assert h.updates[-1] == {"result_id": room.id, "interpretation": interp, "cut_threshold": 0.5}

    w.act_headset.trigger()  # again: stops it
    assert h.stopped and not w.headset.running and not w.act_headset.isChecked()

    w.act_headset.trigger()  # a runtime that is not there: the process exits 2
    # (the edits above are unsaved: it starts on a copy, launched once that is written)
    qtbot.waitUntil(lambda: len(launcher.started) == 2, timeout=20000)
    h2 = launcher.started[-1]
    assert h2.path != tmp_path / "vr.panoforge"
    h2.code, h2.log = 2, "panoforge: error: no OpenXR runtime is running\n  hint: start SteamVR"
    w.headset.poll()
    title, exc = w.prompter.errors[-1]
    assert title == "View in headset" and "start SteamVR" in str(exc)
    assert not w.act_headset.isChecked()
    assert isinstance(w.headset, HeadsetLink)
