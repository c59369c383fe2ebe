"""Habits artists expect in the Generate panel (issue 18): prompt history, saved user presets,
and the variations grid (N seeds of one prompt side by side, pick one).

All on the real window (pytest-qt, Xvfb + Mesa) with the procedural backend. A restart is a
second window on the same settings file (the conftest's ``settings.ini`` under tmp_path).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app import workflows
from app.window.panel_settings import capture
from models.base import GenerationRequest

pytestmark = pytest.mark.gl


def _generate(w, qtbot, prompt, seed, size=(256, 128), lock=True):
    gp = w.generate_panel
    gp.set_backend("procedural")
    gp.set_prompt(prompt)
    gp.set_size(*size)
    gp.seed_lock.setChecked(lock)
    gp.seed_spin.setValue(seed)
    with qtbot.waitSignal(w.generationEnded, timeout=120_000) as ended:
        w.act_generate.trigger()
    assert ended.args == ["finished"], w.prompter.errors
    return w.doc.active


def _history_actions(w):
    button = w.generate_habits.history_button
    button.rebuild()
    return [a for a in button.menu().actions() if a.isEnabled() and not a.isSeparator()
            and a.text() not in ("Clear History", "Restore Cleared History")]


def test_history_survives_a_restart_and_puts_every_setting_back(make_window, qtbot):
    w = make_window()
    _generate(w, qtbot, "a misty pine forest", 11, size=(256, 128))
    _generate(w, qtbot, "a desert canyon", 12, size=(512, 256))
    _generate(w, qtbot, "a desert canyon", 13, size=(512, 256))  # same request, new seed
    w.close()

    w2 = make_window()  # a restart: the same settings file
    acts = _history_actions(w2)
    texts = [a.text() for a in acts]
    assert len(acts) == 2, texts  # deduplicated: the canyon once, with its newest seed
    assert texts[0].startswith("a desert canyon") and "seed 13" in texts[0]
    assert texts[1].startswith("a misty pine forest") and "256×128" in texts[1]
    assert "Prompt: a misty pine forest" in acts[1].toolTip()

    gp = w2.generate_panel
    gp.set_prompt("something else")
    gp.set_size(1024, 512)
    gp.seed_spin.setValue(99)
    gp.seed_lock.setChecked(False)
    gp.seamless_check.setChecked(False)
    acts[1].trigger()
    assert gp.prompt() == "a misty pine forest"
    assert gp.size() == (256, 128) and gp.seed_spin.value() == 11
    assert gp.seed_lock.isChecked()  # locked: Generate makes the same scene again
    assert gp.seamless_check.isChecked()
    assert gp.backend_name == "procedural"
    # and it does make the same scene again
    first = w2.doc  # (an empty project after the restart)
    assert not first.results
    with qtbot.waitSignal(w2.generationEnded, timeout=120_000):
        w2.act_generate.trigger()
    assert w2.doc.active.panorama.metadata.seed == 11
    assert w2.doc.active.panorama.rgb.shape == (128, 256, 3)


def test_history_is_bounded_and_keeps_only_runs_that_started(make_window, qtbot):
    from app.window.panel_settings import PanelSettings
    from app.window.prompt_history import MAX_HISTORY

    w = make_window()
    hist = w.generate_habits.history
    for k in range(MAX_HISTORY + 5):
        hist.add(PanelSettings(prompt=f"prompt {k}", seed=k))
    entries = hist.entries()
    assert len(entries) == MAX_HISTORY
    assert entries[0].prompt == f"prompt {MAX_HISTORY + 4}"  # newest first

    hist.clear()
    gp = w.generate_panel
    gp.set_backend("ldm3d-pano")
    gp.set_prompt("")  # refused: a diffusion backend needs a prompt
    w.act_generate.trigger()
    assert w.prompter.errors and w.prompter.errors[-1][0] == "Generate"
    assert hist.entries() == []

    # Clear History can be taken back while the window is open
    hist.add(PanelSettings(prompt="keep me", seed=3))
    button = w.generate_habits.history_button
    button.rebuild()
    next(a for a in button.menu().actions() if a.text() == "Clear History").trigger()
    assert hist.entries() == []
    button.rebuild()
    next(a for a in button.menu().actions() if a.text() == "Restore Cleared History").trigger()
    assert [e.prompt for e in hist.entries()] == ["keep me"]


def _set_every_field(gp):
    gp.set_backend("ldm3d-pano")
    gp.set_prompt("a neon city at night")
    gp.negative_edit.setPlainText("blurry")
    gp.seed_spin.setValue(4242)
    gp.seed_lock.setChecked(True)
    gp.steps_spin.setValue(33)
    gp.guidance_spin.setValue(5.5)
    gp.set_size(2048, 1024)
    gp.seamless_check.setChecked(False)


def test_a_saved_preset_sets_every_field_in_another_session(make_window, tmp_path):
    w = make_window()
    gp = w.generate_panel
    _set_every_field(gp)
    saved = capture(gp)
    assert w.generate_habits.save_preset("  Neon   nights ") == "Neon nights"
    w.close()

    w2 = make_window()  # every project of this user sees it
    gp2 = w2.generate_panel
    assert capture(gp2) != saved
    button = w2.generate_habits.presets_button
    button.rebuild()
    act = next(a for a in button.menu().actions() if a.text() == "Neon nights")
    assert "a neon city at night" in act.toolTip()
    act.trigger()
    assert capture(gp2) == saved
    assert (gp2.backend_name, gp2.prompt(), gp2.negative_edit.toPlainText(),
            gp2.seed_spin.value(), gp2.seed_lock.isChecked(), gp2.steps_spin.value(),
            gp2.guidance_spin.value(), gp2.size(), gp2.seamless_check.isChecked()) == (
        "ldm3d-pano", "a neon city at night", "blurry", 4242, True, 33, 5.5, (2048, 1024),
        False)
    # a preset is not a style preset: the prompt is replaced, not appended to
    gp2.set_prompt("old words")
    w2.generate_habits.apply_preset("Neon nights")
    assert gp2.prompt() == "a neon city at night"


def test_presets_rename_delete_undo_and_clear_refusals(make_window):
    w = make_window()
    habits = w.generate_habits
    gp = w.generate_panel
    gp.set_prompt("a glacier")
    habits.save_preset("Ice")
    gp.set_prompt("a volcano")
    habits.save_preset("Fire")
    assert habits.presets.names() == ["Fire", "Ice"]

    # a taken name is refused, naming the control, and the first preset is unchanged
    assert habits.save_preset("Ice") is None
    title, exc = w.prompter.errors[-1]
    assert title == "Save preset" and "“Ice” exists" in exc.message
    assert habits.presets.get("Ice").prompt == "a glacier"
    assert habits.save_preset("   ") is None
    assert "name is empty" in w.prompter.errors[-1][1].message
    assert habits.save_preset("\u202eecI") is None  # would read "Ice" backwards in the menu
    assert "control character (U+202E)" in w.prompter.errors[-1][1].message
    assert habits.presets.names() == ["Fire", "Ice"]

    dlg = habits.manage_presets()
    assert not dlg.isModal()
    items = {dlg.list.item(i).text(): dlg.list.item(i) for i in range(dlg.list.count())}
    items["Ice"].setText("Glacier blue")  # as an in-place edit does
    assert habits.presets.names() == ["Fire", "Glacier blue"]
    assert [a.text() for a in habits.presets_button.menu().actions()][:2] == [
        "Fire", "Glacier blue"]
    assert not dlg.rename("Fire", "Glacier blue")  # taken: refused, shown in the window
    assert "exists" in dlg.message.text() and habits.presets.names() == ["Fire", "Glacier blue"]

    dlg.list.setCurrentRow(0)
    dlg.delete_button.click()
    assert habits.presets.names() == ["Glacier blue"]
    dlg.undo_button.click()
    assert habits.presets.names() == ["Fire", "Glacier blue"]
    assert habits.presets.get("Fire").prompt == "a volcano"
    # a name that looks like markup is shown as typed, not drawn bold
    assert dlg.rename("Glacier blue", "<b>Ice</b>")
    assert dlg.message.text() == "Renamed “Glacier blue” to “<b>Ice</b>”."
    assert dlg.message.textFormat() == Qt.TextFormat.PlainText
    dlg.close()


class _Gated:
    """The procedural backend; seeds from ``hold`` on wait until ``gate`` is set (so a test
    can look at the grid while the run is still going)."""

    gate = threading.Event()
    hold = 10**9

    def __init__(self, name):
        from models.registry import get_backend

        self.inner = get_backend(name)
        self.name = name

    def generate(self, request, on_progress=None, cancel=None):
        if request.seed >= _Gated.hold:
            while not _Gated.gate.wait(0.05):
                if cancel is not None and cancel.is_set():
                    break
        return self.inner.generate(request, on_progress, cancel)


def _source(w):
    made = workflows.generate("procedural", GenerationRequest(
        prompt="a misty forest", seed=7, width=64, height=32))
    return w.doc.add_made(made)


def test_variations_grid_shows_each_seed_as_it_arrives_and_a_pick_keeps_it(
        make_window, qtbot, tmp_path):
    from app.window.variations import VariationsDialog

    w = make_window()
    source = _source(w)
    _Gated.gate.clear()
    _Gated.hold = 9  # seed 8 runs, seed 9 waits
    dlg = VariationsDialog(w.doc, source.id, folder=tmp_path, backend_factory=_Gated, parent=w)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.count.setValue(3)
    dlg.start_button.click()
    try:
        assert len(dlg.grid.tiles) == 4  # the original and a waiting tile per seed
        qtbot.waitUntil(lambda: len(dlg.grid.filled()) == 2, timeout=120_000)
        # seed 8 is in the grid and the project while seed 9 is still being made
        assert dlg.run.is_running()
        assert [t.seed for t in dlg.grid.filled()] == [7, 8]
        assert len(w.doc.results) == 2
        assert "waiting" in dlg.grid.tiles[dlg.run.jobs[1].name].text()
    finally:
        _Gated.gate.set()
    qtbot.waitUntil(lambda: "finished" in dlg.status_label.text(), timeout=120_000)

    tiles = dlg.grid.filled()
    assert len(tiles) == 4
    # the seed under each thumbnail is its result's seed, and the thumbnail is its picture
    for tile in tiles:
        res = w.doc.result(tile.result_id)
        assert res.panorama.metadata.seed == tile.seed
        assert tile.text().startswith(f"seed {tile.seed}")
        assert not tile.icon().isNull()
    assert [t.seed for t in tiles] == [7, 8, 9, 10]
    assert len({t.result_id for t in tiles}) == 4
    assert not np.array_equal(w.doc.result(tiles[1].result_id).panorama.rgb,
                              w.doc.result(tiles[2].result_id).panorama.rgb)

    # double-click picks: the active result, starred; nothing is deleted
    pick = tiles[2]
    qtbot.mouseDClick(pick, Qt.MouseButton.LeftButton)
    assert w.doc.active_id == pick.result_id
    assert [("kept" in t.text()) for t in tiles] == [False, False, True, False]
    assert pick.isChecked() and not tiles[0].isChecked()
    assert w.doc.result(pick.result_id).favourite
    assert not any(w.doc.result(t.result_id).favourite for t in tiles if t is not pick)
    assert len(w.doc.results) == 4

    # Keep Selected, Discard Others: the other variations go, the original stays; one undo
    assert dlg.discard_button.isEnabled()
    dlg.discard_button.click()
    assert {r.id for r in w.doc.results} == {source.id, pick.result_id}
    assert w.doc.active_id == pick.result_id
    assert [t.isEnabled() for t in tiles] == [True, False, True, False]
    assert "discarded" in tiles[1].text()
    w.doc.undo_stack.undo()
    assert len(w.doc.results) == 4
    assert all(t.isEnabled() for t in tiles) and "discarded" not in tiles[1].text()
    dlg.close()


def test_variations_of_the_active_result_from_the_generate_menu(make_window, qtbot, tmp_path):
    w = make_window()
    w.act_variations.trigger()  # nothing generated yet: a hint, no dialog
    assert getattr(w, "variations_dialog", None) is None
    assert "generated result" in w.statusBar().currentMessage()
    source = _source(w)
    w.doc.set_active(source.id)
    w.act_variations.trigger()
    dlg = w.variations_dialog
    assert dlg.isVisible() and not dlg.isModal()
    assert dlg.result.id == source.id
    assert [t.seed for t in dlg.grid.filled()] == [7]
    dlg.folder.setText(str(tmp_path))
    dlg.count.setValue(2)
    dlg.start_button.click()
    qtbot.waitUntil(lambda: "finished" in dlg.status_label.text(), timeout=120_000)
    assert [t.seed for t in dlg.grid.filled()] == [7, 8, 9]
    dlg.grid.select(dlg.grid.filled()[1].result_id)
    assert dlg.keep()
    assert w.doc.active.panorama.metadata.seed == 8
    dlg.close()


def test_history_and_presets_row_keeps_the_panel_fitting_and_has_tips(make_window, qtbot):
    w = make_window()
    w.resize(1280, 720)
    qtbot.wait(150)
    area = w.scroll_areas["dockGenerate"]
    gp = w.generate_panel
    assert area.horizontalScrollBar().maximum() == 0
    assert gp.minimumSizeHint().width() <= area.viewport().width()
    for b in (w.generate_habits.history_button, w.generate_habits.presets_button):
        assert b.isVisible() and b.toolTip()
        assert b.mapTo(gp, b.rect().topLeft()).y() < gp.steps_spin.mapTo(gp, gp.steps_spin.rect().topLeft()).y()


def test_closing_the_window_stops_running_variations(make_window, qtbot, tmp_path):
    from app.window.variations import gallery_actions

    w = make_window()
    source = _source(w)
    _Gated.gate.clear()
    _Gated.hold = 8  # every variation waits: the run is still going when the window closes
    gallery_actions(w, source.id)[0][1]()
    dlg = w.variations_dialog
    dlg._factory = _Gated
    dlg.folder.setText(str(tmp_path))
    dlg.count.setValue(3)
    dlg.start_button.click()
    run = dlg.run
    try:
        qtbot.waitUntil(lambda: "started" in dlg.job_label.text(), timeout=60_000)
        assert run.is_running()
        w.prompter.unsaved_answer = "discard"
        w.close()
        assert w.closed and not run.is_running()
        assert run.summary is not None and run.summary.cancelled
    finally:
        _Gated.gate.set()


def test_a_failed_run_says_why_and_names_the_dialog_s_folder_field(make_window, qtbot, tmp_path):
    import fcntl
    import os

    from app.window.variations import gallery_actions

    w = make_window()
    source = _source(w)
    gallery_actions(w, source.id)[0][1]()
    dlg = w.variations_dialog
    dlg.folder.setText(str(tmp_path))
    fd = os.open(tmp_path / ".batch.lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another batch writes there now
    try:
        dlg.start_button.click()
        qtbot.waitUntil(lambda: "error" in dlg.status_label.text(), timeout=60_000)
    finally:
        os.close(fd)
    text = dlg.status_label.text()
    assert f"another batch is writing to {tmp_path}" in text
    assert "choose another Folder above" in text and "--out" not in text
    assert {lab.textFormat() for lab in (dlg.source_label, dlg.status_label, dlg.job_label)} \
        == {Qt.TextFormat.PlainText}  # prompts and folders are shown as typed
    assert dlg.close_button.isEnabled()
    # the user can fix it and try again in the same dialog
    assert dlg.start_button.isEnabled() and dlg.folder.isEnabled() and dlg.count.isEnabled()
    assert list(dlg.grid.tiles) == ["source"]  # the original stays; no stale waiting tiles
    dlg.folder.setText(str(tmp_path / "elsewhere"))
    dlg.start_button.click()
    qtbot.waitUntil(lambda: "finished" in dlg.status_label.text(), timeout=120_000)
    assert len(dlg.added) == dlg.count.value() == len(dlg.grid.filled()) - 1  # + the original
    dlg.close()


def test_each_variation_is_read_from_disk_off_the_ui_thread(make_window, qtbot, tmp_path,
                                                            monkeypatch):
    import scene.project
    from app.window.variations import gallery_actions

    readers = []
    real = scene.project.load_project

    def load_project(path, *a, **k):
        readers.append((threading.current_thread() is threading.main_thread(), str(path)))
        return real(path, *a, **k)

    w = make_window()
    source = _source(w)
    gallery_actions(w, source.id)[0][1]()
    dlg = w.variations_dialog
    dlg.folder.setText(str(tmp_path))
    dlg.count.setValue(2)
    monkeypatch.setattr(scene.project, "load_project", load_project)
    dlg.start_button.click()
    qtbot.waitUntil(lambda: "finished" in dlg.status_label.text(), timeout=120_000)
    assert [t.seed for t in dlg.grid.filled()] == [7, 8, 9]
    variation_reads = [on_ui for on_ui, path in readers if str(tmp_path) in path]
    assert len(variation_reads) >= 2 and not any(variation_reads), readers
    assert dlg.run.loaded == {}  # each one was taken into the project
    dlg.close()
