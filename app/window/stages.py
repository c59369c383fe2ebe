"""Stages on a gallery item: "Upscale ×4", "Repair poles", "Estimate depth".

Each runs the use case the command line runs (:mod:`app.workflows_stages`) on a
:class:`~app.window.stage_worker.StageWorker` thread, shows its progress (bar, what is
happening, a small live preview where the stage gives one: LDM3D-SR's latent previews) with a
Cancel button in the status bar, and adds the new panorama as a *child* result of the item
through the document's undo stack (Edit ▸ Undo removes it again). The source is never changed.

Messages name the window's controls (the gallery item, Preferences ▸ Models), never
command-line flags.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from scene.errors import InputError, PanoforgeError

from .images import to_pixmap
from .progress_view import format_eta
from .stage_commands import push_child
from .stage_worker import StageWorker

__all__ = ["StageControl", "StageProgress", "STAGES", "install_stages"]

#: Stage key -> (menu text, what the status bar says while it runs).
STAGES = {
    "upscale": ("Upscale ×4", "Upscaling"),
    "repair_poles": ("Repair Poles", "Repairing the poles of"),
    "estimate_depth": ("Estimate Depth", "Estimating the depth of"),
}
PREVIEW = QSize(96, 48)


class StageProgress(QWidget):
    """The running stage in the status bar: what, a bar with ETA, a preview, Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(True)
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW)
        self.preview.hide()
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop this stage; nothing is added to the project")
        for w in (self.label, self.bar, self.preview, self.cancel_button):
            lay.addWidget(w)
        self.hide()

    def begin(self, text: str) -> None:
        self.label.setText(text)
        self.bar.setRange(0, 0)
        self.bar.setFormat("Starting…")
        self.preview.clear()
        self.preview.hide()
        self.cancel_button.setEnabled(True)
        self.show()

    def report(self, p) -> None:
        total = max(1, int(p.total))
        self.bar.setRange(0, total)
        self.bar.setValue(min(int(p.step), total))
        eta = f" · {format_eta(p.eta_s)} left" if 0 < p.step < total and p.eta_s else ""
        self.bar.setFormat(f"{p.step}/{total}{eta}")
        if p.message:
            self.bar.setToolTip(p.message)
        if p.preview is not None:
            self.preview.setPixmap(to_pixmap(p.preview, PREVIEW.width(), PREVIEW.height()))
            self.preview.show()

    def end(self) -> None:
        self.hide()


def _models_hint(what: str, model_id: str, folder: str, again: str) -> str:
    return (f"open Edit ▸ Preferences ▸ Models: select {what} and press “Copy download "
            f"command” (hf download {model_id} --local-dir {folder}), run it once with a "
            "network connection, or press “Add model folder…” for a copy from another "
            f"computer; then choose {again} again")


def missing_weights_error(stage: str, exc: BaseException) -> BaseException:
    """A stage's "weights not on this computer" as the window says it: where to get them on
    the Models page (and what works without them); other errors unchanged (the prompter's
    :func:`app.window.messages.window_error` rewrites their command-line phrases)."""
    if not (isinstance(exc, InputError) and "not on this computer" in exc.message):
        return exc
    from models.catalog import entry
    from models.ldm3d.weights import models_home

    if stage == "estimate_depth":
        from models.depth_estimation import DEFAULT_DEPTH_MODEL

        e = entry(DEFAULT_DEPTH_MODEL)
        return PanoforgeError(
            f"Estimate Depth needs a depth model, and {e.id} is not on this computer",
            hint=_models_hint(e.backend, e.id, str(models_home() / e.backend), "Estimate Depth")
            + ". Depth from one picture needs a trained model; there is no classical path")
    if stage == "add_prop" and "openlrm" in exc.message.lower():
        e = entry("lrm-base")
        return PanoforgeError(
            f"LRM props need the OpenLRM weights, and {e.id} is not on this computer",
            hint=_models_hint(e.backend, e.id, str(models_home() / e.backend), "Add Prop…")
            + " (CC-BY-NC-4.0: non-commercial use only). Or choose “Procedural” under "
            "Made by in Add Prop: words make a prop with no weights")
    return exc


