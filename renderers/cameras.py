"""vispy cameras for a DepthFusion scene: looking around from inside, orbiting from outside.

Both cameras compute their matrices with :mod:`renderers.view_math` (the same functions the
offscreen renderer and the XR session use), so what the viewport shows at a given yaw, pitch
and field of view is exactly what ``panoforge render`` writes. Fields of view are horizontal,
in degrees.

vispy is imported when a camera class is first asked for (:func:`InsideCamera`,
:func:`OrbitCamera`), never at module import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import view_math

__all__ = ["InsideCamera", "OrbitCamera", "InsideState", "OrbitState", "FOV_LIMITS_DEG",
           "DEFAULT_EYE_RADIUS_M", "clamp_eye", "clamp_walk", "framing_extent",
           "ORBIT_ZOOM_LIMITS"]

#: The orbit's distance range, in framing extents (:func:`framing_extent`).
ORBIT_ZOOM_LIMITS = (0.05, 10.0)
#: Vertices this close to the farthest distance are the backdrop shell (a sky dome).
BACKDROP_FRACTION = 0.95
#: The percentile of the other vertices' distances that the orbit frames.
FRAMING_PERCENTILE = 90.0


def framing_extent(positions: np.ndarray, max_samples: int = 200_000) -> float:
    """The size of the part of a scene worth orbiting, metres.

    Outdoor scenes and caves put a backdrop (the 1000 m sky dome, a far tunnel) around a
    few metres of content: sized to the farthest vertex the orbit makes the content a dot.
    This frames the :data:`FRAMING_PERCENTILE` th percentile of the vertex distances once the
    backdrop shell (within :data:`BACKDROP_FRACTION` of the farthest) is left out.

    Parameters
    ----------
    positions : (N, 3) float ndarray
        Vertex positions, metres (a strided sample of at most ``max_samples`` is used).

    Returns
    -------
    float
        Metres (``1e-3`` at least).
    """
    pts = np.asarray(positions, dtype=np.float32).reshape(-1, 3)
    if pts.size == 0:
        return 1e-3
    step = max(1, pts.shape[0] // max_samples)
    d = np.linalg.norm(pts[::step], axis=1)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return 1e-3
    inner = d[d < BACKDROP_FRACTION * float(d.max())]
    if inner.size < 0.05 * d.size:  # no backdrop: everything is content
        inner = d
    return max(float(np.percentile(inner, FRAMING_PERCENTILE)), 1e-3)

#: Range of the horizontal field of view the mouse wheel moves through, degrees.
FOV_LIMITS_DEG = (30.0, 120.0)
#: How far the eye may move away from the capture point, metres.
DEFAULT_EYE_RADIUS_M = 0.5
#: Eye movement per key press (or key auto-repeat), metres.
MOVE_STEP_M = 0.05
#: Degrees of turn per pixel of drag = field of view / viewport width (the scene follows the
#: pointer); the orbit camera turns this many degrees per pixel.
ORBIT_DEG_PER_PX = 0.4

_MOVE_KEYS = {
    # key name: (right, up, forward) unit steps in the camera's horizontal frame
    "W": (0, 0, 1), "Up": (0, 0, 1),
    "S": (0, 0, -1), "Down": (0, 0, -1),
    "A": (-1, 0, 0), "Left": (-1, 0, 0),
    "D": (1, 0, 0), "Right": (1, 0, 0),
    "E": (0, 1, 0), "PageUp": (0, 1, 0),
    "Q": (0, -1, 0), "PageDown": (0, -1, 0),
}


_CLASSES: dict[str, type] = {}


def clamp_eye(eye, radius: float) -> np.ndarray:
    """(3,) float64 ``eye`` pulled back onto the ball of ``radius`` metres if it is outside."""
    e = np.asarray(eye, dtype=np.float64).reshape(3).copy()
    n = float(np.linalg.norm(e))
    if n > radius:
        e *= radius / n
    return e


def clamp_walk(eye, radius: float) -> np.ndarray:
    """(3,) float64 ``eye`` kept at its height, pulled in horizontally onto the ball of
    ``radius`` metres (walk mode: the eye stays on its floor-parallel plane)."""
    e = np.asarray(eye, dtype=np.float64).reshape(3).copy()
    reach = float(np.sqrt(max(radius * radius - e[1] * e[1], 0.0)))
    n = float(np.hypot(e[0], e[2]))
    if n > reach:
        scale = reach / n if n > 0 else 0.0
        e[0] *= scale
        e[2] *= scale
    return e


def key_name(event) -> str:
    """Name of a vispy key event's key ("W", "Up", ...), or "" when there is none."""
    key = getattr(event, "key", None)
    if key is None:
        return ""
    name = getattr(key, "name", str(key))
    return name.upper() if len(name) == 1 else name


