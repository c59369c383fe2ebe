"""The window's Scene menu: Make Walkable (worker thread, undoable, the walk zone shown), Walk
Mode (bounded by the result's walk radius, the ring drawn) and Record Fly-Through."""

from __future__ import annotations

import av
import numpy as np
import pytest

from scene.testing.analytic import box_room
from tests.app.conftest import wait_mesh

pytestmark = pytest.mark.gl


def test_make_walkable_adds_layers_undoably_and_shows_the_walk_zone(make_window, qtbot):
    w = make_window()
    res = w.doc.add_result(box_room(256).panorama, kind="imported")
    wait_mesh(qtbot, w)
    faces_before = w.viewport.triangle_count
    label = w.walk.zone_label
    assert "not measured" in label.text()
    assert [a.text() for a in w.scene_menu.actions() if a.text()] == [
        "&Walk Mode", "&Make Walkable…", "Record &Fly-Through…"]
    worker = w.walk.make_walkable(walk_radius=0.4)
    assert w.walk.act_make.text().startswith("Cancel")
    qtbot.waitUntil(lambda: w.walk.worker is None, timeout=120000)
    assert worker.outcome == "finished", getattr(w.prompter, "errors", None)
    assert res.layers and res.panorama.metadata.extra["walk_zone"]["walk_radius_m"] == 0.4
    assert "with layers" in label.text() and "made for 0.40 m" in label.text()
    assert w.viewport.triangle_count > faces_before
    assert w.doc.is_modified
    # The walk mode takes the radius the layers were made for; the ring is drawn.
    w.walk.act_walk.setChecked(True)
    assert w.viewport.walking and w.viewport.inside_camera.eye_radius == 0.4
    assert w.viewport.ring.visible and w.viewport.ring.radius == 0.4
    w.viewport.set_look(pitch_deg=-70, fov_deg=100)
    img = w.viewport.grab()
    assert np.all(np.abs(img.astype(int) - (0, 255, 255)) <= 8, axis=-1).sum() > 20
    # Undo takes the layers and the record away (and the ring back to the default radius).
    w.doc.undo_stack.undo()
    assert res.layers == [] and "walk_zone" not in res.panorama.metadata.extra
    assert "not measured" in label.text()
    assert w.viewport.triangle_count == faces_before
    assert w.viewport.ring.radius == 0.5
    w.doc.undo_stack.redo()
    assert res.layers and "with layers" in label.text()
    w.walk.act_walk.setChecked(False)
    assert not w.viewport.walking and not w.viewport.ring.visible


def test_record_fly_through_writes_the_video_and_cancel_writes_nothing(make_window, qtbot,
                                                                        tmp_path):
    w = make_window()
    w.doc.add_result(box_room(128).panorama, kind="imported")
    wait_mesh(qtbot, w)
    dlg = w.walk.record_dialog()
    assert dlg.orbit.value() == pytest.approx(0.4)  # 80 % of the default walk radius
    videos = tmp_path / "videos"
    out = videos / "tour.mp4"
    dlg.output.setText(str(out))
    dlg.duration.setValue(1.0)
    dlg.fps.setValue(8)
    dlg.size.addItem("64 x 48", (64, 48))
    dlg.size.setCurrentIndex(dlg.size.count() - 1)
    worker = dlg.start()
    qtbot.waitUntil(lambda: dlg.worker is None, timeout=120000)
    assert worker.outcome == "finished", dlg.error
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert (s.width, s.height) == (64, 48)
        assert sum(1 for _ in c.decode(video=0)) == 8
    assert dlg.bar.value() == 8 and "8 frames" in dlg.status.text()
    # Cancel after the first frame: no file.
    out2 = videos / "cancelled.mp4"
    dlg.output.setText(str(out2))
    dlg.duration.setValue(20.0)
    worker = dlg.start()
    worker.progress.connect(lambda _p: dlg.cancel())
    qtbot.waitUntil(lambda: dlg.worker is None, timeout=120000)
    assert worker.outcome == "cancelled" and "no video" in dlg.status.text()
    assert sorted(p.name for p in videos.iterdir()) == ["tour.mp4"]
    dlg.close()


