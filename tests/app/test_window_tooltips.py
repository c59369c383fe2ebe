"""Every field of the window says what it does: a tooltip on each input widget, a status tip
on each action of the menus and toolbars (issue 18, "a tooltip on every field").

The test walks the real window's widget tree and the dialogs that can be built without
``exec()``, and lists every input that has none, so a widget added without a tip names
itself in the failure.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gl


def _inputs(root):
    """The input widgets under ``root`` (and ``root`` itself), without Qt's own parts."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSlider,
        QAbstractSpinBox,
        QComboBox,
        QDialogButtonBox,
        QLineEdit,
        QPlainTextEdit,
        QScrollBar,
        QTabBar,
        QTextEdit,
        QToolButton,
        QWidget,
    )

    kinds = (QLineEdit, QAbstractSpinBox, QComboBox, QAbstractButton, QAbstractSlider,
             QTextEdit, QPlainTextEdit)
    for wd in [root, *root.findChildren(QWidget)]:
        if not isinstance(wd, kinds) or isinstance(wd, QScrollBar):
            continue
        parent = wd.parentWidget()
        if wd.objectName().startswith("qt_") or isinstance(parent, QTabBar):
            continue  # a dock's float/close button, a tab bar's scroll arrows
        if isinstance(wd, QLineEdit) and isinstance(parent, (QAbstractSpinBox, QComboBox)):
            continue  # the editor inside a spin box or combo box: the box has the tip
        if isinstance(wd, QTextEdit) and wd.isReadOnly():
            continue  # a text display, not a field
        if isinstance(wd, QToolButton) and wd.defaultAction() is not None:
            continue  # a toolbar button: its action is checked below
        if isinstance(parent, QDialogButtonBox) and \
                parent.standardButton(wd) != QDialogButtonBox.StandardButton.NoButton:
            continue  # OK / Cancel / Close say what they do
        yield wd


def _describe(wd) -> str:
    text = wd.text() if callable(getattr(wd, "text", None)) else ""
    chain, p = [], wd.parentWidget()
    while p is not None and len(chain) < 3:
        chain.append(type(p).__name__)
        p = p.parentWidget()
    return f"{type(wd).__name__}(name={wd.objectName()!r}, text={text!r}) in {'/'.join(chain)}"


def without_tooltip(root) -> list[str]:
    """Every input under ``root`` whose tooltip is empty."""
    return [_describe(wd) for wd in _inputs(root) if not wd.toolTip().strip()]


def _actions(window):
    """The actions a user reaches: the menu bar (every submenu), the toolbars, the window's
    own (shortcut-only) actions."""
    from PySide6.QtWidgets import QToolBar
    from shiboken6 import getCppPointer

    seen, out = set(), []

    def add(action):
        key = getCppPointer(action)[0]  # Python wrappers come and go; the C++ object stays
        if key in seen or action.isSeparator():
            return
        seen.add(key)
        if action.menu() is not None:
            for sub in action.menu().actions():
                add(sub)
            return
        if action.text():  # toolbar widgets (the mode combo) are checked as widgets
            out.append(action)

    for a in window.menuBar().actions():
        add(a)
    for tb in window.findChildren(QToolBar):
        for a in tb.actions():
            add(a)
    for a in window.actions():
        add(a)
    return out


def actions_without_status_tip(window) -> list[str]:
    """Qt makes a tooltip from an action's text, so the status tip is what says more."""
    return [a.text().replace("&", "") for a in _actions(window) if not a.statusTip().strip()]


def test_every_field_of_the_window_has_a_tooltip(make_window):
    w = make_window()
    missing = without_tooltip(w)
    assert not missing, "inputs without a tooltip:\n" + "\n".join(missing)
    # the walk does see the panels' fields (a walk that finds nothing would pass trivially)
    seen = {id(x) for x in _inputs(w)}
    gp, dp = w.generate_panel, w.depth_panel
    for field in (gp.prompt_edit, gp.seed_spin, gp.steps_spin, gp.size_combo, dp.near_spin,
                  dp.kind_combo, dp.cut_slider, w.panorama_view.overlay_slider, w.mode_combo):
        assert id(field) in seen


def test_every_action_has_a_status_tip(make_window):
    w = make_window()
    texts = {a.text() for a in _actions(w)}
    assert {"&Generate", "&Undo", "Generate", "Gallery", "&About Panoforge"} <= texts
    missing = actions_without_status_tip(w)
    assert not missing, "actions without a status tip: " + ", ".join(missing)


def test_every_field_of_the_dialogs_has_a_tooltip(make_window, tmp_path):
    from app import workflows
    from app.window.dialogs import (
        AboutDialog,
        ExportChoices,
        ExportDialog,
        ImportDialog,
        PreferencesDialog,
        RecoveryDialog,
        ShortcutsDialog,
    )
    from app.window.dialogs.flythrough_dialog import FlythroughDialog
    from app.window.dialogs.render_view_dialog import RenderViewChoices, RenderViewDialog
    from app.window.dialogs.walkable_dialog import WalkableChoices, WalkableDialog
    from app.window.panel_settings import capture
    from app.window.props import PropDialog
    from app.window.user_presets import PresetsDialog, UserPresets
    from app.window.variations import VariationsDialog
    from models.base import GenerationRequest
    from scene.composition import Scene
    from scene.mesh_settings import MeshSettings
    from scene.project import Project
    from scene.testing.analytic import box_room

    w = make_window()
    w.doc.add_made(workflows.generate("procedural", GenerationRequest(
        prompt="a misty forest", seed=7, width=64, height=32)))
    presets = UserPresets(w.settings)
    presets.save("mine", capture(w.generate_panel))  # a row in Manage Presets
    pano = box_room(64).panorama
    project = Project()
    rid = project.add_result(pano, kind="imported").id
    dialogs = [
        PreferencesDialog(w.settings, w),
        AboutDialog(w),
        ShortcutsDialog(w.actions(), w),
        ExportDialog(ExportChoices(folder=tmp_path, scene=Scene(dome=pano),
                                   mesh=MeshSettings()), w),
        ImportDialog(str(tmp_path), w),
        RecoveryDialog([], w),
        FlythroughDialog(project, rid, None, w),
        PropDialog(w),
        RenderViewDialog(RenderViewChoices(path=str(tmp_path / "view.png")), w),
        WalkableDialog(WalkableChoices(), [("procedural", True, ""),
                                           ("classical", True, ""),
                                           ("ldm3d", False, "no weights")], "classical", w),
        PresetsDialog(presets, w),
        VariationsDialog(w.doc, w.doc.active.id, folder=tmp_path, parent=w),
    ]
    missing = []
    for dlg in dialogs:
        missing += [f"{type(dlg).__name__}: {m}" for m in without_tooltip(dlg)]
        dlg.deleteLater()
    assert not missing, "dialog inputs without a tooltip:\n" + "\n".join(missing)


def test_the_walk_finds_a_field_without_a_tooltip(qt_app):
    """The check itself: a field whose tip is taken away is listed, Qt's parts are not."""
    from PySide6.QtWidgets import QDoubleSpinBox, QVBoxLayout, QWidget

    box = QWidget()
    spin = QDoubleSpinBox(box)
    spin.setToolTip("Height, in metres")
    QVBoxLayout(box).addWidget(spin)
    assert without_tooltip(box) == []
    spin.setToolTip("")
    (line,) = without_tooltip(box)
    assert line.startswith("QDoubleSpinBox")
    box.deleteLater()