def _drag_delta(event) -> np.ndarray | None:
    """Pixels the pointer moved since the left button went down, or None outside a drag."""
    native = getattr(event, "mouse_event", event)
    press = getattr(native, "press_event", None)
    if press is None or getattr(press, "button", None) != 1:
        return None
    return np.asarray(native.pos[:2], np.float64) - np.asarray(press.pos[:2], np.float64)


@dataclass
class InsideState:
    """Where the inside camera stands and looks.

    Attributes
    ----------
    yaw_deg, pitch_deg : float
        Degrees; yaw 0 looks at the panorama centre (-Z), positive turns right; positive
        pitch looks up (clamped to ±90).
    fov_deg : float
        Horizontal field of view, degrees, within :data:`FOV_LIMITS_DEG`.
    eye : (3,) float64 ndarray
        Eye position, metres, within ``eye_radius`` of the origin.
    """

    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    fov_deg: float = 90.0
    eye: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def __post_init__(self) -> None:
        self.eye = np.asarray(self.eye, np.float64).reshape(3).copy()


@dataclass
class OrbitState:
    """Where the orbit (dollhouse) camera stands: on a sphere around the origin, looking at it.

    Attributes
    ----------
    yaw_deg, pitch_deg : float
        Direction the camera looks in (same meaning as inside); the camera sits at
        ``-distance * forward``. Pitch -30 looks down on the scene from above.
    zoom : float
        Camera distance in units of the scene's extent (its farthest vertex).
    fov_deg : float
        Horizontal field of view, degrees.
    """

    yaw_deg: float = 0.0
    pitch_deg: float = -30.0
    zoom: float = 2.2
    fov_deg: float = 60.0


def _base():
    if "base" in _CLASSES:
        return _CLASSES["base"]
    from vispy.scene.cameras import BaseCamera
    from vispy.visuals.transforms import ChainTransform, MatrixTransform, STTransform

    class _MatrixCamera(BaseCamera):
        """A camera whose whole scene transform is ``P @ V`` from :mod:`view_math`."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._pv_tr = MatrixTransform()
            self._vb_tr = STTransform()
            self._chain = ChainTransform([self._vb_tr, self._pv_tr])
            #: Farthest vertex of the scene from the origin, metres (clip planes use it).
            self.scene_extent = 10.0
            self._drag_start: tuple[float, float] | None = None

        # subclasses give these (and ``state``, ``set_view`` and ``recentre``)
        def view_matrix(self) -> np.ndarray:
            raise NotImplementedError

        def _wheel(self, steps: float) -> None:
            """React to ``steps`` notches of the mouse wheel (positive: away from the user)."""
            raise NotImplementedError

        def _drag_turn(self, d: np.ndarray) -> tuple[float, float]:
            """(yaw, pitch) degrees to add to the drag's start for a drag of ``d`` pixels."""
            raise NotImplementedError

        def clip_planes(self) -> tuple[float, float]:
            raise NotImplementedError

        @property
        def fov_deg(self) -> float:
            raise NotImplementedError

        def aspect(self) -> float:
            if self._viewbox is None:
                return 1.0
            w, h = self._viewbox.size
            return float(w) / float(h) if w > 0 and h > 0 else 1.0

        def projection_matrix(self, aspect: float | None = None) -> np.ndarray:
            """(4, 4) OpenGL projection for ``aspect`` (default: the viewbox's)."""
            near, far = self.clip_planes()
            return view_math.perspective(self.fov_deg, aspect or self.aspect(), near, far)

        def view_changed(self):
            if self._viewbox is not None and not self._resetting:
                self._update_transform()

        def _update_transform(self, event=None):
            if self._viewbox is None:
                return
            w, h = self._viewbox.size
            if w <= 0 or h <= 0:
                return
            pv = self.projection_matrix(float(w) / float(h)) @ self.view_matrix()
            self._pv_tr.matrix = pv.T  # vispy maps row vectors
            self._vb_tr.set_mapping([[-1, 1], [1, -1]], [[0, 0], [w, h]])
            self._set_scene_transform(self._chain)

        def viewbox_resize_event(self, event):
            self.view_changed()

        def viewbox_mouse_event(self, event):
            if event.handled or not self.interactive:
                return
            if event.type == "mouse_wheel":
                self._wheel(event.delta[1])
                event.handled = True
            elif event.type == "mouse_press" and event.button == 1:
                self._drag_start = (self.state.yaw_deg, self.state.pitch_deg)
                event.handled = True
            elif event.type in ("mouse_move", "mouse_release") and self._drag_start:
                # vispy drops moves less than 10 ms apart; the release carries the end point.
                d = _drag_delta(event)
                if d is not None:
                    yaw0, pitch0 = self._drag_start
                    dyaw, dpitch = self._drag_turn(d)
                    self.set_view(yaw_deg=yaw0 + dyaw, pitch_deg=pitch0 + dpitch)
                    event.handled = True
                if event.type == "mouse_release":
                    self._drag_start = None

    _CLASSES["base"] = _MatrixCamera
    return _MatrixCamera


