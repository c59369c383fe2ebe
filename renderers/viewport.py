"""The interactive 3D viewport: a vispy ``SceneCanvas`` (PySide6 backend) showing a scene.

Put ``viewport.native`` (a ``QWidget``) in a Qt layout. The window calls :meth:`Viewport.set_scene`
when the active result changes and :meth:`Viewport.update_mesh` for live depth edits (only the
vertex buffer is replaced when the topology is unchanged). The rest of the composition (the
dome's layers and props, :class:`~renderers.scene_parts.SceneParts`) comes with
``set_scene(..., parts=...)`` or :meth:`Viewport.set_parts`; it stays while the dome's mesh is
edited.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scene.errors import InputError
from scene.meshdata import DepthMesh
from scene.panorama import RGBDPanorama

from .cameras import DEFAULT_EYE_RADIUS_M
from .mesh_visual import MODES

__all__ = ["Viewport", "ViewportStats", "VIEWS", "BACKGROUND"]

VIEWS = ("inside", "outside")
#: Viewport background (RGB 0..1): dark grey, so black parts of a panorama stay visible.
BACKGROUND = (0.11, 0.11, 0.13)


@dataclass(frozen=True)
class ViewportStats:
    """What the status bar shows after a frame.

    Attributes
    ----------
    triangles, vertices : int
        Size of the mesh on the GPU.
    frame_time_ms : float
        Time of the last draw including the GPU finishing it, milliseconds (NaN before the
        first draw).
    mode, view : str
    fov_deg : float
        Horizontal field of view of the active camera, degrees.
    """

    triangles: int
    vertices: int
    frame_time_ms: float
    mode: str
    view: str
    fov_deg: float


def _qt_app():
    """vispy's PySide6 application: the default one if unset or already PySide6."""
    from vispy import app as vapp
    from vispy.app import _default_app

    current = _default_app.default_app
    if current is None:
        import vispy

        vispy.use(app="pyside6")
        return vapp.use_app()
    if current.backend_name.lower() == "pyside6":
        return current
    # The process made another backend the default (e.g. a test that rendered offscreen
    # first with vispy.use); ask for Qt explicitly for this canvas.
    return vapp.Application("pyside6")


