"""Gallery organisation on the real window (issue 18, "Habits artists expect"): rename,
favourite, the ids under the thumbnails, and two results compared with a split slider.

The compared results are made here with known colours (top and bottom halves differ), so what
each column and row of the compare view must show is known exactly.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontMetrics

from scene.metadata import GenerationMetadata
from scene.panorama import RGBDPanorama
from scene.project import load_project

RED, DARK_RED = (220, 30, 30), (90, 10, 10)
BLUE, DARK_BLUE = (30, 40, 220), (10, 15, 90)
LONG_PROMPT = ("a very long prompt about a misty pine forest at dawn with fog between the "
               "trees and a river")


def _two_tone(top, bottom, width=128, prompt="") -> RGBDPanorama:
    """A 2:1 panorama whose upper half is ``top`` and lower half ``bottom``."""
    h = width // 2
    rgb = np.empty((h, width, 3), np.uint8)
    rgb[: h // 2] = top
    rgb[h // 2:] = bottom
    md = GenerationMetadata(backend="procedural", prompt=prompt, user_prompt=prompt, seed=1,
                            width=width, height=h)
    return RGBDPanorama(rgb=rgb, metadata=md)


def _two(w, prompt="the same forest"):
    a = w.doc.add_result(_two_tone(RED, DARK_RED, prompt=prompt), kind="generated")
    b = w.doc.add_result(_two_tone(BLUE, DARK_BLUE, prompt=prompt), kind="generated")
    return a, b


def _item(w, rid):
    g = w.gallery
    return next(g.list.item(i) for i in range(g.list.count()) if g.ids()[i] == rid)


def _caption_lines(w, rid) -> list[str]:
    return _item(w, rid).text().split("\n")


def _type_name(qtbot, w, text: str) -> None:
    edit = w.gallery.names.name_edit
    w.act_rename.trigger()  # F2: the cursor goes to the name field, its text selected
    # (focusWidget, not hasFocus: Xvfb may not activate the window; with an empty name
    # "all text selected" held before F2 too)
    assert w.focusWidget() is edit
    assert edit.selectedText() == edit.text()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_rename_shows_in_the_gallery_survives_save_and_reopen_and_undo_restores(
        make_window, qtbot, tmp_path):
    w = make_window()
    a, b = _two(w)
    w.gallery.list.setCurrentRow(0)
    assert w.doc.active_id == a.id
    w.files.write_recovery()                               # (nothing left to write)
    _type_name(qtbot, w, "  Dawn, keeper  ")
    assert a.name == "Dawn, keeper" and a.id == "r1"          # stripped; the id stays
    assert _caption_lines(w, a.id) == ["r1", "Dawn, keeper"]
    assert _caption_lines(w, b.id) == ["r2", "the same forest"]
    assert "Dawn, keeper" in _item(w, a.id).toolTip()
    assert w.doc.undo_stack.undoText() == "Rename r1 to 'Dawn, keeper'"
    # the rename reaches the recovery copy by itself (a crash keeps it): its write is scheduled
    assert w.files._timer.isActive()
    w.files._timer.timeout.emit()
    assert w.recovery.flush()
    assert load_project(w.recovery.recovery_file).get("r1").name == "Dawn, keeper"

    path = tmp_path / "named.panoforge"
    assert w.save_as(path)
    assert load_project(path).get("r1").name == "Dawn, keeper"
    w.act_new.trigger()
    assert w.gallery.ids() == []
    assert w.files.open_project(path)
    assert _caption_lines(w, "r1") == ["r1", "Dawn, keeper"]
    w.gallery.list.setCurrentRow(0)
    assert w.gallery.names.name_edit.text() == "Dawn, keeper"

    _type_name(qtbot, w, "Second thoughts")
    assert _caption_lines(w, "r1")[1] == "Second thoughts"
    w.act_undo.trigger()
    assert _caption_lines(w, "r1")[1] == "Dawn, keeper"
    assert w.gallery.names.name_edit.text() == "Dawn, keeper"
    w.act_redo.trigger()
    assert w.doc.result("r1").name == "Second thoughts"


def test_a_name_the_project_cannot_hold_is_refused_with_the_reason(make_window, qtbot):
    w = make_window()
    a, _b = _two(w)
    w.gallery.list.setCurrentRow(0)
    steps = w.doc.undo_stack.count()
    _type_name(qtbot, w, "x" * 81)
    names = w.gallery.names
    assert a.name == "" and w.doc.undo_stack.count() == steps
    assert names.error.isVisible() and "at most 80" in names.error.text()
    assert "Name not changed" in names.error.text()
    assert names.name_edit.text() == ""                   # back to what the result has
    names.name_edit.setText("two\tparts")                 # pasted text with a tab
    names.commit()
    assert a.name == "" and "control character" in names.error.text()
    _type_name(qtbot, w, "fine")
    assert a.name == "fine" and not names.error.isVisible()


def test_favourite_toggles_filters_persists_and_is_undoable(make_window, qtbot, tmp_path):
    w = make_window()
    a, b = _two(w)
    w.gallery.list.setCurrentRow(1)
    star = w.gallery.names.star
    assert star.toolTip() and not star.isChecked()
    qtbot.mouseClick(star, Qt.MouseButton.LeftButton)
    assert b.favourite and not a.favourite and star.text() == "★"
    assert _caption_lines(w, b.id)[0] == "★ r2" and _caption_lines(w, a.id)[0] == "r1"

    only = w.gallery.names.only_favourites
    assert only.toolTip()
    qtbot.mouseClick(only, Qt.MouseButton.LeftButton)
    assert w.gallery.visible_ids() == [b.id]
    qtbot.mouseClick(only, Qt.MouseButton.LeftButton)
    assert w.gallery.visible_ids() == [a.id, b.id]

    path = tmp_path / "fav.panoforge"
    assert w.save_as(path)
    back = load_project(path)
    assert back.get("r2").favourite and not back.get("r1").favourite
    w.act_undo.trigger()
    assert not b.favourite and _caption_lines(w, b.id)[0] == "r2" and not star.isChecked()
    w.act_redo.trigger()
    assert b.favourite and star.isChecked()
    # the Edit menu's entry stars the active result too
    w.gallery.list.setCurrentRow(0)
    w.act_favourite.trigger()
    assert a.favourite


def test_ids_are_shown_whole_under_every_thumbnail(make_window):
    w = make_window()
    results = [w.doc.add_result(_two_tone(RED, BLUE, prompt=LONG_PROMPT), kind="generated")
               for _ in range(3)]
    g = w.gallery
    fm = QFontMetrics(g.list.font())
    for res in results:
        item = _item(w, res.id)
        first, second = item.text().split("\n")
        assert first == res.id                             # a line of its own
        assert fm.horizontalAdvance(first) < item.sizeHint().width() - 8  # never elided
        assert second == LONG_PROMPT
        assert f"<td>{res.id}</td>" in item.toolTip()        # and in the info text
    # the list really draws the three ids: each item's caption rectangle holds its id line
    lines = {g.list.item(i).text().split("\n")[0] for i in range(g.list.count())}
    assert lines == {"r1", "r2", "r3"}


def _colour(img, x: int, y: int):
    c = img.pixelColor(x, y)
    return (c.red(), c.green(), c.blue())


def _close(got, want, tol=6) -> bool:
    return all(abs(g - v) <= tol for g, v in zip(got, want, strict=True))


def test_compare_shows_a_left_of_the_split_and_b_right_and_the_slider_moves_it(
        make_window, qtbot):
    w = make_window()
    a, b = _two(w)
    w.gallery.list.setCurrentRow(0)                       # r1 shown, then r2, then r1 again
    w.gallery.list.setCurrentRow(1)
    w.gallery.list.setCurrentRow(0)
    before = w.tabs.currentWidget()
    assert w.gallery.compare_button.toolTip()
    qtbot.mouseClick(w.gallery.compare_button, Qt.MouseButton.LeftButton)
    cv = w.compare
    assert cv.is_open and w.tabs.currentWidget() is cv and cv.ids == (a.id, b.id)
    img_w = cv.image
    qtbot.waitUntil(lambda: img_w.isVisible() and img_w.image_rect().width() > 100)

    def grab():
        return img_w.grab().toImage()

    def at(frac_x: float, frac_y: float):
        r = img_w.image_rect()
        return _colour(grab(), r.left() + int(frac_x * r.width()),
                       r.top() + int(frac_y * r.height()))

    assert cv.slider.value() == 500 and abs(img_w.split - 0.5) < 1e-9
    # left of the split: A (red above, dark red below), right of it: B; rows aligned
    assert _close(at(0.25, 0.25), RED) and _close(at(0.25, 0.75), DARK_RED)
    assert _close(at(0.75, 0.25), BLUE) and _close(at(0.75, 0.75), DARK_BLUE)
    # the slider moves the boundary
    cv.slider.setValue(900)
    assert abs(img_w.split - 0.9) < 1e-9 and cv.split_label.text() == "90 %"
    assert _close(at(0.75, 0.25), RED) and _close(at(0.95, 0.25), BLUE)
    # so does a click (or a drag) on the image, and the slider follows
    r = img_w.image_rect()
    qtbot.mouseClick(img_w, Qt.MouseButton.LeftButton,
                     pos=QPoint(r.left() + int(0.1 * r.width()), r.center().y()))
    assert abs(img_w.split - 0.1) < 0.01 and abs(cv.slider.value() - 100) <= 10
    assert _close(at(0.05, 0.25), RED) and _close(at(0.25, 0.25), BLUE)
    # Swap puts B on the left
    cv.swap_button.click()
    assert cv.ids == (b.id, a.id) and _close(at(0.05, 0.25), BLUE)
    # leaving returns to the normal view; while a generation runs, its Esc (Cancel
    # Generation) is enabled, and Esc in the Compare tab must still only close the tab
    cancels = []
    w.act_cancel.triggered.connect(lambda *_: cancels.append(1))
    w.act_cancel.setEnabled(True)  # as generation.py sets it while a run goes on
    qtbot.keyClick(img_w, Qt.Key.Key_Escape)
    assert not cv.is_open and w.tabs.currentWidget() is before
    assert cancels == []
    w.act_cancel.setEnabled(False)
    assert w.tabs.indexOf(cv) == -1


def test_compare_from_a_thumbnail_menu_and_the_view_follows_the_document(make_window, qtbot):
    w = make_window()
    a, b = _two(w)
    c = w.doc.add_result(_two_tone(DARK_BLUE, RED), kind="imported")
    w.doc.set_active(a.id)
    menu = w.gallery.context_menu(c.id)                    # a right-click on r3's thumbnail
    acts = {x.text(): x for x in menu.actions() if not x.isSeparator()}
    for text in ("Use these settings", "Delete", "Rename…", "Favourite", "Compare with r1"):
        assert acts[text].statusTip(), text
    acts["Compare with r1"].trigger()
    cv = w.compare
    assert cv.ids == (a.id, c.id)
    from tests.app.test_window_tooltips import _inputs, without_tooltip
    assert len(list(_inputs(cv))) >= 5  # A, B, Swap, the split slider, Close
    assert without_tooltip(cv) == []  # (the window-wide tooltip test runs with no tab open)
    assert [cv.combo_a.itemData(i) for i in range(cv.combo_a.count())] == ["r1", "r2", "r3"]
    cv.combo_b.setCurrentIndex(1)
    cv.combo_b.activated.emit(1)
    assert cv.ids == (a.id, b.id)
    w.doc.rename_result(b.id, "blue one")
    assert "blue one" in cv.combo_b.currentText()
    w.doc.delete_result(b.id)                              # B leaves: another one takes its place
    assert cv.is_open and cv.ids == (a.id, c.id)
    w.act_new.trigger()                                    # another document: closed
    assert not cv.is_open


def test_info_lists_names_and_favourites(make_window, tmp_path):
    from app.commands.info import describe, format_text

    w = make_window()
    a, b = _two(w)
    w.doc.rename_result(b.id, "Forest keeper")
    w.doc.set_favourite(b.id, True)
    path = tmp_path / "info.panoforge"
    assert w.save_as(path)
    info = describe(path)
    assert [(r["id"], r["name"], r["favourite"]) for r in info["results"]] == [
        ("r1", "", False), ("r2", "Forest keeper", True)]
    text = format_text(info).splitlines()
    (r1,) = [line for line in text if line[2:].startswith("r1 ")]
    (r2,) = [line for line in text if line[2:].startswith("r2 ")]
    assert "[favourite]" not in r1 and "'the same forest'" in r1
    assert r2.startswith("* r2  [favourite]  generated  'Forest keeper' (label 'the same forest')")


def test_a_thumbnail_is_never_taken_from_another_panorama_with_the_same_id(make_window):
    """The icon cache is keyed by ``id(rgb)``; a freed array's id is often handed to the next
    one. Here the cache holds, under blue's id, the icon made from another (red) array, as it
    would after red was freed and blue got its address: blue must get its own thumbnail."""
    from app.window.gallery import THUMB_SIZE

    w = make_window()
    a, b = _two(w)
    g = w.gallery
    g._icons[id(b.panorama.rgb)] = g._icons[id(a.panorama.rgb)]
    g.show_results(w.doc.project.results, w.doc.active_id, w.doc.label_of)
    top = _item(w, b.id).icon().pixmap(THUMB_SIZE).toImage().pixelColor(
        THUMB_SIZE.width() // 2, THUMB_SIZE.height() // 4)
    assert abs(top.blue() - BLUE[2]) <= 8 and abs(top.red() - BLUE[0]) <= 8, top.name()


def test_the_edit_menu_entries_have_their_own_access_keys(make_window):
    """Alt+E then a letter picks one entry (Rename had Redo's R: the letter only cycled)."""
    import re

    w = make_window()
    edit = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Edit")
    keys = {}
    for a in edit.actions():
        m = re.search(r"&([^&])", a.text().replace("&&", ""))
        if m:
            keys.setdefault(m.group(1).lower(), []).append(a.text())
    assert {k: v for k, v in keys.items() if len(v) > 1} == {}
    assert w.act_rename in edit.actions() and w.act_favourite in edit.actions()


def test_esc_in_the_name_field_drops_the_edit_and_leaves_a_generation_running(make_window,
                                                                              qtbot):
    """Esc while typing a name is "never mind" (the name stays), not the window's Esc, which
    cancels the running generation."""
    w = make_window()
    a, _b = _two(w)
    w.gallery.list.setCurrentRow(0)
    _type_name(qtbot, w, "Kept name")
    cancels = []
    w.act_cancel.setEnabled(True)  # as while a generation runs
    w.act_cancel.triggered.connect(lambda *_: cancels.append(1))
    depth = w.doc.undo_stack.count()
    edit = w.gallery.names.name_edit
    w.act_rename.trigger()
    qtbot.keyClicks(edit, "half typed")
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert cancels == []                          # the generation would go on
    assert edit.text() == "Kept name" and a.name == "Kept name"
    assert w.doc.undo_stack.count() == depth      # nothing renamed, nothing to undo
    assert w.focusWidget() is not edit
