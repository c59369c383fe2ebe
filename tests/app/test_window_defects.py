"""Issue 18's window defects, each on the real window (Xvfb + Mesa) with a known answer."""

from __future__ import annotations

from PySide6.QtCore import Qt

from scene.testing.analytic import box_room
from tests.app.conftest import wait_mesh


def _add(window, pano, kind="imported"):
    return window.doc.add_result(pano, kind=kind)


def test_redo_shortcut_redoes_once_without_ambiguity(make_window, qtbot):
    """Ctrl+Shift+Z redoes the undone edit (it was registered twice: 'Ambiguous shortcut')."""
    w = make_window()
    res = _add(w, box_room(64).panorama)
    w.doc.set_depth_range(res.id, 0.8, 3.0)
    w.doc.undo_stack.undo()
    assert w.doc.result(res.id).panorama.interpretation.near_far != (0.8, 3.0)
    keys = [k.toString() for k in w.act_redo.shortcuts()]
    assert len(keys) == len(set(keys)), keys
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert w.doc.result(res.id).panorama.interpretation.near_far == (0.8, 3.0)


KILLED_AFTER_EDITS = """
import os, signal, sys, time
from app.window.app import make_application
app = make_application([])
from app.window.main_window import MainWindow
from app.window.preferences_store import WindowSettings, make_settings
from scene.mesh_settings import MeshSettings
from scene.testing.analytic import box_room
from tests.app.conftest import wait_mesh
w = MainWindow(settings=WindowSettings(make_settings(sys.argv[1])), recovery_root=sys.argv[2])
w.show()
app.processEvents()
assert w.files.open_project(sys.argv[3])
for width in (32, 48, 64, 80):                         # four generations arrive
    w.doc.add_result(box_room(width).panorama, kind="generated")
key = 7                                                # a slider drag: merged commands
for cut in (0.5, 1.0, 2.0):
    w.doc.set_mesh_settings(w.doc.mesh_settings.with_(cut_threshold=cut), merge_key=key)
w.doc.set_mesh_settings(w.doc.mesh_settings.with_(mode="adaptive"))
w.doc.set_mesh_settings(w.doc.mesh_settings.with_(max_error=0.02), merge_key=9)
w.doc.set_mesh_settings(w.doc.mesh_settings.with_(max_error=0.03), merge_key=9)
end = time.monotonic() + 4.0                           # the user pauses; the debounce runs
while time.monotonic() < end:
    app.processEvents()
    time.sleep(0.02)
w.recovery.flush()
print("state", len(w.doc.results), w.doc.mesh_settings, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_recovery_restores_exactly_the_state_before_the_kill(make_window, tmp_path):
    """Open a saved 1-result project, add 4, set cut 2.00 + adaptive, kill -9, restart with
    the project (as ``panoforge demo.panoforge`` does), Recover: 5 results, the same settings."""
    import subprocess
    import sys
    from pathlib import Path

    from scene.project import Project, save_project

    project = tmp_path / "demo.panoforge"
    demo = Project()
    demo.add_result(box_room(96).panorama, kind="generated")
    save_project(project, demo)
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", KILLED_AFTER_EDITS, str(tmp_path / "k.ini"),
                           str(tmp_path / "sessions"), str(project)],
                          capture_output=True, text=True, cwd=root, timeout=180)
    assert proc.returncode == -9, proc.stderr[-3000:]
    assert "state 5" in proc.stdout

    w = make_window()
    assert w.files.open_project(project)           # the restart opens the project first
    w.check_recovery()
    assert [r.id for r in w.doc.results] == ["r1", "r2", "r3", "r4", "r5"]
    ms = w.doc.mesh_settings
    assert (ms.cut_threshold, ms.mode, ms.max_error) == (2.0, "adaptive", 0.03)
    assert w.depth_panel.mode_combo.currentData() == "adaptive"  # the panel shows it too
    assert w.doc.path == project and w.isWindowModified()


def test_view_in_headset_leaves_the_saved_file_alone(make_window, tmp_path, qtbot,
                                                     monkeypatch):
    """Ctrl+H with unsaved work hands the headset a temporary copy: the file is not rewritten,
    and the copy, the first one too, is written off the window's thread."""
    import threading

    import scene.project as sp
    from scene.project import load_project
    from scene.testing.analytic import nested_spheres
    from tests.app.test_window import _FakeLauncher

    w = make_window()
    launcher = _FakeLauncher()
    w.headset._launcher = launcher
    _add(w, box_room(64).panorama)
    project = tmp_path / "mine.panoforge"
    assert w.save_as(project)
    saved = project.read_bytes()
    second = _add(w, nested_spheres(64).panorama)          # unsaved work
    asked = list(w.prompter.asked)

    writers = []
    real_save = sp.save_project

    def save_and_say_where(path, project):
        writers.append(threading.current_thread())
        return real_save(path, project)

    monkeypatch.setattr(sp, "save_project", save_and_say_where)
    w.act_headset.trigger()
    assert w.act_headset.isChecked()                       # on its way while the copy is written
    qtbot.waitUntil(lambda: bool(launcher.started), timeout=20000)
    (h,) = launcher.started
    assert w.headset.running and not w.headset.starting
    assert project.read_bytes() == saved and w.isWindowModified()
    assert w.prompter.asked == asked                       # nothing asked, nothing saved
    assert h.path != project and h.first == second.id
    assert [r.id for r in load_project(h.path).results] == ["r1", "r2"]
    third = _add(w, box_room(48).panorama)                 # arrives while the session runs
    assert w.headset.flush_copy()
    assert third.id in [r.id for r in load_project(h.path).results]
    # every copy is written off the window's thread: a few large results take seconds
    assert len(writers) >= 2 and threading.main_thread() not in writers
    copy = h.path
    w.act_headset.trigger()                                # stop: the copy goes
    assert h.stopped and not copy.exists()
    assert project.read_bytes() == saved


