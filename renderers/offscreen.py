"""Render a DepthFusion scene to an image without a window (previews, README pictures, CLI).

The view is the inside camera of the viewport: from ``eye`` (default the capture point),
looking at ``(yaw, pitch)`` in the conventions of :mod:`scene.conventions` (yaw 0 looks at the
panorama centre, -Z; positive yaw turns right, towards +X; positive pitch looks up), with a
**horizontal** field of view ``fov_deg``.

A whole composition (:class:`scene.composition.Scene`: the dome, its layers and props) is
drawn by passing its :class:`~renderers.scene_parts.SceneParts` as ``parts`` (or use
:func:`render_scene`); without ``parts`` only the dome is drawn, as before.

The OpenGL context comes from :func:`renderers.gl_context.offscreen_app` (EGL first, then a
hidden Qt or GLFW window on a display); see that module for the order.

Examples
--------
>>> img = render_view(pano, mesh, yaw_deg=90, size=(640, 360))   # doctest: +SKIP
>>> with OffscreenRenderer(pano, mesh, size=(512, 512)) as r:      # doctest: +SKIP
...     faces = [r.render(yaw_deg=y) for y in (0, 90, 180, -90)]
"""

from __future__ import annotations

import os

import numpy as np

from scene.errors import InputError
from scene.meshdata import DepthMesh
from scene.panorama import RGBDPanorama

from .mesh_visual import MODES

__all__ = ["render_view", "render_scene", "write_render", "OffscreenRenderer",
           "MAX_RENDER_SIZE", "BACKGROUND"]

#: Largest width or height of an offscreen render, pixels (after supersampling).
MAX_RENDER_SIZE = 8192
#: Colour where no face is drawn (RGB 0..1).
BACKGROUND = (0.0, 0.0, 0.0)


def _check_size(size, supersample: int) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise InputError(f"render size must be (width, height), got {size!r}",
                         hint="for example --size 1280x720") from None
    if not (1 <= supersample <= 4):
        raise InputError(f"supersample must be 1 to 4, got {supersample}")
    if w < 1 or h < 1 or max(w, h) * supersample > MAX_RENDER_SIZE:
        raise InputError(f"render size {w}x{h} (x{supersample} supersampling) is out of range",
                         hint=f"width and height must be 1..{MAX_RENDER_SIZE // supersample}")
    return w, h


def _check_view(fov_deg: float, mode: str, eye) -> np.ndarray:
    if not (0.0 < float(fov_deg) < 180.0):
        raise InputError(f"field of view must be between 0 and 180 degrees, got {fov_deg}",
                         hint="for example --fov 90 (horizontal)")
    if mode not in MODES:
        raise InputError(f"unknown render mode {mode!r}", hint="use one of " + ", ".join(MODES))
    e = np.asarray(eye, dtype=np.float64).reshape(-1)
    if e.shape != (3,) or not np.all(np.isfinite(e)):
        raise InputError(f"eye must be three finite numbers (metres), got {eye!r}")
    return e


