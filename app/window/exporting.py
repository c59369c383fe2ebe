"""Export from the window: the Export dialog's choices, then the writers for the active result."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication

from scene.errors import PanoforgeError
from scene.panorama import RGBDPanorama

from .dialogs import ExportChoices
from .preferences_store import KEY_LAST_EXPORT_DIR

__all__ = ["export_plan", "export_result", "default_stem", "ExportControl", "EXPORT_KINDS"]

#: The outputs the Export dialog offers (and the File ▸ Export submenu preselects).
EXPORT_KINDS = ("glb", "ply", "images", "cubemap", "stereo360")


def default_stem(project_path: Path | None, result_id: str) -> str:
    """``<project>_<result id>`` (``scene_r2`` untitled): the result's name, unique per project."""
    return f"{project_path.stem if project_path else 'scene'}_{result_id}"


def export_plan(options: ExportChoices):
    """The Export dialog's choices as an :class:`app.workflows.ExportPlan`.

    File names: ``<stem>.glb``, ``<stem>.ply`` (``<stem>_points.ply`` for a point cloud),
    ``<stem>_stereo360.png``; the flat images and the cube faces go to ``<stem>_images/``
    and ``<stem>_cubemap/`` with the names ``panoforge export --images DIR`` and
    ``--cubemap DIR`` give them (``panorama.png``, ``panorama_depth.png`` ..., ``px.png`` ...),
    all in ``options.folder``.
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
        plan.add("images", folder / f"{stem}_images")
    if options.cubemap:
        plan.add("cubemap", folder / f"{stem}_cubemap", face_size=options.cube_face)
    if options.stereo360:
        plan.add("stereo360", folder / f"{stem}_stereo360.png")
        plan.scene = options.scene  # the whole composition, as the CLI's --stereo360
    if options.preset:
        from scene.export_presets import get_preset

        preset = get_preset(options.preset)
        path = folder / f"{stem}.{preset.name}{preset.suffix}"
        if preset.container == "usdz":
            plan.add("usdz", path)
        else:
            plan.add("preset", path, preset=preset.name, texture=options.texture,
                     jpeg_quality=options.jpeg_quality,
                     ktx2=True if options.ktx2 else None)
        plan.scene = options.scene  # a preset writes the layers and props too
    return plan


def export_result(pano: RGBDPanorama, options: ExportChoices) -> tuple[list[Path], list[str]]:
    """Write the chosen outputs through :func:`app.workflows.export` (the CLI's writers).

    Parameters
    ----------
    pano : RGBDPanorama
        The result to export (its clip range, if any, shapes the mesh as in the viewport).
    options : ExportChoices

    Returns
    -------
    written : list of Path
    notices : list of str
        ``created folder X`` for each folder made on the way (as the command line prints
        it), what the writers reported (texture downscaled, ...), then the licence warning
        when the result depends on a non-commercial model.
    """
    from app import workflows
    from scene.output_paths import FOLDER_LISTENERS, make_folder

    made: list[Path] = []
    FOLDER_LISTENERS.append(made.append)
    try:
        make_folder(options.folder, "the export folder")
        done = workflows.export(export_plan(options), pano)
    finally:
        FOLDER_LISTENERS.remove(made.append)
    written = [p for _target, paths in done.written for p in paths]
    target = Path(options.folder)
    # the folders made up to the chosen one; those the outputs are (<stem>_images/) are named
    # by the files written in them
    notices = [f"created folder {m}" for m in made if m == target or m in target.parents]
    notices += list(done.notices)
    return written, notices + ([done.licence_warning] if done.licence_warning else [])



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
        self.used_folder: Path | None = None

    def export_dialog(self, only: str | None = None) -> list[Path]:
        """Export the active result (the dialog preselects ``only`` when given)."""
        w = self.window
        doc = w.doc
        if doc.active is None:
            return []
        # the folder used last in this session, else the project's, else the last one saved
        folder = self.used_folder or (doc.path.parent if doc.path else
                                      Path(w.settings.last_dir(KEY_LAST_EXPORT_DIR)))
        defaults = ExportChoices(folder=folder, stem=default_stem(doc.path, doc.active.id),
                                 mesh=doc.mesh_settings,
                                 scene=doc.project.scene(doc.active.id))
        if only is not None:
            for flag in EXPORT_KINDS:
                setattr(defaults, flag, flag == only)
        opts = w.prompter.export_options(w, defaults)
        if opts is None:
            return []
        return self.export_active(opts)

    def export_active(self, opts: ExportChoices) -> list[Path]:
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
        self.used_folder = Path(opts.folder)
        msg = f"Exported {len(written)} file(s) to {opts.folder}"
        if notices:
            msg += " — " + "; ".join(notices)
        w.statusBar().showMessage(msg, 8000)
        return written
