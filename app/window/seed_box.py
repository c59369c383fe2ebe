"""A spin box for seeds: whole numbers far beyond the 32 bits of :class:`QSpinBox`.

The window must accept every seed the command line accepts (the range declared once in
:mod:`models.base`, up to 2**63 - 1), and Qt's ``QSpinBox`` holds a C ``int``. This box keeps
a Python ``int`` and draws on :class:`QAbstractSpinBox` for editing, arrows and the wheel.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QWidget

__all__ = ["SeedBox"]


class SeedBox(QAbstractSpinBox):
    """A whole number in ``[minimum, maximum]`` (Python ints: no 32-bit limit).

    Parameters
    ----------
    minimum, maximum : int
        The range, both ends included.
    parent : QWidget, optional

    Signals
    -------
    valueChanged(object)
        The new value (an ``int``; ``object`` because Qt's ``int`` is 32 bits).
    """

    valueChanged = Signal(object)

    def __init__(self, minimum: int = 0, maximum: int = 2**63 - 1,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._min, self._max = int(minimum), int(maximum)
        self._value = self._min
        self.lineEdit().setText(str(self._value))
        self.lineEdit().textEdited.connect(self._on_typed)
        self.editingFinished.connect(self._commit_text)

    # -- the value ------------------------------------------------------------------------
    def value(self) -> int:
        return self._value

    def setValue(self, value: int) -> None:  # noqa: N802 - Qt's name
        """Set the value, clamped into the range."""
        value = min(self._max, max(self._min, int(value)))
        self.lineEdit().setText(str(value))
        if value != self._value:
            self._value = value
            self.valueChanged.emit(value)

    def setRange(self, minimum: int, maximum: int) -> None:  # noqa: N802
        self._min, self._max = int(minimum), int(maximum)
        self.setValue(self._value)

    def minimum(self) -> int:
        return self._min

    def maximum(self) -> int:
        return self._max

    # -- QAbstractSpinBox -----------------------------------------------------------------
    def stepBy(self, steps: int) -> None:  # noqa: N802
        self.setValue(self._value + steps)

    def stepEnabled(self):  # noqa: N802
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self._value > self._min:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        if self._value < self._max:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        return flags

    def validate(self, text: str, pos: int):
        if text == "":
            return QValidator.State.Intermediate, text, pos
        if not text.isdigit():
            return QValidator.State.Invalid, text, pos
        n = int(text)
        if n > self._max:
            return QValidator.State.Invalid, text, pos
        if n < self._min:
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos

    def fixup(self, text: str) -> str:
        return str(self._value)

    def _on_typed(self, text: str) -> None:
        """Follow the typing (as QSpinBox's keyboard tracking) while the text is a valid seed."""
        text = text.strip()
        if text.isdigit() and self._min <= int(text) <= self._max and int(text) != self._value:
            self._value = int(text)
            self.valueChanged.emit(self._value)

    def _commit_text(self) -> None:
        text = self.lineEdit().text().strip()
        self.setValue(int(text) if text.isdigit() else self._value)
