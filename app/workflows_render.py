"""Render one view of a result's scene to an image file: the window's "Render This View" (F12).

The same steps as ``panoforge render PROJECT --yaw --pitch --fov --eye --size --mode -o
OUT.png`` (:mod:`app.commands.render`): the dome's DepthFusion mesh built with the project's
mesh settings, the result's layers and props with the same settings, the offscreen renderer
(:func:`renderers.offscreen.write_render`) with the CLI's default supersampling, and an atomic
write. So a pose rendered here and the same numbers given to the command line give the same
picture (``tests/app/test_window_habits_view.py`` checks it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ViewRender", "render_view_image", "CLI_SUPERSAMPLE"]

#: ``panoforge render``'s default ``--supersample``.
CLI_SUPERSAMPLE = 2


@dataclass(frozen=True)
class ViewRender:
    """One view to render.

    Attributes
    ----------
    yaw_deg, pitch_deg : float
        Degrees (yaw 0 = panorama centre, -Z; positive right; positive pitch up).
    fov_deg : float
        Horizontal field of view, degrees.
    eye : (float, float, float)
        Eye position, metres from the capture point.
    size : (int, int)
        Output ``(width, height)``, pixels.
    mode : {"textured", "depth", "wireframe", "points"}
    supersample : int
        1 to 4 (default :data:`CLI_SUPERSAMPLE`, as the command line).
    """

    yaw_deg: float
    pitch_deg: float
    fov_deg: float
    eye: tuple[float, float, float]
    size: tuple[int, int] = (1920, 1080)
    mode: str = "textured"
    supersample: int = CLI_SUPERSAMPLE

    def cli_arguments(self) -> list[str]:
        """The ``panoforge render`` options that render this view (``-o`` left out)."""
        x, y, z = self.eye
        w, h = self.size
        return ["--yaw", repr(float(self.yaw_deg)), "--pitch", repr(float(self.pitch_deg)),
                "--fov", repr(float(self.fov_deg)),
                f"--eye={float(x)!r},{float(y)!r},{float(z)!r}", "--size", f"{w}x{h}",
                "--mode", self.mode, "--supersample", str(self.supersample)]


def render_view_image(scene, settings, view: ViewRender, path: str | Path, *,
                      on_progress=None, cancel=None, on_built=None) -> Path:
    """Render ``view`` of a composition and write it atomically (PNG or JPEG by suffix).

    Parameters
    ----------
    scene : scene.composition.Scene
        The result's dome with its layers and props (``Project.scene(result_id)``).
    settings : scene.mesh_settings.MeshSettings
        Mesh settings of the dome and the layers (the project's).
    view : ViewRender
    path : path-like
        ``.png``, ``.jpg`` or ``.jpeg`` in an existing folder (checked before any work).
    on_progress : callable, optional
        Called with :class:`models.base.Progress` before each of the two steps.
    cancel : threading.Event, optional
        Checked between the steps; set, :class:`scene.errors.CancelledError` is raised and
        nothing is written.
    on_built : callable, optional
        ``on_built(mesh, parts, seconds)`` once the dome's mesh
        (:class:`scene.mesh.DepthMesh`) and the other parts
        (:class:`renderers.scene_parts.SceneParts`) are built, with the seconds it took (the
        command line prints the triangle counts).

    Returns
    -------
    Path
        The file written.
    """
    from models.base import Progress
    from renderers.image_file import check_image_path
    from renderers.offscreen import write_render
    from renderers.scene_parts import scene_parts
    from scene.errors import CancelledError
    from scene.mesh import build_depth_mesh

    out = check_image_path(path)

    def step(i: int, message: str) -> None:
        if cancel is not None and cancel.is_set():
            raise CancelledError("render cancelled")
        if on_progress is not None:
            on_progress(Progress(step=i, total=2, message=message))

    step(0, "building the mesh")
    start = time.perf_counter()
    mesh = build_depth_mesh(scene.dome, settings)
    parts = scene_parts(scene, settings)
    if on_built is not None:
        on_built(mesh, parts, time.perf_counter() - start)
    step(1, "rendering")
    write_render(out, scene.dome, mesh, yaw_deg=float(view.yaw_deg),
                 pitch_deg=float(view.pitch_deg), fov_deg=float(view.fov_deg),
                 size=tuple(int(v) for v in view.size), mode=view.mode,
                 eye=tuple(float(v) for v in view.eye), supersample=int(view.supersample),
                 parts=parts)
    return out
