"""The open project as a Qt model: state in one QObject, every edit a QUndoCommand.

Widgets never change the :class:`scene.project.Project` directly. They call the
:class:`Document`'s edit methods, which push a command onto the document's single
:class:`QUndoStack`; the command changes the project and the document emits a signal that the
views listen to (the gallery, the depth panel, the viewport through the mesh service).

A slider drag is one undo step: each edit method takes a ``merge_key``. Consecutive commands of
the same kind with the same non-``None`` key merge (:meth:`QUndoCommand.mergeWith`), so the
depth panel passes one key for the whole drag and a fresh one for the next.

Views subscribe (model → view, as napari's layer events)
---------------------------------------------------------
A panel that shows the document is a :class:`DocumentView`: :meth:`DocumentView.bind` connects
its handlers to the document's signals and then calls :meth:`DocumentView.catch_up` once, so a
panel created (or a document opened) at any time shows the current state at once. Nothing
relays the document's signals to the panels.

The near/far rule (disparity mapping or metric clip) is scene's:
:meth:`scene.panorama.RGBDPanorama.with_near_far`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from scene.mesh_settings import MeshSettings
from scene.panorama import RGBDPanorama

__all__ = ["Document", "DocumentView", "new_merge_key"]

_CMD_PANORAMA = 1001
_CMD_MESH = 1002
_merge_counter = itertools.count(1)


def new_merge_key() -> int:
    """A fresh key: edits made with it merge into one undo step (a drag)."""
    return next(_merge_counter)


def with_kind(pano: RGBDPanorama, kind: str) -> RGBDPanorama:
    """``pano`` read with another depth kind (the raw data is untouched)."""
    if not pano.has_depth or pano.interpretation.kind == kind:
        return pano
    return pano.with_interpretation(pano.interpretation.with_(kind=kind))


class _PanoramaCommand(QUndoCommand):
    """Replace one result's panorama (interpretation, clip range)."""

    def __init__(self, doc: Document, result_id: str, new: RGBDPanorama, text: str,
                 merge_key: int | None) -> None:
        super().__init__(text)
        self.doc = doc
        self.result_id = result_id
        self.old = doc.result(result_id).panorama
        self.new = new
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _CMD_PANORAMA

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if (not isinstance(other, _PanoramaCommand) or self.merge_key is None
                or other.merge_key != self.merge_key or other.result_id != self.result_id):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.doc._set_panorama(self.result_id, self.new)

    def undo(self) -> None:
        self.doc._set_panorama(self.result_id, self.old)


class _MeshSettingsCommand(QUndoCommand):
    def __init__(self, doc: Document, new: MeshSettings, text: str, merge_key: int | None):
        super().__init__(text)
        self.doc = doc
        self.old = doc.mesh_settings
        self.new = new
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003
        return _CMD_MESH

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if (not isinstance(other, _MeshSettingsCommand) or self.merge_key is None
                or other.merge_key != self.merge_key):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.doc._set_mesh_settings(self.new)

    def undo(self) -> None:
        self.doc._set_mesh_settings(self.old)


class _DeleteCommand(QUndoCommand):
    def __init__(self, doc: Document, result_id: str) -> None:
        res = doc.result(result_id)
        super().__init__(f"Delete {doc.label_of(res)}")
        self.doc = doc
        self.result = res
        self.index = doc.index_of(result_id)
        self.was_active = doc.active_id == result_id

    def redo(self) -> None:
        self.doc._remove(self.result.id)

    def undo(self) -> None:
        self.doc._insert(self.index, self.result, make_active=self.was_active)