def test_cancelling_make_walkable_changes_nothing(make_window, qtbot, monkeypatch):
    import app.workflows_layers as wl

    real = wl.make_walkable

    def waits_for_the_cancel(project, request, on_progress=None, cancel=None):
        assert cancel.wait(30)  # the window's cancel reaches the use case ...
        return real(project, request, on_progress=on_progress, cancel=cancel)  # ... which stops

    monkeypatch.setattr(wl, "make_walkable", waits_for_the_cancel)
    w = make_window()
    res = w.doc.add_result(box_room(128).panorama, kind="imported")
    wait_mesh(qtbot, w)
    clean = w.doc.undo_stack.index()
    worker = w.walk.make_walkable()
    assert w.walk.make_walkable() is None  # the action again cancels
    qtbot.waitUntil(lambda: w.walk.worker is None, timeout=60000)
    assert worker.outcome == "cancelled"
    assert res.layers == [] and "walk_zone" not in res.panorama.metadata.extra
    assert w.doc.undo_stack.index() == clean
    assert w.walk.act_make.text() == "&Make Walkable…"
    assert "cancelled" in w.statusBar().currentMessage()


def test_make_walkable_asks_for_the_radius_and_the_filler_and_uses_them(make_window, qtbot):
    """Scene ▸ Make Walkable… takes what ``panoforge layer`` takes (--walk-radius, --fill)."""
    from app.window.dialogs.walkable_dialog import WalkableChoices

    w = make_window()
    res = w.doc.add_result(box_room(128).panorama, kind="imported")
    wait_mesh(qtbot, w)
    w.prompter.walkable_answer = None  # Cancel in the dialog: nothing starts
    w.walk.act_make.trigger()
    assert w.walk.worker is None and res.layers == []
    defaults, fillers, auto = w.prompter.walkable_asked[-1]
    assert defaults.walk_radius == 0.5 and auto == "classical"
    usable = {name: ok for name, ok, _why in fillers}
    assert usable["procedural"] is False and usable["classical"] is True  # an import
    w.prompter.walkable_answer = WalkableChoices(walk_radius=0.7, fill="classical")
    w.walk.act_make.trigger()
    qtbot.waitUntil(lambda: w.walk.worker is None, timeout=120000)
    rec = res.panorama.metadata.extra["walk_zone"]
    assert rec["walk_radius_m"] == 0.7 and rec["fill"] == "classical"
    assert {la.method for la in res.layers} == {"classical"}
    # Next time the dialog offers the radius the result was made for.
    w.prompter.walkable_answer = None
    w.walk.act_make.trigger()
    assert w.prompter.walkable_asked[-1][0].walk_radius == 0.7


def test_the_walkable_dialog_lists_each_filler_and_answers_its_choices(qt_app):
    from app.window.dialogs.walkable_dialog import WalkableChoices, WalkableDialog

    fillers = [("procedural", False, "only for scenes of the procedural generator"),
               ("ldm3d", False, "no LDM3D weights on this computer"),
               ("classical", True, "needs no weights")]
    dlg = WalkableDialog(WalkableChoices(walk_radius=9.0), fillers, "classical")
    assert dlg.radius_spin.value() == 5.0  # clamped to what the use case accepts
    model = dlg.fill_combo.model()
    enabled = {dlg.fill_combo.itemData(i): model.item(i).isEnabled()
               for i in range(dlg.fill_combo.count())}
    assert enabled == {None: True, "procedural": False, "ldm3d": False, "classical": True}
    assert "no LDM3D weights" in dlg.fill_combo.itemText(dlg.fill_combo.findData("ldm3d"))
    dlg.radius_spin.setValue(1.25)
    dlg.fill_combo.setCurrentIndex(dlg.fill_combo.findData("classical"))
    assert not dlg.steps_spin.isEnabled()
    assert dlg.options() == WalkableChoices(walk_radius=1.25, fill="classical")
    dlg.deleteLater()


def test_layer_errors_name_the_make_walkable_controls():
    from app.window.messages import in_window_words

    assert in_window_words("use --fill classical (no weights needed)") == (
        "choose Scene ▸ Make Walkable… ▸ Filler ▸ classical (no weights needed)")
    assert "Walk radius" in in_window_words("--walk-radius must be between 0 and 5 metres")


def test_each_scene_menu_entry_has_its_own_access_key(make_window):
    import re

    w = make_window()
    keys = [re.search(r"&(\w)", a.text()).group(1).lower()
            for a in w.scene_menu.actions() if a.text()]
    assert len(keys) == len(set(keys)), keys
