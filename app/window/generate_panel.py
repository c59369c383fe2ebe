"""The Generate panel: prompt, style presets, backend and model, seed, steps, size, progress.

The panel only gathers settings and shows progress; the window's
:class:`~app.window.generation.GenerationControl` runs the generation when
:attr:`GeneratePanel.generateRequested` fires and feeds reports back through
:meth:`GeneratePanel.show_progress`. Steps, guidance, size and "is perspective" are the
backend's defaults (:attr:`models.registry.BackendInfo.defaults`, which the CLI reads too);
the seed field takes every seed a request takes (:class:`~app.window.seed_box.SeedBox`).
"""

from __future__ import annotations

import random
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from models.base import SEED_MAX, SEED_MIN, GenerationRequest, Progress
from models.model_folder import is_diffusers_folder
from models.registry import BackendInfo, list_backends

from .presets import FlowRows, StylePreset, append_words, load_presets
from .progress_view import ProgressView, format_eta
from .seed_box import SeedBox

__all__ = ["GeneratePanel", "StylePreset", "load_presets", "format_eta", "SIZES"]

#: Sizes offered per backend kind: equirect backends are 2:1, perspective models square.
SIZES = {
    "pano": ["256x128", "512x256", "1024x512", "2048x1024"],
    "perspective": ["256x256", "512x512"],
}
#: Defaults per backend: (steps, guidance, size), from the backend's spec (as the CLI's).
DEFAULTS = {i.name: (i.defaults.steps, i.defaults.guidance,
                     f"{i.defaults.width}x{i.defaults.height}")
            for i in list_backends() if i.defaults is not None}
_PERSPECTIVE = {i.name for i in list_backends() if i.defaults and i.defaults.perspective}
#: "Random" draws seeds up to this (short enough to read and type); the seed field accepts
#: every seed a request accepts (:data:`models.base.SEED_MIN` .. :data:`~models.base.SEED_MAX`).
RANDOM_SEED_MAX = 2**31 - 1


