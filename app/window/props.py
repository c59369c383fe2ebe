"""Props in the window: "Add Prop…", click-to-place in the 3D view, the Props panel.

Flow
----
1. "Add Prop…" (Result menu, or a gallery item's menu) asks what to make
   (:class:`PropOptions`: words for the procedural prop maker, or an image file for LRM; the
   height in metres) through the window's prompter (:meth:`Prompter.prop_options` when it has
   one, else :class:`PropDialog`).
2. The mesh is made on a worker thread by :func:`app.workflows_props.make_prop`, the function
   ``panoforge prop add`` calls (progress and Cancel in the status bar).
3. The status bar asks for a click in the 3D view. The click's pixel becomes a ray
   (:func:`renderers.picking.pixel_ray`) and the ray meets the dome's depth surface
   (:func:`scene.picking.ray_dome_hit`); the prop stands there upright, at the stated height,
   facing the viewer (:func:`app.workflows_props.place_made`, the one placement rule).
   Esc gives up the placement.
4. Every change (add, move, turn, height, remove) is one step on the document's undo stack
   (:class:`~app.window.stage_commands.PropsCommand`); the props are saved with their result.

The Props panel edits the selected prop with numeric fields: where its base stands (X, Y, Z in
metres), its turn about +Y (degrees) and its height (metres). With its "Drag in the 3D view"
switch on, a left-drag in the viewport moves the selected prop over the depth surface (by the
same placement rule; one undo step per drag). Rotate and scale handles drawn in the viewport
are not built; the fields do what they would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from scene.errors import InputError, PanoforgeError

from .document import DocumentView, new_merge_key
from .stage_commands import PropsCommand

__all__ = ["PropOptions", "PropDialog", "PropsControl", "PropsPanel", "install_props"]


@dataclass
class PropOptions:
    """What "Add Prop…" makes.

    Parameters
    ----------
    prompt : str
        Words naming the object (procedural: rock, pine, column, crate, lamp, barrel, ball,
        tent, with colour words), or what LDM3D draws for LRM.
    image : str
        An image file of one object (LRM); ``""`` for words.
    backend : {"procedural", "lrm"}
    height : float
        Metres.
    grid : int
        Marching-cubes samples per side.
    material : {"pbr", "unlit"}
    seed : int
    texture_size : int
        Edge of a baked texture atlas in texels; 0 keeps vertex colours only.
    """

    prompt: str = ""
    image: str = ""
    backend: str = "procedural"
    height: float = 1.0
    grid: int = 128
    material: str = "pbr"
    seed: int = 0
    texture_size: int = 0


class PropDialog(QDialog):
    """Asks for :class:`PropOptions`."""

    def __init__(self, parent: QWidget | None = None, lrm_note: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Add Prop")
        form = QFormLayout(self)
        self.backend = QComboBox()
        self.backend.addItem("Procedural (words; no weights)", "procedural")
        self.backend.addItem("LRM (picture; CC-BY-NC-4.0: non-commercial use only)", "lrm")
        self.backend.setToolTip("What makes the prop: procedural from words, or LRM from a picture")
        form.addRow("Made by", self.backend)
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("a mossy rock, a red crate, a pine…")
        self.prompt.setToolTip("Describe one object (procedural props)")
        form.addRow("Words", self.prompt)
        row = QHBoxLayout()
        self.image = QLineEdit()
        self.image.setPlaceholderText("an image of one object (LRM)")
        self.image.setToolTip("Image file of one object on a plain background (LRM props)")
        pick = QToolButton()
        pick.setText("…")
        pick.setToolTip("Choose the image file of the object (PNG/JPEG/WebP)")
        pick.clicked.connect(self._pick)
        row.addWidget(self.image, 1)
        row.addWidget(pick)
        form.addRow("Image file", row)
        self.height = QDoubleSpinBox()
        self.height.setRange(0.05, 100.0)
        self.height.setDecimals(2)
        self.height.setSuffix(" m")
        self.height.setValue(1.0)
        self.height.setToolTip("Height of the prop in the scene, in metres")
        form.addRow("Height", self.height)
        self.grid = QSpinBox()
        self.grid.setRange(32, 512)
        self.grid.setValue(128)
        self.grid.setToolTip("Marching-cubes grid per side (cells): finer is slower")
        form.addRow("Mesh grid", self.grid)
        self.material = QComboBox()
        self.material.addItem("Lit (PBR)", "pbr")
        self.material.addItem("Unlit (like the dome)", "unlit")
        self.material.setToolTip("Lit by the scene's lights (PBR), or unlit like the dome")
        form.addRow("Material", self.material)
        self.texture = QComboBox()  # issue 12: for engines that ignore vertex colours
        self.texture.addItem("Vertex colours only", 0)
        for n in (512, 1024, 2048):
            self.texture.addItem(f"Also a {n}×{n} texture atlas", n)
        self.texture.setToolTip("Vertex colours, plus a baked texture atlas of this size (pixels)")
        form.addRow("Colours", self.texture)
        if lrm_note:
            note = QLabel(lrm_note)
            note.setObjectName("hint")
            note.setWordWrap(True)
            form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _pick(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Image of the object", "",
                                              "Images (*.png *.jpg *.jpeg *.webp)")
        if path:
            self.image.setText(path)
            self.backend.setCurrentIndex(self.backend.findData("lrm"))

    def options(self) -> PropOptions:
        return PropOptions(prompt=self.prompt.text().strip(), image=self.image.text().strip(),
                           backend=str(self.backend.currentData()), height=self.height.value(),
                           grid=self.grid.value(), material=str(self.material.currentData()),
                           texture_size=int(self.texture.currentData()))


def _yaw_of(prop) -> float:
    """Degrees about +Y of an upright prop's rotation."""
    x, y, z, w = prop.transform.rotation
    return math.degrees(2.0 * math.atan2(y, w))


