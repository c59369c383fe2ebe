"""Export the active result with the options of the Export dialog (the H2 writers)."""

from __future__ import annotations

from pathlib import Path

from scene.panorama import RGBDPanorama

from .dialogs import ExportOptions

__all__ = ["export_result"]


def export_result(pano: RGBDPanorama, options: ExportOptions) -> tuple[list[Path], list[str]]:
    """Write the chosen outputs.

    Parameters
    ----------
    pano : RGBDPanorama
        The result to export (its clip range, if any, shapes the mesh as in the viewport).
    options : ExportOptions

    Returns
    -------
    written : list of Path
    notices : list of str
        What the writers reported (texture downscaled, ...).
    """
    from scene.mesh import build_depth_mesh


    folder = Path(options.folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    notices: list[str] = []
    mesh = None
    if options.glb or options.ply:
        mesh = build_depth_mesh(pano, options.mesh)
    if options.glb:
        from scene.export_glb import write_glb

        path = folder / f"{options.stem}.glb"
        notices += list(write_glb(path, pano, mesh, texture=options.texture,
                                  jpeg_quality=options.jpeg_quality) or [])
        written.append(path)
    if options.ply:
        from scene.export_ply import write_ply

        path = folder / f"{options.stem}{'_points' if options.ply_points else ''}.ply"
        write_ply(path, pano, mesh, points=options.ply_points)
        written.append(path)
    if options.images:
        from scene.export_images import write_images

        written += list(write_images(folder, pano, stem=options.stem))
    if options.cubemap:
        from scene.cubemap import write_cubemap

        written += list(write_cubemap(folder, pano, face_size=options.cube_face,
                                      stem=f"{options.stem}_"))
    return written, notices