class Viewport:
    """A 3D view of a DepthFusion scene for a Qt window.

    Parameters
    ----------
    parent : QWidget, optional
        Parent of the native widget (usually left ``None`` and the widget put in a layout).
    view : {"inside", "outside"}
        Start looking around from inside, or orbiting outside.
    mode : {"textured", "depth", "wireframe", "points"}
    eye_radius : float
        How far WASD may move the eye from the capture point, metres (default 0.5).
    size : (int, int)
        Initial widget size, pixels.
    backdrop : bool
        In the textured inside view, fill the holes cut beside silhouettes with the
        panorama's colour (a sphere behind the scene) rather than the background.

    Attributes
    ----------
    native : QWidget
        The widget to put in a layout.
    stats : callable or None
        Called as ``stats(ViewportStats)`` after every frame (for a status bar); set it to
        ``None`` to stop.
    frame_time_ms : float
        Duration of the last frame, milliseconds.
    triangle_count : int

    Notes
    -----
    Mouse and keys, inside view:

    * Left-drag: look around (the scene follows the pointer).
    * Wheel: field of view, 30° to 120° (horizontal).
    * W / S or Up / Down: forward / back; A / D or Left / Right: sideways; E / Q or
      PageUp / PageDown: up / down. 5 cm per press, at most ``eye_radius`` from the capture
      point, to show parallax.
    * Double-click, Home or Backspace: recentre (capture point, panorama centre, 90°).

    Walk mode (:meth:`set_walk`): the same keys and mouse, the eye height kept (E/Q do
    nothing), the eye stopped at the scene's walk radius, which a ring on the floor shows
    (:mod:`renderers.walk_ring`).

    Outside (dollhouse) view:

    * Left-drag or arrow keys / WASD: orbit around the scene.
    * Wheel: closer / farther.
    * Double-click, Home or Backspace: default orbit.

    The near half of the scene is culled from outside, so the dollhouse shows the inside.
    """

    def __init__(self, parent=None, *, view: str = "inside", mode: str = "textured",
                 eye_radius: float = DEFAULT_EYE_RADIUS_M, size=(800, 600),
                 backdrop: bool = True):
        from vispy import scene

        from .cameras import InsideCamera, OrbitCamera
        from .mesh_visual import SceneLayers

        self.canvas = scene.SceneCanvas(keys=None, size=size, app=_qt_app(), show=False,
                                        bgcolor=BACKGROUND, parent=parent)
        self._view = self.canvas.central_widget.add_view(border_width=0)
        self.layers = SceneLayers(self._view.scene, backdrop=backdrop)
        self.visual = self.layers.mesh
        from .walk_ring import WalkRing

        self.inside_camera = InsideCamera(eye_radius=eye_radius)
        self.eye_radius = float(eye_radius)
        self.ring = WalkRing(self._view.scene)
        self.outside_camera = OrbitCamera()
        self._view_name = "inside"
        self._view.camera = self.inside_camera
        self._mesh: DepthMesh | None = None
        self._frame_start = 0.0
        self.frame_time_ms = float("nan")
        self.stats: Callable[[ViewportStats], None] | None = None
        self.canvas.events.draw.connect(self._on_draw_start, position="first")
        self.canvas.events.draw.connect(self._on_draw_end, position="last")
        self.canvas.events.mouse_double_click.connect(self._on_double_click)
        self.set_mode(mode)
        self.set_view(view)

    # -- Qt --------------------------------------------------------------------------------
    @property
    def native(self):
        """The Qt widget (``QOpenGLWidget`` subclass) to put in a layout."""
        return self.canvas.native

    def close(self) -> None:
        """Release the canvas and its GPU resources."""
        self.stats = None
        self.layers.free()
        self.ring.free()
        self.canvas.close()

    # -- scene -----------------------------------------------------------------------------
    def set_scene(self, pano: RGBDPanorama, mesh: DepthMesh, parts=None) -> None:
        """Show a new panorama and its mesh (uploads the texture and all buffers).

        Parameters
        ----------
        pano : RGBDPanorama
            Its ``rgb`` becomes the texture.
        mesh : DepthMesh
        parts : SceneParts, optional
            The composition's layers and props (:func:`renderers.scene_parts.scene_parts`);
            ``None`` shows the dome alone.
        """
        self.layers.set_data(pano.rgb, mesh)
        self.layers.set_parts(parts)
        self.layers.set_shown(True)
        self._mesh = mesh
        self._set_extent(mesh)
        self.canvas.update()

    def set_parts(self, parts) -> None:
        """Show other layers and props with the current dome (``None``: the dome alone)."""
        self.layers.set_parts(parts)
        if self._mesh is not None:
            self._set_extent(self._mesh)
        self.canvas.update()

    def clear(self) -> None:
        """Show nothing (no active result); the next :meth:`set_scene` shows a scene again."""
        self.layers.set_shown(False)
        self._mesh = None
        self.canvas.update()

    def update_mesh(self, mesh: DepthMesh) -> bool:
        """Show a new mesh for the same panorama (live depth edits).

        When the faces and texture coordinates equal the current ones, only the positions are
        uploaded (same-size ``glBufferSubData``); otherwise every buffer is rebuilt.

        Parameters
        ----------
        mesh : DepthMesh

        Returns
        -------
        bool
            True when the fast path (positions only) was taken.
        """
        old = self._mesh
        if old is None:
            raise InputError("update_mesh needs a scene first", hint="call set_scene(pano, mesh)")
        same = (mesh.faces is old.faces and mesh.uvs is old.uvs) or (
            mesh.faces.shape == old.faces.shape and mesh.uvs.shape == old.uvs.shape
            and np.array_equal(mesh.faces, old.faces) and np.array_equal(mesh.uvs, old.uvs))
        if same:
            self.layers.set_positions(mesh.positions)
        else:
            self.layers.set_data(None, mesh)
        self._mesh = mesh
        self._set_extent(mesh)
        self.canvas.update()
        return bool(same)

    def _set_extent(self, mesh: DepthMesh) -> None:
        from .cameras import framing_extent

        self.inside_camera.scene_extent = max(self.layers.extent, 1e-3)
        # the orbit frames the content, not the sky dome around it
        self.outside_camera.scene_extent = min(framing_extent(mesh.positions),
                                               max(self.layers.extent, 1e-3))
        for cam in (self.inside_camera, self.outside_camera):
            cam.view_changed()

    # -- view ------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.visual.mode

    def set_mode(self, mode: str) -> None:
        """Draw as ``textured``, ``depth`` (colour map by distance), ``wireframe`` or ``points``."""
        if mode not in MODES:
            raise InputError(f"unknown viewport mode {mode!r}",
                             hint="use one of " + ", ".join(MODES))
        self.layers.set_mode(mode)
        self.canvas.update()

    @property
    def view(self) -> str:
        return self._view_name

    @property
    def camera(self):
        """The active camera (inside or outside)."""
        return self._view.camera

    def set_view(self, view: str) -> None:
        """Look around from ``inside`` or orbit ``outside`` (dollhouse)."""
        if view not in VIEWS:
            raise InputError(f"unknown view {view!r}", hint="use inside or outside")
        self._view_name = view
        self._view.camera = self.inside_camera if view == "inside" else self.outside_camera
        self.layers.set_inside(view == "inside")
        self.camera.view_changed()
        self.canvas.update()

    @property
    def walking(self) -> bool:
        """Whether walk mode is on."""
        return bool(self.inside_camera.walk)

    def set_walk(self, enabled: bool, bounds=None) -> None:
        """Walk mode on or off.

        Parameters
        ----------
        enabled : bool
            On: the inside view, moves keep the eye height and stop at ``bounds.radius``, the
            ring is shown. Off: the free look-around moves within ``eye_radius`` again.
        bounds : scene.walk_bounds.WalkBounds, optional
            Radius, floor and measured zone (default: 0.5 m, floor 1.6 m below).
        """
        if enabled:
            if bounds is None:
                from scene.walk_bounds import DEFAULT_FLOOR_Y_M, DEFAULT_WALK_RADIUS_M

                radius, floor, measured = DEFAULT_WALK_RADIUS_M, DEFAULT_FLOOR_Y_M, None
            else:
                radius, floor, measured = bounds.radius, bounds.floor_y, bounds.measured
            self.ring.set_bounds(radius, floor, measured)
            if self._view_name != "inside":
                self.set_view("inside")
            self.inside_camera.set_walk(True, radius)
        else:
            self.inside_camera.set_walk(False, self.eye_radius)
        self.ring.set_visible(enabled)
        self.canvas.update()

    def set_backdrop(self, enabled: bool) -> None:
        """Fill cut holes with the panorama's colour (textured inside view) or not."""
        self.layers.set_backdrop(enabled)
        self.canvas.update()

    def set_look(self, yaw_deg=None, pitch_deg=None, fov_deg=None, eye=None) -> None:
        """Set the inside camera's yaw, pitch, horizontal field of view and eye (any subset)."""
        self.inside_camera.set_view(yaw_deg=yaw_deg, pitch_deg=pitch_deg, fov_deg=fov_deg,
                                    eye=eye)
        self.canvas.update()

    def recentre(self) -> None:
        """Reset the active camera (inside: capture point, panorama centre, 90°)."""
        self.camera.recentre()
        self.canvas.update()

    def _on_double_click(self, event) -> None:
        self.recentre()

    # -- output ----------------------------------------------------------------------------
    def grab(self) -> np.ndarray:
        """The current view as an image, drawn again into an offscreen framebuffer.

        The widget must have been shown once (Qt creates its OpenGL context then).

        Returns
        -------
        (H, W, 3) uint8 ndarray
            Row 0 at the top, at the widget's size in physical pixels.
        """
        from .gl_context import render_canvas

        return render_canvas(self.canvas)

    @property
    def triangle_count(self) -> int:
        """Triangles on the GPU: the dome's, its layers' and its props'."""
        return self.layers.n_faces

    def current_stats(self) -> ViewportStats:
        """A snapshot of what the status bar shows."""
        return ViewportStats(triangles=self.layers.n_faces, vertices=self.layers.n_vertices,
                             frame_time_ms=self.frame_time_ms, mode=self.mode,
                             view=self._view_name, fov_deg=float(self.camera.fov_deg))

    def _on_draw_start(self, event) -> None:
        self._frame_start = time.perf_counter()

    def _on_draw_end(self, event) -> None:
        from vispy import gloo

        gloo.gl.glFinish()
        self.frame_time_ms = (time.perf_counter() - self._frame_start) * 1000.0
        if self.stats is not None:
            self.stats(self.current_stats())
