"""View ▸ Saved Views: name the viewport's camera pose, go back to it, delete it.

A saved view is the inside camera's yaw, pitch, horizontal field of view and eye offset
(:class:`scene.saved_views.SavedView`), kept in the project (the manifest's optional
``"views"``), so it survives save and reopen and goes into the recovery copy. Saving and
deleting are undo steps on the document's stack (:meth:`app.window.document.Document.set_views`);
going to a view only moves the camera.

The view's name is asked through the window's prompter (``ask_view_name``; a prompter
without it gets a plain text dialog), so tests never open a modal dialog.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QUndoCommand
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu

from scene.errors import InputError
from scene.saved_views import MAX_NAME_CHARS, SavedView

from .document import DocumentView

__all__ = ["SavedViewsControl", "push_views", "view_of_camera", "ask_view_name"]


class _ViewsCommand(QUndoCommand):
    """Swap the project's list of saved views (undo puts the old list back)."""

    def __init__(self, doc, views: list, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.old = list(doc.project.views)
        self.new = list(views)

    def _apply(self, views: list) -> None:
        self.doc.project.views = list(views)
        self.doc.viewsChanged.emit()

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


def _menu_text(name: str) -> str:
    """``name`` as a QAction text: a single ``&`` would be eaten as a mnemonic marker."""
    return name.replace("&", "&&")


def push_views(doc, views: list, text: str) -> None:
    """Replace ``doc``'s saved views as one undo step (what ``Document.set_views`` runs)."""
    if list(views) != list(doc.project.views):
        doc.undo_stack.push(_ViewsCommand(doc, views, text))


def view_of_camera(name: str, camera) -> SavedView:
    """The inside camera's pose as a :class:`SavedView` called ``name``."""
    s = camera.state
    return SavedView(name=name, yaw_deg=s.yaw_deg, pitch_deg=s.pitch_deg, fov_deg=s.fov_deg,
                     eye=tuple(float(v) for v in s.eye))


def ask_view_name(parent, default: str) -> str:
    """Ask for a view's name with a text dialog; ``""`` when cancelled."""
    text, ok = QInputDialog.getText(parent, "Save Current View",
                                    f"Name of this view (up to {MAX_NAME_CHARS} characters):",
                                    QLineEdit.EchoMode.Normal, default)
    return text.strip() if ok else ""


class SavedViewsControl(DocumentView, QObject):
    """The Saved Views submenu of a :class:`~app.window.main_window.MainWindow`.

    Attributes
    ----------
    menu : QMenu
        View ▸ Saved Views: Save Current View…, one entry per view (go there), Delete ▸.
    act_save : QAction
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.menu = QMenu("Saved &Views", window)
        self.menu.setToolTipsVisible(True)
        self.menu.setToolTip("Camera poses kept with the project: save the inside view under "
                             "a name and come back to it")
        self.act_save = QAction("&Save Current View…", window)
        self.act_save.setShortcut("Ctrl+Alt+V")
        tip = ("Keep the inside view's yaw, pitch, field of view and eye position under a "
               "name, in the project (saved with it)")
        self.act_save.setStatusTip(tip)
        self.act_save.setToolTip(tip)
        self.act_save.triggered.connect(lambda _c=False: self.save_current())
        window.addAction(self.act_save)
        self.delete_menu = QMenu("&Delete View", window)
        self.delete_menu.setToolTipsVisible(True)
        self.go_actions: dict[str, QAction] = {}
        self.delete_actions: dict[str, QAction] = {}
        self._fill()

    # -- the document ---------------------------------------------------------------------
    def document_events(self) -> dict:
        return {"viewsChanged": self._fill, "resultsChanged": self._sync_enabled,
                "activeChanged": lambda _rid: self._sync_enabled()}

    def catch_up(self) -> None:
        self._fill()

    @property
    def views(self) -> list[SavedView]:
        return list(self.doc.project.views) if self.doc is not None else []

    def _viewport(self):
        return getattr(self.w, "viewport", None)

    def _sync_enabled(self) -> None:
        has = self.doc is not None and self.doc.active is not None
        self.act_save.setEnabled(has and self._viewport() is not None)
        for a in self.go_actions.values():
            a.setEnabled(has and self._viewport() is not None)

    def _fill(self) -> None:
        m = self.menu
        m.clear()
        self.delete_menu.clear()
        self.go_actions, self.delete_actions = {}, {}
        m.addAction(self.act_save)
        m.addSeparator()
        views = self.views
        if not views:
            empty = m.addAction("(no saved views)")
            empty.setStatusTip("No views saved yet: Save Current View… keeps the inside view "
                               "under a name")
            empty.setEnabled(False)
        for v in views:
            label = _menu_text(v.name)  # "Kitchen & hall" keeps its "&" (no mnemonic)
            go = QAction(label, m)
            tip = (f"Look from here again: yaw {v.yaw_deg:.1f}°, pitch {v.pitch_deg:.1f}°, "
                   f"field of view {v.fov_deg:.1f}°, eye "
                   + ", ".join(f"{c:.2f}" for c in v.eye) + " m")
            go.setToolTip(tip)
            go.setStatusTip(tip)
            go.triggered.connect(lambda _c=False, name=v.name: self.go_to(name))
            m.addAction(go)
            self.go_actions[v.name] = go
            rm = QAction(label, self.delete_menu)
            tip = f"Remove the saved view “{v.name}” (Ctrl+Z brings it back)"
            rm.setToolTip(tip)
            rm.setStatusTip(tip)
            rm.triggered.connect(lambda _c=False, name=v.name: self.delete(name))
            self.delete_menu.addAction(rm)
            self.delete_actions[v.name] = rm
        m.addSeparator()
        self.delete_menu.setEnabled(bool(views))
        m.addMenu(self.delete_menu)
        self._sync_enabled()

    # -- commands -------------------------------------------------------------------------
    def _default_name(self) -> str:
        names = {v.name for v in self.views}
        n = len(names) + 1
        while f"View {n}" in names:
            n += 1
        return f"View {n}"

    def save_current(self, name: str | None = None) -> SavedView | None:
        """Keep the inside camera's pose under ``name`` (asked when ``None``).

        A view of the same name is replaced. Returns the saved view, or ``None`` when nothing
        was saved (cancelled, no result, outside view: the status bar or an error says why).
        """
        vp = self._viewport()
        if vp is None or self.doc is None or self.doc.active is None:
            return None
        if vp.view != "inside":
            self.w.prompter.show_error(self.w, "Save current view", InputError(
                "saved views keep the inside camera; the 3D view is orbiting outside",
                hint="switch to View ▸ Inside View (Ctrl+1), look where you want, then "
                     "View ▸ Saved Views ▸ Save Current View… again"))
            return None
        if name is None:
            ask = getattr(self.w.prompter, "ask_view_name", None)
            name = (ask(self.w, self._default_name()) if ask is not None
                    else ask_view_name(self.w, self._default_name()))
        name = (name or "").strip()
        if not name:
            return None
        try:
            view = view_of_camera(name, vp.inside_camera)
        except ValueError as exc:
            self.w.prompter.show_error(self.w, "Save current view", InputError(
                str(exc), hint=f"type one line of 1 to {MAX_NAME_CHARS} characters"))
            return None
        views = self.views
        replaced = any(v.name == name for v in views)
        views = [view if v.name == name else v for v in views] if replaced else [*views, view]
        self.doc.set_views(views, f"{'Replace' if replaced else 'Save'} view “{name}”")
        self.w.statusBar().showMessage(
            f"{'Replaced' if replaced else 'Saved'} view “{name}” (View ▸ Saved Views; "
            "Ctrl+Z undoes it).", 5000)
        return view

    def go_to(self, name: str) -> bool:
        """Put the inside camera back where the view ``name`` was saved (the inside view)."""
        view = next((v for v in self.views if v.name == name), None)
        vp = self._viewport()
        if view is None or vp is None:
            return False
        if vp.view != "inside":
            self.w.set_view("inside")
        vp.set_look(yaw_deg=view.yaw_deg, pitch_deg=view.pitch_deg, fov_deg=view.fov_deg,
                    eye=view.eye)
        readout = getattr(self.w, "camera_readout", None)
        if readout is not None:
            readout.refresh()
        self.w.statusBar().showMessage(f"View “{name}”", 3000)
        return True

    def delete(self, name: str) -> bool:
        """Remove the view ``name`` (one undo step)."""
        views = self.views
        kept = [v for v in views if v.name != name]
        if len(kept) == len(views):
            return False
        self.doc.set_views(kept, f"Delete view “{name}”")
        self.w.statusBar().showMessage(f"Deleted view “{name}” (Ctrl+Z brings it back).", 5000)
        return True
