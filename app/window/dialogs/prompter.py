""":class:`Prompter`, the one place the window asks the user anything.

Every question the window asks (recover a crashed session? save changes? which file?) goes
through a :class:`Prompter`. Tests give the window a prompter that answers at once, so no
modal dialog ever blocks a test. The "unsaved changes" question is a plain
:class:`QMessageBox`; the other dialogs live in their own modules of this package.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from .export_dialog import ExportChoices, ExportDialog
from .import_dialog import ImportDialog
from .recovery_dialog import RecoveryDialog

__all__ = ["Prompter"]


class Prompter:
    """Asks the user; replace it (``MainWindow(prompter=...)``) to answer automatically."""

    def offer_recovery(self, parent: QWidget, orphans: list) -> tuple[list, list]:
        """Which orphaned sessions to recover and which to discard (the rest are kept)."""
        dlg = RecoveryDialog(orphans, parent)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return [], []
        return dlg.chosen(), dlg.discarded()

    def ask_unsaved(self, parent: QWidget, title: str) -> str:
        """``"save"``, ``"discard"`` or ``"cancel"``."""
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"Save the changes to “{title}”?")
        box.setInformativeText("Your results are kept in a recovery copy until you decide.")
        box.setStandardButtons(QMessageBox.StandardButton.Save
                               | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(
                    QMessageBox.StandardButton(answer), "cancel")

    def show_error(self, parent: QWidget, title: str, exc: BaseException) -> None:
        from ..messages import window_error

        message, hint = window_error(exc)  # the window's controls, not command-line options
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(title)
        box.setText(message)
        if hint:
            box.setInformativeText(f"Hint: {hint}")
        box.exec()

    def open_path(self, parent: QWidget, caption: str, folder: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(parent, caption, folder, filters)
        return path

    def save_path(self, parent: QWidget, caption: str, start: str, filters: str) -> str:
        path, _ = QFileDialog.getSaveFileName(parent, caption, start, filters)
        return path

    def export_options(self, parent: QWidget, defaults: ExportChoices) -> ExportChoices | None:
        dlg = ExportDialog(defaults, parent)
        return dlg.options() if dlg.exec() == QDialog.DialogCode.Accepted else None

    def import_options(self, parent: QWidget, folder: str):
        dlg = ImportDialog(folder, parent)
        return dlg.options() if dlg.exec() == QDialog.DialogCode.Accepted else None

    def walkable_options(self, parent: QWidget, defaults, fillers, auto_fill: str):
        """Make Walkable's radius and filler (:class:`.walkable_dialog.WalkableChoices`),
        or None when cancelled."""
        from .walkable_dialog import WalkableDialog

        dlg = WalkableDialog(defaults, fillers, auto_fill, parent)
        return dlg.options() if dlg.exec() == QDialog.DialogCode.Accepted else None