def test_view_in_headset_can_be_cancelled_while_its_copy_is_written(make_window, qtbot,
                                                                    monkeypatch):
    """Ctrl+H twice before the copy is on disk: nothing is launched, the window does not
    wait for the write, and the copy is removed once it lands."""
    import threading

    import scene.project as sp
    from tests.app.test_window import _FakeLauncher

    w = make_window()
    launcher = _FakeLauncher()
    w.headset._launcher = launcher
    _add(w, box_room(64).panorama)                         # never saved: a copy is needed
    gate, written = threading.Event(), []
    real_save = sp.save_project

    def slow_save(path, project):
        assert gate.wait(20)
        real_save(path, project)
        written.append(path)

    monkeypatch.setattr(sp, "save_project", slow_save)
    w.act_headset.trigger()
    assert w.headset.starting and w.act_headset.isChecked() and not launcher.started
    w.act_headset.trigger()                                # cancel: returns with the write pending
    assert not w.headset.starting and not w.act_headset.isChecked()
    gate.set()
    qtbot.waitUntil(lambda: bool(written) and not written[0].parent.exists(), timeout=20000)
    qtbot.wait(50)
    assert not launcher.started and not w.headset.running


def _mean_rgb(widget):
    import numpy as np

    img = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    arr = arr.reshape(img.height(), img.bytesPerLine())[:, :img.width() * 3]
    return arr.reshape(img.height(), img.width(), 3).astype(float).mean(axis=(0, 1))


def test_seed_lock_looks_different_locked(make_window, qtbot):
    """Locked, the button says so and is drawn in another colour (it looked the same)."""
    import numpy as np

    w = make_window()
    lock = w.generate_panel.seed_lock
    lock.setChecked(False)
    qtbot.wait(20)
    off_text, off = lock.text(), _mean_rgb(lock)
    lock.click()
    assert lock.isChecked()
    qtbot.wait(20)
    on_text, on = lock.text(), _mean_rgb(lock)
    assert on_text != off_text and "lock" in on_text.lower()
    assert np.abs(on - off).max() > 20, (on, off)          # mean colour, 0..255 levels


