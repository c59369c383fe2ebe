"""Fly-through videos, once for the command line and the window (Qt-free).

:func:`record_flythrough` renders a :class:`FlythroughRequest` (a keyframe path file or an
orbit) through a project result's whole composition with the offscreen renderer and writes an
H.264 video atomically (:mod:`renderers.flythrough`, :mod:`renderers.video_file`). Progress
comes as :class:`models.base.Progress` (frame ``step`` of ``total``, elapsed, ETA); a cancel stops before the
next frame and leaves no file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FlythroughRequest", "record_flythrough", "flight_path_of", "DEFAULT_EQUIRECT_SIZE",
           "DEFAULT_VIDEO_SIZE"]

DEFAULT_VIDEO_SIZE = (1280, 720)
DEFAULT_EQUIRECT_SIZE = (2048, 1024)


@dataclass
class FlythroughRequest:
    """What to record.

    Attributes
    ----------
    output : str or Path
        The video (``.mp4``).
    result_id : str or None
        The dome result (None: the active one).
    path_file : str or Path or None
        A path JSON file (:mod:`renderers.flight_path`); else an orbit of ``orbit_m``.
    orbit_m : float or None
        Orbit radius, metres (used when ``path_file`` is None; None: the scene's walk radius).
    duration_s : float
        Orbit duration, seconds.
    fov_deg : float
        Orbit horizontal field of view, degrees.
    fps : float
    size : (int, int) or None
        Frame size; None: 1280x720, or 2048x1024 for ``equirect``.
    equirect : bool
        360° video (equirect frames).
    supersample : int
    crf : int
    """

    output: str | Path
    result_id: str | None = None
    path_file: str | Path | None = None
    orbit_m: float | None = None
    duration_s: float = 10.0
    fov_deg: float = 90.0
    fps: float = 30.0
    size: tuple[int, int] | None = None
    equirect: bool = False
    supersample: int = 1
    crf: int = 17


def flight_path_of(request: FlythroughRequest, scene=None):
    """The :class:`~renderers.flight_path.FlightPath` a request asks for.

    An orbit without a radius circles at the scene's walk radius
    (:func:`scene.walk_bounds.walk_bounds`) times 0.8.
    """
    from renderers.flight_path import load_path, orbit_path

    if request.path_file is not None:
        return load_path(request.path_file)
    radius = request.orbit_m
    if radius is None:
        from scene.walk_bounds import DEFAULT_WALK_RADIUS_M, walk_bounds

        radius = 0.8 * (walk_bounds(scene).radius if scene is not None else DEFAULT_WALK_RADIUS_M)
    return orbit_path(radius, request.duration_s, fov_deg=request.fov_deg)


def record_flythrough(project, request: FlythroughRequest, on_progress=None, cancel=None):
    """Render the request's path through the result's scene into a video.

    Parameters
    ----------
    project : scene.project.Project
    request : FlythroughRequest
    on_progress : callable, optional
        Receives :class:`models.base.Progress` after each frame.
    cancel : Event-like, optional

    Returns
    -------
    renderers.flythrough.FlythroughInfo

    Raises
    ------
    InputError, CancelledError, GLUnavailableError
    """
    from models.base import Progress
    from renderers.flythrough import render_flythrough
    from renderers.scene_parts import scene_parts
    from renderers.video_file import check_video_path, check_video_size
    from scene.mesh import build_depth_mesh

    out = check_video_path(request.output)
    size = request.size or (DEFAULT_EQUIRECT_SIZE if request.equirect else DEFAULT_VIDEO_SIZE)
    check_video_size(size, request.fps)
    result = project.pick(request.result_id)
    scene = project.scene(result.id)
    path = flight_path_of(request, scene)
    settings = project.mesh_settings
    mesh = build_depth_mesh(scene.dome, settings)
    parts = scene_parts(scene, settings)
    start = time.perf_counter()

    def report(done: int, total: int) -> None:
        if on_progress is not None:
            el = time.perf_counter() - start
            on_progress(Progress(done, total, el, el / max(done, 1) * (total - done), None,
                                 "rendering frames"))

    kind = "360° equirect" if request.equirect else "perspective"
    return render_flythrough(
        scene.dome, mesh, path, out, size=size, fps=request.fps, equirect=request.equirect,
        parts=parts, supersample=request.supersample, crf=request.crf,
        metadata={"title": f"Panoforge fly-through of {result.id}",
                  "comment": f"{kind}, {path.duration:g} s"},
        on_progress=report, cancel=cancel)
