"""Where the scene sits around the headset wearer, and how the controllers move it.

The scene's frame (origin at the capture point, metres, +Y up, -Z the panorama centre) is placed
in the OpenXR reference space by a rigid transform ``space_from_scene`` that only translates
and turns about +Y (the floor stays level)::

    space_from_scene = T(origin) @ Ry(yaw) @ T(-offset)

- ``origin``: where the capture point starts, in the reference space. With ``LOCAL`` space the
  origin *is* the eye position at session start, so ``origin = 0``. With ``STAGE`` space the
  floor is ``y = 0``, so the capture point goes at standing eye height: the tracked head height
  at start when it is plausible, else :data:`STANDING_EYE_HEIGHT_M`, above the head's tracked
  floor position.
- ``yaw``: the scene's heading, so the panorama centre is in front of the viewer at start
  and after a recentre.
- ``offset``: where the thumbstick has moved the viewer within the scene, kept within
  :data:`MOVE_RADIUS_M` of the capture point (the mesh is only right near it).

6DoF within the walk radius: the tracked head position is used as it is (leaning and stepping
show parallax) while it stays within the scene's walk radius of the capture point
(:func:`scene.walk_bounds.walk_bounds`). Beyond it, :meth:`Rig.head_clamp` gives the
translation that carries the scene along with the head, so the eyes render from the nearest
point of the walk ball (the same shift for both eyes: their separation is kept). The shift is
recomputed every frame from the tracked pose; stepping back inside undoes it.

Controls (see :data:`BINDINGS`)
-------------------------------
- Left thumbstick: move within the small radius (forward is where the head looks).
- Right thumbstick left/right: snap turn by :data:`SNAP_TURN_DEG` about the head.
- A / X button (Touch) or select / menu (simple controller): recentre.
"""

from __future__ import annotations

import numpy as np

from .math import quat_to_matrix, rotation_y, translation, yaw_of_quat

__all__ = [
    "STANDING_EYE_HEIGHT_M", "MOVE_RADIUS_M", "MOVE_SPEED_M_S", "SNAP_TURN_DEG",
    "Rig", "SnapTurn", "start_origin", "BINDINGS", "ControllerActions",
]

#: Eye height used in STAGE space when the head's height is unknown, metres.
STANDING_EYE_HEIGHT_M = 1.6
#: Plausible tracked head heights in STAGE space, metres (outside: use the standing height).
_HEAD_HEIGHT_RANGE_M = (0.9, 2.2)
#: How far the thumbstick may move the viewer from the capture point, metres.
MOVE_RADIUS_M = 0.75
#: Thumbstick speed at full deflection, metres per second.
MOVE_SPEED_M_S = 1.0
#: Thumbstick deflection below which it counts as centred.
STICK_DEADZONE = 0.2
#: One snap turn, degrees.
SNAP_TURN_DEG = 30.0
#: Deflection that triggers a snap turn, and the one below which the next may trigger.
SNAP_TRIGGER, SNAP_REARM = 0.7, 0.3


def start_origin(space: str, head_position=None) -> np.ndarray:
    """Where the scene's capture point goes in the reference space at start.

    Parameters
    ----------
    space : {"local", "stage"}
        The reference space the session renders in.
    head_position : (3,) array_like or None
        The head's tracked position in that space at start, metres, when known.

    Returns
    -------
    (3,) float64 ndarray
        ``(0, 0, 0)`` in LOCAL space (its origin is the eye at start). In STAGE space the
        head's floor position at the tracked head height when that is plausible, otherwise
        ``(0, 1.6, 0)``.
    """
    if space == "local":
        return np.zeros(3)
    if space != "stage":
        raise ValueError(f"unknown reference space {space!r}")
    if head_position is not None:
        head = np.asarray(head_position, dtype=np.float64)
        lo, hi = _HEAD_HEIGHT_RANGE_M
        if np.all(np.isfinite(head)) and lo <= head[1] <= hi:
            return head.copy()
        if np.all(np.isfinite(head)):
            return np.array([head[0], STANDING_EYE_HEIGHT_M, head[2]])
    return np.array([0.0, STANDING_EYE_HEIGHT_M, 0.0])


