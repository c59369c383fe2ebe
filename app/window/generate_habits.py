"""Wire the Generate panel's habits into the window: prompt history, user presets, variations.

:func:`install_generate_habits` puts a row under the prompt with **History ▾**
(:mod:`app.window.prompt_history`) and **My Presets ▾** (:mod:`app.window.user_presets`),
records each generation the window starts, and adds Generate ▸ Variations of Active
Result… (the variations grid, :mod:`app.window.variations`). The window gets
``w.generate_habits`` (a :class:`GenerateHabits`).
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QMessageBox

from scene.errors import PanoforgeError

from .panel_settings import PanelSettings, capture, restore
from .prompt_history import HistoryButton, PromptHistory
from .user_presets import PresetsButton, PresetsDialog, UserPresets

__all__ = ["GenerateHabits", "install_generate_habits"]


class GenerateHabits:
    """The window's prompt history and user presets.

    Parameters
    ----------
    window : app.window.main_window.MainWindow
        Gives ``settings``, ``generate_panel``, ``generation``, ``prompter``, the status bar.
    """

    def __init__(self, window) -> None:
        self.window = window
        self.panel = window.generate_panel
        self.history = PromptHistory(window.settings)
        self.presets = UserPresets(window.settings)
        self.history_button = HistoryButton(self.history)
        self.history_button.chosen.connect(self.restore_entry)
        self.presets_button = PresetsButton(self.presets)
        self.presets_button.applyRequested.connect(self.apply_preset)
        self.presets_button.saveRequested.connect(lambda: self.save_preset())
        self.presets_button.manageRequested.connect(self.manage_presets)
        self.dialog: PresetsDialog | None = None

    def _say(self, text: str, ms: int = 5000) -> None:
        self.window.statusBar().showMessage(text, ms)

    # -- history --------------------------------------------------------------------------
    def record(self, backend: str, request) -> None:
        """A Generate was asked for: keep its settings if the generation really started."""
        gen = self.window.generation
        if not gen.generating or gen.worker is None or gen.worker.request is not request:
            return  # refused (an empty prompt…): nothing ran, nothing to come back to
        entry = capture(self.panel)
        self.history.add(PanelSettings(**{**entry.to_dict(), "backend": backend,
                                          "seed": int(request.seed)}))

    def restore_entry(self, entry: PanelSettings) -> None:
        """Put a history entry back into every field, the seed locked (to make it again)."""
        problems = restore(self.panel, PanelSettings(**{**entry.to_dict(),
                                                        "seed_locked": True}))
        self.window.generate_dock.raise_()
        self._say("Settings from the history put into Generate (seed locked)"
                  + (f"; {'; '.join(problems)}" if problems else "") + ".")

    # -- presets --------------------------------------------------------------------------
    def apply_preset(self, name: str) -> bool:
        """Set every field from the preset ``name`` (its seed and lock as saved)."""
        preset = self.presets.get(name)
        if preset is None:
            self._say(f"There is no preset called “{name}” any more.")
            return False
        problems = restore(self.panel, preset)
        self._say(f"Preset “{name}” applied" + (f"; {'; '.join(problems)}" if problems
                                                 else "") + ".")
        return True

    def save_preset(self, name: str | None = None, replace: bool = False) -> str | None:
        """Save the panel's fields as preset ``name`` (asked for when not given).

        Asked interactively, an existing name is replaced only after a question. Given a
        name, a taken one is refused unless ``replace``. The saved name, or ``None``.
        """
        w = self.window
        if name is None:
            name, ok = QInputDialog.getText(w, "Save preset", "Preset name:")
            if not ok:
                return None
            try:
                checked = UserPresets.check_name(name)
            except PanoforgeError as exc:
                w.prompter.show_error(w, "Save preset", exc)
                return None
            if self.presets.get(checked) is not None:
                answer = QMessageBox.question(w, "Save preset",
                                              f"Replace the preset “{checked}”?")
                if answer != QMessageBox.StandardButton.Yes:
                    return None
                replace = True
        try:
            saved = self.presets.save(name, capture(self.panel), replace=replace)
        except PanoforgeError as exc:
            w.prompter.show_error(w, "Save preset", exc)
            return None
        self.presets_button.rebuild()
        if self.dialog is not None:
            self.dialog.refresh(select=saved)
        self._say(f"Preset “{saved}” saved (My Presets ▾ applies it in any project).")
        return saved

    def manage_presets(self) -> PresetsDialog:
        """The non-modal rename/delete window (one, raised when already open)."""
        if self.dialog is None:
            self.dialog = PresetsDialog(self.presets, self.window)
            self.dialog.applyRequested.connect(self.apply_preset)
            self.dialog.changed.connect(self.presets_button.rebuild)
        self.dialog.refresh()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog


def _menu(w, title: str):
    for act in w.menuBar().actions():
        if act.menu() is not None and act.text().replace("&", "") == title:
            return act.menu()
    return None


def install_generate_habits(w) -> GenerateHabits:
    """Give window ``w`` its history, presets and variations action (after its menus)."""
    habits = GenerateHabits(w)
    w.generate_habits = habits
    panel = w.generate_panel
    row = QHBoxLayout()
    row.setSpacing(4)
    row.addWidget(habits.history_button, 1)
    row.addWidget(habits.presets_button, 1)
    lay = panel.layout()
    lay.insertLayout(lay.indexOf(panel.prompt_edit) + 1, row)
    # connected after GenerationControl.start: by then the generation has started or not
    panel.generateRequested.connect(habits.record)

    def variations() -> None:
        res = w.doc.active
        if res is None or res.kind != "generated":
            w.statusBar().showMessage("Select a generated result in the gallery first: "
                                      "variations repeat its prompt with the next seeds.", 6000)
            return
        from .variations import gallery_actions

        gallery_actions(w, res.id)[0][1]()

    w.act_variations = QAction("&Variations of Active Result…", w)
    w.act_variations.setStatusTip("The active result's prompt with the next N seeds, side by "
                                  "side; keep the one you like")
    w.act_variations.setToolTip(w.act_variations.statusTip())
    w.act_variations.triggered.connect(variations)
    w.addAction(w.act_variations)
    menu = _menu(w, "Generate")
    if menu is not None:
        menu.addSeparator()
        menu.addAction(w.act_variations)

    original_shutdown = w.shutdown

    def shutdown() -> None:
        """Stop running variations (their thread writes into the project) before the rest."""
        from shiboken6 import isValid

        dialog = getattr(w, "variations_dialog", None)
        if not w.closed and dialog is not None and isValid(dialog) and dialog.run is not None:
            dialog.run.cancel()
            dialog.run.wait(30.0)
        original_shutdown()

    w.shutdown = shutdown
    return habits
