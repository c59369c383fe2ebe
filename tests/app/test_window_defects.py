"""Issue 18's window defects, each on the real window (Xvfb + Mesa) with a known answer."""

from __future__ import annotations

from PySide6.QtCore import Qt

from scene.testing.analytic import box_room


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
