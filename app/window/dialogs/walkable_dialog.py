"""The Make Walkable dialog: the walk radius and the filler, as ``panoforge layer`` takes them.

It answers a :class:`WalkableChoices` (``--walk-radius`` and ``--fill`` of the command line,
plus the ldm3d filler's seed and steps). Each filler is listed with whether it can run on
this result and this computer, from the filler's own ``available()``: the procedural filler
only knows scenes of the procedural generator, and the ldm3d filler needs LDM3D weights.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

__all__ = ["WalkableChoices", "WalkableDialog", "filler_choices", "MAX_WALK_RADIUS_M"]

#: The largest walk radius the use case accepts (metres), as the command line checks it.
MAX_WALK_RADIUS_M = 5.0

_WHAT = {
    "procedural": "Procedural: the generator renders the hidden surfaces exactly",
    "classical": "Classical: OpenCV inpainting from the background side (no weights)",
    "ldm3d": "LDM3D: novel views denoised by the model (3DiM-style, slow on a CPU)",
}


@dataclass
class WalkableChoices:
    """What Make Walkable runs with.

    Attributes
    ----------
    walk_radius : float
        Metres around the capture point the layers must serve (0 < r ≤ 5).
    fill : str or None
        ``procedural``, ``classical`` or ``ldm3d``; None lets the use case pick
        (:func:`app.workflows_layers.default_fill`).
    seed : int
        Seed of the ldm3d filler.
    steps : int or None
        Denoising steps of the ldm3d filler (None: the model's default).
    """

    walk_radius: float = 0.5
    fill: str | None = None
    seed: int = 0
    steps: int | None = None


def filler_choices(result) -> list[tuple[str, bool, str]]:
    """Each filler with whether it can run on ``result`` here, and why not.

    Returns
    -------
    list of (name, usable, reason)
        In the command line's order (:data:`models.fillers.FILLERS`).
    """
    from models.fillers import FILLERS, make_filler

    out = []
    for name in FILLERS:
        if name == "procedural" and result.panorama.metadata.backend != "procedural":
            out.append((name, False, "only for scenes of the procedural generator"))
            continue
        try:
            ok, why = make_filler(name).available()
        except Exception as exc:  # a broken install must not hide the other fillers
            ok, why = False, str(exc)
        out.append((name, bool(ok), why))
    return out


class WalkableDialog(QDialog):
    """Walk radius and filler for the active result."""

    def __init__(self, defaults: WalkableChoices, fillers: list[tuple[str, bool, str]],
                 auto_fill: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Make walkable")
        lay = QVBoxLayout(self)
        intro = QLabel("Fill what the foreground hides, so that an eye anywhere within the "
                       "walk radius of the centre sees no hole. Ctrl+Z undoes it.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.radius_spin = QDoubleSpinBox()
        self.radius_spin.setRange(0.05, MAX_WALK_RADIUS_M)
        self.radius_spin.setSingleStep(0.05)
        self.radius_spin.setDecimals(2)
        self.radius_spin.setSuffix(" m")
        self.radius_spin.setValue(min(max(defaults.walk_radius, 0.05), MAX_WALK_RADIUS_M))
        self.radius_spin.setToolTip("How far from the centre the viewer may move, in metres "
                                    "(a seated viewer leans about 0.3 m, a standing one "
                                    "steps 0.5–1 m)")
        form.addRow("Walk radius", self.radius_spin)
        self.fill_combo = QComboBox()
        self.fill_combo.setToolTip("What paints the surfaces behind the foreground")
        self.fill_combo.addItem(f"Automatic ({auto_fill})", None)
        model = self.fill_combo.model()
        for name, usable, why in fillers:
            label = _WHAT.get(name, name) + ("" if usable else f" — not here: {why}")
            self.fill_combo.addItem(label, name)
            item = model.item(self.fill_combo.count() - 1)
            item.setEnabled(usable)
            item.setToolTip(why)
        idx = self.fill_combo.findData(defaults.fill)
        self.fill_combo.setCurrentIndex(max(idx, 0))
        form.addRow("Filler", self.fill_combo)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setValue(defaults.seed)
        self.seed_spin.setToolTip("Seed of the LDM3D filler (the same seed gives the same fill)")
        form.addRow("Seed (LDM3D)", self.seed_spin)
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(0, 200)
        self.steps_spin.setSpecialValueText("model default")
        self.steps_spin.setValue(defaults.steps or 0)
        self.steps_spin.setToolTip("Denoising steps of the LDM3D filler (0 = the model's default)")
        form.addRow("Steps (LDM3D)", self.steps_spin)
        lay.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Make walkable")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setToolTip(
            "Start; the status bar shows progress and Scene ▸ Cancel Make Walkable stops it")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip(
            "Close without changing anything")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.fill_combo.currentIndexChanged.connect(self._ldm3d_fields)
        self._ldm3d_fields()

    def _ldm3d_fields(self) -> None:
        ldm3d = self.fill_combo.currentData() == "ldm3d"
        self.seed_spin.setEnabled(ldm3d)
        self.steps_spin.setEnabled(ldm3d)

    def options(self) -> WalkableChoices:
        """The choices as the dialog shows them."""
        return WalkableChoices(walk_radius=float(self.radius_spin.value()),
                               fill=self.fill_combo.currentData(),
                               seed=int(self.seed_spin.value()),
                               steps=int(self.steps_spin.value()) or None)
