"""Every action's shortcut, and the viewport's mouse and key controls."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ShortcutsDialog", "VIEWPORT_CONTROLS"]


VIEWPORT_CONTROLS = [
    ("Look around (inside view)", "Drag"),
    ("Field of view 30–120°", "Mouse wheel"),
    ("Move within a small radius", "W A S D / arrow keys"),
    ("Recentre", "Double-click / Home"),
    ("Orbit (outside view)", "Drag"),
]


class ShortcutsDialog(QDialog):
    """Every action's shortcut, and the viewport's mouse and key controls."""

    def __init__(self, actions: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        lay = QVBoxLayout(self)
        rows = []
        for act in actions:
            seq = act.shortcut().toString()
            if seq:
                rows.append((act.text().replace("&", "").rstrip("…."), seq))
        rows += VIEWPORT_CONTROLS
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (a, k) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(a))
            self.table.setItem(i, 1, QTableWidgetItem(k))
        self.table.resizeColumnToContents(0)
        lay.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(440, 460)
