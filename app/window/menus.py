"""The window's actions, menus and toolbar: what each command is called, its keys and tip.

The functions set ``act_*``, ``mode_actions``, ``recent_menu``, ``view_menu``, ``mode_combo``
and ``view_toolbar`` on the window and connect the actions to the window's parts
(``files``, ``exports``, ``generation``, ``scene_view``).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

__all__ = ["VIEW_MODES", "build_actions", "build_menus", "build_toolbar"]

VIEW_MODES = ("textured", "depth", "wireframe", "points")


def _action(w, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False):
    act = QAction(text, w)
    if shortcut is not None:
        act.setShortcut(QKeySequence(shortcut))
    if tip:
        act.setStatusTip(tip)
        act.setToolTip(tip)
    act.setCheckable(checkable)
    if slot is not None:
        act.triggered.connect(lambda checked=False: slot())
    w.addAction(act)
    return act


def _help(module: str, name: str):
    """``app.window.<module>.<name>``, imported when first used (not at window start)."""
    from importlib import import_module

    return getattr(import_module(f"{__package__}.{module}"), name)


def build_actions(w) -> None:
    """The window's actions (``w.act_*``), each with its shortcut and status tip."""
    sk = QKeySequence.StandardKey
    w.act_new = _action(w, "&New", w.files.new_project, sk.New, "Start a new project")
    w.act_open = _action(w, "&Open…", w.files.open_project, sk.Open, "Open a project")
    w.act_save = _action(w, "&Save", w.files.save, sk.Save, "Save the project")
    w.act_save_as = _action(w, "Save &As…", w.files.save_as, sk.SaveAs,
                            "Save the project under a new name")
    w.act_import = _action(w, "&Import Panorama…", w.files.import_dialog, "Ctrl+I",
                           "Import an RGB panorama with optional depth")
    w.act_export = _action(w, "&Export…", lambda: w.exports.export_dialog(), "Ctrl+E",
                           "Export the active result")
    w.act_export_glb = _action(w, "GLB…", lambda: w.exports.export_dialog(only="glb"),
                               tip="Export the active result as a GLB mesh")
    w.act_export_ply = _action(w, "PLY…", lambda: w.exports.export_dialog(only="ply"),
                               tip="Export the active result as a PLY mesh or point cloud")
    w.act_export_images = _action(w, "Images…", lambda: w.exports.export_dialog(only="images"),
                                  tip="Export the panorama and its depth as images")
    w.act_export_cubemap = _action(w, "Cubemap…",
                                   lambda: w.exports.export_dialog(only="cubemap"),
                                   tip="Export six cube faces for a skybox")
    w.act_headset = _action(w, "View in &Headset", w.view_in_headset, "Ctrl+H",
                            "Walk through the active result in a VR headset "
                            "(OpenXR; start SteamVR, Quest Link, Monado or WMR "
                            "first). Runs in its own process; Ctrl+H again stops it")
    w.act_headset.setCheckable(True)
    w.act_quit = _action(w, "&Quit", w.close, sk.Quit, "Quit Panoforge")

    w.act_undo = w.undo_group.createUndoAction(w, "&Undo")
    w.act_undo.setShortcut(sk.Undo)
    w.act_undo.setStatusTip("Undo the last change to the project")
    w.act_redo = w.undo_group.createRedoAction(w, "&Redo")
    # Ctrl+Shift+Z is the platform's Redo on Linux: registering it twice makes Qt drop the
    # key as an "ambiguous shortcut overload", so each sequence is added once
    redo_keys: list[QKeySequence] = []
    for key in [*QKeySequence.keyBindings(sk.Redo), QKeySequence("Ctrl+Shift+Z")]:
        if key.toString() not in {k.toString() for k in redo_keys}:
            redo_keys.append(key)
    w.act_redo.setShortcuts(redo_keys)
    w.act_redo.setStatusTip("Redo the change just undone")
    w.addAction(w.act_undo)
    w.addAction(w.act_redo)
    w.act_delete = _action(w, "&Delete Result", w.delete_active, sk.Delete,
                           "Remove the active result (undoable)")
    w.act_use = _action(w, "Use &These Settings", w.use_active_settings, "Ctrl+U",
                        "Copy the active result's settings to Generate")
    w.act_prefs = _action(w, "&Preferences…", w.preferences, sk.Preferences,
                         "Default backend, model folders and device")
    if w.act_prefs.shortcut().isEmpty():
        w.act_prefs.setShortcut(QKeySequence("Ctrl+,"))

    w.act_generate = _action(w, "&Generate", w.generate_panel.trigger_generate,
                             "Ctrl+Return", "Generate a scene from the prompt")
    w.act_generate.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
    w.act_cancel = _action(w, "&Cancel Generation", w.generation.cancel, "Esc",
                           "Stop the running generation")
    w.act_cancel.setEnabled(False)

    w.view_group = QActionGroup(w)
    w.act_inside = _action(w, "&Inside View", lambda: w.set_view("inside"), "Ctrl+1",
                           "Stand at the centre and look around", checkable=True)
    w.act_outside = _action(w, "&Outside View", lambda: w.set_view("outside"),
                            "Ctrl+2", "Orbit the scene like a dollhouse",
                            checkable=True)
    w.act_inside.setChecked(True)
    for a in (w.act_inside, w.act_outside):
        w.view_group.addAction(a)
    w.mode_group = QActionGroup(w)
    w.mode_actions: dict[str, QAction] = {}
    for i, mode in enumerate(VIEW_MODES, start=1):
        a = _action(w, mode.capitalize(), lambda m=mode: w.set_mode(m), f"Alt+{i}",
                    f"Show the mesh {mode}", checkable=True)
        w.mode_group.addAction(a)
        w.mode_actions[mode] = a
    w.act_recentre = _action(w, "&Recentre", w.scene_view.recentre, "Home",
                             "Back to the centre, looking ahead")
    w.act_shortcuts = _action(w, "&Keyboard Shortcuts", w.show_shortcuts,
                              "Ctrl+/", "List every key the window answers to")
    w.act_manual = _action(w, "&Manual", lambda: _help("manual", "show_manual")(w), "F1",
                           "Open the user guide: the panels, generating, depth, export, "
                           "headset, keys")
    w.act_tour = _action(w, "&Tour", lambda: _help("tour", "start_tour")(w), None,
                         "Show the short tour of the four panels again")
    w.act_about = _action(w, "&About Panoforge", w.show_about,
                          tip="Versions of Panoforge, torch, diffusers, OpenGL and the GPU")


