"""Fly-through videos of a scene: the offscreen renderer along a camera path, into H.264.

Two kinds of frame:

- **perspective** (default): each frame is :meth:`OffscreenRenderer.render` at the path's pose
  (eye, yaw, pitch, horizontal fov) — the very pixels ``panoforge render --eye --yaw ...``
  writes for that pose.
- **equirect** (360° video for YouTube and VR players): each frame is a 2:1 equirectangular
  image seen from the path's eye, made of six 90° cube faces rendered by the same offscreen
  renderer and resampled bilinearly onto the panorama grid of :mod:`scene.conventions`. The
  image centre faces the path's yaw; pitch and fov are not used (a 360° video stays level and
  the player chooses the view). The face-to-pixel lookup is computed once per video.

The mesh and textures are uploaded once; every frame only moves the camera. ``on_progress``
is called as ``on_progress(frames_done, frames_total)`` after every frame; ``cancel`` (an
Event-like object) is checked before every frame and raises
:class:`scene.errors.CancelledError`; the video file is then not written (see
:mod:`renderers.video_file`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scene.conventions import direction_grid
from scene.errors import CancelledError

from . import view_math
from .flight_path import FlightPath
from .video_file import DEFAULT_CRF, VideoWriter, check_video_size

__all__ = ["FlythroughInfo", "render_flythrough", "CubeToEquirect", "CUBE_VIEWS"]

#: (yaw, pitch) degrees of the six cube faces rendered for an equirect frame.
CUBE_VIEWS = ((0.0, 0.0), (90.0, 0.0), (180.0, 0.0), (-90.0, 0.0), (0.0, 90.0), (0.0, -90.0))


@dataclass(frozen=True)
class FlythroughInfo:
    """What was written.

    Attributes
    ----------
    frames : int
    size : (int, int)
        Frame (width, height), pixels.
    fps : float
    duration_s : float
        ``frames / fps``.
    equirect : bool
    max_eye_m : float
        Farthest the path takes the eye from the capture point, metres.
    """

    frames: int
    size: tuple[int, int]
    fps: float
    duration_s: float
    equirect: bool
    max_eye_m: float


class CubeToEquirect:
    """Resample six cube faces (rendered at :data:`CUBE_VIEWS`, 90° fov, square) to equirect.

    Parameters
    ----------
    width, height : int
        Output size (2:1 for a full sphere).
    face_size : int
        Edge of each rendered face, pixels.
    """

    def __init__(self, width: int, height: int, face_size: int) -> None:
        self.width, self.height, self.face_size = int(width), int(height), int(face_size)
        d = direction_grid(self.width, self.height, dtype=np.float64).reshape(-1, 3)
        forwards = np.array([view_math.forward_vector(y, p) for y, p in CUBE_VIEWS])
        face = np.argmax(d @ forwards.T, axis=1)
        n = self.face_size
        proj = view_math.perspective(90.0, 1.0, 0.01, 10.0)
        px = np.empty(d.shape[0])
        py = np.empty(d.shape[0])
        for i, (y, p) in enumerate(CUBE_VIEWS):
            sel = face == i
            xy, _ = view_math.project_points(d[sel], view_math.view_yaw_pitch(y, p), proj, (n, n))
            px[sel], py[sel] = xy[:, 0] - 0.5, xy[:, 1] - 0.5
        px = np.clip(px, 0.0, n - 1.0)
        py = np.clip(py, 0.0, n - 1.0)
        x0 = np.minimum(np.floor(px).astype(np.int64), n - 2 if n > 1 else 0)
        y0 = np.minimum(np.floor(py).astype(np.int64), n - 2 if n > 1 else 0)
        self._fx = (px - x0)[:, None].astype(np.float32)
        self._fy = (py - y0)[:, None].astype(np.float32)
        base = face * n * n
        step = 1 if n > 1 else 0
        self._i00 = base + y0 * n + x0
        self._i01 = self._i00 + step
        self._i10 = self._i00 + step * n
        self._i11 = self._i10 + step

    def __call__(self, faces) -> np.ndarray:
        """``faces``: six (N, N, 3) uint8 images in :data:`CUBE_VIEWS` order -> (H, W, 3) uint8."""
        flat = np.stack(faces).reshape(-1, 3).astype(np.float32)
        fx, fy = self._fx, self._fy
        top = flat[self._i00] * (1 - fx) + flat[self._i01] * fx
        bot = flat[self._i10] * (1 - fx) + flat[self._i11] * fx
        out = top * (1 - fy) + bot * fy
        return np.clip(np.rint(out), 0, 255).astype(np.uint8).reshape(self.height, self.width, 3)


def render_flythrough(pano, mesh, path: FlightPath, out, *, size=(1280, 720), fps: float = 30.0,
                      equirect: bool = False, parts=None, supersample: int = 1,
                      crf: int = DEFAULT_CRF, metadata: dict | None = None, on_progress=None,
                      cancel=None) -> FlythroughInfo:
    """Render ``path`` through the scene and write it as an H.264 video at ``out``.

    Parameters
    ----------
    pano : RGBDPanorama
        The dome.
    mesh : DepthMesh
        Its DepthFusion mesh.
    path : FlightPath
    out : path-like
        ``.mp4`` (or ``.mov`` / ``.mkv``); written atomically, nothing on cancel or error.
    size : (int, int)
        Frame (width, height), even. For ``equirect`` use 2:1 (e.g. 2048x1024, 3840x1920).
    fps : float
    equirect : bool
        360° frames instead of perspective ones (see the module docstring).
    parts : SceneParts, optional
        The composition's layers and props.
    supersample : int
        1 to 4 (see :class:`~renderers.offscreen.OffscreenRenderer`).
    crf : int
        x264 quality.
    metadata : dict, optional
        Container tags.
    on_progress : callable, optional
        ``on_progress(done, total)`` after each frame.
    cancel : Event-like, optional

    Returns
    -------
    FlythroughInfo

    Raises
    ------
    CancelledError
        When ``cancel`` is set (no file is written).
    GLUnavailableError, InputError
    """
    from .offscreen import OffscreenRenderer

    (w, h), fps = check_video_size(size, fps)
    times = path.frame_times(fps)
    total = len(times)
    poses = path.sample(times)
    if equirect:
        n = max(8, int(np.ceil(w / 4)))
        render_size = (n, n)
        mapper = CubeToEquirect(w, h, n)
    else:
        render_size = (w, h)
    with OffscreenRenderer(pano, mesh, size=render_size, supersample=supersample,
                           parts=parts) as renderer, \
            VideoWriter(out, (w, h), fps, crf=crf, metadata=metadata,
                        spherical=equirect) as video:
        for i, pose in enumerate(poses):
            if cancel is not None and cancel.is_set():
                raise CancelledError("fly-through cancelled", hint="no video was written")
            if equirect:
                faces = [renderer.render(yaw_deg=pose.yaw_deg + fy, pitch_deg=fp, fov_deg=90.0,
                                         eye=pose.eye) for fy, fp in CUBE_VIEWS]
                frame = mapper(faces)
            else:
                frame = renderer.render(yaw_deg=pose.yaw_deg, pitch_deg=pose.pitch_deg,
                                        fov_deg=pose.fov_deg, eye=pose.eye)
            video.write(frame)
            if on_progress is not None:
                on_progress(i + 1, total)
    return FlythroughInfo(total, (w, h), fps, total / fps, bool(equirect),
                          path.max_eye_distance())
