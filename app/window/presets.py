"""Style presets: words a click appends to the prompt (``resources/presets/*.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QWidget

__all__ = ["StylePreset", "load_presets", "append_words", "FlowRows"]


@dataclass(frozen=True)
class StylePreset:
    """A style preset from ``resources/presets/*.json``.

    Parameters
    ----------
    name : str
    words : str
        Appended to the prompt (visibly) when the preset is applied.
    negative : str
        Appended to the negative prompt.
    description : str
    """

    name: str
    words: str
    negative: str = ""
    description: str = ""


def load_presets(folder: Path | None = None) -> list[StylePreset]:
    """The shipped presets, sorted by name; unreadable files are skipped."""
    if folder is None:
        from resources import RESOURCES_DIR

        folder = RESOURCES_DIR / "presets"
    out = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text("utf-8"))
            out.append(StylePreset(str(data["name"]), str(data["words"]),
                                   str(data.get("negative", "")), str(data.get("description", ""))))
        except (OSError, ValueError, KeyError):
            continue
    return sorted(out, key=lambda p: p.name)


def append_words(text: str, words: str) -> str:
    text = text.rstrip()
    if not words or words in text:
        return text
    return f"{text}, {words}" if text else words


class FlowRows:
    """Lay widgets out in rows of ``per_row`` (presets as a small grid of chips)."""

    def __init__(self, parent: QWidget, per_row: int) -> None:
        from PySide6.QtWidgets import QGridLayout

        self.grid = QGridLayout(parent)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(4)
        self.per_row = per_row
        self.n = 0

    def add(self, widget: QWidget) -> None:
        self.grid.addWidget(widget, self.n // self.per_row, self.n % self.per_row)
        self.n += 1