class Rig:
    """The scene's placement in the reference space (see the module docstring).

    Parameters
    ----------
    origin : (3,) array_like
        Reference-space position of the capture point, metres.
    yaw : float
        Heading of the scene, radians (counter-clockwise from above).
    """

    def __init__(self, origin=(0.0, 0.0, 0.0), yaw: float = 0.0) -> None:
        self.origin = np.asarray(origin, dtype=np.float64).copy()
        self.yaw = float(yaw)
        self.offset = np.zeros(3)

    def space_from_scene(self) -> np.ndarray:
        """(4, 4) float64: scene coordinates -> reference-space coordinates."""
        return translation(self.origin) @ rotation_y(self.yaw) @ translation(-self.offset)

    def scene_from_space(self) -> np.ndarray:
        """(4, 4) float64: the inverse of :meth:`space_from_scene`."""
        return translation(self.offset) @ rotation_y(-self.yaw) @ translation(-self.origin)

    def view(self, eye_view: np.ndarray, clamp: np.ndarray | None = None) -> np.ndarray:
        """Scene -> eye matrix for an eye whose reference-space view matrix is ``eye_view``.

        ``clamp``: the (4, 4) scene-frame translation from :meth:`head_clamp`, or None.
        """
        m = eye_view @ self.space_from_scene()
        return m if clamp is None else m @ clamp

    def head_in_scene(self, head_position) -> np.ndarray:
        """(3,) float64 scene-frame position of the tracked head (reference space), metres."""
        p = np.append(np.asarray(head_position, dtype=np.float64).reshape(3), 1.0)
        return (self.scene_from_space() @ p)[:3]

    def head_clamp(self, head_position, radius: float) -> np.ndarray:
        """Translation keeping the rendered head within ``radius`` metres of the capture point.

        Parameters
        ----------
        head_position : (3,) array_like
            The head's tracked position in the reference space, metres.
        radius : float
            The walk radius, metres (``inf``: no bound).

        Returns
        -------
        (4, 4) float64 ndarray
            ``T(d)`` with ``d = head - clamped(head)`` in the scene frame (identity inside the
            ball); :meth:`view` with it renders the eyes from ``clamped(head)`` plus each eye's
            own offset from the head.
        """
        s = self.head_in_scene(head_position)
        n = float(np.linalg.norm(s))
        if not np.isfinite(radius) or n <= radius:
            return np.eye(4)
        return translation(s - s * (max(radius, 0.0) / n))

    def recentre(self, space: str, head_orientation=None, head_position=None) -> None:
        """Put the capture point at the head, the panorama centre in front of it.

        Parameters
        ----------
        space : {"local", "stage"}
        head_orientation : (4,) array_like or None
            Head quaternion ``(x, y, z, w)``; only its heading is used.
        head_position : (3,) array_like or None
            Head position, metres. ``None`` places the scene as at start.
        """
        if head_position is None:
            self.origin = start_origin(space)
        elif space == "local":
            self.origin = np.asarray(head_position, dtype=np.float64).copy()
        else:
            self.origin = start_origin(space, head_position)
        self.yaw = yaw_of_quat(head_orientation) if head_orientation is not None else 0.0
        self.offset = np.zeros(3)

    def move(self, stick, dt: float, head_orientation) -> None:
        """Move the viewer through the scene with a thumbstick, within the allowed radius.

        Parameters
        ----------
        stick : (2,) array_like
            Thumbstick ``(x right, y forward)`` in [-1, 1].
        dt : float
            Seconds since the last frame.
        head_orientation : (4,) array_like
            Head quaternion in the reference space: "forward" is where it looks, levelled.
        """
        s = np.asarray(stick, dtype=np.float64)
        mag = float(np.hypot(*s))
        if mag < STICK_DEADZONE or dt <= 0:
            return
        rot = quat_to_matrix(head_orientation)
        fwd, right = -rot[:, 2], rot[:, 0]
        fwd[1] = right[1] = 0.0
        step_space = s[0] * right + s[1] * fwd
        norm = np.linalg.norm(step_space)
        if norm < 1e-9:
            return
        step_space *= min(mag, 1.0) / norm * MOVE_SPEED_M_S * min(dt, 0.1)
        step_scene = rotation_y(-self.yaw)[:3, :3] @ step_space
        off = self.offset + step_scene
        off[1] = 0.0
        r = np.hypot(off[0], off[2])
        if r > MOVE_RADIUS_M:
            off *= MOVE_RADIUS_M / r
        self.offset = off

    def turn(self, angle: float, pivot) -> None:
        """Turn the scene by ``angle`` radians about the vertical through ``pivot``.

        A positive angle turns the *view* to the right (the scene turns left around the
        viewer), and the point of the scene at ``pivot`` (the head) stays where it is.

        Parameters
        ----------
        angle : float
            Radians.
        pivot : (3,) array_like
            Reference-space position that stays fixed (the head), metres.
        """
        p = np.append(np.asarray(pivot, dtype=np.float64), 1.0)
        s = (self.scene_from_space() @ p)[:3]
        self.yaw += float(angle)
        self.origin = p[:3] - rotation_y(self.yaw)[:3, :3] @ (s - self.offset)


