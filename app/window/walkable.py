"""Moving through the scene in the window: Walk Mode, "Make Walkable", "Record Fly-Through".

:class:`WalkControl` owns the three actions of the Scene menu:

- **Walk Mode** (checkable): the viewport's walk mode (:meth:`renderers.viewport.Viewport.set_walk`)
  bounded to the active result's walk radius (:func:`scene.walk_bounds.walk_bounds`), the ring
  on the floor shown.
- **Make Walkable…**: :func:`app.workflows_layers.make_walkable` (the same use case as
  ``panoforge layer``) on a worker thread with progress in the status bar and Esc / the action
  again to cancel. It runs on a copy of the active result, so nothing changes until it
  finishes; the new layers and the measured walk zone then arrive as one undoable step.
- **Record Fly-Through…**: the dialog of :mod:`app.window.dialogs.flythrough_dialog`.

The measured walk zone is shown in the depth panel (a line under the mesh statistics) and as
the viewport's rings.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QUndoCommand
from PySide6.QtWidgets import QLabel

__all__ = ["WalkControl", "walk_zone_text", "build_scene_menu"]

_MAKE_TEXT = "&Make Walkable…"  # (W is Walk Mode's access key)


def walk_zone_text(result) -> str:
    """One line for the depth panel: the measured walk zone of a result, or how to get one."""
    rec = result.panorama.metadata.extra.get("walk_zone") if result is not None else None
    if not rec:
        return "Walk zone: not measured (Scene ▸ Make Walkable)"
    dome = rec.get("dome_m")
    layers = rec.get("layers_m")
    text = f"Walk zone: {layers:.2f} m with layers" if result.layers and layers is not None \
        else f"Walk zone: {dome:.2f} m"
    if result.layers and dome is not None:
        text += f" ({dome:.2f} m without)"
    if rec.get("walk_radius_m") is not None:
        text += f", made for {rec['walk_radius_m']:.2f} m"
    return text


class _LayersCommand(QUndoCommand):
    """Swap a result's layers and walk-zone record (undo puts the old ones back)."""

    def __init__(self, control: WalkControl, result_id: str, layers, record, text: str):
        super().__init__(text)
        self._c = control
        self._id = result_id
        res = control.doc.result(result_id)
        self._new = (list(layers), record)
        self._old = (list(res.layers), res.panorama.metadata.extra.get("walk_zone"))

    def _apply(self, state) -> None:
        res = self._c.doc.result(self._id)
        layers, record = state
        res.layers[:] = layers
        if record is None:
            res.panorama.metadata.extra.pop("walk_zone", None)
        else:
            res.panorama.metadata.extra["walk_zone"] = record
        self._c.result_layers_changed(self._id)

    def redo(self) -> None:
        self._apply(self._new)

    def undo(self) -> None:
        self._apply(self._old)


class _Detached:
    """What make_walkable needs of a project, with the picked result copied (layers list and
    metadata), so the worker never changes the document."""

    def __init__(self, project, result_id: str) -> None:
        src = project.pick(result_id)
        res = copy.copy(src)
        res.layers = list(src.layers)
        pano = copy.copy(src.panorama)
        meta = copy.copy(pano.metadata)
        meta.extra = dict(meta.extra)
        object.__setattr__(pano, "metadata", meta)  # a frozen dataclass: on the copy only
        res.panorama = pano
        self._res = res
        self.mesh_settings = project.mesh_settings
        self._project = project

    def pick(self, result_id=None):
        return self._res

    def scene(self, result_id=None):
        return self._project.scene(self._res.id)


