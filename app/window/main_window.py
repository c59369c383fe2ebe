"""The Panoforge main window: it wires the document, the panels, the viewport and the workers.

Layout: the 3D viewport (and the flat panorama, as a second tab) in the centre, the Generate
panel docked left, the Depth panel right and the Gallery along the bottom. Everything the
window does to the project goes through :class:`app.window.document.Document`; long work runs
on :class:`~app.window.worker.GenerationWorker` and :class:`~app.window.mesh_service.MeshService`
threads; every new result is written at once by :class:`~app.window.recovery.RecoveryStore`.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QScrollArea,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from scene.errors import PanoforgeError
from scene.imageio import RGB_EXTENSIONS

from .depth_panel import DepthPanel
from .dialogs import (
    PROJECT_FILTER,
    AboutDialog,
    ExportOptions,
    ImportOptions,
    PreferencesDialog,
    Prompter,
    ShortcutsDialog,
)
from .document import Document
from .gallery import Gallery
from .generate_panel import GeneratePanel
from .headset import HeadsetLink
from .mesh_service import MeshService
from .panorama_view import PanoramaView
from .recovery import RecoveryStore, find_orphans
from .settings import (
    KEY_LAST_EXPORT_DIR,
    KEY_LAST_IMPORT_DIR,
    KEY_LAST_OPEN_DIR,
    WindowSettings,
    make_settings,
)
from .worker import GenerationWorker

__all__ = ["MainWindow", "VIEW_MODES", "IMAGE_SUFFIXES", "PROJECT_SUFFIX"]

VIEW_MODES = ("textured", "depth", "wireframe", "points")
PROJECT_SUFFIX = ".panoforge"
IMAGE_SUFFIXES = RGB_EXTENSIONS  # what a dropped image may be: what the importer reads
#: Debounce for writing the recovery copy after edits (new results are written at once).
RECOVERY_DEBOUNCE_MS = 1500


class MainWindow(QMainWindow):
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
        self.backend_factory = backend_factory
        self.recovery = RecoveryStore(recovery_root)
        self.mesh_service = MeshService(self)
        self.headset = HeadsetLink(parent=self)
        self.headset.runningChanged.connect(lambda on: self.act_headset.setChecked(on))
        self.headset.failed.connect(self._headset_failed)
        self.mesh_service.meshReady.connect(self._on_mesh_ready)
        self.mesh_service.failed.connect(self._on_mesh_failed)
        self.worker: GenerationWorker | None = None
        self._old_workers: list[GenerationWorker] = []
        self.doc: Document | None = None
        self.current_mesh = None
        self._shown_result = ""       # result id whose texture the viewport holds
        self._shown_rgb = None        # its rgb array (identity says whether to re-upload)
        self._applied_seq = 0
        self._preview_shown = False
        self._generating = False
        self.last_edit_latency_ms = float("nan")
        self.closed = False
        self.undo_group = QUndoGroup(self)

        self.setObjectName("MainWindow")
        self.setWindowTitle("Panoforge")
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.resize(1480, 920)
        self._build_central()
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status()
        self._recovery_timer = QTimer(self)
        self._recovery_timer.setSingleShot(True)
        self._recovery_timer.setInterval(RECOVERY_DEBOUNCE_MS)
        self._recovery_timer.timeout.connect(self._write_recovery)
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(500)
        self._stats_timer.timeout.connect(self._update_frame_time)
        self._stats_timer.start()
        self.set_document(Document())
        self._restore_layout()

    # ======================================================================================
    # construction
    # ======================================================================================
    def _build_central(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setObjectName("centralTabs")
        self.tabs.setDocumentMode(True)
        self.viewport = None
        holder = QWidget()
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(0, 0, 0, 0)
        try:
            from renderers.viewport import Viewport

            self.viewport = Viewport()
            widget = self.viewport.native
            widget.setMinimumSize(320, 200)
            lay.addWidget(widget)
        except ImportError as exc:  # the renderer is not installed: say so in its place
            note = QLabel(f"3D viewport unavailable: {exc}")
            note.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lay.addWidget(note)
        self.viewport_holder = holder
        self.tabs.addTab(holder, "3D view")
        self.panorama_view = PanoramaView()
        self.tabs.addTab(self.panorama_view, "Panorama")
        self.setCentralWidget(self.tabs)

    def _dock(self, title: str, name: str, widget: QWidget, area, scroll: bool = False):
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        if scroll:
            area_widget = QScrollArea()
            area_widget.setWidgetResizable(True)
            area_widget.setFrameShape(QScrollArea.Shape.NoFrame)
            area_widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            area_widget.setWidget(widget)
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
        self.generate_panel.generateRequested.connect(self.start_generation)
        self.generate_panel.cancelRequested.connect(self.cancel_generation)
        self.generate_panel.modelFolderChosen.connect(s.set_model_folder)
        self.generate_dock = self._dock("Generate", "dockGenerate", self.generate_panel,
                                        Qt.DockWidgetArea.LeftDockWidgetArea, scroll=True)
        self.generate_dock.setMinimumWidth(330)

        self.depth_panel = DepthPanel()
        self.depth_panel.depthRangeEdited.connect(self._on_depth_range_edited)
        self.depth_panel.kindChanged.connect(self._on_kind_changed)
        self.depth_panel.meshSettingsEdited.connect(self._on_mesh_settings_edited)
        self.depth_panel.dragFinished.connect(self._on_drag_finished)
        self.depth_dock = self._dock("Depth", "dockDepth", self.depth_panel,
                                     Qt.DockWidgetArea.RightDockWidgetArea)
        self.depth_dock.setMinimumWidth(300)

        self.gallery = Gallery()
        self.gallery.activateRequested.connect(self._on_gallery_activate)
        self.gallery.useSettingsRequested.connect(self.use_settings_of)
        self.gallery.deleteRequested.connect(self.delete_result)
        self.gallery_dock = self._dock("Gallery", "dockGallery", self.gallery,
                                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.generate_dock, self.depth_dock], [350, 320],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.gallery_dock], [190], Qt.Orientation.Vertical)

    def _action(self, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False):
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.setCheckable(checkable)
        if slot is not None:
            act.triggered.connect(lambda checked=False: slot())
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        sk = QKeySequence.StandardKey
        self.act_new = self._action("&New", self.new_project, sk.New, "Start a new project")
        self.act_open = self._action("&Open…", self.open_project, sk.Open, "Open a project")
        self.act_save = self._action("&Save", self.save, sk.Save, "Save the project")
        self.act_save_as = self._action("Save &As…", self.save_as, sk.SaveAs,
                                        "Save the project under a new name")
        self.act_import = self._action("&Import Panorama…", self.import_dialog, "Ctrl+I",
                                       "Import an RGB panorama with optional depth")
        self.act_export = self._action("&Export…", lambda: self.export_dialog(), "Ctrl+E",
                                       "Export the active result")
        self.act_export_glb = self._action("GLB…", lambda: self.export_dialog(only="glb"))
        self.act_export_ply = self._action("PLY…", lambda: self.export_dialog(only="ply"))
        self.act_export_images = self._action("Images…", lambda: self.export_dialog(only="images"))
        self.act_export_cubemap = self._action("Cubemap…",
                                               lambda: self.export_dialog(only="cubemap"))
        self.act_headset = self._action("View in &Headset", self.view_in_headset, "Ctrl+H",
                                        "Walk through the active result in a VR headset "
                                        "(OpenXR; start SteamVR, Quest Link, Monado or WMR "
                                        "first). Runs in its own process; Ctrl+H again stops it")
        self.act_headset.setCheckable(True)
        self.act_quit = self._action("&Quit", self.close, sk.Quit, "Quit Panoforge")

        self.act_undo = self.undo_group.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(sk.Undo)
        self.act_redo = self.undo_group.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence(sk.Redo), QKeySequence("Ctrl+Shift+Z")])
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)
        self.act_delete = self._action("&Delete Result", self._delete_active, sk.Delete,
                                       "Remove the active result (undoable)")
        self.act_use = self._action("Use &These Settings", self._use_active_settings, "Ctrl+U",
                                    "Copy the active result's settings to Generate")
        self.act_prefs = self._action("&Preferences…", self.preferences, sk.Preferences)
        if self.act_prefs.shortcut().isEmpty():
            self.act_prefs.setShortcut(QKeySequence("Ctrl+,"))

        self.act_generate = self._action("&Generate", self.generate_panel.trigger_generate,
                                         "Ctrl+Return", "Generate a scene from the prompt")
        self.act_generate.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.act_cancel = self._action("&Cancel Generation", self.cancel_generation, "Esc",
                                       "Stop the running generation")
        self.act_cancel.setEnabled(False)

        self.view_group = QActionGroup(self)
        self.act_inside = self._action("&Inside View", lambda: self.set_view("inside"), "Ctrl+1",
                                       "Stand at the centre and look around", checkable=True)
        self.act_outside = self._action("&Outside View", lambda: self.set_view("outside"),
                                        "Ctrl+2", "Orbit the scene like a dollhouse",
                                        checkable=True)
        self.act_inside.setChecked(True)
        for a in (self.act_inside, self.act_outside):
            self.view_group.addAction(a)
        self.mode_group = QActionGroup(self)
        self.mode_actions: dict[str, QAction] = {}
        for i, mode in enumerate(VIEW_MODES, start=1):
            a = self._action(mode.capitalize(), lambda m=mode: self.set_mode(m), f"Alt+{i}",
                             f"Show the mesh {mode}", checkable=True)
            self.mode_group.addAction(a)
            self.mode_actions[mode] = a
        self.act_recentre = self._action("&Recentre", self.recentre, "Home",
                                         "Back to the centre, looking ahead")
        self.act_shortcuts = self._action("&Keyboard Shortcuts", self.show_shortcuts,
                                          "Ctrl+/")
        self.act_about = self._action("&About Panoforge", self.show_about)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_new, self.act_open])
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as])
        m.addSeparator()
        m.addAction(self.act_import)
        exp = m.addMenu("E&xport")
        exp.addAction(self.act_export)
        exp.addSeparator()
        exp.addActions([self.act_export_glb, self.act_export_ply, self.act_export_images,
                        self.act_export_cubemap])
        m.addSeparator()
        m.addAction(self.act_headset)
        m.addSeparator()
        m.addAction(self.act_quit)

        m = mb.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_use, self.act_delete])
        m.addSeparator()
        m.addAction(self.act_prefs)

        m = mb.addMenu("&Generate")
        m.addActions([self.act_generate, self.act_cancel])

        m = mb.addMenu("&View")
        m.addActions([self.act_inside, self.act_outside])
        m.addSeparator()
        m.addActions(list(self.mode_actions.values()))
        m.addSeparator()
        m.addAction(self.act_recentre)
        m.addSeparator()
        panels = m.addMenu("&Panels")
        for dock in (self.generate_dock, self.depth_dock, self.gallery_dock):
            panels.addAction(dock.toggleViewAction())
        self.act_reset_layout = self._action("Reset &Layout", self.reset_layout)
        m.addAction(self.act_reset_layout)
        self.view_menu = m

        m = mb.addMenu("&Help")
        m.addAction(self.act_shortcuts)
        m.addAction(self.act_about)

    def _build_toolbar(self) -> None:
        tb = QToolBar("View")
        tb.setObjectName("toolbarView")
        tb.setMovable(False)
        tb.setIconSize(QSize(16, 16))
        tb.addAction(self.act_inside)
        tb.addAction(self.act_outside)
        tb.addSeparator()
        tb.addWidget(QLabel(" Mode "))
        self.mode_combo = QComboBox()
        for mode in VIEW_MODES:
            self.mode_combo.addItem(mode.capitalize(), mode)
        self.mode_combo.currentIndexChanged.connect(
            lambda _i: self.set_mode(str(self.mode_combo.currentData())))
        tb.addWidget(self.mode_combo)
        tb.addSeparator()
        tb.addAction(self.act_recentre)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.view_toolbar = tb
        self.set_mode(self.settings.view_mode() if self.settings.view_mode() in VIEW_MODES
                      else "textured")

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.tri_label = QLabel("no mesh")
        self.frame_label = QLabel("— ms/frame")
        self.build_label = QLabel("")
        sb.addPermanentWidget(self.build_label)
        sb.addPermanentWidget(self.tri_label)
        sb.addPermanentWidget(self.frame_label)
        sb.showMessage("Type a prompt and press Ctrl+Enter, or drop a panorama here.")

    # ======================================================================================
    # document
    # ======================================================================================
    def set_document(self, doc: Document) -> None:
        """Show ``doc`` (replacing the open one, which is dropped)."""
        old = self.doc
        self.doc = doc
        doc.setParent(self)
        self.headset.set_document(doc)
        self.undo_group.addStack(doc.undo_stack)
        self.undo_group.setActiveStack(doc.undo_stack)
        doc.resultsChanged.connect(self._on_results_changed)
        doc.resultChanged.connect(self._on_result_changed)
        doc.activeChanged.connect(self._on_active_changed)
        doc.meshSettingsChanged.connect(self._on_mesh_settings_changed)
        doc.modifiedChanged.connect(self._update_title)
        doc.pathChanged.connect(self._update_title)
        doc.resultAdded.connect(self._on_result_added)
        doc.undo_stack.indexChanged.connect(self._schedule_recovery)
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
            old.deleteLater()
        self.recovery.set_project_path(doc.path)
        self._shown_result = ""
        self._shown_rgb = None
        self.current_mesh = None
        self._on_results_changed()
        self._on_active_changed(doc.active_id)
        self._update_title()

    def _update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.doc.title}[*] — Panoforge")
        self.setWindowModified(self.doc.is_modified)

    def _on_results_changed(self) -> None:
        self.gallery.show_results(self.doc.results, self.doc.active_id, self.doc.label_of)
        self._sync_actions()

    def _sync_actions(self) -> None:
        has = self.doc.active is not None
        for a in (self.act_delete, self.act_use, self.act_export, self.act_export_glb,
                  self.act_export_ply, self.act_export_images, self.act_export_cubemap):
            a.setEnabled(has)

    def _on_active_changed(self, result_id: str) -> None:
        self.gallery.select(result_id)
        self._sync_actions()
        res = self.doc.active
        if res is None:
            self.depth_panel.show_result(None, self.doc.mesh_settings)
            self.panorama_view.show_panorama(None)
            self.current_mesh = None
            self.tri_label.setText("no mesh")
            if self.viewport is not None and hasattr(self.viewport, "clear"):
                self.viewport.clear()
            return
        self._show_result(res, refresh_histogram=True)

    def _on_result_changed(self, result_id: str) -> None:
        if result_id == self.doc.active_id:
            self._show_result(self.doc.active,
                              refresh_histogram=not self.depth_panel.dragging)
        self.gallery.update_result(self.doc.result(result_id))

    def _on_mesh_settings_changed(self) -> None:
        res = self.doc.active
        self.depth_panel.show_result(res.panorama if res else None, self.doc.mesh_settings,
                                     refresh_histogram=False)
        if res is not None:
            self.request_mesh()

    def _show_result(self, res, refresh_histogram: bool) -> None:
        pano = res.panorama
        self.depth_panel.show_result(pano, self.doc.mesh_settings,
                                     refresh_histogram=refresh_histogram)
        if not self.depth_panel.dragging:
            self.panorama_view.show_panorama(pano)
        self.request_mesh()

    def request_mesh(self, preview: bool | None = None) -> int:
        """Ask the mesh service for the active result's mesh (coalesced).

        While a handle is dragged (``preview`` defaults to that) a coarse preview mesh is
        built; the full mesh follows when the drag ends.
        """
        res = self.doc.active
        if res is None:
            return 0
        if preview is None:
            preview = self.depth_panel.dragging
        self._preview_shown = preview
        return self.mesh_service.request(res.id, res.panorama, self.doc.mesh_settings,
                                         preview=preview)

    def _on_drag_finished(self) -> None:
        if self._preview_shown:
            self.request_mesh(preview=False)

    def _on_mesh_ready(self, job, mesh, build_ms: float) -> None:
        if (self.closed or self.doc is None or job.result_id != self.doc.active_id
                or job.seq < self._applied_seq):
            return
        self._applied_seq = job.seq
        self.current_mesh = mesh
        if self.viewport is not None:
            if self._shown_result == job.result_id and self._shown_rgb is job.pano.rgb:
                self.viewport.update_mesh(mesh)
            else:
                self.viewport.set_scene(job.pano, mesh)
                self._shown_result = job.result_id
                self._shown_rgb = job.pano.rgb
        self.last_edit_latency_ms = (time.perf_counter() - job.requested_at) * 1e3
        self.tri_label.setText(f"{mesh.n_faces:,} triangles" + (" (preview)" if job.preview
                                                                 else ""))
        self.build_label.setText(f"mesh {build_ms:.0f} ms")
        self.depth_panel.show_mesh_stats(mesh, build_ms)
        self.viewportUpdated.emit(job.result_id, self.last_edit_latency_ms)

    def _on_mesh_failed(self, job, exc) -> None:
        self.statusBar().showMessage(f"Mesh build failed: {exc}", 8000)

    def _update_frame_time(self) -> None:
        if self.viewport is None:
            return
        ms = getattr(self.viewport, "frame_time_ms", None)
        if ms is not None and ms == ms:
            self.frame_label.setText(f"{ms:.1f} ms/frame")

    # -- depth edits ----------------------------------------------------------------------
    def _on_depth_range_edited(self, near: float, far: float, key) -> None:
        res = self.doc.active
        if res is not None:
            self.doc.set_depth_range(res.id, near, far, merge_key=key)

    def _on_kind_changed(self, kind: str) -> None:
        res = self.doc.active
        if res is not None:
            try:
                self.doc.set_depth_kind(res.id, kind)
            except PanoforgeError as exc:
                self.prompter.show_error(self, "Depth interpretation", exc)
                self._show_result(res, refresh_histogram=False)

    def _on_mesh_settings_edited(self, settings, key) -> None:
        self.doc.set_mesh_settings(settings, merge_key=key)

    # -- gallery --------------------------------------------------------------------------
    def _on_gallery_activate(self, result_id: str) -> None:
        self.doc.set_active(result_id)

    def use_settings_of(self, result_id: str) -> None:
        """Copy a result's generation settings back to the Generate panel."""
        meta = self.doc.result(result_id).panorama.metadata
        self.generate_panel.apply_metadata(meta)
        self.generate_dock.raise_()
        self.statusBar().showMessage("Settings copied to Generate (seed locked).", 4000)

    def delete_result(self, result_id: str) -> None:
        self.doc.delete_result(result_id)
        self.statusBar().showMessage("Result deleted (Ctrl+Z brings it back).", 4000)

    def _delete_active(self) -> None:
        if self.doc.active is not None:
            self.delete_result(self.doc.active_id)

    def _use_active_settings(self) -> None:
        if self.doc.active is not None:
            self.use_settings_of(self.doc.active_id)

    # ======================================================================================
    # generation
    # ======================================================================================
    def start_generation(self, backend: str, request) -> GenerationWorker | None:
        """Run a generation on a worker thread; the result joins the project when done."""
        if self.generating:
            return None
        if not request.prompt and backend != "procedural":
            self.prompter.show_error(self, "Generate", PanoforgeError(
                "the prompt is empty", hint="describe the scene you want"))
            return None
        worker = GenerationWorker(backend, request, backend_factory=self.backend_factory,
                                  parent=self)
        worker.progress.connect(self.generate_panel.show_progress)
        worker.finished.connect(self._on_generation_finished)
        worker.errored.connect(self._on_generation_errored)
        worker.cancelled.connect(self._on_generation_cancelled)
        worker.done.connect(lambda w=worker: self._on_generation_done(w))
        self.worker = worker
        self._generating = True
        self.generate_panel.set_running(True)
        self.act_cancel.setEnabled(True)
        self.act_generate.setEnabled(False)
        self.statusBar().showMessage(f"Generating with {backend}…")
        worker.start()
        return worker

    @property
    def generating(self) -> bool:
        """A generation was started and the window has not yet handled its end."""
        return self._generating

    def cancel_generation(self) -> None:
        if self.generating:
            self.worker.cancel()
            self.generate_panel.status_label.setText("Cancelling…")

    def _generation_over(self) -> None:
        """The worker reported its end (finished, errored or cancelled): Generate again."""
        self._generating = False
        self.act_cancel.setEnabled(False)
        self.act_generate.setEnabled(True)

    def _on_generation_finished(self, result) -> None:
        self._generation_over()
        pano = result.panorama
        res = self.doc.add_result(pano, kind="generated")
        m = pano.metadata
        self.generate_panel.set_running(False, f"Done in {m.duration_s:.1f} s · seed {m.seed}")
        self.statusBar().showMessage(f"New result: {self.doc.label_of(res)}", 5000)
        self.resultArrived.emit(res.id)

    def _on_generation_errored(self, exc) -> None:
        self._generation_over()
        self.generate_panel.set_running(False, "Failed")
        self.prompter.show_error(self, "Generation failed", exc)

    def _on_generation_cancelled(self) -> None:
        self._generation_over()
        self.generate_panel.set_running(False, "Cancelled")
        self.statusBar().showMessage("Generation cancelled.", 4000)

    def _on_generation_done(self, worker: GenerationWorker) -> None:
        # keep finished workers alive until their threads have quit
        self._old_workers = [w for w in self._old_workers if w.is_running()] + [worker]
        self.generationEnded.emit(worker.outcome)

    # ======================================================================================
    # recovery
    # ======================================================================================
    def _on_result_added(self, _result_id: str) -> None:
        self._write_recovery()

    def _schedule_recovery(self, *_args) -> None:
        self._recovery_timer.start()

    def _write_recovery(self) -> None:
        self._recovery_timer.stop()
        if self.doc is not None and self.doc.is_modified and self.doc.results:
            self.recovery.write(self.doc.project)

    def check_recovery(self) -> int:
        """Offer the results of sessions that did not close cleanly; returns how many came back."""
        orphans = find_orphans(self.recovery.root, exclude=self.recovery.session_dir)
        if not orphans:
            return 0
        recover, discard = self.prompter.offer_recovery(self, orphans)
        for o in discard:
            o.discard()
        count = 0
        from scene.project import load_project

        for o in recover:
            try:
                project = load_project(o.recovery_file)
            except PanoforgeError as exc:
                self.prompter.show_error(self, "Recovery", exc)
                continue
            if not self.doc.results and self.doc.path is None:
                doc = Document(project, path=o.project_path)
                doc.mark_modified()
                self.set_document(doc)
            else:
                for r in project.results:
                    self.doc.add_result(r.panorama, kind=r.kind, parent_id=r.parent_id,
                                        make_active=False)
            count += len(project.results)
            self._write_recovery()
            self.recovery.flush()
            o.forget(keep=self.recovery.recovery_file)
        if count:
            self.statusBar().showMessage(f"Recovered {count} result(s).", 8000)
        return count

    # ======================================================================================
    # files
    # ======================================================================================
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; ``False`` means the user cancelled."""
        if self.doc is None or not self.doc.is_modified:
            return True
        answer = self.prompter.ask_unsaved(self, self.doc.title)
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_project(self) -> None:
        if not self.maybe_save():
            return
        self.recovery.saved()
        self.set_document(Document())

    def open_project(self, path: str | Path | None = None) -> bool:
        """Open a ``.panoforge`` file (asks which one when ``path`` is ``None``)."""
        if path is None:
            path = self.prompter.open_path(self, "Open project",
                                           self.settings.last_dir(KEY_LAST_OPEN_DIR),
                                           PROJECT_FILTER)
            if not path:
                return False
        if not self.maybe_save():
            return False
        from scene.project import load_project

        path = Path(path)
        try:
            project = load_project(path)
        except (PanoforgeError, OSError) as exc:
            self.prompter.show_error(self, "Open project", exc)
            return False
        self.recovery.saved()
        self.set_document(Document(project, path=path))
        self.settings.add_recent(path)
        self.settings.set_last_dir(KEY_LAST_OPEN_DIR, path)
        self.statusBar().showMessage(f"Opened {path.name}", 4000)
        return True

    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        if path is None:
            start = str(Path(self.settings.last_dir(KEY_LAST_OPEN_DIR)) /
                        (self.doc.path.name if self.doc.path else "untitled.panoforge"))
            path = self.prompter.save_path(self, "Save project as", start, PROJECT_FILTER)
            if not path:
                return False
        path = Path(path)
        if path.suffix != PROJECT_SUFFIX:
            path = path.with_name(path.name + PROJECT_SUFFIX)
        return self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        from scene.project import save_project

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            save_project(path, self.doc.project)
        except (PanoforgeError, OSError) as exc:
            QApplication.restoreOverrideCursor()
            self.prompter.show_error(self, "Save project", exc)
            return False
        QApplication.restoreOverrideCursor()
        self.doc.mark_saved(path)
        self.recovery.set_project_path(path)
        self.recovery.saved()
        self.settings.add_recent(path)
        self.settings.set_last_dir(KEY_LAST_OPEN_DIR, path)
        self.statusBar().showMessage(f"Saved {path.name}", 4000)
        return True

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files()
        for p in recent:
            act = self.recent_menu.addAction(Path(p).name)
            act.setToolTip(p)
            act.setStatusTip(p)
            act.triggered.connect(lambda _=False, q=p: self.open_project(q))
        if not recent:
            none = self.recent_menu.addAction("No recent projects")
            none.setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear List", self.settings.clear_recent)

    # -- import / export ------------------------------------------------------------------
    def import_dialog(self) -> None:
        opts = self.prompter.import_options(self, self.settings.last_dir(KEY_LAST_IMPORT_DIR))
        if opts is not None:
            self.import_files(opts)

    def import_files(self, opts: ImportOptions):
        """Import a panorama (with optional depth) as a new result; returns it or ``None``."""
        from scene.importer import import_panorama

        try:
            outcome = import_panorama(opts.rgb, opts.depth, kind=opts.kind, near=opts.near,
                                      far=opts.far, fit=opts.fit)
        except (PanoforgeError, OSError) as exc:
            self.prompter.show_error(self, "Import panorama", exc)
            return None
        self.settings.set_last_dir(KEY_LAST_IMPORT_DIR, opts.rgb)
        res = self.doc.add_result(outcome.panorama, kind="imported")
        for w in outcome.warnings:
            self.statusBar().showMessage(w, 8000)
        return res

    def export_dialog(self, only: str | None = None) -> list[Path]:
        """Export the active result (the dialog preselects ``only`` when given)."""
        res = self.doc.active
        if res is None:
            return []
        stem = self.doc.path.stem if self.doc.path else "scene"
        defaults = ExportOptions(folder=Path(self.settings.last_dir(KEY_LAST_EXPORT_DIR)),
                                 stem=stem, mesh=self.doc.mesh_settings)
        if only is not None:
            for flag in ("glb", "ply", "images", "cubemap"):
                setattr(defaults, flag, flag == only)
        opts = self.prompter.export_options(self, defaults)
        if opts is None:
            return []
        return self.export_active(opts)

    def export_active(self, opts: ExportOptions) -> list[Path]:
        from .exporting import export_result

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written, notices = export_result(self.doc.active.panorama, opts)
        except (PanoforgeError, OSError) as exc:
            QApplication.restoreOverrideCursor()
            self.prompter.show_error(self, "Export", exc)
            return []
        QApplication.restoreOverrideCursor()
        self.settings.set_last_dir(KEY_LAST_EXPORT_DIR, opts.folder)
        msg = f"Exported {len(written)} file(s) to {opts.folder}"
        if notices:
            msg += " — " + "; ".join(notices)
        self.statusBar().showMessage(msg, 8000)
        return written

    def view_in_headset(self) -> None:
        """Start a headset session on the saved project, or stop the running one."""
        if self.headset.running:
            self.headset.stop()
            return
        if (self.doc.path is None or self.doc.is_modified) and not self.save():
            self.act_headset.setChecked(False)
            return
        try:
            self.headset.start()
        except PanoforgeError as exc:
            self.act_headset.setChecked(False)
            self.prompter.show_error(self, "View in headset", exc)

    def _headset_failed(self, output: str) -> None:
        self.prompter.show_error(self, "View in headset", PanoforgeError(output))

    # -- drag and drop --------------------------------------------------------------------
    @staticmethod
    def _dropped_paths(event) -> list[Path]:
        md = event.mimeData()
        if not md.hasUrls():
            return []
        paths = [Path(u.toLocalFile()) for u in md.urls() if u.isLocalFile()]
        return [p for p in paths if p.suffix.lower() in IMAGE_SUFFIXES + (PROJECT_SUFFIX,)]

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._dropped_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = self._dropped_paths(event)
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    def open_paths(self, paths: list[Path]) -> None:
        """Open a project, or import images (a file named like ``*depth*`` is the depth map)."""
        projects = [p for p in paths if p.suffix.lower() == PROJECT_SUFFIX]
        if projects:
            self.open_project(projects[0])
            return
        depth = [p for p in paths if "depth" in p.stem.lower()]
        rgbs = [p for p in paths if p not in depth]
        if not rgbs:
            return
        if len(rgbs) == 1:
            self.import_files(ImportOptions(rgb=rgbs[0], depth=depth[0] if depth else None))
        else:
            for p in rgbs:
                self.import_files(ImportOptions(rgb=p))

    # ======================================================================================
    # view
    # ======================================================================================
    def set_view(self, view: str) -> None:
        (self.act_inside if view == "inside" else self.act_outside).setChecked(True)
        if self.viewport is not None:
            self.viewport.set_view(view)

    def set_mode(self, mode: str) -> None:
        if mode not in VIEW_MODES:
            return
        self.mode_actions[mode].setChecked(True)
        if self.mode_combo.currentData() != mode:
            self.mode_combo.blockSignals(True)
            self.mode_combo.setCurrentIndex(self.mode_combo.findData(mode))
            self.mode_combo.blockSignals(False)
        if self.viewport is not None:
            self.viewport.set_mode(mode)
        self.settings.set_view_mode(mode)

    def recentre(self) -> None:
        if self.viewport is not None:
            self.viewport.recentre()

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

    # ======================================================================================
    # closing
    # ======================================================================================
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the workers, keep the layout, remove the recovery copy (a clean exit)."""
        if self.closed:
            return
        self.closed = True
        self._stats_timer.stop()
        self._recovery_timer.stop()
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(30000)
        for w in self._old_workers:
            w.wait(5000)
        self.save_layout()
        self.mesh_service.shutdown()
        self.headset.stop()
        self.recovery.close()
        if self.viewport is not None and hasattr(self.viewport, "close"):
            try:
                self.viewport.close()
            except Exception:
                pass
