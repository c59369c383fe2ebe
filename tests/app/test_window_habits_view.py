"""Camera habits of the window (issue 18): the yaw/pitch/FOV readout, saved views kept in the
project, and Render This View (F12), which must give the picture ``panoforge render`` gives
for the same pose."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from scene.saved_views import SavedView
from scene.testing.analytic import box_room
from tests.app.conftest import AutoPrompter, wait_mesh

pytestmark = pytest.mark.gl


class ViewPrompter(AutoPrompter):
    """The AutoPrompter with the two questions these features ask."""

    def __init__(self) -> None:
        super().__init__()
        self.view_name = ""
        self.render_choices = None

    def ask_view_name(self, parent, default):
        self.asked.append("view name")
        return self.view_name

    def render_view_options(self, parent, defaults):
        self.asked.append("render view")
        if self.render_choices is None:
            return None
        self.defaults_seen = defaults
        for k, v in self.render_choices.items():
            setattr(defaults, k, v)
        return defaults


def _window(make_window, qtbot, width=128):
    w = make_window(prompter=ViewPrompter())
    w.doc.add_result(box_room(width).panorama, kind="imported")
    wait_mesh(qtbot, w)
    return w


def _readout(qtbot, w, *parts):
    qtbot.waitUntil(lambda: all(p in w.camera_readout.text() for p in parts), timeout=5000)
    return w.camera_readout.text()


# -- the readout ------------------------------------------------------------------------------
def test_camera_readout_follows_look_zoom_and_walk(make_window, qtbot):
    w = _window(make_window, qtbot)
    assert w.camera_readout in w.statusBar().findChildren(type(w.camera_readout))
    assert w.camera_readout.toolTip()
    _readout(qtbot, w, "Yaw +0.0°", "Pitch +0.0°", "FOV 90.0°")
    w.viewport.set_look(yaw_deg=90.0, pitch_deg=-10.0, fov_deg=75.0)
    text = _readout(qtbot, w, "Yaw +90.0°", "Pitch \u221210.0°", "FOV 75.0°")
    assert "Eye" not in text  # still at the capture point
    # W steps 5 cm forward; at yaw 90 forward is +X (DESIGN: yaw 0 = -Z, positive turns right)
    w.viewport.native.setFocus()
    qtbot.keyClick(w.viewport.native, Qt.Key.Key_W)
    _readout(qtbot, w, "Eye +0.05, +0.00, +0.00 m")
    # the mouse wheel zooms: one notch away (120 eighths of a degree) narrows the FOV by 1.1
    native = w.viewport.native
    centre = QPointF(native.width() / 2, native.height() / 2)
    wheel = QWheelEvent(centre, native.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(native, wheel)
    _readout(qtbot, w, f"FOV {75.0 / 1.1:.1f}°")
    w.set_view("outside")
    _readout(qtbot, w, "Orbit Yaw", "Zoom")


# -- saved views ------------------------------------------------------------------------------
def test_a_saved_view_survives_save_and_reopen_and_restores_the_exact_camera(
        make_window, qtbot, tmp_path):
    w = _window(make_window, qtbot)
    vp = w.viewport
    vp.set_look(yaw_deg=-37.5, pitch_deg=12.25, fov_deg=66.0, eye=(0.125, 0.0, -0.25))
    w.prompter.view_name = "Doorway"
    qtbot.keyClick(w, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.AltModifier)  # Save Current View…
    assert "view name" in w.prompter.asked
    assert [v.name for v in w.doc.project.views] == ["Doorway"]
    assert w.doc.is_modified
    assert "Doorway" in [a.text() for a in w.saved_views.menu.actions()]
    assert w.saved_views.menu in [a.menu() for a in w.view_menu.actions() if a.menu()]
    # the recovery copy (what a crash leaves) has the view too
    from scene.project import load_project

    w.files.write_recovery()
    assert w.recovery.flush()
    assert [v.name for v in load_project(w.recovery.recovery_file).views] == ["Doorway"]
    path = tmp_path / "views.panoforge"
    assert w.save_as(path), w.prompter.errors
    w.close()

    w2 = make_window(prompter=ViewPrompter())
    assert w2.files.open_project(path), w2.prompter.errors
    wait_mesh(qtbot, w2)
    assert [v.name for v in w2.doc.project.views] == ["Doorway"]
    w2.viewport.recentre()
    s = w2.viewport.inside_camera.state
    assert (s.yaw_deg, s.pitch_deg, s.fov_deg) == (0.0, 0.0, 90.0)
    w2.saved_views.go_actions["Doorway"].trigger()
    s = w2.viewport.inside_camera.state
    assert (s.yaw_deg, s.pitch_deg, s.fov_deg) == (-37.5, 12.25, 66.0)
    assert s.eye.tolist() == [0.125, 0.0, -0.25]
    _readout(qtbot, w2, "Yaw \u221237.5°", "Pitch +12.2°", "FOV 66.0°",
             "Eye +0.12, +0.00, \u22120.25 m")
    # delete is one undo step; open then save keeps the bytes (views included)
    w2.saved_views.delete_actions["Doorway"].trigger()
    assert w2.doc.project.views == [] and "Doorway" not in w2.saved_views.go_actions
    w2.doc.undo_stack.undo()
    assert [v.name for v in w2.doc.project.views] == ["Doorway"]
    again = tmp_path / "again.panoforge"
    assert w2.save_as(again)
    assert again.read_bytes() == path.read_bytes()


def test_saved_views_in_the_manifest_are_optional_and_checked(tmp_path):
    import json
    import zipfile

    from scene.errors import ProjectFileError
    from scene.project import Project, load_project, project_to_bytes, save_project

    p = Project()
    p.add_result(box_room(64).panorama, kind="imported")
    plain = tmp_path / "plain.panoforge"
    save_project(plain, p)
    with zipfile.ZipFile(plain) as zf:
        assert "views" not in json.loads(zf.read("manifest.json"))
    assert project_to_bytes(load_project(plain)) == plain.read_bytes()  # v2 without views
    p.views = [SavedView("A", 10.0, -5.0, 70.0, (0.1, 0.0, 0.0))]
    with_views = tmp_path / "views.panoforge"
    save_project(with_views, p)
    back = load_project(with_views)
    assert back.views == p.views
    assert project_to_bytes(back) == with_views.read_bytes()
    # a damaged entry is refused with a message that says so
    with zipfile.ZipFile(with_views) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["views"][0]["fov_deg"] = 500
    members["manifest.json"] = json.dumps(manifest).encode()
    bad = tmp_path / "bad.panoforge"
    with zipfile.ZipFile(bad, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(ProjectFileError, match="saved views"):
        load_project(bad)


def test_saving_a_view_from_outside_says_which_control_to_use(make_window, qtbot):
    w = _window(make_window, qtbot)
    w.set_view("outside")
    w.prompter.view_name = "Nope"
    w.saved_views.act_save.trigger()
    assert w.doc.project.views == []
    (title, exc), = w.prompter.errors
    assert "Inside View (Ctrl+1)" in exc.hint


def test_a_view_name_with_an_ampersand_is_shown_as_typed_in_the_menus(make_window, qtbot):
    w = _window(make_window, qtbot)
    w.saved_views.save_current("Kitchen & hall")
    go = w.saved_views.go_actions["Kitchen & hall"]
    rm = w.saved_views.delete_actions["Kitchen & hall"]
    # Qt eats a lone "&" as a mnemonic marker: the menus would read "Kitchen  hall"
    assert go.text() == rm.text() == "Kitchen && hall"
    assert go.iconText() == "Kitchen & hall"  # what the menu draws
    assert w.saved_views.menu.actions().count(go) == 1


# -- render this view -------------------------------------------------------------------------
def _render_in_window(w, qtbot, out, size):
    w.prompter.render_choices = {"path": str(out), "width": size[0], "height": size[1]}
    w.render_view.act_render.trigger()
    worker = w.render_view.worker
    assert worker is not None, w.prompter.errors
    qtbot.waitUntil(lambda: w.render_view.worker is None, timeout=120000)
    assert worker.outcome == "finished", w.prompter.errors
    return np.asarray(Image.open(out).convert("RGB"))


def test_render_this_view_writes_the_chosen_size_and_equals_the_cli_render(
        make_window, qtbot, tmp_path):
    from app.cli import main

    w = _window(make_window, qtbot, width=256)
    assert w.render_view.act_render.shortcut().toString() == "F12"
    assert w.render_view.act_render in w.view_menu.actions()
    project = tmp_path / "room.panoforge"
    assert w.save_as(project)
    pose = dict(yaw_deg=63.5, pitch_deg=-14.0, fov_deg=72.0, eye=(0.15, -0.05, -0.2))
    w.viewport.set_look(**pose)
    size = (200, 120)
    out = tmp_path / "window_view.png"
    img = _render_in_window(w, qtbot, out, size)
    assert img.shape == (size[1], size[0], 3)
    assert w.prompter.defaults_seen.path.startswith(str(tmp_path))  # the project's folder
    assert w.render_view.last_path == out
    assert "panoforge render" in w.statusBar().currentMessage()

    cli_out = tmp_path / "cli_view.png"
    assert main(["render", str(project), "--yaw", "63.5", "--pitch", "-14", "--fov", "72",
                 "--eye=0.15,-0.05,-0.2", "--size", "200x120", "-o", str(cli_out)]) == 0
    cli = np.asarray(Image.open(cli_out).convert("RGB"))
    diff = np.abs(img.astype(int) - cli.astype(int))
    assert diff.max() <= 1  # the same renderer and pose: equal here, 1 level of slack
    # the command line the status bar names renders the same file
    named = tmp_path / "named.png"
    assert main(["render", str(project), *w.render_view.last_view.cli_arguments(),
                 "-o", str(named)]) == 0
    assert named.read_bytes() == cli_out.read_bytes()
    # and the pose matters: the default view is a different picture
    default_out = tmp_path / "cli_default.png"
    assert main(["render", str(project), "--size", "200x120", "-o", str(default_out)]) == 0
    default = np.asarray(Image.open(default_out).convert("RGB")).astype(int)
    assert np.abs(default - cli.astype(int)).mean() > 5


def test_render_this_view_refuses_with_the_window_s_controls(make_window, qtbot, tmp_path):
    w = make_window(prompter=ViewPrompter())
    qtbot.keyClick(w, Qt.Key.Key_F12)  # the key reaches the action (no other owner): nothing yet
    (_title, exc), = w.prompter.errors
    assert "Generate panel" in exc.hint
    w.doc.add_result(box_room(64).panorama, kind="imported")
    wait_mesh(qtbot, w)
    w.set_view("outside")
    w.render_view.act_render.trigger()
    assert "F12" in w.prompter.errors[-1][1].hint
    w.set_view("inside")
    w.prompter.render_choices = {"path": str(tmp_path / "no" / "such" / "x.png")}
    w.render_view.act_render.trigger()
    assert "File" in w.prompter.errors[-1][1].hint and w.render_view.worker is None


def test_the_new_controls_say_what_they_do(make_window, qtbot, tmp_path):
    from app.window.dialogs.render_view_dialog import RenderViewChoices, RenderViewDialog
    from tests.app.test_window_tooltips import actions_without_status_tip, without_tooltip

    w = _window(make_window, qtbot)
    w.saved_views.save_current("Corner")
    assert actions_without_status_tip(w) == []
    for a in (w.saved_views.act_save, w.render_view.act_render,
              w.saved_views.go_actions["Corner"], w.saved_views.delete_actions["Corner"]):
        assert a.statusTip() and a in w.actions() + w.saved_views.menu.actions() \
            + w.saved_views.delete_menu.actions()
    dlg = RenderViewDialog(RenderViewChoices(path=str(tmp_path / "v.png")), w)
    assert without_tooltip(dlg) == []
    assert (dlg.width.value(), dlg.height.value()) == (1920, 1080)
    assert dlg.preset.currentText() == "1920 × 1080"
    dlg.width.setValue(1000)
    assert dlg.preset.currentText() == "Custom"
    dlg.preset.setCurrentIndex(dlg.preset.findText("1280 × 720"))
    assert dlg.choices() == RenderViewChoices(path=str(tmp_path / "v.png"), width=1280,
                                              height=720)
    dlg.deleteLater()


def test_f12_again_cancels_the_render_and_writes_nothing(make_window, qtbot, tmp_path,
                                                          monkeypatch):
    import app.workflows_render as wr

    real = wr.render_view_image

    def waits_for_the_cancel(scene, settings, view, path, on_progress=None, cancel=None,
                             **kw):
        assert cancel.wait(30)  # the window's cancel reaches the use case ...
        return real(scene, settings, view, path, on_progress=on_progress, cancel=cancel, **kw)

    monkeypatch.setattr(wr, "render_view_image", waits_for_the_cancel)
    w = _window(make_window, qtbot)
    (tmp_path / "renders").mkdir()
    out = tmp_path / "renders" / "never.png"
    w.prompter.render_choices = {"path": str(out), "width": 64, "height": 32}
    w.render_view.act_render.trigger()
    worker = w.render_view.worker
    assert worker is not None and w.render_view.act_render.text().startswith("Cancel")
    w.render_view.act_render.trigger()  # F12 again
    qtbot.waitUntil(lambda: w.render_view.worker is None, timeout=60000)
    assert worker.outcome == "cancelled" and not out.exists()
    assert list((tmp_path / "renders").iterdir()) == []  # no temporary file left either
    assert w.render_view.act_render.text() == "Render &This View…"
    assert "nothing was written" in w.statusBar().currentMessage()


def test_each_view_menu_entry_has_its_own_access_key(make_window, qtbot):
    """Alt+V then a letter must pick one entry: two entries with one letter only cycle."""
    import re

    w = _window(make_window, qtbot)
    keys = {}
    for a in w.view_menu.actions():
        m = re.search(r"&([^&])", a.text().replace("&&", ""))
        if m:
            keys.setdefault(m.group(1).lower(), []).append(a.text())
    assert {k: v for k, v in keys.items() if len(v) > 1} == {}
    assert "v" in keys and "t" in keys  # Saved &Views, Render &This View…
