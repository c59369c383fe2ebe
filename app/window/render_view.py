"""View ▸ Render This View (F12, as in Blender): the viewport's camera to a PNG at a chosen size.

The inside camera's yaw, pitch, horizontal field of view and eye (the walk offset too) and
the viewport's draw mode go to :func:`app.workflows_render.render_view_image`, the steps of
``panoforge render`` with its default supersampling, on a worker thread
(:class:`~app.window.stage_worker.StageWorker`); the file is written atomically when the
render is complete, and F12 again while it runs cancels it (nothing is written). The status bar then names the file and the equivalent command line, which
gives the same picture.

The size and the file are asked through the window's prompter (``render_view_options``; a
prompter without it gets :class:`~app.window.dialogs.render_view_dialog.RenderViewDialog`),
so tests never open a modal dialog.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from scene.errors import InputError

from .dialogs.render_view_dialog import MAX_SIDE, RenderViewChoices, ask_render_options

if TYPE_CHECKING:
    from app.workflows_render import ViewRender

__all__ = ["RenderViewControl", "RenderViewChoices", "default_render_path", "view_render_of"]

_RENDER_TEXT = "Render &This View…"  # (V is the View menu's Saved &Views)
_CANCEL_TEXT = "Cancel Render &This View"


def default_render_path(folder: Path, stem: str) -> Path:
    """``folder/<stem>_view.png``, or ``_view_2.png`` ... when that file exists."""
    path = folder / f"{stem}_view.png"
    n = 2
    while path.exists():
        path = folder / f"{stem}_view_{n}.png"
        n += 1
    return path


def view_render_of(viewport, size) -> ViewRender:
    """The viewport's inside camera and mode as an :class:`app.workflows_render.ViewRender`."""
    from app.workflows_render import ViewRender

    s = viewport.inside_camera.state
    return ViewRender(yaw_deg=float(s.yaw_deg), pitch_deg=float(s.pitch_deg),
                      fov_deg=float(s.fov_deg), eye=tuple(float(v) for v in s.eye),
                      size=(int(size[0]), int(size[1])), mode=viewport.mode)


class RenderViewControl(QObject):
    """The Render This View action of a :class:`~app.window.main_window.MainWindow`.

    Attributes
    ----------
    act_render : QAction
        View ▸ Render This View… (F12).
    worker : StageWorker or None
        The running render.
    last_path : Path or None
        The image the last finished render wrote.
    last_view : app.workflows_render.ViewRender or None
        What it rendered.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.worker = None
        self.last_path: Path | None = None
        self.last_view = None
        self._choices: RenderViewChoices | None = None  # the last answer, offered again
        self.act_render = QAction(_RENDER_TEXT, window)
        self.act_render.setShortcut("F12")
        tip = ("Render what the 3D view shows (its yaw, pitch, field of view, eye and mode) "
               "to a PNG at a size you choose, as panoforge render does")
        self.act_render.setStatusTip(tip)
        self.act_render.setToolTip(tip)
        self.act_render.triggered.connect(lambda _c=False: self.render_dialog())
        window.addAction(self.act_render)

    def _defaults(self) -> RenderViewChoices:
        doc = self.w.doc
        folder = doc.path.parent if doc.path is not None else None
        if folder is None:
            from .preferences_store import KEY_LAST_EXPORT_DIR

            folder = Path(self.w.settings.last_dir(KEY_LAST_EXPORT_DIR))
        stem = f"{doc.path.stem if doc.path is not None else 'scene'}_{doc.active_id}"
        path = str(default_render_path(folder, stem))
        if self._choices is None:
            return RenderViewChoices(path=path)
        return replace(self._choices, path=path)

    def _refuse(self, message: str, hint: str) -> None:
        self.w.prompter.show_error(self.w, "Render this view", InputError(message, hint=hint))

    def render_dialog(self):
        """Ask for the size and file, then start the render; the worker or ``None``.

        While a render runs, the action (F12 again) cancels it: nothing is written.
        """
        if self.worker is not None:
            self.worker.cancel()
            self.w.statusBar().showMessage("Render this view: cancelling…")
            return None
        vp = getattr(self.w, "viewport", None)
        if self.w.doc.active is None:
            self._refuse("there is no scene to render yet",
                         "generate a scene (Generate panel) or open a project first")
            return None
        if vp is None:
            self._refuse("the 3D view is unavailable, so there is no camera to render",
                         "install the renderer (vispy and OpenGL) and restart Panoforge")
            return None
        if vp.view != "inside":
            self._refuse("Render This View renders the inside camera; the 3D view is "
                         "orbiting outside",
                         "switch to View ▸ Inside View (Ctrl+1), look where you want, then "
                         "press F12 again")
            return None
        ask = getattr(self.w.prompter, "render_view_options", None)
        defaults = self._defaults()
        choices = (ask(self.w, defaults) if ask is not None
                   else ask_render_options(self.w, defaults))
        if choices is None:
            return None
        return self.start(choices)

    def start(self, choices: RenderViewChoices):
        """Render the current view with ``choices`` on a worker thread; the worker or ``None``."""
        from app.workflows_render import render_view_image

        from .stage_worker import StageWorker

        if not choices.path:
            self._refuse("no file to render to", "type a file name in the File field")
            return None
        if not (16 <= choices.width <= MAX_SIDE and 16 <= choices.height <= MAX_SIDE):
            self._refuse(f"{choices.width} × {choices.height} pixels is not a size Render "
                         "This View can make",
                         f"set Width and Height between 16 and {MAX_SIDE} pixels")
            return None
        path = Path(choices.path)
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            path = path.with_name(path.name + ".png")
        if not path.parent.is_dir():
            self._refuse(f"the folder {str(path.parent)!r} does not exist",
                         "choose an existing folder with the … button next to File")
            return None
        self._choices = choices
        view = view_render_of(self.w.viewport, (choices.width, choices.height))
        doc = self.w.doc
        scene = doc.project.scene(doc.active_id)  # immutable parts: safe on the worker
        settings = doc.mesh_settings

        def run(on_progress, cancel):
            return render_view_image(scene, settings, view, path, on_progress=on_progress,
                                     cancel=cancel)

        self.worker = worker = StageWorker("render-view", run, self)
        status = self.w.statusBar()
        worker.progress.connect(lambda p: status.showMessage(f"Render this view: {p.message}…"))
        worker.finished.connect(lambda out: self._done(out, view))
        worker.errored.connect(lambda exc: self.w.prompter.show_error(self.w, "Render this view",
                                                                      exc))
        worker.cancelled.connect(lambda: status.showMessage("Render cancelled; nothing was "
                                                            "written.", 5000))
        worker.done.connect(self._over)
        status.showMessage("Render this view: starting… (F12 again cancels)")
        self.act_render.setText(_CANCEL_TEXT)
        worker.start()
        return worker

    def _done(self, out: Path, view) -> None:
        self.last_path, self.last_view = Path(out), view
        w, h = view.size
        args = " ".join(view.cli_arguments())
        self.w.statusBar().showMessage(
            f"Rendered {w}×{h} to {out} (the same as panoforge render PROJECT {args})", 12000)

    def _over(self) -> None:
        self.worker = None
        self.act_render.setText(_RENDER_TEXT)

    def shutdown(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(30000)
