"""The window's dialogs, and :class:`Prompter`, the one place that asks the user anything.

Every question the window asks (recover a crashed session? save changes? which file?) goes
through a :class:`Prompter`. Tests give the window a prompter that answers at once, so no
modal dialog ever blocks a test.
"""

from __future__ import annotations

import math
import platform
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
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
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from scene.imageio import DEPTH_EXTENSIONS, RGB_EXTENSIONS
from scene.settings import MeshSettings

__all__ = [
    "Prompter", "PreferencesDialog", "AboutDialog", "ShortcutsDialog", "ExportDialog",
    "ExportOptions", "ImportDialog", "ImportOptions", "RecoveryDialog", "PROJECT_FILTER",
    "IMAGE_FILTER", "environment_report",
]

PROJECT_FILTER = "Panoforge projects (*.panoforge)"
#: What the importer reads (scene.imageio), so the picker never offers a file it would refuse.
IMAGE_FILTER = ("Images (" + " ".join(f"*{e}" for e in dict.fromkeys(RGB_EXTENSIONS + DEPTH_EXTENSIONS))
                + ");;All files (*)")


class Prompter:
    """Asks the user; replace it (``MainWindow(prompter=...)``) to answer automatically."""

    def offer_recovery(self, parent: QWidget, orphans: list) -> tuple[list, list]:
        """Which orphaned sessions to recover and which to discard (the rest are kept)."""
        dlg = RecoveryDialog(orphans, parent)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return [], []
        return dlg.chosen(), dlg.discarded()

    def ask_unsaved(self, parent: QWidget, title: str) -> str:
        """``"save"``, ``"discard"`` or ``"cancel"``."""
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"Save the changes to “{title}”?")
        box.setInformativeText("Your results are kept in a recovery copy until you decide.")
        box.setStandardButtons(QMessageBox.StandardButton.Save
                               | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(
                    QMessageBox.StandardButton(answer), "cancel")

    def show_error(self, parent: QWidget, title: str, exc: BaseException) -> None:
        message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
        hint = getattr(exc, "hint", "")
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(title)
        box.setText(message)
        if hint:
            box.setInformativeText(f"Hint: {hint}")
        box.exec()

    def show_info(self, parent: QWidget, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def open_path(self, parent: QWidget, caption: str, folder: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(parent, caption, folder, filters)
        return path

    def save_path(self, parent: QWidget, caption: str, start: str, filters: str) -> str:
        path, _ = QFileDialog.getSaveFileName(parent, caption, start, filters)
        return path

    def export_options(self, parent: QWidget, defaults: ExportOptions) -> ExportOptions | None:
        dlg = ExportDialog(defaults, parent)
        return dlg.options() if dlg.exec() == QDialog.DialogCode.Accepted else None

    def import_options(self, parent: QWidget, folder: str) -> ImportOptions | None:
        dlg = ImportDialog(folder, parent)
        return dlg.options() if dlg.exec() == QDialog.DialogCode.Accepted else None


class RecoveryDialog(QDialog):
    """Lists orphaned sessions; the checked ones are recovered."""

    def __init__(self, orphans: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recover unsaved work")
        self._orphans = list(orphans)
        self._discard = False
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Panoforge did not close cleanly last time. These results were kept:"))
        self.list = QListWidget()
        for o in self._orphans:
            item = QListWidgetItem(o.title)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setToolTip(str(o.recovery_file))
            self.list.addItem(item)
        lay.addWidget(self.list)
        buttons = QDialogButtonBox()
        recover = buttons.addButton("Recover", QDialogButtonBox.ButtonRole.AcceptRole)
        recover.setDefault(True)
        discard = buttons.addButton("Discard", QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton("Later", QDialogButtonBox.ButtonRole.RejectRole)
        recover.clicked.connect(self.accept)
        discard.clicked.connect(self._on_discard)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def _on_discard(self) -> None:
        if QMessageBox.question(self, "Discard", "Delete the checked recovery copies for good?") \
                == QMessageBox.StandardButton.Yes:
            self._discard = True
            self.accept()

    def _checked(self) -> list:
        return [o for i, o in enumerate(self._orphans)
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def chosen(self) -> list:
        return [] if self._discard else self._checked()

    def discarded(self) -> list:
        return self._checked() if self._discard else []


# -- preferences -------------------------------------------------------------------------
class PreferencesDialog(QDialog):
    """Default backend, local model folders, device."""

    def __init__(self, settings, parent: QWidget | None = None) -> None:
        from models.registry import list_backends

        from .settings import DEVICES

        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.backend_combo = QComboBox()
        for info in list_backends():
            if info.kind == "text":
                self.backend_combo.addItem(info.label, info.name)
        idx = self.backend_combo.findData(settings.default_backend() or "procedural")
        self.backend_combo.setCurrentIndex(max(0, idx))
        form.addRow("Default backend", self.backend_combo)
        self.device_combo = QComboBox()
        self.device_combo.addItems(list(DEVICES))
        self.device_combo.setCurrentText(settings.device())
        form.addRow("Device", self.device_combo)
        lay.addLayout(form)
        box = QGroupBox("Local model folders (diffusers layout)")
        grid = QFormLayout(box)
        self.folder_edits: dict[str, QLineEdit] = {}
        folders = settings.model_folders()
        for info in list_backends():
            if not info.needs_weights:
                continue
            row = QHBoxLayout()
            edit = QLineEdit(folders.get(info.name, ""))
            edit.setPlaceholderText("Hugging Face cache")
            pick = QToolButton()
            pick.setText("…")
            pick.clicked.connect(lambda _=False, e=edit: self._pick(e))
            row.addWidget(edit, 1)
            row.addWidget(pick)
            grid.addRow(info.name, row)
            self.folder_edits[info.name] = edit
        lay.addWidget(box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def _pick(self, edit: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder", edit.text())
        if folder:
            edit.setText(folder)

    def apply(self) -> None:
        """Write the choices to the settings."""
        self.settings.set_default_backend(str(self.backend_combo.currentData()))
        self.settings.set_device(self.device_combo.currentText())
        for name, edit in self.folder_edits.items():
            self.settings.set_model_folder(name, edit.text().strip())


# -- about -------------------------------------------------------------------------------
def _dist_version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:
        return "not installed"


def environment_report(probe_gpu: bool = True) -> list[tuple[str, str]]:
    """(name, value) rows: Panoforge and library versions, and the GPU torch finds.

    ``probe_gpu`` imports torch (seconds); the About dialog calls this on a thread.
    """
    from scene.metadata import software_version

    rows = [("Panoforge", software_version()), ("Python", platform.python_version())]
    for dist in ("torch", "diffusers", "transformers", "PySide6-Essentials", "vispy",
                 "pyqtgraph", "numpy"):
        rows.append((dist.replace("-Essentials", ""), _dist_version(dist)))
    if probe_gpu:
        try:
            import torch

            if torch.cuda.is_available():
                gpu = ", ".join(torch.cuda.get_device_name(i)
                                for i in range(torch.cuda.device_count()))
            else:
                gpu = "none (CPU only)"
        except Exception as exc:
            gpu = f"unknown ({exc.__class__.__name__})"
        rows.append(("GPU", gpu))
    try:
        from vispy import gloo

        rows.append(("OpenGL", str(gloo.gl.glGetParameter(gloo.gl.GL_VERSION))))
    except Exception:
        pass
    return rows


class AboutDialog(QDialog):
    """Versions of Panoforge, torch, diffusers and the GPU found (probed when opened)."""

    _ready = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Panoforge")
        lay = QVBoxLayout(self)
        title = QLabel("<h2>Panoforge</h2><p>Author immersive 360° scenes: prompt → RGBD "
                       "panorama → DepthFusion mesh → viewport, headset, GLB/PLY.</p>")
        title.setWordWrap(True)
        lay.addWidget(title)
        self.table = QTableWidget(0, 2)
        self.table.horizontalHeader().setVisible(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        lay.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(460, 380)
        self._fill(environment_report(probe_gpu=False) + [("GPU", "checking…")])
        self._ready.connect(self._fill)
        threading.Thread(target=self._probe, daemon=True).start()

    def _probe(self) -> None:
        rows = environment_report(True)  # imports torch: seconds, off the UI thread
        try:
            self._ready.emit(rows)
        except RuntimeError:  # the dialog was closed and deleted meanwhile
            pass

    def _fill(self, rows) -> None:
        self.rows = list(rows)
        self.table.setRowCount(len(rows))
        for i, (k, v) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(k))
            self.table.setItem(i, 1, QTableWidgetItem(v))
        self.table.resizeColumnToContents(0)


# -- shortcuts ---------------------------------------------------------------------------
VIEWPORT_CONTROLS = [
    ("Look around (inside view)", "Drag"),
    ("Field of view 30–120°", "Mouse wheel"),
    ("Move within a small radius", "W A S D / arrow keys"),
    ("Recentre", "Double-click / Home"),
    ("Orbit (outside view)", "Drag"),
]


class ShortcutsDialog(QDialog):
    """Every action's shortcut, and the viewport's mouse and key controls."""

    def __init__(self, actions: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        lay = QVBoxLayout(self)
        rows = []
        for act in actions:
            seq = act.shortcut().toString()
            if seq:
                rows.append((act.text().replace("&", "").rstrip("…."), seq))
        rows += VIEWPORT_CONTROLS
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (a, k) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(a))
            self.table.setItem(i, 1, QTableWidgetItem(k))
        self.table.resizeColumnToContents(0)
        lay.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(440, 460)


# -- export ------------------------------------------------------------------------------
@dataclass
class ExportOptions:
    """What "Export" writes.

    Parameters
    ----------
    folder : Path
        Where the files go.
    stem : str
        File name stem (``forest`` → ``forest.glb``, ``forest.ply``, ``forest_px.png``...).
    glb, ply, images, cubemap : bool
        Which outputs.
    mesh : MeshSettings
        Mesh options for GLB/PLY.
    texture : {"jpeg", "png"}
    jpeg_quality : int
    ply_points : bool
        A point cloud rather than a mesh.
    cube_face : int or None
        Cubemap face size in pixels (``None``: a quarter of the panorama's width).
    """

    folder: Path = field(default_factory=Path.home)
    stem: str = "scene"
    glb: bool = True
    ply: bool = False
    images: bool = False
    cubemap: bool = False
    mesh: MeshSettings = field(default_factory=MeshSettings)
    texture: str = "jpeg"
    jpeg_quality: int = 92
    ply_points: bool = False
    cube_face: int | None = None


class ExportDialog(QDialog):
    """Choose outputs and mesh options for the active result."""

    def __init__(self, defaults: ExportOptions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self._defaults = defaults
        lay = QVBoxLayout(self)
        form = QFormLayout()
        row = QHBoxLayout()
        self.folder_edit = QLineEdit(str(defaults.folder))
        pick = QToolButton()
        pick.setText("…")
        pick.clicked.connect(self._pick)
        row.addWidget(self.folder_edit, 1)
        row.addWidget(pick)
        form.addRow("Folder", row)
        self.stem_edit = QLineEdit(defaults.stem)
        form.addRow("Name", self.stem_edit)
        lay.addLayout(form)

        what = QGroupBox("Outputs")
        wl = QVBoxLayout(what)
        self.glb_check = QCheckBox("GLB mesh (unlit, metres, Y up — Unity, Unreal, Godot, Blender)")
        self.ply_check = QCheckBox("PLY (binary, vertex colours)")
        self.points_check = QCheckBox("as a point cloud")
        self.images_check = QCheckBox("Flat images (equirect PNG, 16-bit depth PNG + JSON, EXR)")
        self.cube_check = QCheckBox("Cubemap faces (px nx py ny pz nz)")
        for w, v in ((self.glb_check, defaults.glb), (self.ply_check, defaults.ply),
                     (self.points_check, defaults.ply_points),
                     (self.images_check, defaults.images), (self.cube_check, defaults.cubemap)):
            w.setChecked(v)
        ply_row = QHBoxLayout()
        ply_row.addWidget(self.ply_check)
        ply_row.addWidget(self.points_check)
        ply_row.addStretch(1)
        wl.addWidget(self.glb_check)
        wl.addLayout(ply_row)
        wl.addWidget(self.images_check)
        wl.addWidget(self.cube_check)
        lay.addWidget(what)

        opts = QGroupBox("Options")
        of = QFormLayout(opts)
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Full grid", "full")
        self.mode_combo.addItem("Adaptive", "adaptive")
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(defaults.mesh.mode))
        of.addRow("Mesh", self.mode_combo)
        self.error_spin = QDoubleSpinBox()
        self.error_spin.setRange(0.05, 10.0)
        self.error_spin.setSuffix(" %")
        self.error_spin.setValue(defaults.mesh.max_error * 100)
        of.addRow("Max error", self.error_spin)
        self.cut_spin = QDoubleSpinBox()
        self.cut_spin.setRange(0.0, 10.0)
        self.cut_spin.setSingleStep(0.05)
        self.cut_spin.setSpecialValueText("off")
        cut = defaults.mesh.cut_threshold
        self.cut_spin.setValue(cut if math.isfinite(cut) else 0.0)
        of.addRow("Cut jumps above", self.cut_spin)
        self.texture_combo = QComboBox()
        self.texture_combo.addItems(["jpeg", "png"])
        self.texture_combo.setCurrentText(defaults.texture)
        of.addRow("GLB texture", self.texture_combo)
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(50, 100)
        self.quality_spin.setValue(defaults.jpeg_quality)
        of.addRow("JPEG quality", self.quality_spin)
        self.face_spin = QSpinBox()
        self.face_spin.setRange(0, 8192)
        self.face_spin.setSpecialValueText("automatic")
        self.face_spin.setValue(defaults.cube_face or 0)
        of.addRow("Cube face size", self.face_spin)
        lay.addWidget(opts)
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

    def options(self) -> ExportOptions:
        cut = self.cut_spin.value()
        return ExportOptions(
            folder=Path(self.folder_edit.text()).expanduser(),
            stem=self.stem_edit.text().strip() or "scene",
            glb=self.glb_check.isChecked(), ply=self.ply_check.isChecked(),
            images=self.images_check.isChecked(), cubemap=self.cube_check.isChecked(),
            mesh=MeshSettings(mode=str(self.mode_combo.currentData()),
                              max_error=self.error_spin.value() / 100.0,
                              cut_threshold=cut if cut > 0 else math.inf),
            texture=self.texture_combo.currentText(), jpeg_quality=self.quality_spin.value(),
            ply_points=self.points_check.isChecked(),
            cube_face=self.face_spin.value() or None,
        )


# -- import ------------------------------------------------------------------------------
@dataclass
class ImportOptions:
    """Arguments for :func:`scene.importer.import_panorama`.

    Parameters
    ----------
    rgb : Path
    depth : Path or None
    kind : str or None
        ``disparity`` / ``zdepth`` / ``distance``; ``None`` lets the importer suggest one.
    near, far : float or None
        Metres, for disparity.
    fit : {"error", "pad", "crop"}
        What to do with a panorama that is not 2:1.
    """

    rgb: Path
    depth: Path | None = None
    kind: str | None = None
    near: float | None = None
    far: float | None = None
    fit: str = "error"


class ImportDialog(QDialog):
    """An RGB panorama, optionally its depth map and how to read it."""

    def __init__(self, folder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import panorama")
        self._folder = folder
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.rgb_edit, rgb_row = self._file_row("Panorama image")
        self.depth_edit, depth_row = self._file_row("Depth map (optional)")
        form.addRow("Panorama", rgb_row)
        form.addRow("Depth", depth_row)
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("Suggest from the file", None)
        for k, label in (("disparity", "Disparity (1 = near)"), ("zdepth", "Z-depth (planar)"),
                         ("distance", "Distance (radial)")):
            self.kind_combo.addItem(label, k)
        form.addRow("Depth is", self.kind_combo)
        self.near_spin = QDoubleSpinBox()
        self.far_spin = QDoubleSpinBox()
        for s, v in ((self.near_spin, 1.0), (self.far_spin, 40.0)):
            s.setRange(0.01, 100000.0)
            s.setSuffix(" m")
            s.setValue(v)
        nf = QHBoxLayout()
        nf.addWidget(self.near_spin)
        nf.addWidget(QLabel("to"))
        nf.addWidget(self.far_spin)
        form.addRow("Near / far", nf)
        self.fit_combo = QComboBox()
        self.fit_combo.addItem("Refuse if not 2:1", "error")
        self.fit_combo.addItem("Pad to 2:1", "pad")
        self.fit_combo.addItem("Crop to 2:1", "crop")
        form.addRow("Not 2:1?", self.fit_combo)
        lay.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(520, 0)

    def _file_row(self, caption: str):
        row = QHBoxLayout()
        edit = QLineEdit()
        pick = QPushButton("Browse…")

        def choose():
            path, _ = QFileDialog.getOpenFileName(self, caption, self._folder, IMAGE_FILTER)
            if path:
                edit.setText(path)

        pick.clicked.connect(choose)
        row.addWidget(edit, 1)
        row.addWidget(pick)
        return edit, row

    def _accept_if_valid(self) -> None:
        if not Path(self.rgb_edit.text()).is_file():
            QMessageBox.warning(self, "Import", "Choose the panorama image file.")
            return
        self.accept()

    def options(self) -> ImportOptions:
        depth = self.depth_edit.text().strip()
        kind = self.kind_combo.currentData()
        return ImportOptions(
            rgb=Path(self.rgb_edit.text()), depth=Path(depth) if depth else None,
            kind=kind, near=self.near_spin.value() if kind == "disparity" else None,
            far=self.far_spin.value() if kind == "disparity" else None,
            fit=str(self.fit_combo.currentData()),
        )


def accept_later(dialog: QDialog, ms: int = 0) -> None:
    """Accept ``dialog`` from the event loop (for driving modal dialogs in tests)."""
    QTimer.singleShot(ms, dialog.accept)