class WalkControl(QObject):
    """The Scene menu's actions for a :class:`~app.window.main_window.MainWindow`."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.worker = None
        self.last_outcome = None
        self.zone_label = QLabel()
        self.zone_label.setObjectName("walkZoneLabel")
        self.zone_label.setWordWrap(True)
        lay = window.depth_panel.layout()
        if lay is not None:
            lay.addWidget(self.zone_label)
        self.act_walk = QAction("&Walk Mode", window)
        self.act_walk.setCheckable(True)
        self.act_walk.setShortcut("Ctrl+Shift+W")
        self.act_walk.setStatusTip("Walk through the scene with WASD / arrows and the mouse, "
                                   "within its walk radius (the ring on the floor)")
        self.act_walk.toggled.connect(self.set_walk)
        self.act_make = QAction(_MAKE_TEXT, window)
        self.act_make.setStatusTip("Fill what the foreground hides so you can step off the "
                                   "centre: choose the walk radius and the filler "
                                   "(panoforge layer); run again to cancel")
        self.act_make.triggered.connect(lambda _c=False: self.ask_and_make())
        self.act_record = QAction("Record &Fly-Through…", window)
        self.act_record.setStatusTip("Render a video moving through the scene "
                                     "(panoforge render --orbit/--path)")
        self.act_record.triggered.connect(lambda _c=False: self.record_dialog())
        for a in (self.act_walk, self.act_make, self.act_record):
            window.addAction(a)

    @property
    def doc(self):
        return self.w.doc

    # -- document ---------------------------------------------------------------------------
    def bind(self, doc) -> None:
        doc.activeChanged.connect(lambda _rid: self.refresh())
        doc.resultsChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the active result's walk zone; keep walk mode's bounds current."""
        res = self.doc.active if self.doc is not None else None
        has = res is not None
        for a in (self.act_walk, self.act_make, self.act_record):
            a.setEnabled(has or a is self.act_make and self.worker is not None)
        self.zone_label.setText(walk_zone_text(res) if has else "")
        if self.act_walk.isChecked():
            self.set_walk(has)

    def bounds(self):
        from scene.walk_bounds import walk_bounds

        res = self.doc.active
        return walk_bounds(self.doc.project.scene(res.id)) if res is not None else None

    def set_walk(self, enabled: bool) -> None:
        vp = self.w.viewport
        if vp is None or not hasattr(vp, "set_walk"):
            return
        enabled = bool(enabled) and self.doc is not None and self.doc.active is not None
        vp.set_walk(enabled, self.bounds() if enabled else None)
        if enabled and hasattr(self.w, "act_inside"):
            self.w.act_inside.setChecked(True)

    def result_layers_changed(self, result_id: str) -> None:
        """Layers of ``result_id`` changed: redraw its parts, the number, the ring."""
        sv = self.w.scene_view
        if self.doc.active_id == result_id and sv.viewport is not None:
            sv.viewport.set_parts(sv._parts(result_id))
        self.doc.resultChanged.emit(result_id)
        self.refresh()

    # -- make walkable ----------------------------------------------------------------------
    def ask_and_make(self):
        """Scene ▸ Make Walkable…: ask for the walk radius and the filler, then start.

        While one runs, the action cancels it instead. The last radius is offered again;
        the filler starts at "Automatic" (procedural for generated scenes, else classical).

        Returns
        -------
        StageWorker or None
            None when cancelled, when nothing is active, or when this cancelled a run.
        """
        if self.worker is not None:
            return self.make_walkable()
        res = self.doc.active
        if res is None:
            return None
        from app.workflows_layers import default_fill

        from .dialogs.walkable_dialog import WalkableChoices, filler_choices

        rec = res.panorama.metadata.extra.get("walk_zone") or {}
        defaults = WalkableChoices(walk_radius=float(rec.get("walk_radius_m") or 0.5))
        choice = self.w.prompter.walkable_options(self.w, defaults, filler_choices(res),
                                                  default_fill(res))
        if choice is None:
            return None
        options = {"steps": choice.steps} if choice.fill == "ldm3d" and choice.steps else {}
        return self.make_walkable(choice.walk_radius, choice.fill, seed=choice.seed,
                                  options=options)

    def make_walkable(self, walk_radius: float | None = None, fill: str | None = None, *,
                      seed: int = 0, options: dict | None = None):
        """Start "Make Walkable" on the active result (or cancel the running one).

        ``walk_radius`` (metres; None: the one the result was made for, else 0.5), ``fill``
        (None: :func:`app.workflows_layers.default_fill`), ``seed`` and ``options`` are the
        :class:`app.workflows_layers.LayerRequest`'s.

        Returns
        -------
        StageWorker or None
        """
        if self.worker is not None:
            self.worker.cancel()
            return None
        res = self.doc.active
        if res is None:
            return None
        from app.workflows_layers import LayerRequest, make_walkable

        from .stage_worker import StageWorker

        if walk_radius is None:
            rec = res.panorama.metadata.extra.get("walk_zone") or {}
            walk_radius = float(rec.get("walk_radius_m") or 0.5)
        detached = _Detached(self.doc.project, res.id)
        request = LayerRequest(result_id=res.id, walk_radius=walk_radius, fill=fill, seed=seed,
                               options=dict(options or {}))
        rid = res.id

        def run(on_progress, cancel):
            return make_walkable(detached, request, on_progress=on_progress, cancel=cancel)

        self.worker = worker = StageWorker("make-walkable", run, self)
        status = self.w.statusBar()
        worker.progress.connect(lambda p: status.showMessage(
            f"Make walkable: {p.message} ({p.step}/{p.total})"))
        worker.finished.connect(lambda out: self._walkable_done(rid, out))
        worker.cancelled.connect(lambda: status.showMessage("Make walkable cancelled; "
                                                            "nothing changed.", 5000))
        worker.errored.connect(lambda exc: self.w.prompter.show_error(self.w, "Make walkable",
                                                                      exc))
        worker.done.connect(self._worker_over)
        self.act_make.setText("Cancel &Make Walkable")
        status.showMessage("Make walkable: starting…")
        worker.start()
        return worker

    def _worker_over(self) -> None:
        self.worker = None
        self.act_make.setText(_MAKE_TEXT)
        self.refresh()

    def _walkable_done(self, result_id: str, outcome) -> None:
        self.last_outcome = outcome
        try:
            self.doc.index_of(result_id)
        except KeyError:
            return  # the result was deleted meanwhile
        record = outcome.result.panorama.metadata.extra.get("walk_zone")
        self.doc.undo_stack.push(_LayersCommand(
            self, result_id, outcome.result.layers, record,
            f"Make walkable ({len(outcome.layers)} layers, {outcome.fill})"))
        z = outcome.zones
        self.w.statusBar().showMessage(
            f"Walkable: {len(outcome.layers)} layer(s) by {outcome.fill}; walk zone "
            f"{z['layers'].radius:.2f} m (was {z['dome'].radius:.2f} m). Ctrl+Z undoes it.", 8000)

    # -- fly-through ------------------------------------------------------------------------
    def record_dialog(self):
        from .dialogs.flythrough_dialog import FlythroughDialog

        res = self.doc.active
        if res is None:
            return None
        dlg = FlythroughDialog(self.doc.project, res.id, self.bounds(), parent=self.w)
        dlg.show()
        self.dialog = dlg
        return dlg

    def shutdown(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(30000)


def build_scene_menu(w, menubar, before=None) -> None:
    """The Scene menu (walk mode, make walkable, record fly-through), before ``before``."""
    from PySide6.QtWidgets import QMenu

    m = QMenu("&Scene", menubar)
    m.addAction(w.walk.act_walk)
    m.addSeparator()
    m.addActions([w.walk.act_make, w.walk.act_record])
    if before is not None:
        menubar.insertMenu(before.menuAction(), m)
    else:
        menubar.addMenu(m)
    w.scene_menu = m