def _inside_class():
    if "inside" in _CLASSES:
        return _CLASSES["inside"]

    class _InsideCamera(_base()):
        """Look around from inside the scene, as a visitor standing at the capture point.

        Parameters
        ----------
        state : InsideState, optional
        eye_radius : float
            Metres the eye may move from the origin (default 0.5).
        fov_limits : (float, float)
            Range of the horizontal field of view, degrees (default 30 to 120).

        Notes
        -----
        Mouse and keys:

        * Left-drag: look around; the scene follows the pointer (drag right to turn left).
        * Wheel: field of view, 30° to 120° (horizontal).
        * W / S or Up / Down: move forward / back; A / D or Left / Right: step sideways;
          E / Q or PageUp / PageDown: up / down. Each press moves 5 cm, within ``eye_radius``
          of the origin, to show parallax.
        * Home or Backspace (and double-click in the viewport): recentre.

        Walk mode (:meth:`set_walk`): W/A/S/D and the arrows walk on the level of the eye
        (E/Q do nothing, the eye height is kept), bounded to the walk radius.
        """

        def __init__(self, state: InsideState | None = None,
                     eye_radius: float = DEFAULT_EYE_RADIUS_M,
                     fov_limits: tuple[float, float] = FOV_LIMITS_DEG, **kwargs):
            super().__init__(**kwargs)
            self.fov_limits = (float(fov_limits[0]), float(fov_limits[1]))
            self.state = state or InsideState()
            self.default_state = InsideState(fov_deg=self.state.fov_deg)
            self.eye_radius = float(eye_radius)
            self.state.eye = clamp_eye(self.state.eye, self.eye_radius)
            #: Walk mode: moves keep the eye height and stay within ``eye_radius``.
            self.walk = False

        def set_walk(self, enabled: bool, radius: float | None = None) -> None:
            """Walk mode on or off; ``radius`` (metres) bounds the eye from now on."""
            self.walk = bool(enabled)
            if radius is not None:
                self.eye_radius = float(radius)
            self.set_view(eye=self.state.eye)

        # -- state --------------------------------------------------------------------
        @property
        def fov_deg(self) -> float:
            return self.state.fov_deg

        def set_view(self, yaw_deg=None, pitch_deg=None, fov_deg=None, eye=None) -> None:
            """Set any of yaw, pitch, field of view and eye (clamped to their limits)."""
            s = self.state
            if yaw_deg is not None:
                s.yaw_deg = float((yaw_deg + 180.0) % 360.0 - 180.0)
            if pitch_deg is not None:
                s.pitch_deg = float(np.clip(pitch_deg, -90.0, 90.0))
            if fov_deg is not None:
                s.fov_deg = float(np.clip(fov_deg, *self.fov_limits))
            if eye is not None:
                s.eye = (clamp_walk if self.walk else clamp_eye)(eye, self.eye_radius)
            self.view_changed()

        def set_initial_yaw(self, yaw_deg: float, turn: bool = True) -> None:
            """Make ``yaw_deg`` the direction :meth:`recentre` faces (a result's initial
            heading, :func:`scene.gpano.initial_view_yaw_deg`); ``turn`` looks there now."""
            self.default_state.yaw_deg = float((yaw_deg + 180.0) % 360.0 - 180.0)
            if turn:
                self.set_view(yaw_deg=self.default_state.yaw_deg)

        def recentre(self) -> None:
            """Back to the capture point, looking at the initial heading (panorama centre
            unless :meth:`set_initial_yaw` set one), default zoom."""
            d = self.default_state
            self.state = InsideState(d.yaw_deg, d.pitch_deg, d.fov_deg)
            self.view_changed()

        def move(self, right: float, up: float, forward: float) -> None:
            """Move the eye in metres along the horizontal view frame (yaw only), clamped."""
            y = np.radians(self.state.yaw_deg)
            fwd = np.array([np.sin(y), 0.0, -np.cos(y)])
            rgt = np.array([np.cos(y), 0.0, np.sin(y)])
            if self.walk:
                up = 0.0
            step = rgt * right + np.array([0.0, up, 0.0]) + fwd * forward
            self.set_view(eye=self.state.eye + step)

        def view_matrix(self) -> np.ndarray:
            s = self.state
            return view_math.view_yaw_pitch(s.yaw_deg, s.pitch_deg, s.eye)

        def clip_planes(self) -> tuple[float, float]:
            reach = self.scene_extent + float(np.linalg.norm(self.state.eye))
            return 0.02, 2.0 * reach + 1.0

        # -- events -------------------------------------------------------------------
        def _wheel(self, steps: float) -> None:
            self.set_view(fov_deg=self.state.fov_deg * 1.1 ** (-steps))

        def _drag_turn(self, d: np.ndarray) -> tuple[float, float]:
            deg_per_px = self.state.fov_deg / max(1.0, float(self._viewbox.size[0]))
            return -d[0] * deg_per_px, d[1] * deg_per_px

        def viewbox_key_event(self, event):
            if event.type != "key_press" or not self.interactive:
                return
            name = key_name(event)
            if name in _MOVE_KEYS:
                r, u, f = _MOVE_KEYS[name]
                self.move(r * MOVE_STEP_M, u * MOVE_STEP_M, f * MOVE_STEP_M)
            elif name in ("Home", "Backspace"):
                self.recentre()

    _CLASSES["inside"] = _InsideCamera
    return _InsideCamera


