""""Generate variations: N seeds" of a gallery result, through the batch machinery.

The result's request (prompt, backend, size, steps, guidance) becomes N batch jobs with the
next N seeds (:func:`variation_jobs`); :class:`VariationsRun` runs them with
:func:`app.batch.runner.run_batch` in a worker thread (inline: one job after another in that
thread, so the window never spawns processes, and Ray is never imported here), with the
whole-batch progress, each job's stage and a cancel that stops within a step. Each job's
folder lands in the variations folder exactly as ``panoforge batch`` writes it (its
``batch.jsonl`` too, so running the same variations again skips what is done), and the
finished panoramas are added to the open project as new results.

The dialog is the variations grid (:class:`~app.window.variations_grid.VariationsGrid`):
the source and its N seeds side by side, each tile filled (with its seed under it) the
moment its job finishes, and each finished one joins the project at once (not at the end).
Picking one (double-click, or **Keep Selected**) makes it the active result and stars it,
so it stands out in the gallery among its siblings; **Keep Selected, Discard Others**
also deletes the variations not picked, as one undo step (Ctrl+Z brings them all back).
The source result is never discarded: it was there before the variations were asked for.

Hooking it into the gallery is one line for the window's owner (the gallery's
``extra_actions``)::

    gallery.extra_actions = lambda rid: [*others(rid), *variations.gallery_actions(window, rid)]
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .variations_grid import VariationsGrid

__all__ = ["variation_jobs", "VariationsRun", "VariationsDialog", "gallery_actions",
           "default_folder", "MAX_VARIATIONS"]

MAX_VARIATIONS = 64


def variation_jobs(result, count: int, first_seed: int | None = None) -> list:
    """``count`` batch jobs repeating ``result``'s request with the seeds after its own.

    Parameters
    ----------
    result : scene.project.Result
    count : int
        1 to :data:`MAX_VARIATIONS`.
    first_seed : int, optional
        Default: the result's seed + 1.

    Returns
    -------
    list of app.batch.jobs.Job
        Named ``<result id>-v<k>-<prompt>-s<seed>``.
    """
    from app.batch.jobs import job_from_fields
    from models.base import SEED_MAX
    from models.registry import BACKENDS

    md = result.panorama.metadata
    backend = md.backend if md.backend in BACKENDS and BACKENDS[md.backend].kind == "text" \
        else "procedural"
    info = BACKENDS[backend]
    prompt = md.user_prompt or md.prompt or "a scene"
    start = (md.seed + 1) if first_seed is None else int(first_seed)
    fields = {"prompt": prompt, "backend": backend}
    if info.defaults.perspective:
        if md.width and md.height:
            fields.update(width=md.width, height=md.height)
    else:
        fields.update(width=result.panorama.width, height=result.panorama.height)
    if info.needs_weights:
        fields.update(steps=md.steps or None, guidance=md.guidance or None,
                      negative=md.negative_prompt, scheduler=md.scheduler or None)
        if md.device in ("cpu", "cuda"):
            fields["device"] = md.device
    jobs = []
    for k in range(count):
        seed = (start + k) % (SEED_MAX + 1)
        jobs.append(job_from_fields({**fields, "seed": seed, "id": f"{result.id}-v{k + 1}"},
                                    index=k + 1, line=0))
    return jobs


def default_folder(project_path: str | Path | None) -> Path:
    """``<project>-variations`` next to a saved project, else one in the temporary folder."""
    if project_path:
        p = Path(project_path)
        return p.with_name(f"{p.stem}-variations")
    return Path(tempfile.gettempdir()) / "panoforge-variations"


class VariationsRun(QObject):
    """Run variation jobs on a worker thread; signals arrive on the UI thread.

    Signals
    -------
    status(BatchStatus)
    job(str, str)
        ``(job name, what it is doing)``.
    jobReady(str)
        A job's folder is complete (it ran to the end, or was already done): its name. Its
        panorama is already read, on the worker thread, into :attr:`loaded` (decoding a
        project's PNGs takes 0.1 s to seconds: not on the UI thread).
    finished(BatchSummary)
    errored(Exception)
    """

    status = Signal(object)
    job = Signal(str, str)
    jobReady = Signal(str)
    finished = Signal(object)
    errored = Signal(object)

    def __init__(self, jobs: list, folder: str | Path, backend_factory=None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = list(jobs)
        self.folder = Path(folder)
        self._factory = backend_factory
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self.summary = None
        #: ``job name -> RGBDPanorama`` read on the worker thread, taken by the dialog.
        self.loaded: dict = {}

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a VariationsRun runs once")
        self._thread = threading.Thread(target=self._work, name="variations", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop within a step; finished jobs stay, the rest can be run again later."""
        self._cancel.set()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout_s: float = 60.0) -> bool:
        if self._thread is not None:
            self._thread.join(timeout_s)
        return not self.is_running()

    def _on_job(self, event: str, name: str, info) -> None:
        if event == "progress":
            stage, p = info
            self.job.emit(name, f"{stage}: {p.message or ''} ({p.step}/{p.total})")
        elif event == "finished":
            self.job.emit(name, info["status"] + (f": {info['error']}" if info["error"] else ""))
            if info["status"] == "done":
                self._load(name)
                self.jobReady.emit(name)
        elif event == "skipped":
            self.job.emit(name, event)
            self._load(name)
            self.jobReady.emit(name)
        else:
            self.job.emit(name, event)

    def _load(self, name: str) -> None:
        """Read a finished job's panorama here, on the worker thread, into :attr:`loaded`."""
        job = next((j for j in self.jobs if j.name == name), None)
        try:
            for _job, pano in finished_panoramas(self.folder, [job] if job else []):
                self.loaded[name] = pano
        except Exception:  # noqa: BLE001 - the dialog reads it again and reports what fails
            pass

    def _work(self) -> None:
        from app.batch.runner import run_batch

        try:
            self.summary = run_batch(self.jobs, self.folder, executor="inline", workers=1,
                                     cancel=self._cancel, on_status=self.status.emit,
                                     on_job=self._on_job, backend_factory=self._factory)
        except Exception as exc:  # shown to the user
            self.errored.emit(exc)
        else:
            self.finished.emit(self.summary)