class SnapTurn:
    """Turns a thumbstick's x axis into discrete snap turns (one per push, with hysteresis)."""

    def __init__(self) -> None:
        self.armed = True

    def update(self, x: float) -> int:
        """+1 (turn right), -1 (turn left) or 0 for this frame's thumbstick x."""
        if self.armed and abs(x) >= SNAP_TRIGGER:
            self.armed = False
            return 1 if x > 0 else -1
        if abs(x) <= SNAP_REARM:
            self.armed = True
        return 0


#: Suggested bindings per interaction profile: action name -> input paths.
BINDINGS = {
    "/interaction_profiles/khr/simple_controller": {
        "recentre": ["/user/hand/left/input/select/click", "/user/hand/right/input/select/click",
                     "/user/hand/left/input/menu/click"],
    },
    "/interaction_profiles/oculus/touch_controller": {
        "move": ["/user/hand/left/input/thumbstick"],
        "turn": ["/user/hand/right/input/thumbstick"],
        "recentre": ["/user/hand/right/input/a/click", "/user/hand/left/input/x/click"],
    },
}


class ControllerActions:
    """The OpenXR action set for :data:`BINDINGS`: move (vector2), turn (vector2), recentre.

    Parameters
    ----------
    xr : module
        The imported ``xr`` (pyopenxr) module.
    instance, session
        The OpenXR instance and session.
    """

    def __init__(self, xr, instance, session) -> None:
        self.xr = xr
        self.session = session
        self.action_set = xr.create_action_set(instance, xr.ActionSetCreateInfo(
            action_set_name="panoforge", localized_action_set_name="Panoforge", priority=0))
        kinds = {"move": xr.ActionType.VECTOR2F_INPUT, "turn": xr.ActionType.VECTOR2F_INPUT,
                 "recentre": xr.ActionType.BOOLEAN_INPUT}
        labels = {"move": "Move", "turn": "Snap turn", "recentre": "Recentre"}
        self.actions = {
            name: xr.create_action(self.action_set, xr.ActionCreateInfo(
                action_type=kind, action_name=name, localized_action_name=labels[name]))
            for name, kind in kinds.items()
        }
        for profile, bindings in BINDINGS.items():
            suggested = [
                xr.ActionSuggestedBinding(self.actions[name], xr.string_to_path(instance, path))
                for name, paths in bindings.items() for path in paths
            ]
            xr.suggest_interaction_profile_bindings(instance, xr.InteractionProfileSuggestedBinding(
                interaction_profile=xr.string_to_path(instance, profile),
                suggested_bindings=suggested))
        xr.attach_session_action_sets(session, xr.SessionActionSetsAttachInfo(
            action_sets=[self.action_set]))
        self._recentre_was = False
        self.snap = SnapTurn()

    def poll(self) -> dict:
        """Sync the actions; returns ``{"move": (x, y), "turn": int, "recentre": bool}``.

        ``turn`` is +1/-1 once per snap-turn push; ``recentre`` is true once per press.
        """
        xr = self.xr
        out = {"move": (0.0, 0.0), "turn": 0, "recentre": False}
        try:
            xr.sync_actions(self.session, xr.ActionsSyncInfo(
                active_action_sets=[xr.ActiveActionSet(self.action_set, xr.NULL_PATH)]))
        except xr.exception.SessionNotFocused:  # focus just moved (the event is on its way)
            return out
        mv = xr.get_action_state_vector2f(self.session, xr.ActionStateGetInfo(
            action=self.actions["move"]))
        if mv.is_active:
            out["move"] = (float(mv.current_state.x), float(mv.current_state.y))
        tn = xr.get_action_state_vector2f(self.session, xr.ActionStateGetInfo(
            action=self.actions["turn"]))
        out["turn"] = self.snap.update(float(tn.current_state.x) if tn.is_active else 0.0)
        rc = xr.get_action_state_boolean(self.session, xr.ActionStateGetInfo(
            action=self.actions["recentre"]))
        pressed = bool(rc.is_active and rc.current_state)
        out["recentre"] = pressed and not self._recentre_was
        self._recentre_was = pressed
        return out

    def destroy(self) -> None:
        if self.action_set is not None:
            self.xr.destroy_action_set(self.action_set)
            self.action_set = None