def _orbit_class():
    if "orbit" in _CLASSES:
        return _CLASSES["orbit"]

    class _OrbitCamera(_base()):
        """Orbit the scene from outside like a dollhouse, always looking at the origin.

        Faces are culled from behind, so the half of the scene nearest the camera vanishes
        and its inside shows through.

        Parameters
        ----------
        state : OrbitState, optional

        Notes
        -----
        Mouse and keys:

        * Left-drag: orbit around the origin (pitch limited to ±89°).
        * Wheel: move closer or farther (:data:`ORBIT_ZOOM_LIMITS`, in framing extents).
        * Left / Right / Up / Down (or A / D / W / S): orbit in 5° steps.
        * Home or Backspace (and double-click in the viewport): back to the default view.
        """

        def __init__(self, state: OrbitState | None = None, **kwargs):
            super().__init__(**kwargs)
            self.state = state or OrbitState()
            self.default_state = OrbitState(**vars(self.state))

        @property
        def fov_deg(self) -> float:
            return self.state.fov_deg

        def set_view(self, yaw_deg=None, pitch_deg=None, zoom=None) -> None:
            s = self.state
            if yaw_deg is not None:
                s.yaw_deg = float((yaw_deg + 180.0) % 360.0 - 180.0)
            if pitch_deg is not None:
                s.pitch_deg = float(np.clip(pitch_deg, -89.0, 89.0))
            if zoom is not None:
                s.zoom = float(np.clip(zoom, *ORBIT_ZOOM_LIMITS))
            self.view_changed()

        def recentre(self) -> None:
            self.state = OrbitState(**vars(self.default_state))
            self.view_changed()

        def eye(self) -> np.ndarray:
            """(3,) camera position, metres."""
            s = self.state
            return -s.zoom * self.scene_extent * view_math.forward_vector(s.yaw_deg, s.pitch_deg)

        def view_matrix(self) -> np.ndarray:
            s = self.state
            return view_math.view_yaw_pitch(s.yaw_deg, s.pitch_deg, self.eye())

        def clip_planes(self) -> tuple[float, float]:
            dist = self.state.zoom * self.scene_extent
            return max(0.01, 0.01 * dist), dist + 2.0 * self.scene_extent + 1.0

        def _wheel(self, steps: float) -> None:
            self.set_view(zoom=self.state.zoom * 1.1 ** (-steps))

        def _drag_turn(self, d: np.ndarray) -> tuple[float, float]:
            return -d[0] * ORBIT_DEG_PER_PX, -d[1] * ORBIT_DEG_PER_PX

        def viewbox_key_event(self, event):
            if event.type != "key_press" or not self.interactive:
                return
            name = key_name(event)
            steps = {"Left": (-5, 0), "A": (-5, 0), "Right": (5, 0), "D": (5, 0),
                     "Up": (0, 5), "W": (0, 5), "Down": (0, -5), "S": (0, -5)}
            if name in steps:
                dy, dp = steps[name]
                self.set_view(yaw_deg=self.state.yaw_deg + dy,
                              pitch_deg=self.state.pitch_deg + dp)
            elif name in ("Home", "Backspace"):
                self.recentre()

    _CLASSES["orbit"] = _OrbitCamera
    return _OrbitCamera


def InsideCamera(*args, **kwargs):  # noqa: N802 - a class factory, named like the class
    """Create the inside (look-around) camera; see its class docstring for the controls."""
    return _inside_class()(*args, **kwargs)


def OrbitCamera(*args, **kwargs):  # noqa: N802
    """Create the outside (dollhouse orbit) camera; see its class docstring for the controls."""
    return _orbit_class()(*args, **kwargs)
