"""The gallery's organisation row: the current result's name, its favourite star, a filter.

:class:`NameBar` sits above the gallery's details. Typing a name and pressing Enter (or
leaving the field) renames the result the field was showing, as one undo step
(:meth:`app.window.document.Document.rename_result`); an empty field clears the name and the
gallery shows the result's label again. A name the project cannot hold (too long, a control
character) is refused with the reason in red under the field, and the field goes back to the
name the result has. The star button favourites the result; "Favourites only" hides the
others in the gallery (a view choice, not saved in the project).

:func:`caption` is the text under a thumbnail: the star and the id on the first line (never
cut off: ids are short), the name or label on the second.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from scene.errors import PanoforgeError
from scene.result_names import MAX_NAME_LENGTH

__all__ = ["NameBar", "caption", "STAR_ON", "STAR_OFF"]

STAR_ON, STAR_OFF = "★", "☆"


def caption(result, label: str) -> str:
    """A thumbnail's two lines: ``"★ r3"`` (star when favourite) and the name or label."""
    star = f"{STAR_ON} " if result.favourite else ""
    return f"{star}{result.id}\n{label}"


class NameBar(QWidget):
    """Name field, favourite star and the "Favourites only" filter of the gallery.

    Signals
    -------
    filterChanged(bool)
        "Favourites only" was switched on or off.
    """

    filterChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = None
        self._result_id = ""
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        row = QHBoxLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("resultName")
        self.name_edit.setMaxLength(MAX_NAME_LENGTH + 20)  # longer is refused with a reason
        self.name_edit.setClearButtonEnabled(True)
        self.name_edit.setToolTip(
            "The result's name in the gallery, in panoforge info and in exported GLB files. "
            f"Enter renames it (undoable; at most {MAX_NAME_LENGTH} characters, one line); "
            "empty shows its prompt again. Its id never changes.")
        self.name_edit.editingFinished.connect(self.commit)
        self.name_edit.installEventFilter(self)
        self.star = QToolButton()
        self.star.setObjectName("favouriteStar")
        self.star.setCheckable(True)
        self.star.setText(STAR_OFF)
        self.star.setToolTip("Favourite: star this result (saved in the project, undoable)")
        self.star.toggled.connect(self._on_star)
        self.only_favourites = QToolButton()
        self.only_favourites.setObjectName("favouritesOnly")
        self.only_favourites.setCheckable(True)
        self.only_favourites.setText(f"{STAR_ON} only")
        self.only_favourites.setToolTip("Favourites only: show just the starred results in the "
                                        "gallery (press again to show all)")
        self.only_favourites.toggled.connect(self.filterChanged)
        row.addWidget(QLabel("Name"))
        row.addWidget(self.name_edit, 1)
        row.addWidget(self.star)
        row.addWidget(self.only_favourites)
        col.addLayout(row)
        self.error = QLabel("")
        self.error.setObjectName("nameError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # the refused text, as typed
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #e0605a;")
        self.error.hide()
        col.addWidget(self.error)
        self.show_result(None)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        """Esc in the name field drops the edit (the name stays as it was) and leaves the
        field, as in a file manager; the window's Esc (Cancel Generation) does not get it."""
        if obj is self.name_edit and event.type() in (QEvent.Type.ShortcutOverride,
                                                     QEvent.Type.KeyPress) \
                and event.key() == Qt.Key.Key_Escape:
            if event.type() == QEvent.Type.KeyPress:
                self.revert()
            event.accept()
            return True
        return super().eventFilter(obj, event)

    def revert(self) -> None:
        """Show the result's name again, unchanged, and leave the field."""
        name = ""
        if self.doc is not None and self._result_id:
            try:
                name = self.doc.result(self._result_id).name
            except KeyError:
                pass
        self.name_edit.setText(name)
        self.error.hide()
        self.name_edit.clearFocus()

    def show_result(self, result, label: str = "") -> None:
        """Show ``result``'s name and star (``None``: nothing to edit)."""
        rid = result.id if result is not None else ""
        if rid != self._result_id:
            self.error.hide()  # the refusal was about the result shown before
        self._result_id = rid
        self.name_edit.setEnabled(result is not None)
        self.star.setEnabled(result is not None)
        self.name_edit.setText(result.name if result is not None else "")
        self.name_edit.setPlaceholderText(label if result is not None else "")
        self.star.blockSignals(True)
        self.star.setChecked(bool(result is not None and result.favourite))
        self.star.setText(STAR_ON if self.star.isChecked() else STAR_OFF)
        self.star.blockSignals(False)

    def start_rename(self) -> None:
        """Put the cursor in the name field with its text selected (F2, "Rename…")."""
        if self.name_edit.isEnabled():
            self.name_edit.setFocus()
            self.name_edit.selectAll()

    def commit(self) -> None:
        """Rename the shown result to what the field says (nothing when unchanged)."""
        if self.doc is None or not self._result_id:
            return
        try:
            res = self.doc.result(self._result_id)
        except KeyError:  # deleted while the field had focus
            return
        try:
            self.doc.rename_result(res.id, self.name_edit.text())
        except PanoforgeError as exc:
            self.error.setText(f"Name not changed: {exc.message} ({exc.hint}).")
            self.error.show()
            self.name_edit.setText(res.name)
            return
        self.error.hide()
        if self.name_edit.text() != res.name:  # (spaces at the ends were dropped)
            self.name_edit.setText(res.name)

    def _on_star(self, on: bool) -> None:
        self.star.setText(STAR_ON if on else STAR_OFF)
        if self.doc is not None and self._result_id:
            self.doc.set_favourite(self._result_id, on)
