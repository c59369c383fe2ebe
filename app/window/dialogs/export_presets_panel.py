"""The Export dialog's engine-preset box: pick a preset, read what it does and why, see its size.

The texts, the triangle counts and the size estimates come from :mod:`scene.export_presets`
(the same ones ``panoforge export --preset NAME --dry-run`` prints). The estimate is worked
out when a preset is picked (the dome's mesh is built once and kept for the other presets).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from scene.errors import PanoforgeError

__all__ = ["PresetPanel"]

_KTX2_TIP = ("Textures as KTX2 (KHR_texture_basisu), smaller on the GPU, for Unity, the web and "
             "Quest; encoded by Node.js with the ktx2-encoder package. The Khronos validator "
             "warns on them because it predates the extension")

_NONE_TEXT = ("No preset: the outputs ticked above, uncompressed. Pick an engine to write "
              "the one file it imports best.")


class PresetPanel(QGroupBox):
    """A combo of presets with the chosen one's paragraph and its estimated size.

    Parameters
    ----------
    scene : scene.composition.Scene or None
        What would be exported (no estimate without it).
    settings : scene.mesh_settings.MeshSettings
        The mesh settings the presets without a budget use.
    preset : str or None
        Preselected preset name.
    ktx2 : bool
        Preselect KTX2 textures (for presets whose engine reads them).
    """

    def __init__(self, scene, settings, preset: str | None = None,
                 parent: QWidget | None = None, ktx2: bool = False) -> None:
        super().__init__("Engine preset", parent)
        from scene.export_presets import PRESETS

        self._scene, self._settings, self._meshes = scene, settings, None
        lay = QVBoxLayout(self)
        self.combo = QComboBox()
        self.combo.setToolTip("Also write a file tuned for one engine or headset (size shown below)")
        self.combo.addItem("None (plain files)", None)
        for p in PRESETS.values():
            self.combo.addItem(p.title, p.name)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.size_label = QLabel()
        self.size_label.setWordWrap(True)
        self.ktx2_box = QCheckBox("KTX2 textures (Basis Universal)")
        self.ktx2_box.setChecked(ktx2)
        self.ktx2_box.setToolTip(_KTX2_TIP)
        lay.addWidget(self.combo)
        lay.addWidget(self.about)
        lay.addWidget(self.ktx2_box)
        lay.addWidget(self.size_label)
        self.combo.currentIndexChanged.connect(self._changed)
        self.ktx2_box.toggled.connect(lambda _on: self._changed())
        index = self.combo.findData(preset) if preset else 0
        self.combo.setCurrentIndex(max(index, 0))
        self._changed()

    def preset(self) -> str | None:
        """The chosen preset's name, or None."""
        return self.combo.currentData()

    def ktx2(self) -> bool:
        """KTX2 textures for the chosen preset (only where its engine reads them)."""
        return self.ktx2_box.isEnabled() and self.ktx2_box.isChecked()

    def set_settings(self, settings) -> None:
        """New mesh settings (the estimate is worked out again)."""
        if settings != self._settings:
            self._settings, self._meshes = settings, None
            self._changed()

    def _changed(self) -> None:
        from scene.export_presets import get_preset

        name = self.preset()
        if name is None:
            self.about.setText(_NONE_TEXT)
            self.size_label.setText("")
            self.ktx2_box.setEnabled(False)
            return
        preset = get_preset(name)
        self.ktx2_box.setEnabled(preset.reads_ktx2 and self._ktx2_here())
        self.about.setText(preset.about)
        self.size_label.setText(self._estimate_line(preset))

    def _ktx2_here(self) -> bool:
        """Whether this computer can encode KTX2 (Node.js and the encoder are installed);
        when not, the box says why."""
        from scene.texture_ktx2 import require_ktx2

        try:
            require_ktx2()
        except PanoforgeError as exc:
            self.ktx2_box.setToolTip(f"{_KTX2_TIP}. Not available here: {exc.message}")
            return False
        self.ktx2_box.setToolTip(_KTX2_TIP)
        return True

    def _estimate_line(self, preset) -> str:
        if self._scene is None:
            return "Size: known once a result is open."
        from scene.export_presets import estimate
        from scene.scene_mesh import build_scene_meshes

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            if preset.triangle_budget is None and self._meshes is None:
                self._meshes = build_scene_meshes(self._scene, self._settings)
            est = estimate(self._scene, preset, self._settings, self._meshes,
                           ktx2=True if self.ktx2() else None)
        except PanoforgeError as exc:
            return f"Size: cannot be estimated ({exc.message})"
        finally:
            QApplication.restoreOverrideCursor()
        return (f"Estimated: {est.triangles:,} triangles, about "
                f"{est.total_bytes / 1e6:.1f} MB (before writing)")