class Document(QObject):
    """The open project, its file path and its undo history.

    Parameters
    ----------
    project : scene.project.Project, optional
        What to show; a new empty project when omitted.
    path : Path, optional
        Where it was loaded from (``None``: untitled).

    Signals
    -------
    resultsChanged()
        A result was added or removed.
    resultChanged(str)
        The result with this id changed (its depth interpretation or range).
    activeChanged(str)
        The active result changed (its id, ``""`` when there is none).
    meshSettingsChanged()
    pathChanged(str)
    modifiedChanged(bool)
    resultAdded(str)
        A new result arrived (the recovery store writes it to disk at once).
    resultInfoChanged(str)
        A result's name or favourite star changed (:mod:`app.window.gallery_commands`).
    viewsChanged()
        The project's saved views changed (:mod:`app.window.saved_views`).
    """

    resultsChanged = Signal()
    resultChanged = Signal(str)
    activeChanged = Signal(str)
    meshSettingsChanged = Signal()
    pathChanged = Signal(str)
    modifiedChanged = Signal(bool)
    resultAdded = Signal(str)
    resultInfoChanged = Signal(str)
    viewsChanged = Signal()

    def __init__(self, project=None, path: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        from scene.project import Project

        self.project = project if project is not None else Project()
        self.path: Path | None = Path(path) if path is not None else None
        self.undo_stack = QUndoStack(self)
        self._dirty = False
        self._was_modified = False
        self._used_ids = {r.id for r in self.project.results}
        self.undo_stack.cleanChanged.connect(self._emit_modified)
        self.undo_stack.indexChanged.connect(self._emit_modified)

    # -- queries --------------------------------------------------------------------------
    @property
    def results(self) -> list:
        return list(self.project.results)

    @property
    def active_id(self) -> str:
        return self.project.active_id or ""

    @property
    def active(self):
        """The active :class:`scene.project.Result` or ``None``."""
        aid = self.project.active_id
        for r in self.project.results:
            if r.id == aid:
                return r
        return None

    @property
    def mesh_settings(self) -> MeshSettings:
        return self.project.mesh_settings

    def result(self, result_id: str):
        for r in self.project.results:
            if r.id == result_id:
                return r
        raise KeyError(result_id)

    def index_of(self, result_id: str) -> int:
        for i, r in enumerate(self.project.results):
            if r.id == result_id:
                return i
        raise KeyError(result_id)

    def _fresh_id(self) -> str:
        n = 0
        for rid in self._used_ids | {r.id for r in self.project.results}:
            if rid.startswith("r") and rid[1:].isdigit():
                n = max(n, int(rid[1:]))
        return f"r{n + 1}"

    def label_of(self, result) -> str:
        label = getattr(result, "name", "") or getattr(result, "label", "") or ""
        if label:
            return label
        meta = result.panorama.metadata
        text = meta.user_prompt or meta.prompt or result.kind
        return text if len(text) <= 40 else text[:39] + "…"

    @property
    def is_modified(self) -> bool:
        return self._dirty or not self.undo_stack.isClean()

    @property
    def title(self) -> str:
        return self.path.name if self.path is not None else "Untitled"

    # -- edits that are not undone --------------------------------------------------------
    def add_result(self, panorama: RGBDPanorama, kind: str = "generated",
                   parent_id: str | None = None, make_active: bool = True):
        """Add a result (a generation or an import arrived). Not undoable: results are kept.

        Returns
        -------
        scene.project.Result
        """
        previous = self.project.active_id
        res = self.project.add_result(panorama, kind=kind, parent_id=parent_id)
        return self._added(res, previous, make_active)

    def add_made(self, made, parent_id: str | None = None, make_active: bool = True):
        """Add what a generation or an import made (:class:`app.workflows.Generated`).

        Goes through :func:`app.workflows.add_to_project`, the use case the command line
        runs, so both front-ends put the same result into a project. Not undoable.

        Returns
        -------
        scene.project.Result
        """
        from app import workflows

        previous = self.project.active_id
        res = workflows.add_to_project(self.project, made, parent_id=parent_id)
        return self._added(res, previous, make_active)

    def adopt_results(self, results: list) -> list:
        """Append whole results of another project (a recovered session's) as they are.

        Everything a result holds comes along: its layers, props, name, favourite, label and
        creation time, not only the panorama. Ids that are taken here get fresh ones, and a
        parent among the adopted results follows its new id. Not undoable: results are kept.

        Parameters
        ----------
        results : list of scene.project.Result
            Results no other project holds any more (they become this project's).

        Returns
        -------
        list of scene.project.Result
            The adopted results, with their ids in this project.
        """
        previous = self.project.active_id
        renamed: dict[str, str] = {}
        for res in results:
            old = res.id
            if old in self._used_ids or any(r.id == old for r in self.project.results):
                res.id = self._fresh_id()
            renamed[old] = res.id
            if res.parent_id in renamed:
                res.parent_id = renamed[res.parent_id]
            self.project.results.append(res)
            self._added(res, previous, make_active=False)
        return list(results)

    def _added(self, res, previous: str | None, make_active: bool):
        """A result was appended to the project: keep ids unique, tell the views."""
        if res.id in self._used_ids:  # a deleted result (still on the undo stack) had it
            res.id = self._fresh_id()
        self._used_ids.add(res.id)
        self.project.active_id = previous
        self._dirty = True
        self.resultsChanged.emit()
        self.resultAdded.emit(res.id)
        if make_active:
            self.set_active(res.id)
        self._emit_modified()
        return res

    def set_active(self, result_id: str) -> None:
        """Make a result the one shown (a view choice: not an undo step)."""
        if result_id and result_id not in {r.id for r in self.project.results}:
            raise KeyError(result_id)
        if (self.project.active_id or "") == result_id:
            return
        self.project.active_id = result_id or None
        self.activeChanged.emit(result_id)

    # -- undoable edits -------------------------------------------------------------------
    def set_depth_range(self, result_id: str, near: float, far: float,
                        merge_key: int | None = None) -> None:
        """Set a result's near/far (metres); see the module docstring."""
        pano = self.result(result_id).panorama
        if not (0 < near < far):
            return
        new = pano.with_near_far(near, far)
        if new is pano:
            return
        self.undo_stack.push(_PanoramaCommand(
            self, result_id, new, f"Depth range {near:.2f}–{far:.2f} m", merge_key))

    def set_depth_kind(self, result_id: str, kind: str) -> None:
        """Read a result's raw depth as ``disparity``, ``zdepth`` or ``distance``."""
        pano = self.result(result_id).panorama
        new = with_kind(pano, kind)
        if new is pano:
            return
        self.undo_stack.push(_PanoramaCommand(self, result_id, new, f"Depth as {kind}", None))

    def set_mesh_settings(self, settings: MeshSettings, merge_key: int | None = None,
                          text: str = "Mesh settings") -> None:
        if settings == self.mesh_settings:
            return
        self.undo_stack.push(_MeshSettingsCommand(self, settings, text, merge_key))

    def delete_result(self, result_id: str) -> None:
        self.undo_stack.push(_DeleteCommand(self, result_id))

    def rename_result(self, result_id: str, name: str) -> bool:
        """Give a result a name (``""`` clears it); raises InputError for an unusable one."""
        from .gallery_commands import rename

        return rename(self, result_id, name)

    def set_favourite(self, result_id: str, on: bool) -> bool:
        """Star or unstar a result (undoable)."""
        from .gallery_commands import set_favourite

        return set_favourite(self, result_id, on)

    def set_views(self, views: list, text: str) -> None:
        """Replace the project's saved views (one undo step called ``text``)."""
        from .saved_views import push_views

        push_views(self, views, text)

    # -- file -----------------------------------------------------------------------------
    def mark_saved(self, path: Path) -> None:
        """The project is on disk at ``path`` as it is now."""
        path = Path(path)
        changed = path != self.path
        self.path = path
        self._dirty = False
        self.undo_stack.setClean()
        if changed:
            self.pathChanged.emit(str(path))
        self._emit_modified()

    def mark_modified(self) -> None:
        """Something not on the undo stack changed (a recovered project, for example)."""
        self._dirty = True
        self._emit_modified()

    # -- what the commands call -----------------------------------------------------------
    def _set_panorama(self, result_id: str, pano: RGBDPanorama) -> None:
        self.result(result_id).panorama = pano
        self.resultChanged.emit(result_id)

    def _set_mesh_settings(self, settings: MeshSettings) -> None:
        self.project.mesh_settings = settings
        self.meshSettingsChanged.emit()

    def _remove(self, result_id: str) -> None:
        i = self.index_of(result_id)
        was_active = self.project.active_id == result_id
        del self.project.results[i]
        self.resultsChanged.emit()
        if was_active:
            results = self.project.results
            nxt = results[min(i, len(results) - 1)].id if results else ""
            self.project.active_id = nxt or None
            self.activeChanged.emit(nxt)

    def _insert(self, index: int, result, make_active: bool) -> None:
        results = self.project.results
        results.insert(min(index, len(results)), result)
        self.resultsChanged.emit()
        if make_active:
            self.project.active_id = result.id
            self.activeChanged.emit(result.id)

    def _emit_modified(self, *_args) -> None:
        now = self.is_modified
        if now != self._was_modified:
            self._was_modified = now
            self.modifiedChanged.emit(now)


class DocumentView:
    """Mixin for anything that shows a :class:`Document` (panels, the scene view, the title).

    A subclass names what it listens to in :meth:`document_events` and how it shows the
    current state in :meth:`catch_up`; :meth:`bind` does the rest. Rebinding (a new document
    was opened) disconnects from the old one first.
    """

    doc: Document | None = None

    def document_events(self) -> dict[str, Callable]:
        """``{signal name on Document: handler}``."""
        return {}

    def catch_up(self) -> None:
        """Show the bound document as it is now (called once by :meth:`bind`)."""

    def bind(self, doc: Document | None) -> None:
        """Subscribe to ``doc`` (``None``: unsubscribe) and catch up once."""
        for signal, handler in getattr(self, "_doc_connections", ()):
            try:
                signal.disconnect(handler)
            except (RuntimeError, TypeError):  # the old document is already gone
                pass
        self._doc_connections = []
        self.doc = doc
        if doc is None:
            return
        for name, handler in self.document_events().items():
            signal = getattr(doc, name)
            signal.connect(handler)
            self._doc_connections.append((signal, handler))
        self.catch_up()
