"""Files: new, open, save, save as, recent projects, recovery copies, import, dropped files.

:class:`ProjectFiles` does everything the window does with files on disk. It is a
:class:`~app.window.document.DocumentView`: every new result of the bound document is written
to the recovery copy at once, other edits after a short debounce (see
:class:`~app.window.recovery.RecoveryStore`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from scene.errors import PanoforgeError
from scene.imageio import RGB_EXTENSIONS

from .dialogs import PROJECT_FILTER
from .document import Document, DocumentView
from .preferences_store import KEY_LAST_IMPORT_DIR, KEY_LAST_OPEN_DIR
from .recovery import RecoveryStore, find_orphans

__all__ = ["ProjectFiles", "PROJECT_SUFFIX", "IMAGE_SUFFIXES", "RECOVERY_DEBOUNCE_MS"]

PROJECT_SUFFIX = ".panoforge"
IMAGE_SUFFIXES = RGB_EXTENSIONS  # what a dropped image may be: what the importer reads
#: Debounce for writing the recovery copy after edits (new results are written at once).
RECOVERY_DEBOUNCE_MS = 1500


class ProjectFiles(DocumentView, QObject):
    """The window's file operations.

    Parameters
    ----------
    window : app.window.main_window.MainWindow
        Gives the document (``window.doc``, replaced through ``window.set_document``), the
        prompter, the settings and the status bar.
    recovery_root : Path, optional
        The sessions folder (default under AppDataLocation).
    """

    def __init__(self, window, recovery_root: Path | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.recovery = RecoveryStore(recovery_root)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RECOVERY_DEBOUNCE_MS)
        self._timer.timeout.connect(self.write_recovery)

    def _say(self, text: str, ms: int) -> None:
        self.window.statusBar().showMessage(text, ms)

    def _error(self, title: str, exc: BaseException) -> None:
        self.window.prompter.show_error(self.window, title, exc)

    # -- the document ---------------------------------------------------------------------
    def bind(self, doc: Document | None) -> None:
        old = self.doc
        if old is not None:
            try:
                old.undo_stack.indexChanged.disconnect(self._schedule_recovery)
            except (RuntimeError, TypeError):
                pass
        super().bind(doc)
        if doc is not None:
            doc.undo_stack.indexChanged.connect(self._schedule_recovery)
            self.recovery.set_project_path(doc.path)

    def document_events(self) -> dict:
        # merged undo commands (a slider drag) change the project without moving the undo
        # index, so the copy also follows the document's own change signals
        return {"resultAdded": lambda _rid: self.write_recovery(),
                "resultChanged": lambda _rid: self._schedule_recovery(),
                "meshSettingsChanged": self._schedule_recovery}

    def _schedule_recovery(self, *_args) -> None:
        self._timer.start()

    def write_recovery(self) -> None:
        """Write the recovery copy now (when there is something unsaved)."""
        self._timer.stop()
        doc = self.doc
        if doc is not None and doc.is_modified and doc.results:
            self.recovery.write(doc.project)

    def check_recovery(self) -> int:
        """Offer the results of sessions that did not close cleanly; returns how many came back."""
        w = self.window
        orphans = find_orphans(self.recovery.root, exclude=self.recovery.session_dir)
        if not orphans:
            return 0
        recover, discard = w.prompter.offer_recovery(w, orphans)
        for o in discard:
            o.discard()
        count = 0
        from scene.project import load_project

        for o in recover:
            try:
                project = load_project(o.recovery_file)
            except PanoforgeError as exc:
                self._error("Recovery", exc)
                continue
            same_file = (o.project_path is not None and self.doc.path is not None
                         and Path(o.project_path) == Path(self.doc.path))
            if same_file or (not self.doc.results and self.doc.path is None):
                # the copy is the whole project as it was at the kill (the saved file's
                # results and settings included): it replaces the open one, never adds to it
                doc = Document(project, path=o.project_path)
                doc.mark_modified()
                w.set_document(doc)
            else:
                # another session's work joins the open project whole: layers, props, names
                # (its mesh settings and saved views belong to a project that is not open)
                self.doc.adopt_results(list(project.results))
            count += len(project.results)
            self.write_recovery()
            self.recovery.flush()
            o.forget(keep=self.recovery.recovery_file)
        if count:
            self._say(f"Recovered {count} result(s).", 8000)
        return count

    def close(self) -> None:
        """A clean exit: remove this session's recovery copy."""
        self._timer.stop()
        self.recovery.close()

    # -- projects -------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; ``False`` means the user cancelled."""
        if self.doc is None or not self.doc.is_modified:
            return True
        answer = self.window.prompter.ask_unsaved(self.window, self.doc.title)
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_project(self) -> None:
        if not self.maybe_save():
            return
        self.recovery.saved()
        self.window.set_document(Document())

    def open_project(self, path: str | Path | None = None) -> bool:
        """Open a ``.panoforge`` file (asks which one when ``path`` is ``None``)."""
        w = self.window
        if path is None:
            path = w.prompter.open_path(w, "Open project", w.settings.last_dir(KEY_LAST_OPEN_DIR),
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
            self._error("Open project", exc)
            return False
        self.recovery.saved()
        w.set_document(Document(project, path=path))
        w.settings.add_recent(path)
        w.settings.set_last_dir(KEY_LAST_OPEN_DIR, path)
        self._say(f"Opened {path.name}", 4000)
        return True

    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        w = self.window
        if path is None:
            start = str(Path(w.settings.last_dir(KEY_LAST_OPEN_DIR)) /
                        (self.doc.path.name if self.doc.path else "untitled.panoforge"))
            path = w.prompter.save_path(w, "Save project as", start, PROJECT_FILTER)
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
            self._error("Save project", exc)
            return False
        QApplication.restoreOverrideCursor()
        self.doc.mark_saved(path)
        self.recovery.set_project_path(path)
        self.recovery.saved()
        self.window.settings.add_recent(path)
        self.window.settings.set_last_dir(KEY_LAST_OPEN_DIR, path)
        self._say(f"Saved {path.name}", 4000)
        return True

    def fill_recent_menu(self, menu) -> None:
        """Rebuild the Open Recent menu from the settings."""
        settings = self.window.settings
        menu.clear()
        recent = settings.recent_files()
        for p in recent:
            act = menu.addAction(Path(p).name)
            act.setToolTip(p)
            act.setStatusTip(p)
            act.triggered.connect(lambda _=False, q=p: self.open_project(q))
        if not recent:
            none = menu.addAction("No recent projects")
            none.setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear List", settings.clear_recent)

    # -- import ---------------------------------------------------------------------------
    def import_dialog(self) -> None:
        w = self.window
        opts = w.prompter.import_options(w, w.settings.last_dir(KEY_LAST_IMPORT_DIR))
        if opts is not None:
            self.import_files(opts)

    def import_files(self, request):
        """Import a panorama (with optional depth) as a new result; returns it or ``None``.

        Parameters
        ----------
        request : models.import_source.ImportRequest
            Run by :func:`app.workflows.import_panorama`, as ``panoforge import`` does.
        """
        from app import workflows

        try:
            made = workflows.import_panorama(request)
        except (PanoforgeError, OSError) as exc:
            self._error("Import panorama", exc)
            return None
        self.window.settings.set_last_dir(KEY_LAST_IMPORT_DIR, request.rgb_path)
        res = self.doc.add_made(made)
        for text in made.warnings:
            self._say(text, 8000)
        return res

    # -- dropped files --------------------------------------------------------------------
    @staticmethod
    def dropped_paths(mime) -> list[Path]:
        """The projects and images among a drop's URLs (``QMimeData``)."""
        if not mime.hasUrls():
            return []
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        return [p for p in paths if p.suffix.lower() in IMAGE_SUFFIXES + (PROJECT_SUFFIX,)]

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
        from models.import_source import ImportRequest

        if len(rgbs) == 1:
            self.import_files(ImportRequest(rgb_path=rgbs[0],
                                            depth_path=depth[0] if depth else None))
        else:
            for p in rgbs:
                self.import_files(ImportRequest(rgb_path=p))