def finished_panoramas(folder: str | Path, jobs: list) -> list:
    """``(job, panorama)`` for each job whose folder is finished (its project's active one)."""
    from app.batch.execute import finished, job_folder
    from scene.project import load_project

    out = []
    for job in jobs:
        if finished(folder, job) is None:
            continue
        project = load_project(job_folder(folder, job) / f"{job.name}.panoforge")
        out.append((job, project.pick(None).panorama))
    return out


class VariationsDialog(QDialog):
    """Ask how many seeds and where, run them, show them side by side, keep the one picked.

    Each finished variation joins ``doc`` at once (not active) and fills its tile of
    :attr:`grid`; :meth:`keep` makes the picked one active and stars it, and with
    ``discard_others`` deletes the other variations of this run in one undo step.

    Parameters
    ----------
    doc : app.window.document.Document
    result_id : str
    folder : path, optional
        Default :func:`default_folder` of the document's file.
    backend_factory : callable, optional
        Tests.
    """

    def __init__(self, doc, result_id: str, folder: str | Path | None = None,
                 backend_factory=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VariationsDialog")
        self.setWindowTitle("Generate variations")
        self.doc = doc
        self.result = doc.result(result_id)
        self._factory = backend_factory
        self.run: VariationsRun | None = None
        self.added: list = []
        self._jobs: dict = {}
        lay = QVBoxLayout(self)
        md = self.result.panorama.metadata
        self.source_label = QLabel(f"“{md.user_prompt or md.prompt}” "
                                   f"({md.backend or 'procedural'}, seed {md.seed}) with the "
                                   "next seeds:")
        lay.addWidget(self.source_label)
        form = QFormLayout()
        self.count = QSpinBox()
        self.count.setRange(1, MAX_VARIATIONS)
        self.count.setValue(4)
        self.count.setToolTip(f"How many new seeds (1 to {MAX_VARIATIONS}): the seeds after "
                              f"{md.seed}, one variation each")
        form.addRow("Seeds", self.count)
        self.folder = QLineEdit(str(folder or default_folder(getattr(doc, "path", None))))
        self.folder.setToolTip("Where each variation's batch folder is written (running the "
                               "same variations again skips those already there)")
        form.addRow("Folder", self.folder)
        lay.addLayout(form)

        self.grid = VariationsGrid()
        self.grid.add_tile("source", int(md.seed), "original").fill(
            self.result.id, self.result.panorama.rgb)
        self.grid.select(self.result.id)
        self.grid.selectionChanged.connect(self._sync_keep)
        self.grid.picked.connect(lambda _rid: self.keep())
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.grid)
        scroll.setMinimumHeight(2 * 130)
        scroll.setMinimumWidth(4 * 196)
        lay.addWidget(scroll, 1)

        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        lay.addWidget(self.bar)
        self.status_label = QLabel("")
        self.job_label = QLabel("")
        self.job_label.setObjectName("hint")
        for label in (self.source_label, self.status_label, self.job_label):
            label.setTextFormat(Qt.TextFormat.PlainText)  # prompts and paths, as typed
        lay.addWidget(self.status_label)
        lay.addWidget(self.job_label)
        buttons = QDialogButtonBox()
        self.start_button = QPushButton("Generate")
        self.start_button.setToolTip("Generate the variations (each appears in the grid as it "
                                     "finishes and joins the project)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop; the variations already finished stay")
        self.cancel_button.setEnabled(False)
        self.keep_button = QPushButton("Keep Selected")
        self.keep_button.setToolTip("Make the selected tile the active result and star it "
                                    "(double-clicking a tile does the same)")
        self.discard_button = QPushButton("Keep Selected, Discard Others")
        self.discard_button.setToolTip("Keep the selected one (active, starred) and delete the "
                                       "other variations of this run; Ctrl+Z brings them back. "
                                       "The original always stays")
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        for b in (self.start_button, self.cancel_button, self.keep_button, self.discard_button):
            buttons.addButton(b, QDialogButtonBox.ButtonRole.ActionRole)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.keep_button.clicked.connect(lambda: self.keep())
        self.discard_button.clicked.connect(lambda: self.keep(discard_others=True))
        self.close_button.clicked.connect(self.reject)
        lay.addWidget(buttons)
        doc.resultsChanged.connect(self._on_results_changed)
        self._sync_keep()

    def start(self) -> None:
        """Make the jobs and run them (returns at once); a waiting tile per seed."""
        jobs = variation_jobs(self.result, self.count.value())
        self.bar.setRange(0, len(jobs))
        for job in jobs:
            self._jobs[job.name] = job
            if job.name not in self.grid.tiles:  # (a retry keeps the tiles already made)
                self.grid.add_tile(job.name, job.seed)
        self.run = VariationsRun(jobs, self.folder.text(), self._factory, parent=self)
        self.run.status.connect(self._on_status)
        self.run.job.connect(self._on_job)  # (a bound slot: queued onto the UI thread)
        self.run.jobReady.connect(self._on_job_ready)
        self.run.finished.connect(self._on_finished)
        self.run.errored.connect(self._on_error)
        self.start_button.setEnabled(False)
        self.count.setEnabled(False)
        self.folder.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.run.start()

    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()
            self.status_label.setText("cancelling…")

    def _on_job(self, name: str, what: str) -> None:
        self.job_label.setText(f"{name}: {what}")
        tile = self.grid.tiles.get(name)
        if tile is not None and tile.result_id is None and what.startswith(("failed", "error")):
            tile.failed(what.partition(":")[0])

    def _on_job_ready(self, name: str) -> None:
        """One variation is complete: into the project (not active) and into its tile."""
        job = self._jobs.get(name)
        tile = self.grid.tiles.get(name)
        if job is None or tile is None or tile.result_id is not None or self.run is None:
            return
        pano = self.run.loaded.pop(name, None)
        found = [(job, pano)] if pano is not None else finished_panoramas(self.run.folder, [job])
        for _job, pano in found:
            res = self.doc.add_result(pano, kind="generated", make_active=False)
            self.added.append(res)
            self.grid.fill(name, res.id, pano.rgb)
        self._sync_keep()

    def _on_status(self, s) -> None:
        self.bar.setValue(s.done + s.failed + s.skipped + s.cancelled)
        from app.batch.runner import fmt_s

        eta = f", about {fmt_s(s.eta_s)} left" if s.left and s.eta_s == s.eta_s else ""
        self.status_label.setText(f"{s.done + s.skipped} done, {s.failed} failed, "
                                  f"{s.left} left{eta}")

    def _on_finished(self, summary) -> None:
        for name in list(self._jobs):  # any whose ready report was missed
            self._on_job_ready(name)
        for tile in self.grid.tiles.values():
            if tile.result_id is None:
                tile.failed("not made")
        s = summary.status
        what = "stopped" if summary.cancelled else "finished"
        self.status_label.setText(f"{what}: {len(self.added)} added to the project, "
                                  f"{s.failed} failed (see {summary.ledger})")
        self._idle()

    def _on_error(self, exc) -> None:
        from .messages import window_error

        message, hint = window_error(exc)
        # the batch runner's hints name its --out option: here that is this dialog's Folder
        hint = hint.replace("choose another --out", "choose another Folder above")
        self.status_label.setText(f"error: {message}" + (f" ({hint})" if hint else ""))
        # the run stopped before these seeds were made: their tiles go, and the fields and
        # Generate come back so the user can fix what the hint says and try again
        for key in self.grid.remove_unfilled():
            self._jobs.pop(key, None)
        for widget in (self.start_button, self.count, self.folder):
            widget.setEnabled(True)
        self._idle()

    def _idle(self) -> None:
        self.cancel_button.setEnabled(False)
        self.close_button.setEnabled(True)
        self._sync_keep()

    def _on_results_changed(self) -> None:
        """A tile whose result left the project (deleted, discarded) greys out; undo brings
        it back."""
        alive = self._alive()
        for tile in self.grid.filled():
            here = tile.result_id in alive
            if tile.isEnabled() != here:
                tile.setEnabled(here)
                tile.setText(tile.caption() if here else tile.caption("discarded"))
        self._sync_keep()

    def _alive(self) -> set:
        return {r.id for r in self.doc.results}

    def _sync_keep(self, *_args) -> None:
        chosen = self.grid.selected_id()
        ok = chosen is not None and chosen in self._alive()
        self.keep_button.setEnabled(ok)
        others = [r for r in self.added if r.id != chosen and r.id in self._alive()]
        self.discard_button.setEnabled(ok and bool(others) and not self._running())

    def _running(self) -> bool:
        return self.run is not None and self.run.is_running()

    def keep(self, result_id: str | None = None, discard_others: bool = False) -> bool:
        """Pick a tile (default: the selected one): active and starred; others deleted if
        asked (one undo step, only once the run has ended). False when it is gone."""
        rid = result_id or self.grid.selected_id()
        alive = self._alive()
        if rid is None or rid not in alive:
            self.status_label.setText("That result is no longer in the project.")
            return False
        self.grid.select(rid)
        others = [r.id for r in self.added if r.id != rid and r.id in alive]
        discard = discard_others and bool(others) and not self._running()
        stack = self.doc.undo_stack
        if discard:
            stack.beginMacro(f"Keep {rid}, discard {len(others)} variations")
        try:
            self.doc.set_favourite(rid, True)  # the kept one gets the gallery's star
            for other in others if discard else []:
                self.doc.delete_result(other)
        finally:
            if discard:
                stack.endMacro()
        self.doc.set_active(rid)
        self.grid.mark_kept(rid)
        gone = f"; {len(others)} others discarded (Ctrl+Z brings them back)" if discard else ""
        self.status_label.setText(f"Kept {rid} as the active result (starred){gone}.")
        self._sync_keep()
        return True

    def reject(self) -> None:
        if self.run is not None and self.run.is_running():
            self.run.cancel()
            self.run.wait(30.0)
        super().reject()


def gallery_actions(window, result_id: str) -> list:
    """The gallery context-menu entry: ``[("Generate variations…", open the dialog)]``.

    ``window`` needs ``doc`` (the open :class:`~app.window.document.Document`). The dialog
    is not modal (the window stays usable while the seeds run); the window keeps it in
    ``window.variations_dialog`` (the newest one).
    """
    def open_dialog() -> None:
        dialog = VariationsDialog(window.doc, result_id, parent=window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.variations_dialog = dialog
        dialog.show()

    return [("Generate variations…", open_dialog)]