def test_errors_name_the_window_s_controls_and_the_status_clears(make_window, qtbot,
                                                                 monkeypatch):
    """A failed LDM3D run (no weights) says what to click, and the status bar stops saying
    'Generating…' (it said 'use --model FOLDER' and kept 'Generating…')."""
    from PySide6.QtWidgets import QMessageBox

    from app.window.dialogs import Prompter
    from app.window.messages import in_window_words

    shown = []
    monkeypatch.setattr(QMessageBox, "exec",
                        lambda box: shown.append(box.text() + "\n" + box.informativeText()))
    w = make_window(prompter=Prompter())
    gp = w.generate_panel
    gp.set_backend("ldm3d-pano")
    gp.set_prompt("a cave")
    with qtbot.waitSignal(w.generationEnded, timeout=60000) as ended:
        w.act_generate.trigger()
    assert ended.args == ["errored"]
    (text,) = shown
    said = [ln for ln in text.splitlines() if "download " not in ln]  # shell commands stay
    assert not any("--" in ln or "command" in ln for ln in said), text
    assert "Generate ▸ Weights" in text
    assert "Generating" not in w.statusBar().currentMessage()
    assert "failed" in w.statusBar().currentMessage().lower()
    for cli, window in (("pass --fit pad", "Import ▸ Not 2:1? ▸ pad"),
                        ("start Monado, then run the command again", "start Monado, then try "
                                                                      "again")):
        assert in_window_words(cli) == window


class _StepBackend:
    """A backend of ``steps`` slow steps (``step_s`` each) that checks cancel between steps,
    like every real backend; it records the steps it ran."""

    def __init__(self, steps=5, step_s=0.6, first_s=0.01):
        self.steps, self.step_s, self.first_s, self.ran = steps, step_s, first_s, []

    def generate(self, request, on_progress=None, cancel=None):
        import time

        from models.base import Progress, raise_if_cancelled

        t0 = time.perf_counter()
        for k in range(1, self.steps + 1):
            raise_if_cancelled(cancel)
            time.sleep(self.first_s if k == 1 else self.step_s)  # set-up is cheap
            self.ran.append(k)
            el = time.perf_counter() - t0
            on_progress(Progress(k, self.steps, el, el / k * (self.steps - k), None, f"step {k}"))
        raise_if_cancelled(cancel)
        raise AssertionError("the test cancels before the end")


def test_progress_eta_and_elapsed_are_live_and_cancel_is_immediate(make_window, qtbot):
    """No 'ETA 0 s' from the cheap set-up step; the elapsed time runs between reports;
    the bar is step/total; Cancel gives the window back at once and the backend runs at
    most one more step (it waited for the running stage: 8 s at 4096)."""
    import time

    backend = _StepBackend(step_s=2.0)  # reports at 0.01, 2.01, 4.01 ... s
    w = make_window(backend_factory=lambda name: backend)
    gp = w.generate_panel
    gp.set_prompt("slow")
    worker = w.start_generation("procedural", gp.build_request())
    assert worker is not None
    qtbot.waitUntil(lambda: backend.ran == [1], timeout=10000)
    qtbot.wait(50)
    assert gp.progress_bar.format() == "1/5"              # no ETA from the set-up step
    first = gp.status_label.text()
    qtbot.wait(1000)                                       # no report in between...
    assert backend.ran == [1] and gp.status_label.text() != first
    qtbot.waitUntil(lambda: len(backend.ran) >= 2, timeout=10000)
    qtbot.wait(50)
    fmt = gp.progress_bar.format()
    assert fmt.startswith("2/5 — ETA") and "ETA 0 s" not in fmt, fmt
    assert gp.progress_bar.value() * 5 == gp.progress_bar.maximum() * 2
    before = gp.status_label.text()
    qtbot.wait(1000)
    assert len(backend.ran) == 2 and gp.status_label.text() != before  # ...it still ran on
    assert gp.progress_bar.format() != fmt                 # and the ETA counted down

    ran_at_cancel = len(backend.ran)
    ended = []
    w.generationEnded.connect(ended.append)
    t = time.perf_counter()
    w.act_cancel.trigger()
    assert ended == ["cancelled"] and time.perf_counter() - t < 0.5
    assert gp.generate_button.isEnabled() and gp.progress_bar.format() == "Cancelled"
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=10000)  # (the loop must run)
    qtbot.wait(50)
    assert len(backend.ran) <= ran_at_cancel + 1           # one step at most
    assert ended == ["cancelled"] and w.doc.results == []
    assert gp.progress_bar.format() == "Cancelled"         # nothing late overwrote it


