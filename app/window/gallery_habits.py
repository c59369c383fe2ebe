"""Wire the gallery's organisation into the window: rename, favourite, compare.

:func:`install_gallery_habits` gives the window ``w.compare`` (the
:class:`~app.window.compare_view.CompareView`, a document view the window binds with the
others) and three actions: Edit ▸ Rename Result… (F2), Edit ▸ Favourite Result and
View ▸ Compare Results…, each also reachable from the gallery itself.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from .compare_view import CompareView

__all__ = ["install_gallery_habits"]


def _menu(w, title: str):
    for act in w.menuBar().actions():
        if act.menu() is not None and act.text().replace("&", "") == title:
            return act.menu()
    return None


def install_gallery_habits(w) -> None:
    """Give window ``w`` its compare view and the gallery's actions (after its menus)."""
    w.compare = CompareView(w.tabs)
    w.gallery.compareRequested.connect(w.compare.open)

    def show_gallery() -> None:
        w.gallery_dock.show()
        w.gallery_dock.raise_()

    def rename() -> None:
        if w.doc.active is not None:
            show_gallery()
            w.gallery.start_rename(w.doc.active_id)

    def favourite(on: bool) -> None:
        if w.doc.active is not None:
            w.doc.set_favourite(w.doc.active_id, on)

    def compare() -> None:
        show_gallery()
        w.gallery.compare_current()

    w.act_rename = QAction("Re&name Result…", w)
    w.act_rename.setShortcut(QKeySequence("F2"))
    w.act_rename.setStatusTip("Name the active result in the gallery (its id stays; undoable)")
    w.act_rename.triggered.connect(rename)
    w.act_favourite = QAction("&Favourite Result", w)
    w.act_favourite.setCheckable(True)
    w.act_favourite.setStatusTip("Star the active result (the gallery can show only stars)")
    w.act_favourite.triggered.connect(favourite)
    w.act_compare = QAction("&Compare Results…", w)
    w.act_compare.setStatusTip("The active result and the one shown before it side by side, "
                               "with a split slider")
    w.act_compare.triggered.connect(compare)
    for act in (w.act_rename, w.act_favourite, w.act_compare):
        act.setToolTip(act.statusTip())
        w.addAction(act)

    edit = _menu(w, "Edit")
    if edit is not None:
        edit.addSeparator()
        edit.addActions([w.act_rename, w.act_favourite])

        def sync() -> None:
            res = w.doc.active
            w.act_rename.setEnabled(res is not None)
            w.act_favourite.setEnabled(res is not None)
            w.act_favourite.setChecked(bool(res is not None and res.favourite))

        edit.aboutToShow.connect(sync)
    view = getattr(w, "view_menu", None) or _menu(w, "View")
    if view is not None:
        view.addSeparator()
        view.addAction(w.act_compare)
