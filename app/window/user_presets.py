"""The user's own presets: the whole Generate panel saved under a name, applied in one click.

Not the style presets of :mod:`app.window.presets` (shipped words a click appends to the
prompt): a user preset is every field of the panel
(:class:`~app.window.panel_settings.PanelSettings`: backend, prompt, negative, seed and its
lock, steps, guidance, size, seam, weights folder), and applying one sets all of them. They
live in the user's settings (:data:`~app.window.preferences_store.KEY_USER_PRESETS`), so
every project sees them. "My Presets ▾" in the panel applies, saves and opens
:class:`PresetsDialog` (non-modal) to rename and delete, where a deletion can be undone.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from scene.errors import PanoforgeError
from scene.result_names import name_problem

from .panel_settings import PanelSettings
from .preferences_store import KEY_USER_PRESETS, WindowSettings
from .prompt_history import MenuButton

__all__ = ["UserPresets", "PresetsButton", "PresetsDialog", "MAX_NAME"]

#: The longest preset name (characters).
MAX_NAME = 60


class UserPresets:
    """Named :class:`PanelSettings` in the user's settings.

    Parameters
    ----------
    settings : WindowSettings
    """

    def __init__(self, settings: WindowSettings) -> None:
        self.settings = settings

    def _all(self) -> dict[str, PanelSettings]:
        raw = self.settings.json_value(KEY_USER_PRESETS, {})
        out = {}
        if isinstance(raw, dict):
            for name, data in raw.items():
                s = PanelSettings.from_dict(data)
                if s is not None:
                    out[str(name)] = s
        return out

    def _store(self, presets: dict[str, PanelSettings]) -> None:
        self.settings.set_json_value(KEY_USER_PRESETS,
                                     {k: v.to_dict() for k, v in presets.items()})

    def names(self) -> list[str]:
        """Sorted as a reader sorts (case ignored)."""
        return sorted(self._all(), key=str.casefold)

    def get(self, name: str) -> PanelSettings | None:
        return self._all().get(name)

    @staticmethod
    def check_name(name: str) -> str:
        """``name`` stripped; a :class:`PanoforgeError` naming the field when unusable."""
        name = " ".join(str(name).split())
        if not name:
            raise PanoforgeError("the preset name is empty",
                                 hint="type a name in My Presets ▸ Save Current Settings")
        if len(name) > MAX_NAME:
            raise PanoforgeError(f"the preset name is {len(name)} characters long",
                                 hint=f"use at most {MAX_NAME}")
        problem = name_problem(name, MAX_NAME)  # e.g. U+202E, which makes the menu read backwards
        if problem:
            raise PanoforgeError(problem.replace("the name", "the preset name", 1),
                                 hint="type one line of visible text")
        return name

    def save(self, name: str, settings: PanelSettings, replace: bool = False) -> str:
        """Keep ``settings`` under ``name`` (the stripped name is returned).

        Raises
        ------
        PanoforgeError
            The name is empty or too long, or taken and ``replace`` is false.
        """
        name = self.check_name(name)
        presets = self._all()
        if name in presets and not replace:
            raise PanoforgeError(f"a preset called “{name}” exists",
                                 hint="choose another name, or replace it")
        presets[name] = settings
        self._store(presets)
        return name

    def rename(self, old: str, new: str) -> str:
        """Rename a preset; its settings stay. Raises :class:`PanoforgeError` when ``new`` is
        unusable or taken by another preset."""
        new = self.check_name(new)
        presets = self._all()
        if old not in presets:
            raise PanoforgeError(f"there is no preset called “{old}”")
        if new != old and new in presets:
            raise PanoforgeError(f"a preset called “{new}” exists", hint="choose another name")
        presets = {(new if k == old else k): v for k, v in presets.items()}
        self._store(presets)
        return new

    def delete(self, name: str) -> PanelSettings | None:
        """Remove a preset; its settings are returned (to undo)."""
        presets = self._all()
        gone = presets.pop(name, None)
        self._store(presets)
        return gone


class PresetsButton(MenuButton):
    """"My Presets ▾": apply one, save the current settings, manage.

    Signals
    -------
    applyRequested(str)
        A preset's name.
    saveRequested()
    manageRequested()
    """

    applyRequested = Signal(str)
    saveRequested = Signal()
    manageRequested = Signal()

    def __init__(self, presets: UserPresets, parent: QWidget | None = None) -> None:
        super().__init__("userPresets", "My Presets",
                         "Your saved Generate settings: apply one to set every field, or save "
                         "the current ones under a name (kept for all projects)", parent)
        self.presets = presets
        self.rebuild()

    def rebuild(self) -> None:
        self.menu_.clear()
        names = self.presets.names()
        for name in names:
            act = self.menu_.addAction(name.replace("&", "&&"))
            preset = self.presets.get(name)
            act.setToolTip(preset.describe() if preset else "")
            act.setStatusTip(f"Set every Generate field from “{name}”")
            act.triggered.connect(lambda _=False, n=name: self.applyRequested.emit(n))
        if not names:
            none = self.menu_.addAction("No presets yet")
            none.setEnabled(False)
        self.menu_.addSeparator()
        save = self.menu_.addAction("Save Current Settings as Preset…")
        save.setStatusTip("Keep every Generate field under a name")
        save.triggered.connect(self.saveRequested.emit)
        manage = self.menu_.addAction("Manage Presets…")
        manage.setStatusTip("Rename or delete your presets")
        manage.triggered.connect(self.manageRequested.emit)
        for act in (save, manage):
            act.setToolTip(act.statusTip())


class PresetsDialog(QDialog):
    """Rename (edit the name in place, or Rename), delete (and undo that), apply.

    Non-modal: the Generate panel stays usable while it is open.

    Signals
    -------
    applyRequested(str)
    changed()
        A preset was renamed, deleted or brought back.
    """

    applyRequested = Signal(str)
    changed = Signal()

    def __init__(self, presets: UserPresets, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("UserPresetsDialog")
        self.setWindowTitle("My presets")
        self.setModal(False)
        self.presets = presets
        self._deleted: list[tuple[str, PanelSettings]] = []
        lay = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setToolTip("Your presets; double-click or F2 renames one in place")
        self.list.itemChanged.connect(self._on_edited)
        self.list.itemDoubleClicked.connect(self.list.editItem)
        lay.addWidget(self.list)
        row = QHBoxLayout()
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Set every Generate field from the selected preset")
        self.rename_button = QPushButton("Rename")
        self.rename_button.setToolTip("Edit the selected preset's name")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected preset (Undo Delete brings it back)")
        self.undo_button = QPushButton("Undo Delete")
        self.undo_button.setToolTip("Bring back the preset deleted last")
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Close this window (the presets are already saved)")
        for b in (self.apply_button, self.rename_button, self.delete_button, self.undo_button,
                  self.close_button):
            row.addWidget(b)
        lay.addLayout(row)
        self.message = QLabel("")
        self.message.setObjectName("hint")
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # a name like "<b>x" as typed
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.apply_button.clicked.connect(self._apply)
        self.rename_button.clicked.connect(
            lambda: self.list.currentItem() and self.list.editItem(self.list.currentItem()))
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button.clicked.connect(self.undo_delete)
        self.close_button.clicked.connect(self.close)
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        current = select or (self.list.currentItem().data(Qt.ItemDataRole.UserRole)
                             if self.list.currentItem() else None)
        self.list.blockSignals(True)
        self.list.clear()
        for name in self.presets.names():
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            preset = self.presets.get(name)
            item.setToolTip(preset.describe() if preset else "")
            self.list.addItem(item)
            if name == current:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self.list.blockSignals(False)
        has = self.list.count() > 0
        for b in (self.apply_button, self.rename_button, self.delete_button):
            b.setEnabled(has)
        self.undo_button.setEnabled(bool(self._deleted))

    def selected(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def rename(self, old: str, new: str) -> bool:
        """Rename ``old``; a refusal is shown under the list and the name stays."""
        try:
            name = self.presets.rename(old, new)
        except PanoforgeError as exc:
            self.message.setText(f"Not renamed: {exc.message}" + (f" ({exc.hint})"
                                                                  if exc.hint else ""))
            self.refresh(select=old)
            return False
        self.message.setText(f"Renamed “{old}” to “{name}”.")
        self.refresh(select=name)
        self.changed.emit()
        return True

    def _on_edited(self, item: QListWidgetItem) -> None:
        old = item.data(Qt.ItemDataRole.UserRole)
        if old is not None and item.text() != old:
            self.rename(old, item.text())

    def delete_selected(self) -> None:
        name = self.selected()
        if name is None:
            return
        gone = self.presets.delete(name)
        if gone is not None:
            self._deleted.append((name, gone))
        self.message.setText(f"Deleted “{name}” (Undo Delete brings it back).")
        self.refresh()
        self.changed.emit()

    def undo_delete(self) -> None:
        if not self._deleted:
            return
        name, settings = self._deleted.pop()
        taken = name in self.presets.names()
        if taken:  # a new preset took the name meanwhile: keep both
            n = 2
            while f"{name} ({n})" in self.presets.names():
                n += 1
            name = f"{name} ({n})"
        self.presets.save(name, settings)
        self.message.setText(f"Brought back “{name}”.")
        self.refresh(select=name)
        self.changed.emit()

    def _apply(self) -> None:
        name = self.selected()
        if name is not None:
            self.applyRequested.emit(name)
