"""The dialog offering the results of sessions that did not close cleanly."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

__all__ = ["RecoveryDialog"]


class RecoveryDialog(QDialog):
    """Lists orphaned sessions; the checked ones are recovered."""

    def __init__(self, orphans: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recover unsaved work")
        self._orphans = list(orphans)
        self._discard = False
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Panoforge did not close cleanly last time. These results were kept:"))
        self.list = QListWidget()
        for o in self._orphans:
            item = QListWidgetItem(o.title)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setToolTip(str(o.recovery_file))
            self.list.addItem(item)
        lay.addWidget(self.list)
        buttons = QDialogButtonBox()
        recover = buttons.addButton("Recover", QDialogButtonBox.ButtonRole.AcceptRole)
        recover.setDefault(True)
        recover.setToolTip("Open the checked results again")
        discard = buttons.addButton("Discard", QDialogButtonBox.ButtonRole.DestructiveRole)
        discard.setToolTip("Delete the checked recovery copies for good")
        buttons.addButton("Later", QDialogButtonBox.ButtonRole.RejectRole).setToolTip(
            "Keep the copies and ask again at the next start")
        recover.clicked.connect(self.accept)
        discard.clicked.connect(self._on_discard)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def _on_discard(self) -> None:
        if QMessageBox.question(self, "Discard", "Delete the checked recovery copies for good?") \
                == QMessageBox.StandardButton.Yes:
            self._discard = True
            self.accept()

    def _checked(self) -> list:
        return [o for i, o in enumerate(self._orphans)
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def chosen(self) -> list:
        return [] if self._discard else self._checked()

    def discarded(self) -> list:
        return self._checked() if self._discard else []
