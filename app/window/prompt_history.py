"""Prompt history: the recent generations' settings, one click puts them all back.

Each generation the window starts is recorded with every field of the Generate panel
(:class:`~app.window.panel_settings.PanelSettings`), newest first, in the user's settings
(:data:`~app.window.preferences_store.KEY_PROMPT_HISTORY`), so it survives restarts and
follows the user, not the project. Entries that differ only in the seed are one entry (the
newest seed kept, moved to the top): drawing seeds for one prompt fills no list, and each
result's own seed stays in the gallery ("Use these settings"). At most :data:`MAX_HISTORY`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from .panel_settings import PanelSettings
from .preferences_store import KEY_PROMPT_HISTORY, WindowSettings

__all__ = ["MAX_HISTORY", "PromptHistory", "HistoryButton", "MenuButton", "entry_label"]

#: How many entries the history keeps (the menu shows them all).
MAX_HISTORY = 30


class PromptHistory:
    """The stored list of recent :class:`PanelSettings`, newest first.

    Parameters
    ----------
    settings : WindowSettings
    limit : int
        The most entries kept.
    """

    def __init__(self, settings: WindowSettings, limit: int = MAX_HISTORY) -> None:
        self.settings = settings
        self.limit = int(limit)

    def entries(self) -> list[PanelSettings]:
        """Newest first; unreadable stored entries are left out."""
        raw = self.settings.json_value(KEY_PROMPT_HISTORY, [])
        out = [PanelSettings.from_dict(d) for d in raw] if isinstance(raw, list) else []
        return [s for s in out if s is not None][: self.limit]

    def add(self, entry: PanelSettings) -> list[PanelSettings]:
        """Put ``entry`` first; an entry that differs only in the seed is replaced."""
        items = [entry] + [e for e in self.entries() if e.key() != entry.key()]
        items = items[: self.limit]
        self.settings.set_json_value(KEY_PROMPT_HISTORY, [e.to_dict() for e in items])
        return items

    def clear(self) -> None:
        self.settings.set_json_value(KEY_PROMPT_HISTORY, [])


def entry_label(entry: PanelSettings, width: int = 48) -> str:
    """The menu text: the prompt (shortened to ``width`` characters) and the settings."""
    prompt = " ".join(entry.prompt.split()) or "(no prompt)"
    if len(prompt) > width:
        prompt = prompt[: width - 1].rstrip() + "…"
    return f"{prompt}   —   {entry.summary()}".replace("&", "&&")


class MenuButton(QToolButton):
    """A tool button whose menu opens at once and is rebuilt each time it opens.

    The Generate panel's "History ▾" and "My Presets ▾" both list what is stored in the user
    settings now, which another window may have changed; subclasses fill :attr:`menu_` in
    :meth:`rebuild`.
    """

    def __init__(self, object_name: str, text: str, tip: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setText(text)
        self.setToolTip(tip)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_ = QMenu(self)
        self.menu_.setToolTipsVisible(True)
        self.menu_.aboutToShow.connect(self.rebuild)
        self.setMenu(self.menu_)

    def rebuild(self) -> None:  # pragma: no cover - every subclass has its own
        raise NotImplementedError


class HistoryButton(MenuButton):
    """"History ▾": a menu of the recent entries; choosing one emits :attr:`chosen`.

    Signals
    -------
    chosen(PanelSettings)
    """

    chosen = Signal(object)

    def __init__(self, history: PromptHistory, parent: QWidget | None = None) -> None:
        super().__init__("promptHistory", "History",
                         "Recent prompts with all their settings (backend, size, steps, "
                         "guidance, seed); choose one to put every field back", parent)
        self.history = history
        self._cleared: list[PanelSettings] = []  # until the window closes: "Restore…"
        self.rebuild()

    def rebuild(self) -> None:
        """Fill the menu from the stored history (also each time it opens)."""
        self.menu_.clear()
        entries = self.history.entries()
        for entry in entries:
            act = self.menu_.addAction(entry_label(entry))
            act.setToolTip(entry.describe())
            act.setStatusTip("Put these settings into the Generate panel")
            act.triggered.connect(lambda _=False, e=entry: self.chosen.emit(e))
        if not entries:
            empty = self.menu_.addAction("No prompts yet: each Generate adds one")
            empty.setEnabled(False)
        self.menu_.addSeparator()
        clear = self.menu_.addAction("Clear History")
        clear.setStatusTip("Forget the recent prompts (the gallery's results stay)")
        clear.setToolTip(clear.statusTip())
        clear.setEnabled(bool(entries))
        clear.triggered.connect(self._clear)
        if self._cleared and not entries:
            back = self.menu_.addAction("Restore Cleared History")
            back.setStatusTip("Bring back the prompts just cleared")
            back.setToolTip(back.statusTip())
            back.triggered.connect(self._restore)

    def _clear(self) -> None:
        self._cleared = self.history.entries()
        self.history.clear()
        self.rebuild()

    def _restore(self) -> None:
        for entry in reversed(self._cleared):
            self.history.add(entry)
        self._cleared = []
        self.rebuild()