def build_menus(w) -> None:
    """The menu bar; needs the actions and the docks."""
    mb = w.menuBar()
    m = mb.addMenu("&File")
    m.addActions([w.act_new, w.act_open])
    w.recent_menu = m.addMenu("Open &Recent")
    w.recent_menu.aboutToShow.connect(lambda: w.files.fill_recent_menu(w.recent_menu))
    m.addSeparator()
    m.addActions([w.act_save, w.act_save_as])
    m.addSeparator()
    m.addAction(w.act_import)
    exp = m.addMenu("E&xport")
    exp.addAction(w.act_export)
    exp.addSeparator()
    exp.addActions([w.act_export_glb, w.act_export_ply, w.act_export_images,
                   w.act_export_cubemap])
    m.addSeparator()
    m.addAction(w.act_headset)
    m.addSeparator()
    m.addAction(w.act_quit)

    m = mb.addMenu("&Edit")
    m.addActions([w.act_undo, w.act_redo])
    m.addSeparator()
    m.addActions([w.act_use, w.act_delete])
    m.addSeparator()
    m.addAction(w.act_prefs)

    m = mb.addMenu("&Generate")
    m.addActions([w.act_generate, w.act_cancel])

    m = mb.addMenu("&View")
    m.addActions([w.act_inside, w.act_outside])
    m.addSeparator()
    m.addActions(list(w.mode_actions.values()))
    m.addSeparator()
    m.addAction(w.act_recentre)
    m.addMenu(w.saved_views.menu)
    m.addAction(w.render_view.act_render)
    m.addSeparator()
    panels = m.addMenu("&Panels")
    for dock in (w.generate_dock, w.depth_dock, w.gallery_dock):
        panels.addAction(dock.toggleViewAction())
        dock.toggleViewAction().setStatusTip(f"Show or hide the {dock.windowTitle()} panel")
    w.act_reset_layout = _action(w, "Reset &Layout", w.reset_layout,
                                 tip="Put every panel back where it started")
    m.addAction(w.act_reset_layout)
    w.view_menu = m

    from .walkable import build_scene_menu

    build_scene_menu(w, mb)
    from .stages import install_stages

    install_stages(w)  # Result menu: Upscale ×4, Repair Poles, Estimate Depth, Add Prop…
    m = mb.addMenu("&Help")
    m.addActions([w.act_manual, w.act_tour])
    m.addSeparator()
    m.addAction(w.act_shortcuts)
    m.addAction(w.act_about)


def build_toolbar(w) -> None:
    """The View toolbar with the mode combo box (``w.mode_combo``)."""
    tb = QToolBar("View")
    tb.setObjectName("toolbarView")
    tb.setMovable(False)
    tb.setIconSize(QSize(16, 16))
    tb.addAction(w.act_inside)
    tb.addAction(w.act_outside)
    tb.addSeparator()
    tb.addWidget(QLabel(" Mode "))
    w.mode_combo = QComboBox()
    w.mode_combo.setToolTip("How the 3D view draws the mesh (Alt+1…4)")
    for mode in VIEW_MODES:
        w.mode_combo.addItem(mode.capitalize(), mode)
    w.mode_combo.currentIndexChanged.connect(
        lambda _i: w.set_mode(str(w.mode_combo.currentData())))
    tb.addWidget(w.mode_combo)
    tb.addSeparator()
    tb.addAction(w.act_recentre)
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
    w.view_toolbar = tb
    w.set_mode(w.settings.view_mode() if w.settings.view_mode() in VIEW_MODES
               else "textured")