class OffscreenRenderer:
    """An offscreen canvas holding one scene, for rendering many views of it cheaply.

    The mesh and texture are uploaded once; each :meth:`render` only moves the camera.

    Parameters
    ----------
    pano : RGBDPanorama
        Gives the texture (its ``rgb``).
    mesh : DepthMesh
        The geometry (from :func:`scene.mesh.build_depth_mesh`).
    size : (int, int)
        Output ``(width, height)``, pixels.
    supersample : int
        Render at this multiple of ``size`` and average down (1 = off; 2 smooths edges).
    backdrop : bool
        In ``textured`` mode, fill the holes cut beside silhouettes with the panorama's
        colour from a sphere behind the scene (default); False leaves them background.
    parts : SceneParts, optional
        The composition's layers and props (:func:`renderers.scene_parts.scene_parts`),
        drawn with the dome, depth-tested; ``None`` draws the dome alone.

    Raises
    ------
    GLUnavailableError
        When no OpenGL context can be created.
    InputError
        For a bad size or mesh.
    """

    def __init__(self, pano: RGBDPanorama, mesh: DepthMesh, size=(1280, 720),
                 supersample: int = 1, backdrop: bool = True, parts=None):
        from .cameras import InsideCamera
        from .gl_context import new_offscreen_canvas
        from .mesh_visual import SceneLayers

        self.size = _check_size(size, supersample)
        self.supersample = int(supersample)
        w, h = self.size
        self.canvas = new_offscreen_canvas((w * self.supersample, h * self.supersample),
                                           bgcolor=BACKGROUND)
        try:
            self.view = self.canvas.central_widget.add_view(border_width=0)
            self.layers = SceneLayers(self.view.scene, backdrop=backdrop)
            self.visual = self.layers.mesh
            self.layers.set_data(pano.rgb, mesh)
            if parts is not None and not parts.empty:
                self.layers.set_parts(parts)
            self.camera = InsideCamera(interactive=False, eye_radius=np.inf,
                                       fov_limits=(1e-3, 179.999))
            self.camera.scene_extent = max(self.layers.extent, 1e-3)
            self.view.camera = self.camera
        except Exception:
            self.close()
            raise

    def render(self, *, yaw_deg: float = 0.0, pitch_deg: float = 0.0, fov_deg: float = 90.0,
               mode: str = "textured", eye=(0.0, 0.0, 0.0)) -> np.ndarray:
        """One view from inside.

        Parameters
        ----------
        yaw_deg, pitch_deg : float
            Degrees (see the module docstring).
        fov_deg : float
            Horizontal field of view, degrees, in (0, 180).
        mode : {"textured", "depth", "wireframe", "points"}
        eye : (3,) float
            Eye position, metres.

        Returns
        -------
        (H, W, 3) uint8 ndarray
            Row 0 at the top; black where nothing is drawn.
        """
        from .gl_context import render_canvas

        eye = _check_view(fov_deg, mode, eye)
        self.layers.set_mode(mode)
        self.camera.set_view(yaw_deg=float(yaw_deg), pitch_deg=float(pitch_deg),
                             fov_deg=float(fov_deg), eye=eye)
        image = render_canvas(self.canvas)
        s = self.supersample
        if s > 1:
            h, w = image.shape[0] // s, image.shape[1] // s
            image = image[: h * s, : w * s].reshape(h, s, w, s, 3).mean(axis=(1, 3))
            image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
        return image

    def close(self) -> None:
        """Free the canvas and its GPU buffers and textures."""
        from .gl_context import close_offscreen_canvas

        canvas, self.canvas = self.canvas, None
        if canvas is not None:
            layers = getattr(self, "layers", None)
            if layers is not None:
                layers.free()
            close_offscreen_canvas(canvas)

    def __enter__(self) -> OffscreenRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def render_view(pano: RGBDPanorama, mesh: DepthMesh, *, yaw_deg: float = 0.0,
                pitch_deg: float = 0.0, fov_deg: float = 90.0, size=(1280, 720),
                mode: str = "textured", eye=(0.0, 0.0, 0.0), supersample: int = 1,
                backdrop: bool = True, parts=None) -> np.ndarray:
    """Render one view of a scene from inside, offscreen.

    Parameters
    ----------
    pano : RGBDPanorama
        The panorama (its colour is the texture).
    mesh : DepthMesh
        Its DepthFusion mesh.
    yaw_deg : float
        Degrees; 0 looks at the panorama centre (-Z), positive turns right (towards +X).
    pitch_deg : float
        Degrees; positive looks up, -90 straight down.
    fov_deg : float
        **Horizontal** field of view, degrees, in (0, 180).
    size : (int, int)
        Output ``(width, height)`` in pixels.
    mode : {"textured", "depth", "wireframe", "points"}
    eye : (3,) float
        Eye position in metres (the capture point is the origin).
    supersample : int
        1 to 4; renders larger and averages down for smooth edges.
    backdrop : bool
        Fill cut holes with the panorama's colour (``textured`` mode); see
        :class:`OffscreenRenderer`.
    parts : SceneParts, optional
        The composition's layers and props (see :class:`OffscreenRenderer`).

    Returns
    -------
    (H, W, 3) uint8 ndarray
        sRGB, row 0 at the top.

    Raises
    ------
    GLUnavailableError
        When no OpenGL context can be created (its hint says what to install).
    InputError
        For bad sizes, angles, modes or meshes.
    """
    eye = _check_view(fov_deg, mode, eye)
    with OffscreenRenderer(pano, mesh, size=size, supersample=supersample,
                           backdrop=backdrop, parts=parts) as renderer:
        return renderer.render(yaw_deg=yaw_deg, pitch_deg=pitch_deg, fov_deg=fov_deg,
                               mode=mode, eye=eye)


def render_scene(scene, settings=None, **view) -> np.ndarray:
    """Render a whole composition (dome, layers, props) with :func:`render_view`.

    Parameters
    ----------
    scene : scene.composition.Scene
    settings : MeshSettings, optional
        Mesh settings of the dome and every layer (default
        :data:`scene.mesh.DEFAULT_SETTINGS`).
    **view
        As for :func:`render_view` (``yaw_deg``, ``size``, ``eye`` ...).

    Returns
    -------
    (H, W, 3) uint8 ndarray
    """
    from scene.mesh import DEFAULT_SETTINGS, build_depth_mesh

    from .scene_parts import scene_parts

    settings = DEFAULT_SETTINGS if settings is None else settings
    mesh = build_depth_mesh(scene.dome, settings)
    return render_view(scene.dome, mesh, parts=scene_parts(scene, settings), **view)


def write_render(path: str | os.PathLike, pano: RGBDPanorama, mesh: DepthMesh, **view) -> None:
    """Render with :func:`render_view` and write the image atomically (PNG or JPEG by suffix).

    Parameters
    ----------
    path : path-like
        ``.png``, ``.jpg`` or ``.jpeg``, in an existing folder (checked before rendering).
    pano, mesh, **view
        As for :func:`render_view`.
    """
    from .image_file import check_image_path, write_image

    path = check_image_path(path)
    write_image(path, render_view(pano, mesh, **view))
