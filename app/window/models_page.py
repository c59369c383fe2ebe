"""The Models page of Preferences: what ``panoforge models`` shows, with add and verify.

Every catalogue model in a table (status, licence, commercial use, size, folder); the selected
row's download command can be copied; "Add model folder…" and "Verify" run
:func:`models.store.add_model` / :func:`models.store.verify_installed` on a worker thread
(hashing several gigabytes takes a while) and report back through Qt signals.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ModelsPage", "COLUMNS"]

COLUMNS = ("Model", "Status", "Licence", "Commercial use", "Size", "Folder")


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB" if n else ""


class ModelsPage(QWidget):
    """Models known to Panoforge and their state on this computer.

    Signals
    -------
    finished(str)
        A background add/verify ended; the text says what happened.
    """

    finished = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ModelsPage")
        self.statuses: list = []
        lay = QVBoxLayout(self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._show_selected)
        lay.addWidget(self.table, 1)
        self.detail = QLabel()
        self.detail.setObjectName("hint")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.detail)
        row = QHBoxLayout()
        self.copy_button = QPushButton("Copy download command")
        self.copy_button.setToolTip("Copy the command that downloads the selected model to the clipboard")
        self.copy_button.clicked.connect(self.copy_command)
        self.add_button = QPushButton("Add model folder…")
        self.add_button.setToolTip("Install weights copied from another computer, after "
                                   "checking the file set and checksums")
        self.add_button.clicked.connect(self._pick_and_add)
        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip("Re-check every installed model byte for byte")
        self.verify_button.clicked.connect(self.verify)
        for b in (self.copy_button, self.add_button, self.verify_button):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.finished.connect(self._on_finished)
        self.refresh()

    def refresh(self) -> None:
        """Read the status of every catalogue model again (file sets only; no hashing)."""
        from models.store import list_status

        self.statuses = list_status()
        self.table.setRowCount(len(self.statuses))
        for r, st in enumerate(self.statuses):
            e = st.entry
            cells = (e.backend, st.state, e.licence.spdx,
                     "yes" if e.commercial_use else "no (non-commercial)",
                     _size(st.size_bytes), str(st.folder or ""))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{e.id}: {e.task}\n{e.licence.name}: {e.licence.conditions}"
                                + (f"\nget it: {st.download}" if st.download else ""))
                if c == 1 and st.state == "damaged":
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(r, c, item)
        self._show_selected()

    def selected(self):
        """The :class:`models.store.ModelStatus` of the selected row, or ``None``."""
        rows = self.table.selectionModel().selectedRows()
        return self.statuses[rows[0].row()] if rows else None

    def _show_selected(self) -> None:
        st = self.selected()
        self.copy_button.setEnabled(bool(st and st.download))
        if st is None:
            self.detail.setText("Select a model to see where it comes from.")
            return
        lines = [f"{st.entry.id} — {st.entry.licence.name} ({st.entry.licence.url})"]
        lines += [f"damaged: {p}" for p in st.problems]
        if st.download and st.state != "installed":
            lines.append(f"get it: {st.download}")
        self.detail.setText("\n".join(lines))

    def copy_command(self) -> str:
        """Put the selected model's download command on the clipboard (and return it)."""
        st = self.selected()
        text = st.download if st else ""
        if text:
            QApplication.clipboard().setText(text)
        return text

    # -- background work ------------------------------------------------------------------
    def _busy(self, busy: bool) -> None:
        for b in (self.add_button, self.verify_button):
            b.setEnabled(not busy)

    def _in_background(self, work) -> threading.Thread:
        self._busy(True)

        def run() -> None:
            from scene.errors import PanoforgeError

            try:
                text = work()
            except PanoforgeError as exc:
                text = f"{exc.message}\n{exc.hint}" if exc.hint else exc.message
            except OSError as exc:
                text = f"could not copy the model: {exc}"
            self.finished.emit(text)

        t = threading.Thread(target=run, name="models-page", daemon=True)
        t.start()
        return t

    def _pick_and_add(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder to add")
        if folder:
            self.add(folder)

    def add(self, folder: str, model: str | None = None) -> threading.Thread:
        """Install ``folder`` in the background; :attr:`finished` reports the outcome."""
        from models.store import add_model

        def work() -> str:
            report = add_model(folder, model)
            text = f"installed {report.entry.id} in {report.folder}"
            return "\n".join([text, *report.warnings])

        return self._in_background(work)

    def verify(self) -> threading.Thread:
        """Verify every installed model in the background; :attr:`finished` reports."""
        from models.store import verify_installed

        def work() -> str:
            statuses = verify_installed()
            if not statuses:
                return "no models installed"
            lines = []
            for st in statuses:
                if st.state == "damaged":
                    lines.append(f"DAMAGED {st.entry.backend}: "
                                 + "; ".join(str(p) for p in st.problems))
                else:
                    lines.append(f"ok {st.entry.backend}")
            return "\n".join(lines)

        return self._in_background(work)

    def _on_finished(self, text: str) -> None:
        self._busy(False)
        self.refresh()
        self.detail.setText(text)
