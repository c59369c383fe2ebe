"""The Panoforge main window: it puts the parts together.

Layout: the 3D viewport (and the flat panorama, as a second tab) in the centre, the Generate
panel docked left, the Depth panel right and the Gallery along the bottom. Each job has its
own module, and the window owns one of each:

- :class:`~app.window.scene_view.SceneView` (``scene_view``): the active result in the
  viewport and the Panorama tab, the mesh requests;
- :class:`~app.window.files.ProjectFiles` (``files``): new/open/save, recent files, recovery
  copies, import, dropped files;
- :class:`~app.window.generation.GenerationControl` (``generation``): the worker thread;
- :class:`~app.window.exporting.ExportControl` (``exports``): the Export dialog and writers;
- :mod:`app.window.menus`: actions, menus, toolbar.

Everything that changes the project goes through :class:`app.window.document.Document`.
The panels, the scene view, the file operations and the window itself are document views
(:class:`~app.window.document.DocumentView`): :meth:`MainWindow.set_document` binds each to
the document, which it then follows by itself (the window relays none of its signals).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QCloseEvent, QUndoGroup
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QVBoxLayout, QWidget

from scene.errors import PanoforgeError

from .camera_readout import CameraReadout
from .depth_panel import DepthPanel
from .dialogs import AboutDialog, PreferencesDialog, Prompter, ShortcutsDialog
from .document import Document, DocumentView
from .exporting import ExportControl
from .files import IMAGE_SUFFIXES, PROJECT_SUFFIX, ProjectFiles
from .gallery import Gallery
from .gallery_habits import install_gallery_habits
from .generate_habits import install_generate_habits
from .generate_panel import GeneratePanel
from .generation import GenerationControl
from .headset import HeadsetLink
from .menus import VIEW_MODES, build_actions, build_menus, build_toolbar
from .preferences_store import WindowSettings, make_settings
from .render_view import RenderViewControl
from .saved_views import SavedViewsControl
from .scene_view import SceneView
from .walkable import WalkControl

__all__ = ["MainWindow", "VIEW_MODES", "IMAGE_SUFFIXES", "PROJECT_SUFFIX"]


class MainWindow(DocumentView, QMainWindow):
    """The authoring window.

    Parameters
    ----------
    settings : WindowSettings, optional
        Preferences store (default: the user's QSettings).
    prompter : Prompter, optional
        Answers the window's questions (tests pass one that answers at once).
    recovery_root : Path, optional
        The sessions folder (default under AppDataLocation).
    backend_factory : callable, optional
        ``name -> backend`` for generations (default: the registry).

    Signals
    -------
    resultArrived(str)
        A generation finished and its result (this id) is in the project.
    generationEnded(str)
        ``"finished"``, ``"errored"`` or ``"cancelled"``.
    viewportUpdated(str, float)
        The viewport shows a new mesh for this result; milliseconds since the edit.
    """

    resultArrived = Signal(str)
    generationEnded = Signal(str)
    viewportUpdated = Signal(str, float)

    def __init__(self, settings: WindowSettings | None = None, prompter: Prompter | None = None,
                 recovery_root: Path | None = None, backend_factory=None) -> None:
        super().__init__()
        self.settings = settings or WindowSettings(make_settings())
        self.prompter = prompter or Prompter()
        self.closed = False
        self.undo_group = QUndoGroup(self)
        self.files = ProjectFiles(self, recovery_root)
        self.recovery = self.files.recovery
        self.generation = GenerationControl(self, backend_factory)
        self.generation.resultArrived.connect(self.resultArrived)
        self.generation.generationEnded.connect(self.generationEnded)
        self.exports = ExportControl(self)
        self.headset = HeadsetLink(parent=self)
        self.headset.runningChanged.connect(lambda on: self.act_headset.setChecked(on))
        self.headset.failed.connect(
            lambda out: self.prompter.show_error(self, "View in headset", PanoforgeError(out)))
        self.headset.startFailed.connect(
            lambda exc: self.prompter.show_error(self, "View in headset", exc))

        self.setObjectName("MainWindow")
        self.setWindowTitle("Panoforge")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.resize(1480, 920)
        self._build_docks()
        # The headset's desktop mirror: shown while a session runs (app/window/headset.py).
        self.headset_dock = self._dock("Headset view", "dockHeadset", self.headset.mirror,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.headset.runningChanged.connect(self.headset_dock.setVisible)
        self.headset.statusChanged.connect(lambda line: self.headset_dock.setWindowTitle(
            f"Headset view \u2014 {line}" if line else "Headset view"))
        self.headset_dock.hide()
        self.scene_view = SceneView(lambda: self.depth_panel.dragging, self)
        self.setCentralWidget(self.scene_view.tabs)
        self.depth_panel.dragFinished.connect(self.scene_view.drag_finished)
        self.scene_view.meshShown.connect(self._on_mesh_shown)
        self.scene_view.meshFailed.connect(
            lambda msg: self.statusBar().showMessage(f"Mesh build failed: {msg}", 8000))
        # the parts the tests and the benchmarks reach for
        self.viewport = self.scene_view.viewport
        self.panorama_view = self.scene_view.panorama_view
        self.mesh_service = self.scene_view.mesh_service
        self.tabs = self.scene_view.tabs
        self.tri_label = self.scene_view.tri_label
        self.build_label = self.scene_view.build_label
        self.frame_label = self.scene_view.frame_label
        self.walk = WalkControl(self)  # Scene menu: walk mode, make walkable, fly-through
        # View menu: camera poses kept in the project, Render This View (F12)
        self.saved_views = SavedViewsControl(self)
        self.render_view = RenderViewControl(self)
        self.camera_readout = CameraReadout(self.viewport)  # yaw/pitch/FOV in the status bar
        build_actions(self)
        build_menus(self)
        build_toolbar(self)
        install_gallery_habits(self)  # rename, favourite, compare (w.compare)
        install_generate_habits(self)  # prompt history, my presets, variations grid
        sb = self.statusBar()
        for label in (self.camera_readout, self.build_label, self.tri_label, self.frame_label):
            sb.addPermanentWidget(label)
        sb.showMessage("Type a prompt and press Ctrl+Enter, or drop a panorama here.")
        self.set_document(Document())
        self._restore_layout()
        self.headset_dock.hide()  # until a headset session starts (whatever was saved)

    # -- construction ---------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area, scroll: bool = False,
              footer: QWidget | None = None):
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        if scroll:
            area_widget = QScrollArea()
            area_widget.setWidgetResizable(True)
            area_widget.setFrameShape(QScrollArea.Shape.NoFrame)
            area_widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            area_widget.setWidget(widget)
            self.scroll_areas = getattr(self, "scroll_areas", {}) | {name: area_widget}
            if footer is not None:  # pinned under the scrolled part
                box = QWidget()
                col = QVBoxLayout(box)
                col.setContentsMargins(0, 0, 0, 0)
                col.setSpacing(0)
                col.addWidget(area_widget, 1)
                col.addWidget(footer)
                area_widget = box
            dock.setWidget(area_widget)
        else:
            dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        s = self.settings
        default = s.default_backend() or "procedural"
        self.generate_panel = GeneratePanel(model_folders=s.model_folders(),
                                            default_backend=default, device=s.device())
        self.generate_panel.generateRequested.connect(self.generation.start)
        self.generate_panel.cancelRequested.connect(self.generation.cancel)
        self.generate_panel.modelFolderChosen.connect(s.set_model_folder)
        self.generate_dock = self._dock("Generate", "dockGenerate", self.generate_panel,
                                        Qt.DockWidgetArea.LeftDockWidgetArea, scroll=True,
                                        footer=self.generate_panel.footer)
        # the side panels run the full height; the gallery sits between them
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.generate_dock.setMinimumWidth(330)

        self.depth_panel = DepthPanel()
        self.depth_panel.editFailed.connect(
            lambda title, exc: self.prompter.show_error(self, title, exc))
        self.depth_dock = self._dock("Depth", "dockDepth", self.depth_panel,
                                     Qt.DockWidgetArea.RightDockWidgetArea)
        self.depth_dock.setMinimumWidth(300)

        self.gallery = Gallery()
        self.gallery.useSettingsRequested.connect(self.generation.use_settings_of)
        self.gallery.deleteRequested.connect(self.delete_result)
        self.gallery_dock = self._dock("Gallery", "dockGallery", self.gallery,
                                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.generate_dock, self.depth_dock], [350, 320],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.gallery_dock], [190], Qt.Orientation.Vertical)

    # -- the document ---------------------------------------------------------------------
    def set_document(self, doc: Document) -> None:
        """Show ``doc`` (replacing the open one, which is dropped); every view catches up."""
        old = self.doc
        doc.setParent(self)
        self.headset.set_document(doc)
        self.undo_group.addStack(doc.undo_stack)
        self.undo_group.setActiveStack(doc.undo_stack)
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
        for view in (self, self.files, self.gallery, self.depth_panel, self.scene_view,
                     self.walk, self.saved_views, self.compare):
            view.bind(doc)
        if old is not None:
            old.deleteLater()

    def document_events(self) -> dict:
        return {"modifiedChanged": lambda _m: self._update_title(),
                "pathChanged": lambda _p: self._update_title(),
                "resultsChanged": self._sync_actions,
                "activeChanged": lambda _rid: self._sync_actions()}

    def catch_up(self) -> None:
        self._update_title()
        self._sync_actions()

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.doc.title}[*] — Panoforge")
        self.setWindowModified(self.doc.is_modified)

    def _sync_actions(self) -> None:
        has = self.doc.active is not None
        for a in (self.act_delete, self.act_use, self.act_export, self.act_export_glb,
                  self.act_export_ply, self.act_export_images, self.act_export_cubemap):
            a.setEnabled(has)

    def _on_mesh_shown(self, job, mesh, build_ms: float) -> None:
        self.depth_panel.show_mesh_stats(mesh, build_ms)
        self.viewportUpdated.emit(job.result_id, self.scene_view.last_edit_latency_ms)

    @property
    def current_mesh(self):
        """The mesh the viewport shows now (``None`` before the first one)."""
        return self.scene_view.current_mesh

    # -- what the tests and scripts call ----------------------------------------------------
    def save(self) -> bool:
        return self.files.save()

    def save_as(self, path: str | Path | None = None) -> bool:
        return self.files.save_as(path)

    def check_recovery(self) -> int:
        return self.files.check_recovery()

    def start_generation(self, backend: str, request):
        """Start a generation (:meth:`GenerationControl.start`); the worker or ``None``."""
        return self.generation.start(backend, request)

    @property
    def worker(self):
        return self.generation.worker

    # -- results --------------------------------------------------------------------------
    def delete_result(self, result_id: str) -> None:
        self.doc.delete_result(result_id)
        self.statusBar().showMessage("Result deleted (Ctrl+Z brings it back).", 4000)

    def delete_active(self) -> None:
        if self.doc.active is not None:
            self.delete_result(self.doc.active_id)

    def use_active_settings(self) -> None:
        if self.doc.active is not None:
            self.generation.use_settings_of(self.doc.active_id)

    def view_in_headset(self) -> None:
        """Start a headset session on the project as it is (unsaved work goes as a
        temporary copy; the file on disk is not touched), or stop the running one."""
        if self.headset.running or self.headset.starting:
            self.headset.stop(wait=False)  # (cancels one still writing its copy)
            return
        try:
            self.headset.start()
        except PanoforgeError as exc:
            self.act_headset.setChecked(False)
            self.prompter.show_error(self, "View in headset", exc)

    # -- drag and drop --------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.files.dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = self.files.dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.files.open_paths(paths)

    # -- view -----------------------------------------------------------------------------
    def set_view(self, view: str) -> None:
        (self.act_inside if view == "inside" else self.act_outside).setChecked(True)
        self.scene_view.set_view(view)

    def set_mode(self, mode: str) -> None:
        if mode not in VIEW_MODES:
            return
        self.mode_actions[mode].setChecked(True)
        if self.mode_combo.currentData() != mode:
            self.mode_combo.blockSignals(True)
            self.mode_combo.setCurrentIndex(self.mode_combo.findData(mode))
            self.mode_combo.blockSignals(False)
        self.scene_view.set_mode(mode)
        self.settings.set_view_mode(mode)

    def preferences(self) -> None:
        dlg = PreferencesDialog(self.settings, self)
        if dlg.exec():
            dlg.apply()
            self.generate_panel.set_model_folders(self.settings.model_folders())
            self.generate_panel.device = self.settings.device()

    def show_about(self) -> AboutDialog:
        dlg = AboutDialog(self)
        dlg.show()
        return dlg

    def show_shortcuts(self) -> ShortcutsDialog:
        acts = [a for a in self.actions() if not a.shortcut().isEmpty()]
        dlg = ShortcutsDialog(acts, self)
        dlg.show()
        return dlg

    # -- layout ---------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        self._default_state = self.saveState()
        geo = self.settings.geometry()
        if geo is not None:
            self.restoreGeometry(geo)
        state = self.settings.state()
        if state is not None:
            self.restoreState(state)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in (self.generate_dock, self.depth_dock, self.gallery_dock):
            dock.show()

    def save_layout(self) -> None:
        self.settings.save_layout(QByteArray(self.saveGeometry()), QByteArray(self.saveState()))
        self.settings.sync()

    # -- closing --------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.files.maybe_save():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the workers, keep the layout, remove the recovery copy (a clean exit)."""
        if self.closed:
            return
        self.closed = True
        self.generation.shutdown()
        self.walk.shutdown()
        self.render_view.shutdown()
        self.camera_readout.detach()
        self.save_layout()
        self.scene_view.shutdown()
        self.headset.stop()
        self.files.close()
