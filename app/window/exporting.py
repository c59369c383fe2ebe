"""Export from the window: the Export dialog's choices, then the writers for the active result."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication

from scene.errors import PanoforgeError
from scene.panorama import RGBDPanorama

from .dialogs import ExportOptions
from .settings import KEY_LAST_EXPORT_DIR

__all__ = ["export_plan", "export_result", "ExportControl", "EXPORT_KINDS"]

#: The outputs the Export dialog offers (and the File ▸ Export submenu preselects).
EXPORT_KINDS = ("glb", "ply", "images", "cubemap")


def export_plan(options: ExportOptions):
    """The Export dialog's choices as an :class:`app.workflows.ExportPlan`.

    File names: ``<stem>.glb``, ``<stem>.ply`` (``<stem>_points.ply`` for a point cloud), the
    flat images as ``<stem>.png`` etc. and the cube faces as ``<stem>_px.png`` ... in
    ``options.folder``.
    """
    from app.workflows import ExportPlan

    folder, stem = Path(options.folder), options.stem
    plan = ExportPlan(mesh_settings=options.mesh, preview_keeps_all_faces=False)
    if options.glb:
        plan.add("glb", folder / f"{stem}.glb", texture=options.texture,
                 jpeg_quality=options.jpeg_quality)
    if options.ply:
        plan.add("ply", folder / f"{stem}{'_points' if options.ply_points else ''}.ply",
                 points=options.ply_points)
    if options.images:
        plan.add("images", folder, stem=stem)
    if options.cubemap:
        plan.add("cubemap", folder, face_size=options.cube_face, stem=f"{stem}_")
    if options.preset:
        from scene.export_presets import get_preset

        preset = get_preset(options.preset)
        path = folder / f"{stem}.{preset.name}{preset.suffix}"
        if preset.container == "usdz":
            plan.add("usdz", path)
        else:
            plan.add("preset", path, preset=preset.name, texture=options.texture,
                     jpeg_quality=options.jpeg_quality)
        plan.scene = options.scene  # a preset writes the layers and props too
    return plan


def export_result(pano: RGBDPanorama, options: ExportOptions) -> tuple[list[Path], list[str]]:
    """Write the chosen outputs through :func:`app.workflows.export` (the CLI's writers).

    Parameters
    ----------
    pano : RGBDPanorama
        The result to export (its clip range, if any, shapes the mesh as in the viewport).
    options : ExportOptions

    Returns
    -------
    written : list of Path
    notices : list of str
        What the writers reported (texture downscaled, ...), then the licence warning when
        the result depends on a non-commercial model.
    """
    from app import workflows

    Path(options.folder).mkdir(parents=True, exist_ok=True)
    done = workflows.export(export_plan(options), pano)
    written = [p for _target, paths in done.written for p in paths]
    return written, list(done.notices) + ([done.licence_warning] if done.licence_warning else [])


class ExportControl(QObject):
    """The window's Export actions.

    Parameters
    ----------
    window : app.window.main_window.MainWindow
        Gives the document, the prompter, the settings and the status bar.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window

    def export_dialog(self, only: str | None = None) -> list[Path]:
        """Export the active result (the dialog preselects ``only`` when given)."""
        w = self.window
        doc = w.doc
        if doc.active is None:
            return []
        stem = doc.path.stem if doc.path else "scene"
        defaults = ExportOptions(folder=Path(w.settings.last_dir(KEY_LAST_EXPORT_DIR)),
                                 stem=stem, mesh=doc.mesh_settings,
                                 scene=doc.project.scene(doc.active.id))
        if only is not None:
            for flag in EXPORT_KINDS:
                setattr(defaults, flag, flag == only)
        opts = w.prompter.export_options(w, defaults)
        if opts is None:
            return []
        return self.export_active(opts)

    def export_active(self, opts: ExportOptions) -> list[Path]:
        """Write the active result's outputs; returns the files written."""
        w = self.window
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written, notices = export_result(w.doc.active.panorama, opts)
        except (PanoforgeError, OSError) as exc:
            QApplication.restoreOverrideCursor()
            w.prompter.show_error(w, "Export", exc)
            return []
        QApplication.restoreOverrideCursor()
        w.settings.set_last_dir(KEY_LAST_EXPORT_DIR, opts.folder)
        msg = f"Exported {len(written)} file(s) to {opts.folder}"
        if notices:
            msg += " — " + "; ".join(notices)
        w.statusBar().showMessage(msg, 8000)
        return written