def test_export_defaults_follow_the_project_and_name_the_result(make_window, tmp_path):
    """The dialog starts in the project's folder (then the one used last), names the files
    after the result, writes the CLI's names for images/cubemap, offers stereo 360 and
    cube faces beyond 2048."""
    import subprocess
    import sys
    from pathlib import Path

    from app.window.dialogs.export_dialog import ExportDialog

    w = make_window()
    _add(w, box_room(128).panorama)
    second = _add(w, box_room(96).panorama)
    project = tmp_path / "proj" / "forest.panoforge"
    project.parent.mkdir()
    assert w.save_as(project)
    seen = []
    w.prompter.export_options = lambda parent, defaults: seen.append(defaults) or None
    w.act_export.trigger()
    (d,) = seen
    assert d.folder == project.parent and d.stem == f"forest_{second.id}"
    dlg = ExportDialog(d, w)
    assert dlg.face_spin.maximum() >= 8192 and hasattr(dlg, "stereo_check")
    dlg.deleteLater()

    out = tmp_path / "elsewhere"
    del w.prompter.export_options                          # back to the AutoPrompter's
    w.prompter.export_folder = out
    w.prompter.export_overrides = dict(glb=False, images=True, cubemap=True, cube_face=16,
                                       stereo360=True)
    w.act_export.trigger()
    assert w.prompter.errors == []
    assert (out / f"forest_{second.id}_stereo360.png").is_file()
    win_images = sorted(p.name for p in (out / f"forest_{second.id}_images").iterdir())
    win_faces = sorted(p.name for p in (out / f"forest_{second.id}_cubemap").iterdir())
    root = Path(__file__).resolve().parents[2]
    cli = subprocess.run([sys.executable, "-m", "app", "export", str(project), "--images",
                          str(tmp_path / "ci"), "--cubemap", str(tmp_path / "cc"),
                          "--face-size", "16"], cwd=root, capture_output=True, text=True,
                         timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert win_images == sorted(p.name for p in (tmp_path / "ci").iterdir())
    assert win_faces == sorted(p.name for p in (tmp_path / "cc").iterdir())
    seen.clear()
    w.prompter.export_options = lambda parent, defaults: seen.append(defaults) or None
    w.act_export.trigger()
    assert seen[0].folder == out                           # then the folder used last


def _inside(widget, outer):
    from PySide6.QtCore import QPoint, QRect

    top_left = widget.mapTo(outer, QPoint(0, 0))
    return widget.isVisible() and outer.rect().contains(QRect(top_left, widget.size()))


def test_generate_panel_fits_at_1280x720_and_the_default_size(make_window, qtbot):
    """No clipped right edge, Cancel does not scroll it sideways, the Generate button is
    visible at 1280x720 and the live preview too at the default size."""
    w = make_window()
    gp = w.generate_panel
    area = w.scroll_areas["dockGenerate"]
    dock = w.generate_dock
    for size, preview in (((1280, 720), False), ((1480, 920), True)):
        w.showNormal()
        w.resize(*size)
        qtbot.wait(150)
        assert area.horizontalScrollBar().maximum() == 0, size
        assert gp.width() <= area.viewport().width(), (size, gp.width())
        assert gp.minimumSizeHint().width() <= area.viewport().width(), size
        area.verticalScrollBar().setValue(0)
        assert _inside(gp.generate_button, dock) and _inside(gp.cancel_button, dock), size
        assert _inside(gp.prompt_edit, area.viewport()), size
        if preview:
            assert _inside(gp.preview_label, dock), size
    gp.cancel_button.setEnabled(True)
    qtbot.mouseClick(gp.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    assert area.horizontalScrollBar().value() == 0 and gp.x() == 0


def _outdoor_room(width=128, sky_m=1000.0):
    """The box room with its ceiling replaced by a sky at ``sky_m`` (an outdoor scene)."""
    import dataclasses

    import numpy as np

    pano = box_room(width).panorama
    d = pano.raw_depth.copy()
    d[: d.shape[0] * 3 // 10] = sky_m
    return dataclasses.replace(pano, raw_depth=d.astype(np.float32))


def test_outside_view_frames_the_scene_not_the_sky(make_window, qtbot):
    """An outdoor scene (sky dome at 1000 m around a few-metre room): the orbit is sized to
    the room, the room fills a good part of the view and zoom reaches it."""
    import numpy as np

    w = make_window()
    _add(w, _outdoor_room())
    wait_mesh(qtbot, w)
    w.act_outside.trigger()
    qtbot.wait(50)
    cam = w.viewport.camera
    dist = float(np.linalg.norm(cam.eye()))
    assert dist < 50.0, dist                                # the room is ~5.5 m across
    img = w.viewport.grab().astype(int)
    bg = np.array([round(c * 255) for c in (0.11, 0.11, 0.13)])
    covered = (np.abs(img - bg).sum(axis=-1) > 30).mean()
    assert covered > 0.1, covered
    cam.set_view(zoom=0.0)                                  # zoom in as far as it goes
    assert float(np.linalg.norm(cam.eye())) < 6.0


def test_histogram_axis_stays_put_while_editing_and_its_labels_fit(make_window, qtbot):
    """The axis is fitted when a result is shown, with room around the data; an edit does
    not refit it (the handles sat at the edges and could not be dragged wider); the tick
    labels are few enough not to overlap."""
    import math

    from app.window.depth_panel import TICK_LABEL_PX

    w = make_window()
    res = _add(w, box_room(128).panorama)
    dp = w.depth_panel
    qtbot.wait(50)
    x0, x1 = dp.plot.viewRange()[0]
    lo, hi = (math.log10(v) for v in dp.near_far())
    assert x0 < lo - 0.2 and hi + 0.2 < x1                 # room to drag wider, both sides
    near, far = dp.near_far()
    w.doc.set_depth_range(res.id, near / 1.5, far * 1.5)
    qtbot.wait(50)
    assert dp.plot.viewRange()[0] == [x0, x1]              # the axis did not refit
    lo2, hi2 = (math.log10(v) for v in dp.near_far())
    assert x0 < lo2 and hi2 < x1 and lo2 < lo and hi2 > hi
    ticks = dp.plot.getAxis("bottom")._tickLevels[0]
    px_per_unit = dp.plot.getViewBox().width() / (x1 - x0)
    gaps = [(b[0] - a[0]) * px_per_unit for a, b in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) >= 2 and min(gaps) >= TICK_LABEL_PX * 0.5, (ticks, gaps)


def test_minor_state_shown_is_the_state_there_is(make_window, qtbot, tmp_path):
    """New clears the mesh figures; an empty project shows no made-up 0.01 m range; two
    results of one prompt differ in the gallery and long details scroll; the damaged-file
    hint names nothing that does not exist."""
    from scene.errors import ProjectFileError
    from scene.project import load_project

    w = make_window()
    a = _add(w, box_room(64).panorama)
    b = _add(w, box_room(64).panorama)                     # the same scene twice
    wait_mesh(qtbot, w)
    dp = w.depth_panel
    assert "triangles" in dp.mesh_info.text()
    items = [w.gallery.list.item(i).text() for i in range(w.gallery.list.count())]
    assert len(set(items)) == 2 and a.id in items[0] and b.id in items[1]
    assert w.gallery.details.parentWidget() is w.gallery.details_scroll.viewport()
    w.doc.set_mesh_settings(w.doc.mesh_settings.with_(mode="adaptive"))
    assert "triangles" not in dp.mesh_info.text()          # not the old mesh's figures
    wait_mesh(qtbot, w)
    assert "triangles" in dp.mesh_info.text()

    w.act_new.trigger()
    assert w.doc.results == []
    assert "triangles" not in dp.mesh_info.text()
    assert dp.near_spin.text() == "—" and dp.far_spin.text() == "—"

    bad = tmp_path / "bad.panoforge"
    bad.write_bytes(b"PK\x03\x04 not a zip really")
    try:
        load_project(bad)
    except ProjectFileError as exc:
        assert "autosave" not in exc.hint and "backup" in exc.hint
    else:
        raise AssertionError("a damaged file loaded")


def test_depth_colours_are_one_map_with_a_legend_in_metres(make_window, qtbot):
    """The panorama overlay and the 3D depth mode colour a distance alike, and both show
    a legend with the range's ends in metres."""
    import numpy as np

    from renderers.depth_colours import colour_depth

    w = make_window()
    room = box_room(128).panorama
    _add(w, room)
    wait_mesh(qtbot, w)
    w.set_mode("depth")
    qtbot.wait(50)
    legend3d = w.scene_view.depth_legend
    assert legend3d.isVisible() and legend3d.far_label.text().endswith(" m")
    near, far = legend3d.near_far
    w.viewport.set_look(yaw_deg=0.0, pitch_deg=0.0, fov_deg=60.0)
    img = w.viewport.grab()
    h, wd = img.shape[:2]
    centre = img[h // 2 - 1:h // 2 + 2, wd // 2 - 1:wd // 2 + 2].reshape(-1, 3).mean(0)
    d_front = float(room.distance[room.height // 2, room.width // 2])  # straight ahead
    expect = colour_depth(np.array([[d_front]], np.float32), (near, far))[0][0, 0]
    np.testing.assert_allclose(centre, expect, atol=6)

    w.tabs.setCurrentWidget(w.panorama_view)
    w.panorama_view.overlay_slider.setValue(100)
    qtbot.wait(50)
    pv = w.panorama_view
    assert pv.legend.isVisible() and pv.legend.near_label.text().endswith(" m")
    flat = pv.image()
    pixel = flat[flat.shape[0] // 2, flat.shape[1] // 2].astype(int)
    expect = colour_depth(np.array([[d_front]], np.float32), pv.legend.near_far)[0][0, 0]
    np.testing.assert_allclose(pixel, expect, atol=2)
    w.set_mode("textured")
    assert not legend3d.isVisible()


def test_a_launch_that_fails_after_the_copy_says_why(make_window, qtbot):
    """The launch that follows a background copy still reports its error (with the hint)."""
    from scene.errors import ResourceError

    class _NoRuntime:
        def start_headset(self, path, result_id=None):
            self.path = path
            raise ResourceError("no OpenXR runtime is running", hint="start SteamVR")

    w = make_window()
    launcher = _NoRuntime()
    w.headset._launcher = launcher
    _add(w, box_room(64).panorama)                         # unsaved: a copy first
    w.act_headset.trigger()
    qtbot.waitUntil(lambda: bool(w.prompter.errors), timeout=20000)
    title, exc = w.prompter.errors[-1]
    assert title == "View in headset" and exc.hint == "start SteamVR"
    assert not w.act_headset.isChecked() and not w.headset.starting
    assert not launcher.path.parent.exists()               # the copy went with it


def test_esc_in_a_generate_field_leaves_it_and_a_second_esc_cancels(make_window, qtbot):
    """Esc while typing the prompt (or the seed, steps ...) leaves the field and lets a
    running generation go on; Esc again, outside the field, is Cancel Generation."""
    w = make_window()
    gp = w.generate_panel
    cancels = []
    w.act_cancel.setEnabled(True)  # as while a generation runs
    w.act_cancel.triggered.connect(lambda *_: cancels.append(1))
    for field in (gp.prompt_edit, gp.negative_edit, gp.seed_spin):  # (steps: off for procedural)
        field.setFocus()
        qtbot.waitUntil(field.hasFocus, timeout=5000)
        qtbot.keyClicks(field, "12")
        qtbot.keyClick(field, Qt.Key.Key_Escape)
        assert cancels == [], field.objectName()
        assert not field.hasFocus()
    assert "12" in gp.prompt_edit.toPlainText()  # nothing typed is lost
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert cancels == [1]
    w.act_cancel.setEnabled(False)
