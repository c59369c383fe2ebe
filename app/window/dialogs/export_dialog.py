"""The Export dialog and :class:`ExportChoices`, what it answers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from scene.mesh_settings import MeshSettings

__all__ = ["ExportDialog", "ExportChoices"]


@dataclass
class ExportChoices:
    """What the user picked in the Export dialog (which files, where, which preset).

    Not :class:`scene.exporters.ExportOptions` (what one exporter needs): the window turns
    these choices into an export plan (:func:`app.window.exporting.export_plan`).

    Parameters
    ----------
    folder : Path
        Where the files go.
    stem : str
        File name stem (``forest`` → ``forest.glb``, ``forest.ply``, ``forest_px.png``...).
    glb, ply, images, cubemap, stereo360 : bool
        Which outputs (``stereo360``: a top/bottom stereo equirect PNG of the composition).
    mesh : MeshSettings
        Mesh options for GLB/PLY.
    texture : {"jpeg", "png"}
    jpeg_quality : int
    ply_points : bool
        A point cloud rather than a mesh.
    cube_face : int or None
        Cubemap face size in pixels (``None``: a quarter of the panorama's width).
    preset : str or None
        An engine preset (:mod:`scene.export_presets`): also writes ``<stem>.<preset>.glb``
        (or ``.usdz``).
    ktx2 : bool
        The preset's textures as KTX2 (``panoforge export --ktx2``; unity, web, quest).
    scene : scene.composition.Scene or None
        What is exported, for the preset's size estimate (not an answer of the dialog).
    """

    folder: Path = field(default_factory=Path.home)
    stem: str = "scene"
    glb: bool = True
    ply: bool = False
    images: bool = False
    cubemap: bool = False
    stereo360: bool = False
    mesh: MeshSettings = field(default_factory=MeshSettings)
    texture: str = "jpeg"
    jpeg_quality: int = 92
    ply_points: bool = False
    cube_face: int | None = None
    preset: str | None = None
    ktx2: bool = False
    scene: object = None


class ExportDialog(QDialog):
    """Choose outputs and mesh options for the active result."""

    def __init__(self, defaults: ExportChoices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self._defaults = defaults
        lay = QVBoxLayout(self)
        form = QFormLayout()
        row = QHBoxLayout()
        self.folder_edit = QLineEdit(str(defaults.folder))
        pick = QToolButton()
        pick.setText("…")
        pick.setToolTip("Choose the folder the files go to")
        pick.clicked.connect(self._pick)
        row.addWidget(self.folder_edit, 1)
        row.addWidget(pick)
        self.folder_edit.setToolTip("Folder the exported files go to")
        form.addRow("Folder", row)
        self.stem_edit = QLineEdit(defaults.stem)
        self.stem_edit.setToolTip("File name before the extension (NAME.glb, NAME.ply, NAME_px.png…)")
        form.addRow("Name", self.stem_edit)
        lay.addLayout(form)

        what = QGroupBox("Outputs")
        wl = QVBoxLayout(what)
        self.glb_check = QCheckBox("GLB mesh (unlit, metres, Y up — Unity, Unreal, Godot, Blender)")
        self.ply_check = QCheckBox("PLY (binary, vertex colours)")
        self.points_check = QCheckBox("as a point cloud")
        self.images_check = QCheckBox("Flat images (equirect PNG, 16-bit depth PNG + JSON, EXR)")
        self.cube_check = QCheckBox("Cubemap faces (px nx py ny pz nz)")
        self.stereo_check = QCheckBox("Stereo 360 (top/bottom equirect PNG for VR players)")
        for w, v in ((self.glb_check, defaults.glb), (self.ply_check, defaults.ply),
                     (self.points_check, defaults.ply_points),
                     (self.images_check, defaults.images), (self.cube_check, defaults.cubemap),
                     (self.stereo_check, defaults.stereo360)):
            w.setChecked(v)
            w.setToolTip(f"Write {w.text()}")
        ply_row = QHBoxLayout()
        ply_row.addWidget(self.ply_check)
        ply_row.addWidget(self.points_check)
        ply_row.addStretch(1)
        wl.addWidget(self.glb_check)
        wl.addLayout(ply_row)
        wl.addWidget(self.images_check)
        wl.addWidget(self.cube_check)
        wl.addWidget(self.stereo_check)
        lay.addWidget(what)

        opts = QGroupBox("Options")
        of = QFormLayout(opts)
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Full grid", "full")
        self.mode_combo.addItem("Adaptive", "adaptive")
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(defaults.mesh.mode))
        self.mode_combo.setToolTip("Mesh resolution: one vertex per pixel, or adaptive within Max error")
        of.addRow("Mesh", self.mode_combo)
        self.error_spin = QDoubleSpinBox()
        self.error_spin.setRange(0.05, 10.0)
        self.error_spin.setSuffix(" %")
        self.error_spin.setValue(defaults.mesh.max_error * 100)
        self.error_spin.setToolTip("Largest relative radial error of the adaptive mesh, in percent")
        of.addRow("Max error", self.error_spin)
        self.cut_spin = QDoubleSpinBox()
        self.cut_spin.setRange(0.0, 10.0)
        self.cut_spin.setSingleStep(0.05)
        self.cut_spin.setSpecialValueText("off")
        cut = defaults.mesh.cut_threshold
        self.cut_spin.setValue(cut if math.isfinite(cut) else 0.0)
        self.cut_spin.setToolTip("Relative depth jump (0.25 = 25 %) above which a triangle is cut; off keeps all")
        of.addRow("Cut jumps above", self.cut_spin)
        self.texture_combo = QComboBox()
        self.texture_combo.addItems(["jpeg", "png"])
        self.texture_combo.setCurrentText(defaults.texture)
        self.texture_combo.setToolTip("Image format of the texture inside the GLB")
        of.addRow("GLB texture", self.texture_combo)
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(50, 100)
        self.quality_spin.setValue(defaults.jpeg_quality)
        self.quality_spin.setToolTip("JPEG quality of the GLB texture (50–100)")
        of.addRow("JPEG quality", self.quality_spin)
        self.face_spin = QSpinBox()
        self.face_spin.setRange(0, 8192)
        self.face_spin.setSpecialValueText("automatic")
        self.face_spin.setValue(defaults.cube_face or 0)
        self.face_spin.setToolTip("Side of each cube face in pixels (automatic: a quarter of the panorama width)")
        of.addRow("Cube face size", self.face_spin)
        lay.addWidget(opts)
        from .export_presets_panel import PresetPanel

        self.preset_panel = PresetPanel(defaults.scene, defaults.mesh, defaults.preset,
                                        ktx2=defaults.ktx2)
        lay.addWidget(self.preset_panel)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def _pick(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def options(self) -> ExportChoices:
        cut = self.cut_spin.value()
        return ExportChoices(
            folder=Path(self.folder_edit.text()).expanduser(),
            stem=self.stem_edit.text().strip() or "scene",
            glb=self.glb_check.isChecked(), ply=self.ply_check.isChecked(),
            images=self.images_check.isChecked(), cubemap=self.cube_check.isChecked(),
            stereo360=self.stereo_check.isChecked(),
            mesh=MeshSettings(mode=str(self.mode_combo.currentData()),
                              max_error=self.error_spin.value() / 100.0,
                              cut_threshold=cut),  # 0 ("off") is MeshSettings' no-cut
            texture=self.texture_combo.currentText(), jpeg_quality=self.quality_spin.value(),
            ply_points=self.points_check.isChecked(),
            cube_face=self.face_spin.value() or None,
            preset=self.preset_panel.preset(), ktx2=self.preset_panel.ktx2(),
            scene=self._defaults.scene,
        )