def _base_and_height(prop) -> tuple[list[float], float]:
    from app.workflows_props import describe_prop

    d = describe_prop(prop)
    return d["base"], d["height_m"]


class PropsControl(QObject):
    """Making, placing and editing the window's props.

    Attributes
    ----------
    pending : tuple or None
        ``(result_id, GeneratedProp, PropOptions)`` waiting for a click in the 3D view.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.pending = None
        #: A left-drag in the 3D view moves the selected prop over the depth surface
        #: (the Props panel's "Drag in the 3D view" switch) instead of turning the camera.
        self.drag_to_move = False
        self._drag = None
        vp = window.viewport
        if vp is not None:
            vp.native.installEventFilter(self)

    # -- 1-2: ask, make --------------------------------------------------------------------
    def add_prop_dialog(self, result_id: str | None = None):
        """Ask what to make, then make it (the worker) and wait for the click."""
        w = self.window
        ask = getattr(w.prompter, "prop_options", None)
        if ask is not None:
            options = ask(w)
        else:
            dlg = PropDialog(w, "LRM props need the OpenLRM weights (Preferences ▸ Models); "
                                "words always work with the procedural maker.")
            options = dlg.options() if dlg.exec() == QDialog.DialogCode.Accepted else None
        if options is None:
            return None
        return self.begin(options, result_id)

    def begin(self, options: PropOptions, result_id: str | None = None):
        """Make the prop on a worker thread; when it is made, wait for the click."""
        from models.props import PropRequest

        w = self.window
        rid = result_id or w.doc.active_id
        if not rid or w.stages.busy():
            return None
        res = w.doc.result(rid)
        try:
            if not res.panorama.has_depth:
                raise InputError(f"{w.doc.label_of(res)} has no depth to stand a prop on",
                                 hint="choose Estimate Depth on its gallery item first")
            if not (options.height > 0):
                raise InputError("a prop's height must be a positive number of metres",
                                 hint="set Height in the Add Prop dialog")
            if not options.image and not options.prompt:
                raise InputError("Add Prop needs words naming the object or an image file",
                                 hint="type e.g. “a mossy rock” in Words")
        except PanoforgeError as exc:
            w.prompter.show_error(w, "Add Prop", exc)
            return None
        model = (w.settings.model_folders().get("lrm-base") or None
                 if options.backend.startswith("lrm") else None)
        request = PropRequest(backend=options.backend, prompt=options.prompt,
                              image=options.image or None, resolution=options.grid,
                              seed=options.seed, model=model,
                              device=w.settings.device() or "auto")

        def work(on_progress, cancel):
            from app.workflows_props import bake_texture, make_prop

            return bake_texture(make_prop(request, on_progress=on_progress, cancel=cancel),
                                options.texture_size)

        what = options.prompt or options.image
        from .stages import missing_weights_error

        return w.stages.launch("add_prop", "Add Prop", f"Making the prop “{what}”", work,
                               lambda made, r=rid, o=options: self._made(r, made, o),
                               lambda exc: missing_weights_error("add_prop", exc))

    def _made(self, result_id: str, made, options: PropOptions) -> None:
        self.pending = (result_id, made, options)
        w = self.window
        w.tabs.setCurrentIndex(0)
        if w.doc.active_id != result_id:
            w.doc.set_active(result_id)
        w.statusBar().showMessage(
            f"Click in the 3D view where the {made.name} should stand "
            f"({options.height:g} m tall); Esc gives up.")

    # -- 3: the click ------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if self.pending is not None:
            if kind == QEvent.Type.MouseButtonPress \
                    and event.button() == Qt.MouseButton.LeftButton:
                pos = event.position()
                self.place_at(pos.x() + 0.5, pos.y() + 0.5)
                return True  # not a camera drag
            if kind == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
                self.pending = None
                self.window.statusBar().showMessage("Prop placement given up.", 4000)
                return True
            return False
        if not self.drag_to_move:
            return False
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            panel = self.window.props_panel
            if panel.current_prop() is None:
                return False
            self._drag = (self.window.doc.active_id, panel.current_prop_id(), new_merge_key())
            return True
        if self._drag is not None and kind in (QEvent.Type.MouseMove,
                                               QEvent.Type.MouseButtonRelease):
            pos = event.position()
            self.move_to(pos.x() + 0.5, pos.y() + 0.5, *self._drag)
            if kind == QEvent.Type.MouseButtonRelease:
                self._drag = None
            return True
        return False

    def move_to(self, x: float, y: float, result_id: str, prop_id: str,
                merge_key: int | None = None):
        """Stand prop ``prop_id`` where viewport pixel ``(x, y)`` meets the depth surface,
        keeping its turn and height (a drag is one undo step: one ``merge_key``)."""
        from scene.picking import ray_dome_hit
        from scene.placement import place_prop

        doc = self.window.doc
        try:
            res = doc.result(result_id)
            props = list(res.props)
            i = [p.id for p in props].index(prop_id)
            p = props[i]
            hit = ray_dome_hit(res.panorama, *self.click_ray(x, y))
            _, height = _base_and_height(p)
            placed = place_prop(p.mesh, res.panorama, hit, height, prop_id=p.id,
                                yaw_deg=_yaw_of(p))
        except (KeyError, ValueError):
            return None
        except PanoforgeError as exc:  # off the surface: the prop stays where it was
            self.window.statusBar().showMessage(exc.message, 3000)
            return None
        props[i] = p.moved(placed.transform)
        self.push(result_id, props, f"Move prop {p.name}", merge_key)
        return props[i]

    def click_ray(self, x: float, y: float):
        """The world ray (origin, unit direction) through viewport pixel ``(x, y)``
        (continuous: the top-left pixel's centre is (0.5, 0.5))."""
        from renderers.picking import pixel_ray

        vp = self.window.viewport
        cam = vp.camera
        size = (vp.native.width(), vp.native.height())
        return pixel_ray(x, y, cam.view_matrix(), cam.projection_matrix(size[0] / size[1]),
                         size)

    def place_at(self, x: float, y: float):
        """Stand the pending prop where viewport pixel ``(x, y)`` meets the depth surface."""
        from app.workflows_props import place_made
        from scene.picking import ray_dome_hit

        w = self.window
        result_id, made, options = self.pending
        try:
            res = w.doc.result(result_id)
            origin, direction = self.click_ray(x, y)
            hit = ray_dome_hit(res.panorama, origin, direction)
            prop = place_made(res, made, hit, options.height, material=options.material)
        except KeyError:
            self.pending = None
            return None
        except PanoforgeError as exc:
            w.statusBar().showMessage(f"{exc.message}: {exc.hint}" if exc.hint else exc.message,
                                      6000)
            return None
        self.pending = None
        self.push(result_id, list(res.props) + [prop], f"Add prop {prop.name}")
        base, height = _base_and_height(prop)
        where = ", ".join(f"{v:.2f}" for v in base)
        note = ""
        if prop.source.get("commercial_use") is False:
            note = f" {prop.source.get('model_id')} props are for non-commercial use only."
        w.statusBar().showMessage(f"Prop {prop.id} ({prop.name}) stands at ({where}) m, "
                                  f"{height:.2f} m tall. Edit ▸ Undo removes it.{note}", 8000)
        return prop

    # -- 4: edits --------------------------------------------------------------------------
    def push(self, result_id: str, props: list, text: str, merge_key: int | None = None):
        self.window.doc.undo_stack.push(PropsCommand(self.window.doc, result_id, props, text,
                                                     self._changed, merge_key))

    def _changed(self, result_id: str) -> None:
        w = self.window
        w.props_panel.catch_up()
        if result_id == w.doc.active_id:
            w.scene_view.refresh_parts()

    def edit(self, result_id: str, prop_id: str, base, yaw_deg: float, height: float,
             merge_key: int | None = None) -> None:
        """Stand prop ``prop_id`` with its base at ``base`` (metres), turned ``yaw_deg``,
        ``height`` metres tall (one undo step per ``merge_key``)."""
        from scene.placement import placement_transform

        res = self.window.doc.result(result_id)
        props = list(res.props)
        for i, p in enumerate(props):
            if p.id == prop_id:
                props[i] = p.moved(placement_transform(p.mesh, base, height, yaw_deg))
                self.push(result_id, props, f"Move prop {p.name}", merge_key)
                return
        raise KeyError(prop_id)

    def remove(self, result_id: str, prop_id: str) -> None:
        res = self.window.doc.result(result_id)
        props = [p for p in res.props if p.id != prop_id]
        if len(props) != len(res.props):
            self.push(result_id, props, f"Remove prop {prop_id}")


class PropsPanel(DocumentView, QWidget):
    """The active result's props, and numeric fields for the selected one."""

    FIELDS = ("x", "y", "z", "yaw", "height")

    def __init__(self, control: PropsControl, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.control = control
        self._merge: tuple[str, int] | None = None
        self._loading = False
        lay = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(lambda _r: self._load())
        lay.addWidget(self.list, 1)
        form = QFormLayout()
        self.spins: dict[str, QDoubleSpinBox] = {}
        for key, label, lo, hi, suffix in (("x", "X", -1e4, 1e4, " m"),
                                           ("y", "Y (up)", -1e4, 1e4, " m"),
                                           ("z", "Z", -1e4, 1e4, " m"),
                                           ("yaw", "Turn", -360.0, 360.0, "°"),
                                           ("height", "Height", 0.01, 1e3, " m")):
            spin = QDoubleSpinBox()
            spin.setRange(lo, hi)
            spin.setDecimals(3 if key != "yaw" else 1)
            spin.setSingleStep(0.1 if key != "yaw" else 5.0)
            spin.setSuffix(suffix)
            spin.setKeyboardTracking(False)
            spin.setToolTip(f"{label} of the selected prop ({'degrees about the up axis' if key == 'yaw' else 'metres'})")
            spin.valueChanged.connect(lambda _v, k=key: self._edited(k))
            form.addRow(label, spin)
            self.spins[key] = spin
        lay.addLayout(form)
        self.drag_check = QCheckBox("Drag in the 3D view moves it over the surface")
        self.drag_check.setToolTip("While on, a left-drag in the 3D view stands the selected "
                                   "prop under the pointer (one undo step per drag) instead "
                                   "of turning the view")
        self.drag_check.toggled.connect(lambda on: setattr(control, "drag_to_move", on))
        lay.addWidget(self.drag_check)
        note = QLabel("Base point of the selected prop, its turn about the up axis and its "
                      "height. (No rotate/scale handles in the 3D view: use these fields.)")
        note.setObjectName("hint")
        note.setWordWrap(True)
        lay.addWidget(note)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add Prop…")
        self.add_button.setToolTip("Make a new prop from words or a picture and stand it in the scene")
        self.add_button.clicked.connect(lambda: control.add_prop_dialog())
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected prop (undoable)")
        self.remove_button.clicked.connect(self._remove)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        lay.addLayout(row)
        self._sync()

    def document_events(self) -> dict:
        return {"activeChanged": lambda _rid: self.catch_up(),
                "resultsChanged": self.catch_up}

    def catch_up(self) -> None:
        res = self.doc.active if self.doc is not None else None
        current = self.current_prop_id()
        self._loading = True
        try:
            self.list.clear()
            for p in (res.props if res is not None else []):
                self.list.addItem(f"{p.id} · {p.name}")
            ids = [p.id for p in res.props] if res is not None else []
            if ids:
                self.list.setCurrentRow(ids.index(current) if current in ids else len(ids) - 1)
        finally:
            self._loading = False
        self._load()

    def current_prop(self):
        res = self.doc.active if self.doc is not None else None
        row = self.list.currentRow()
        if res is None or not 0 <= row < len(res.props):
            return None
        return res.props[row]

    def current_prop_id(self) -> str:
        p = self.current_prop() if self.list.count() else None
        return p.id if p is not None else ""

    def _load(self) -> None:
        p = self.current_prop()
        self._merge = None
        if p is not None:
            base, height = _base_and_height(p)
            values = {"x": base[0], "y": base[1], "z": base[2], "yaw": _yaw_of(p),
                      "height": height}
            self._loading = True
            try:
                for k, spin in self.spins.items():
                    spin.setValue(values[k])
            finally:
                self._loading = False
        self._sync()

    def _sync(self) -> None:
        has = self.current_prop() is not None if self.doc is not None else False
        for spin in self.spins.values():
            spin.setEnabled(has)
        self.remove_button.setEnabled(has)
        self.add_button.setEnabled(self.doc is not None and self.doc.active is not None)

    def _edited(self, key: str) -> None:
        p = self.current_prop()
        if self._loading or p is None:
            return
        if self._merge is None or self._merge[0] != key:
            self._merge = (key, new_merge_key())
        v = {k: s.value() for k, s in self.spins.items()}
        self.control.edit(self.doc.active_id, p.id, (v["x"], v["y"], v["z"]), v["yaw"],
                          v["height"], merge_key=self._merge[1])

    def _remove(self) -> None:
        p = self.current_prop()
        if p is not None:
            self.control.remove(self.doc.active_id, p.id)


def install_props(w) -> None:
    """``w.props`` (:class:`PropsControl`), ``w.props_panel`` in a Props dock next to Depth,
    and ``w.act_add_prop``."""
    from PySide6.QtGui import QAction

    w.props = PropsControl(w)
    w.props_panel = PropsPanel(w.props)
    w.props_dock = w._dock("Props", "dockProps", w.props_panel,
                           Qt.DockWidgetArea.RightDockWidgetArea)
    w.tabifyDockWidget(w.depth_dock, w.props_dock)
    w.depth_dock.raise_()
    for a in w.view_menu.actions():
        if a.menu() is not None and a.text() == "&Panels":
            a.menu().addAction(w.props_dock.toggleViewAction())
            w.props_dock.toggleViewAction().setStatusTip("Show or hide the Props panel")
    w.act_add_prop = QAction("Add &Prop…", w)
    w.act_add_prop.setStatusTip("Make an object from words or a picture and click in the 3D "
                                "view where it should stand")
    w.act_add_prop.triggered.connect(lambda _c=False: w.props.add_prop_dialog())
    w.addAction(w.act_add_prop)
    # The panel follows whichever document the window shows (its undo stack is the active one).
    w.undo_group.activeStackChanged.connect(
        lambda stack: w.props_panel.bind(stack.parent() if stack is not None else None))