class StageControl(QObject):
    """The window's stages: one runs at a time.

    Parameters
    ----------
    window : app.window.main_window.MainWindow

    Signals
    -------
    stageEnded(str, str)
        The stage key and ``"finished"``, ``"errored"`` or ``"cancelled"``.
    """

    stageEnded = Signal(str, str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.worker: StageWorker | None = None
        self._old: list[StageWorker] = []
        self.progress = StageProgress()
        self.progress.cancel_button.clicked.connect(self.cancel)
        window.statusBar().addPermanentWidget(self.progress)

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.outcome == ""

    # -- what the gallery and the menu call --------------------------------------------------
    def available(self, result) -> list[str]:
        """The stages a result offers (Estimate Depth only without depth)."""
        keys = ["upscale", "repair_poles"]
        if not result.panorama.has_depth:
            keys.append("estimate_depth")
        return keys

    def start(self, stage: str, result_id: str | None = None) -> StageWorker | None:
        """Run ``stage`` on ``result_id`` (default: the active result) on a worker thread."""
        w = self.window
        doc = w.doc
        rid = result_id or doc.active_id
        title = STAGES[stage][0]
        if not rid or self.busy():
            return None
        parent = doc.result(rid)
        try:
            work, note = self._work(stage, parent)
        except PanoforgeError as exc:
            w.prompter.show_error(w, title, missing_weights_error(stage, exc))
            return None
        text = f"{STAGES[stage][1]} {doc.label_of(parent)}"
        return self.launch(stage, title, text + (f" — {note}" if note else ""), work,
                           lambda staged, p=rid: self._finished(p, staged),
                           lambda exc, s=stage: missing_weights_error(s, exc))

    def busy(self) -> bool:
        """Whether a job runs (and say so in the status bar)."""
        if self.running:
            self.window.statusBar().showMessage(
                f"{self.worker.name} is still running: wait for it, or press Cancel next to "
                "its progress bar.", 6000)
            return True
        return False

    def launch(self, key: str, title: str, text: str, work, on_finished,
               explain=lambda exc: exc) -> StageWorker:
        """Run ``work(on_progress, cancel)`` with the status-bar progress and Cancel.

        ``on_finished(value)`` runs in the UI thread; errors are shown (through
        ``explain``) by the prompter; ``stageEnded(key, outcome)`` follows.
        """
        w = self.window
        worker = StageWorker(title, work, parent=self)
        worker.progress.connect(self.progress.report)
        worker.finished.connect(on_finished)
        worker.errored.connect(lambda exc, t=title: w.prompter.show_error(
            w, f"{t} failed", explain(exc)))
        worker.cancelled.connect(lambda t=title: w.statusBar().showMessage(
            f"{t} cancelled; nothing was added.", 5000))
        worker.done.connect(lambda wk=worker, k=key: self._done(k, wk))
        self.worker = worker
        self.progress.begin(text.split(" — ")[0])
        w.statusBar().showMessage(text)
        worker.start()
        return worker

    def cancel(self) -> None:
        if self.running:
            self.worker.cancel()
            self.progress.cancel_button.setEnabled(False)
            self.progress.bar.setFormat("Cancelling…")

    # -- the work (built in the UI thread, run in the worker) -------------------------------
    def _work(self, stage: str, parent):
        from app import workflows_stages

        s = self.window.settings
        pano, label = parent.panorama, self.window.doc.label_of(parent)
        device = s.device() or "auto"
        if stage == "upscale":
            from models.ldm3d_sr.backend import SRRequest
            from models.ldm3d_sr.upscale import choose_method

            model = s.model_folders().get("ldm3d-sr") or None
            method, _ = choose_method("auto", pano, model)
            note = ("with LDM3D-SR" if method == "sr" else
                    "with the classical upscaler" + (
                        " (LDM3D-SR needs depth)" if not pano.has_depth else
                        " (for LDM3D-SR add its weights on Preferences ▸ Models)"))
            sr = SRRequest(model=model, device=device)
            return (lambda on_progress, cancel: workflows_stages.upscale(
                pano, method, sr, parent_label=label, on_progress=on_progress,
                cancel=cancel)), note
        if stage == "repair_poles":
            return (lambda on_progress, cancel: workflows_stages.repair_poles(
                pano, parent_label=label, on_progress=on_progress, cancel=cancel)), \
                "both caps, 20° from each pole, with OpenCV inpainting"
        if stage == "estimate_depth":
            from models.depth_estimation import DEFAULT_DEPTH_MODEL

            if pano.has_depth:
                raise InputError(f"{label} already has depth",
                                 hint="Estimate Depth is for panoramas imported without depth")
            model = s.model_folders().get(DEFAULT_DEPTH_MODEL) or None
            return (lambda on_progress, cancel: workflows_stages.estimate_depth(
                pano, model, device, parent_label=label, on_progress=on_progress,
                cancel=cancel)), ""
        raise KeyError(stage)

    # -- the end (UI thread) ----------------------------------------------------------------
    def _finished(self, parent_id: str, staged) -> None:
        w = self.window
        push_child(w.doc, staged, parent_id)
        pano = staged.panorama
        msg = (f"New result: {staged.label}, {pano.width}×{pano.height} "
               f"({staged.duration_s:.1f} s). Edit ▸ Undo removes it.")
        if staged.warnings:
            msg += " — " + "; ".join(staged.warnings)
        w.statusBar().showMessage(msg, 10000)

    def _done(self, stage: str, worker: StageWorker) -> None:
        self.progress.end()
        self._old = [wk for wk in self._old if wk.is_running()] + [worker]
        self.stageEnded.emit(stage, worker.outcome)

    def shutdown(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(30000)
        for wk in self._old:
            wk.wait(5000)


def install_stages(w) -> None:
    """Give window ``w`` its stages (``w.stages``, ``w.act_upscale``, ``w.act_repair_poles``,
    ``w.act_estimate_depth``), its props (``w.props``), a Result menu, and the gallery's
    context-menu entries."""
    from .props import install_props

    w.stages = StageControl(w)
    acts = {}
    for key, (text, _) in STAGES.items():
        from PySide6.QtGui import QAction

        act = QAction(text, w)
        act.triggered.connect(lambda _c=False, k=key: w.stages.start(k))
        w.addAction(act)
        acts[key] = act
    acts["upscale"].setStatusTip("Make a 4× larger child of the active result (colour and "
                                 "depth; LDM3D-SR with its weights, else classical)")
    acts["repair_poles"].setStatusTip("Re-synthesise the smeared zenith and nadir of the "
                                      "active result as a child result")
    acts["estimate_depth"].setStatusTip("Give the active result (imported without depth) "
                                        "depth with a Depth Anything model")
    w.act_upscale, w.act_repair_poles, w.act_estimate_depth = (
        acts["upscale"], acts["repair_poles"], acts["estimate_depth"])
    install_props(w)
    menu = w.menuBar().addMenu("&Result")
    menu.addActions([w.act_upscale, w.act_repair_poles, w.act_estimate_depth])
    menu.addSeparator()
    menu.addAction(w.act_add_prop)
    w.result_menu = menu

    def sync() -> None:
        res = w.doc.active if w.doc is not None else None
        for key, act in acts.items():
            act.setEnabled(res is not None and key in w.stages.available(res))
        w.act_add_prop.setEnabled(res is not None and res.panorama.has_depth)

    menu.aboutToShow.connect(sync)
    w.stages.sync_actions = sync

    def gallery_actions(result_id: str) -> list:
        res = w.doc.result(result_id)
        items = [(STAGES[k][0], lambda k=k, r=result_id: w.stages.start(k, r))
                 for k in w.stages.available(res)]
        if res.panorama.has_depth:
            items.append(("Add Prop…", lambda r=result_id: w.props.add_prop_dialog(r)))
        if res.kind == "generated":  # (variations repeat a request with other seeds)
            from . import variations

            items += variations.gallery_actions(w, result_id)
        return items

    w.gallery.extra_actions = gallery_actions

    original_shutdown = w.shutdown

    def shutdown() -> None:
        """Stop a running stage before the window's own shutdown (its threads are ours)."""
        if not w.closed:
            w.stages.shutdown()
        original_shutdown()

    w.shutdown = shutdown