class GeneratePanel(QWidget):
    """Settings for one generation and its live progress.

    Signals
    -------
    generateRequested(str, GenerationRequest)
        The backend name and the request (the seed already chosen).
    cancelRequested()
    modelFolderChosen(str, str)
        A backend name and the local weights folder the user picked.
    """

    generateRequested = Signal(str, object)
    cancelRequested = Signal()
    modelFolderChosen = Signal(str, str)

    def __init__(self, parent: QWidget | None = None, model_folders: dict | None = None,
                 default_backend: str = "procedural", device: str = "auto") -> None:
        super().__init__(parent)
        self.setObjectName("GeneratePanel")
        self._model_folders = dict(model_folders or {})
        self.device = device
        self._backends = [b for b in list_backends() if b.kind == "text"]
        self.presets = load_presets()
        self._running = False
        self._build()
        idx = max(0, self.backend_combo.findData(default_backend))
        self.backend_combo.setCurrentIndex(idx)
        self._on_backend_changed()

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(6)

        lay.addWidget(QLabel("Prompt"))
        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setObjectName("prompt")
        self.prompt_edit.setToolTip("What the scene shows, in words; Ctrl+Enter generates")
        self.prompt_edit.setPlaceholderText("a misty pine forest at dawn, a lake, mountains…")
        self.prompt_edit.setMinimumHeight(56)
        self.prompt_edit.setMaximumHeight(84)
        self.prompt_edit.installEventFilter(self)
        lay.addWidget(self.prompt_edit)

        preset_row = QHBoxLayout()
        preset_row.setSpacing(4)
        self.preset_buttons: dict[str, QToolButton] = {}
        flow = QWidget()
        flow_lay = FlowRows(flow, per_row=3)
        for preset in self.presets:
            btn = QToolButton()
            btn.setText(preset.name)
            btn.setToolTip(f"{preset.description}\nAdds: “{preset.words}”")
            btn.clicked.connect(lambda _=False, p=preset: self.apply_preset(p))
            btn.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            flow_lay.add(btn)
            self.preset_buttons[preset.name] = btn
        preset_row.addWidget(flow)
        styles = QLabel("Styles")
        styles.setObjectName("sectionLabel")
        lay.addWidget(styles)
        lay.addLayout(preset_row)

        lay.addWidget(QLabel("Negative prompt"))
        self.negative_edit = QPlainTextEdit()
        self.negative_edit.setObjectName("negative")
        self.negative_edit.setToolTip("Words the model should steer away from (LDM3D only)")
        self.negative_edit.setPlaceholderText("what to avoid")
        self.negative_edit.setMaximumHeight(40)
        lay.addWidget(self.negative_edit)

        box = QGroupBox("Model and settings")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.backend_combo = QComboBox()
        self.backend_combo.setToolTip("Which generator makes the panorama and its depth")
        for info in self._backends:
            self.backend_combo.addItem(info.label, info.name)
            self.backend_combo.setItemData(self.backend_combo.count() - 1, info.description,
                                           Qt.ItemDataRole.ToolTipRole)
        self.backend_combo.currentIndexChanged.connect(self._on_backend_changed)
        form.addRow("Backend", self.backend_combo)

        model_row = QHBoxLayout()
        self.model_edit = QLineEdit()
        self.model_edit.setToolTip("Folder with the model's weights (empty: the Hugging Face cache)")
        self.model_edit.setPlaceholderText("Hugging Face cache (default)")
        self.model_edit.editingFinished.connect(self._on_model_edited)
        self.model_button = QToolButton()
        self.model_button.setText("…")
        self.model_button.setToolTip("Choose a local folder with the model's weights")
        self.model_button.clicked.connect(self.choose_model_folder)
        model_row.addWidget(self.model_edit, 1)
        model_row.addWidget(self.model_button)
        form.addRow("Weights", model_row)
        self.availability = QLabel()
        self.availability.setWordWrap(True)
        self.availability.setObjectName("hint")
        form.addRow("", self.availability)

        seed_row = QHBoxLayout()
        self.seed_spin = SeedBox(SEED_MIN, SEED_MAX)
        self.seed_spin.setToolTip("Random seed (integer): the same seed and settings give the same scene")
        self.seed_spin.setValue(random.randint(0, 99999))
        self.seed_lock = QToolButton()
        self.seed_lock.setCheckable(True)
        self.seed_lock.setText("Lock")
        self.seed_lock.setToolTip("Keep this seed; unlocked, every Generate draws a new one")
        self.seed_lock.setObjectName("seedLock")  # the theme draws it amber when locked
        self.seed_lock.toggled.connect(
            lambda on: self.seed_lock.setText("🔒 Locked" if on else "Lock"))
        self.seed_random = QToolButton()
        self.seed_random.setText("Random")
        self.seed_random.setToolTip("Draw a new seed now")
        self.seed_random.clicked.connect(self.randomise_seed)
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.seed_lock)
        seed_row.addWidget(self.seed_random)
        form.addRow("Seed", seed_row)

        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 500)
        self.steps_spin.setToolTip("Denoising steps (count): more is slower and often finer")
        form.addRow("Steps", self.steps_spin)
        self.guidance_spin = QDoubleSpinBox()
        self.guidance_spin.setRange(0.0, 30.0)
        self.guidance_spin.setSingleStep(0.5)
        self.guidance_spin.setDecimals(1)
        self.guidance_spin.setToolTip("Guidance scale (unitless): how closely the image follows the prompt")
        form.addRow("Guidance", self.guidance_spin)
        # Esc in a field leaves the field; it is not the window's Esc (Cancel Generation)
        for field in (self.negative_edit, self.model_edit, self.seed_spin, self.steps_spin,
                      self.guidance_spin):
            field.installEventFilter(self)
        self.size_combo = QComboBox()
        self.size_combo.setToolTip("Panorama size, width × height in pixels (2:1 equirect)")
        form.addRow("Size", self.size_combo)
        self.seamless_check = QCheckBox("Seamless 360° seam")
        self.seamless_check.setChecked(True)
        self.seamless_check.setToolTip("Circular padding so the left and right edges join")
        form.addRow("", self.seamless_check)
        lay.addWidget(box)

        buttons = QHBoxLayout()
        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("primary")
        self.generate_button.setToolTip("Generate a scene (Ctrl+Enter)")
        self.generate_button.clicked.connect(self.trigger_generate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running generation (Esc)")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancelRequested.emit)
        buttons.addWidget(self.generate_button, 2)
        buttons.addWidget(self.cancel_button, 1)
        # the footer (buttons, progress, live preview) is pinned under the scrolled settings
        # by the window (MainWindow docks it outside the scroll area), so Generate, Cancel
        # and the preview stay in view at 1280x720 and clicking Cancel scrolls nothing
        self.footer = QWidget()
        self.footer.setObjectName("generateFooter")
        foot = QVBoxLayout(self.footer)
        foot.setContentsMargins(9, 4, 9, 6)
        foot.addLayout(buttons)

        self.progress_view = ProgressView()
        foot.addWidget(self.progress_view)
        self.progress_bar = self.progress_view.progress_bar
        self.status_label = self.progress_view.status_label
        self.preview_label = self.progress_view.preview_label
        lay.addStretch(1)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        """Ctrl+Enter in the prompts generates (instead of inserting a line break); Esc in
        any of the panel's fields leaves the field (focus goes back to the window), so a
        second Esc, not the first, is the window's Cancel Generation: an Esc meant for the
        text never stops a generation of several minutes."""
        from PySide6.QtCore import QEvent

        key_event = event.type() in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride)
        if (key_event and obj in (self.prompt_edit, self.negative_edit)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            if event.type() == QEvent.Type.KeyPress:
                self.trigger_generate()
            event.accept()
            return True
        if key_event and event.key() == Qt.Key.Key_Escape and not event.modifiers():
            if event.type() == QEvent.Type.KeyPress:
                obj.clearFocus()
            event.accept()
            return True
        return super().eventFilter(obj, event)

    # -- settings -------------------------------------------------------------------------
    @property
    def backend_name(self) -> str:
        return str(self.backend_combo.currentData() or "procedural")

    def backend_info(self) -> BackendInfo | None:
        for b in self._backends:
            if b.name == self.backend_name:
                return b
        return None

    def set_backend(self, name: str) -> None:
        idx = self.backend_combo.findData(name)
        if idx >= 0:
            self.backend_combo.setCurrentIndex(idx)

    def set_prompt(self, text: str) -> None:
        self.prompt_edit.setPlainText(text)

    def prompt(self) -> str:
        return self.prompt_edit.toPlainText().strip()

    def apply_preset(self, preset: StylePreset) -> None:
        """Append the preset's words to the prompt (and negatives), where the user sees them."""
        self.prompt_edit.setPlainText(append_words(self.prompt_edit.toPlainText(), preset.words))
        if preset.negative:
            self.negative_edit.setPlainText(
                append_words(self.negative_edit.toPlainText(), preset.negative))

    def randomise_seed(self) -> None:
        self.seed_spin.setValue(random.randint(SEED_MIN, RANDOM_SEED_MAX))

    def set_model_folders(self, folders: dict[str, str]) -> None:
        self._model_folders = dict(folders)
        self._on_backend_changed()

    def choose_model_folder(self, folder: str | None = None) -> None:
        """Pick the local weights folder for the current backend (a dialog when not given)."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Folder with the model's weights",
                                                      self.model_edit.text() or str(Path.home()))
        if not folder:
            return
        self.model_edit.setText(folder)
        self._on_model_edited()

    def _on_model_edited(self) -> None:
        folder = self.model_edit.text().strip()
        name = self.backend_name
        if self._model_folders.get(name, "") != folder:
            self._model_folders[name] = folder
            self.modelFolderChosen.emit(name, folder)
        self._update_availability()

    def _on_backend_changed(self, *_args) -> None:
        name = self.backend_name
        info = self.backend_info()
        needs = bool(info and info.needs_weights)
        self.model_edit.setEnabled(needs)
        self.model_button.setEnabled(needs)
        self.model_edit.setText(self._model_folders.get(name, "") if needs else "")
        self.model_edit.setPlaceholderText("Hugging Face cache (default)" if needs
                                           else "built in: no weights needed")
        steps, guidance, size = DEFAULTS.get(name) or DEFAULTS["procedural"]
        sizes = SIZES["perspective" if name in _PERSPECTIVE else "pano"]
        current = self.size_combo.currentText()
        self.size_combo.blockSignals(True)
        self.size_combo.clear()
        self.size_combo.addItems(sizes)
        self.size_combo.setCurrentText(current if current in sizes else size)
        self.size_combo.blockSignals(False)
        self.steps_spin.setValue(steps)
        self.guidance_spin.setValue(guidance)
        diffusion = name != "procedural"
        self.steps_spin.setEnabled(diffusion)
        self.guidance_spin.setEnabled(diffusion)
        self.seamless_check.setEnabled(name not in _PERSPECTIVE)
        self._update_availability()

    def _update_availability(self) -> None:
        name = self.backend_name
        info = self.backend_info()
        if info is None or not info.needs_weights:
            self.availability.setText("Runs anywhere, exact depth.")
            return
        folder = self.model_edit.text().strip()
        if folder:
            ok = is_diffusers_folder(folder)
            self.availability.setText("Local weights found." if ok else
                                      "No model_index.json in that folder (a diffusers layout).")
            return
        try:
            from models.ldm3d import local_weights_available  # no torch import

            ok, why = local_weights_available(name)
        except Exception as exc:  # models.ldm3d not importable: say so, keep the panel usable
            ok, why = False, f"LDM3D support unavailable ({exc.__class__.__name__})"
        self.availability.setText("Weights found in the Hugging Face cache." if ok else why)

    def size(self) -> tuple[int, int]:
        w, _, h = self.size_combo.currentText().partition("x")
        return int(w), int(h)

    def set_size(self, width: int, height: int) -> None:
        text = f"{width}x{height}"
        if self.size_combo.findText(text) < 0:
            self.size_combo.addItem(text)
        self.size_combo.setCurrentText(text)

    def build_request(self) -> GenerationRequest:
        """The request for the current settings (draws a new seed first unless locked)."""
        if not self.seed_lock.isChecked():
            self.randomise_seed()
        w, h = self.size()
        folder = self.model_edit.text().strip() if self.model_edit.isEnabled() else ""
        return GenerationRequest(
            prompt=self.prompt(),
            negative_prompt=self.negative_edit.toPlainText().strip(),
            seed=int(self.seed_spin.value()),
            steps=int(self.steps_spin.value()),
            guidance=float(self.guidance_spin.value()),
            width=w, height=h,
            device=self.device,
            seamless=self.seamless_check.isChecked(),
            model=folder or None,
            preview_every=1,
        )

    def apply_metadata(self, meta) -> None:
        """"Use these settings": copy a result's generation settings back into the panel."""
        if meta.backend and self.backend_combo.findData(meta.backend) >= 0:
            self.set_backend(meta.backend)
        self.prompt_edit.setPlainText(meta.user_prompt or meta.prompt)
        self.negative_edit.setPlainText(meta.negative_prompt)
        self.seed_spin.setValue(int(meta.seed))  # every seed a request takes fits
        self.seed_lock.setChecked(True)
        if meta.steps:
            self.steps_spin.setValue(int(meta.steps))
        if meta.guidance:
            self.guidance_spin.setValue(float(meta.guidance))
        if meta.width and meta.height:
            self.set_size(int(meta.width), int(meta.height))
        self.seamless_check.setChecked(bool(meta.seamless))
        model = meta.model_id or ""
        if model and Path(model).is_dir():
            self.model_edit.setText(model)

    # -- running --------------------------------------------------------------------------
    def trigger_generate(self) -> None:
        if self._running:
            return
        self.generateRequested.emit(self.backend_name, self.build_request())

    @property
    def running(self) -> bool:
        return self._running

    def set_running(self, running: bool, message: str = "") -> None:
        self._running = running
        self.generate_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.backend_combo.setEnabled(not running)
        self.progress_view.set_running(running, message)

    def show_progress(self, p: Progress) -> None:
        """Show one report (:meth:`ProgressView.show_progress`)."""
        self.progress_view.show_progress(p)
