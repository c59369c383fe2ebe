"""The variations grid: N seeds of one prompt side by side, each tile filled as it arrives.

:class:`VariationsGrid` holds one tile per seed (the source result first), laid out in rows
of :data:`COLUMNS`. A tile starts as a placeholder ("seed 8 · waiting") when its job is
queued and shows its panorama's thumbnail, with the seed under it, when the job finishes.
Clicking a tile selects it; double-clicking (or the dialog's Keep button) picks it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QToolButton, QWidget

from .images import to_pixmap

__all__ = ["VariationsGrid", "VariationTile", "COLUMNS", "TILE_SIZE"]

#: Tiles per row.
COLUMNS = 4
#: A thumbnail's size in pixels (2:1, as the panoramas).
TILE_SIZE = QSize(176, 88)
#: The selected tile is framed in the theme's amber (the primary button's, the locked seed's).
_STYLE = """
QToolButton#variationTile { border: 2px solid transparent; border-radius: 5px; padding: 3px; }
QToolButton#variationTile:hover { border-color: #4a4e55; }
QToolButton#variationTile:checked { border-color: #e09a34; background: #3a3324; }
"""


def _small(rgb: np.ndarray) -> np.ndarray:
    """Every n-th pixel, so the pixmap made from it is about twice the tile's width."""
    step = max(1, rgb.shape[1] // (2 * TILE_SIZE.width()))
    return np.ascontiguousarray(rgb[::step, ::step, :3])


class VariationTile(QToolButton):
    """One seed: a checkable button with the thumbnail and ``seed N`` under it.

    Signals
    -------
    doubleClicked()
    """

    doubleClicked = Signal()

    def __init__(self, key: str, seed: int, note: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.seed = int(seed)
        self.note = note
        self.result_id: str | None = None
        self.kept = False
        self.setObjectName("variationTile")
        self.setCheckable(True)
        self.setEnabled(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.setIconSize(TILE_SIZE)
        self.setMinimumSize(TILE_SIZE.width() + 12, TILE_SIZE.height() + 34)
        self.setText(self.caption("waiting…"))
        self.setToolTip(f"Seed {self.seed}: still being generated")

    def caption(self, state: str = "") -> str:
        bits = [f"seed {self.seed}"] + ([self.note] if self.note else []) + (
            [state] if state else []) + (["★ kept"] if self.kept else [])
        return " · ".join(bits)

    def fill(self, result_id: str, rgb: np.ndarray) -> None:
        """Show the result (its id kept) and make the tile choosable."""
        self.result_id = result_id
        self.setIcon(QIcon(to_pixmap(_small(rgb), TILE_SIZE.width(), TILE_SIZE.height())))
        self.setText(self.caption())
        self.setToolTip(f"Seed {self.seed} (result {result_id}): click to select, "
                        "double-click to keep it")
        self.setEnabled(True)

    def mark_kept(self, on: bool = True) -> None:
        """Say under the thumbnail that this one was picked."""
        self.kept = bool(on)
        self.setText(self.caption())

    def failed(self, why: str = "failed") -> None:
        self.setText(self.caption(why))
        self.setToolTip(f"Seed {self.seed}: {why}")

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.isEnabled():
            self.setChecked(True)
            self.doubleClicked.emit()
        super().mouseDoubleClickEvent(event)


class VariationsGrid(QWidget):
    """Tiles in rows of :data:`COLUMNS`, one selected at a time.

    Signals
    -------
    selectionChanged(str)
        The selected tile's result id.
    picked(str)
        A tile was double-clicked: its result id.
    """

    selectionChanged = Signal(str)
    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VariationsGrid")
        self.setStyleSheet(_STYLE)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.tiles: dict[str, VariationTile] = {}

    def add_tile(self, key: str, seed: int, note: str = "") -> VariationTile:
        """A placeholder tile for ``key`` (a job name); :meth:`fill` shows its result."""
        tile = VariationTile(key, seed, note, self)
        n = len(self.tiles)
        self.grid.addWidget(tile, n // COLUMNS, n % COLUMNS)
        self.group.addButton(tile)
        tile.toggled.connect(lambda on, t=tile: on and t.result_id
                             and self.selectionChanged.emit(t.result_id))
        tile.doubleClicked.connect(lambda t=tile: t.result_id and self.picked.emit(t.result_id))
        self.tiles[key] = tile
        return tile

    def fill(self, key: str, result_id: str, rgb: np.ndarray) -> None:
        self.tiles[key].fill(result_id, rgb)

    def remove_unfilled(self) -> list[str]:
        """Take away the tiles still waiting (a run that failed before making them), close
        up the grid, and return their keys."""
        gone = [k for k, t in self.tiles.items() if t.result_id is None]
        for key in gone:
            tile = self.tiles.pop(key)
            self.group.removeButton(tile)
            self.grid.removeWidget(tile)
            tile.deleteLater()
        for n, tile in enumerate(self.tiles.values()):
            self.grid.addWidget(tile, n // COLUMNS, n % COLUMNS)
        return gone

    def filled(self) -> list[VariationTile]:
        """The tiles showing a result, in grid order."""
        return [t for t in self.tiles.values() if t.result_id is not None]

    def select(self, result_id: str) -> bool:
        for tile in self.filled():
            if tile.result_id == result_id:
                tile.setChecked(True)
                return True
        return False

    def mark_kept(self, result_id: str) -> None:
        """``result_id``'s tile says "★ kept", the others not."""
        for tile in self.tiles.values():
            if tile.kept != (tile.result_id == result_id):
                tile.mark_kept(tile.result_id == result_id)

    def selected_id(self) -> str | None:
        tile = self.group.checkedButton()
        return getattr(tile, "result_id", None)
