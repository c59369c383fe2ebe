"""Where the scene sits around the headset wearer, and how the controllers move it.

The scene's frame (origin at the capture point, metres, +Y up, -Z the panorama centre) is placed
in the OpenXR reference space by a rigid transform ``space_from_scene`` that only translates
and turns about +Y (the floor stays level)::

    space_from_scene = T(origin) @ Ry(yaw) @ S(scale) @ T(-offset)

- ``origin``: where the capture point starts, in the reference space. With ``LOCAL`` space the
  origin *is* the eye position at session start, so ``origin = 0``. With ``STAGE`` space the
  floor is ``y = 0``, so the capture point goes at standing eye height: the tracked head height
  at start when it is plausible, else :data:`STANDING_EYE_HEIGHT_M`, above the head's tracked
  floor position.
- ``yaw``: the scene's heading, so the panorama centre is in front of the viewer at start
  and after a recentre.
- ``scale``: how big the scene is drawn, about the capture point (``2``: twice life size, the
  viewer's own steps go half as far in it; ``0.5``: a miniature). Changed in steps of
  :data:`SCALE_STEP` between :data:`SCALE_RANGE`; 1 at start and after a recentre.
- ``offset``: where the thumbstick has moved the viewer within the scene, kept within
  :data:`MOVE_RADIUS_M` of the capture point (the mesh is only right near it).

6DoF within the walk radius: the tracked head position is used as it is (leaning and stepping
show parallax) while it stays within the scene's walk radius of the capture point
(:func:`scene.walk_bounds.walk_bounds`). Beyond it, :meth:`Rig.head_clamp` gives the
translation that carries the scene along with the head, so the eyes render from the nearest
point of the walk ball (the same shift for both eyes: their separation is kept). The shift is
recomputed every frame from the tracked pose; stepping back inside undoes it.

Controls (see :data:`BINDINGS`; Touch, Index and the simple controller)
--------------------------------------------------------------------------
- Left thumbstick: move within the small radius (forward is where the head looks).
- Right thumbstick left/right: snap turn by :data:`SNAP_TURN_DEG` about the head.
- Right grip held + right thumbstick up/down: scale the scene up/down one :data:`SCALE_STEP`
  per push (no snap turn while the grip is held).
- B (right hand): next result of the project; Y (Touch) / left B (Index): previous result
  (both wrap around).
- A / X (Touch), A (Index) or select / menu (simple controller): recentre (capture point,
  true scale, facing where the head looks).
"""

from __future__ import annotations

import numpy as np

from .math import quat_to_matrix, rotation_y, translation, yaw_of_quat

__all__ = [
    "STANDING_EYE_HEIGHT_M", "MOVE_RADIUS_M", "MOVE_SPEED_M_S", "SNAP_TURN_DEG",
    "SCALE_STEP", "SCALE_RANGE", "GRIP_HELD",
    "Rig", "SnapTurn", "Press", "start_origin", "BINDINGS", "ControllerActions",
    "stick_commands",
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
#: One scale step (two steps double the scene), and the smallest and largest scale.
SCALE_STEP = 2.0 ** 0.5
SCALE_RANGE = (1.0 / 8.0, 8.0)
#: Grip (squeeze) value above which the right thumbstick scales instead of turning.
GRIP_HELD = 0.5


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
        self.scale = 1.0
        self.offset = np.zeros(3)

    def space_from_scene(self) -> np.ndarray:
        """(4, 4) float64: scene coordinates -> reference-space coordinates."""
        s = np.diag([self.scale, self.scale, self.scale, 1.0])
        return translation(self.origin) @ rotation_y(self.yaw) @ s @ translation(-self.offset)

    def scene_from_space(self) -> np.ndarray:
        """(4, 4) float64: the inverse of :meth:`space_from_scene`."""
        inv = 1.0 / self.scale
        s = np.diag([inv, inv, inv, 1.0])
        return (translation(self.offset) @ s @ rotation_y(-self.yaw)
                @ translation(-self.origin))

    def rescale(self, steps: int) -> bool:
        """Scale the scene by ``SCALE_STEP ** steps`` about the capture point, within
        :data:`SCALE_RANGE`; whether the scale changed.

        The capture point stays where it is in the reference space (a viewer standing there
        sees the scene grow or shrink around them); the scale is ``SCALE_STEP`` to an integer
        power, so two steps up give exactly 2 (up to rounding).
        """
        lo, hi = SCALE_RANGE
        n = round(np.log(self.scale) / np.log(SCALE_STEP)) + int(steps)
        new = float(np.clip(SCALE_STEP ** n, lo, hi))
        if abs(new - self.scale) < 1e-9:
            return False
        self.scale = new
        return True

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
        self.scale = 1.0
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
        step_scene = rotation_y(-self.yaw)[:3, :3] @ step_space / self.scale
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
        self.origin = p[:3] - rotation_y(self.yaw)[:3, :3] @ (s - self.offset) * self.scale


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


class Press:
    """Turns a button's state into one event per press (true on the frame it goes down)."""

    def __init__(self) -> None:
        self.was = False

    def update(self, pressed: bool) -> bool:
        fired = bool(pressed) and not self.was
        self.was = bool(pressed)
        return fired


def stick_commands(stick_x: float, stick_y: float, grip: float, turn: SnapTurn,
                   scale: SnapTurn) -> tuple[int, int]:
    """(snap turn, scale steps) for this frame's right thumbstick and grip.

    With the grip held (``grip >= GRIP_HELD``) the stick's y axis scales (up: bigger) and it
    does not turn; otherwise its x axis snap-turns. The command not in use still follows the
    stick (its push is spent), so taking or releasing the grip with the stick pushed fires
    nothing: the stick must come back first.
    """
    if grip >= GRIP_HELD:
        turn.update(stick_x)
        return 0, scale.update(stick_y)
    scale.update(stick_y)
    return turn.update(stick_x), 0


#: Suggested bindings per interaction profile: action name -> input paths. ``turn`` is the
#: right thumbstick (x snap-turns; y scales while ``grip`` is held).
BINDINGS = {
    "/interaction_profiles/khr/simple_controller": {
        "recentre": ["/user/hand/left/input/select/click", "/user/hand/right/input/select/click",
                     "/user/hand/left/input/menu/click"],
    },
    "/interaction_profiles/oculus/touch_controller": {
        "move": ["/user/hand/left/input/thumbstick"],
        "turn": ["/user/hand/right/input/thumbstick"],
        "grip": ["/user/hand/right/input/squeeze/value"],
        "recentre": ["/user/hand/right/input/a/click", "/user/hand/left/input/x/click"],
        "next_result": ["/user/hand/right/input/b/click"],
        "previous_result": ["/user/hand/left/input/y/click"],
    },
    "/interaction_profiles/valve/index_controller": {
        "move": ["/user/hand/left/input/thumbstick"],
        "turn": ["/user/hand/right/input/thumbstick"],
        "grip": ["/user/hand/right/input/squeeze/value"],
        "recentre": ["/user/hand/right/input/a/click", "/user/hand/left/input/a/click"],
        "next_result": ["/user/hand/right/input/b/click"],
        "previous_result": ["/user/hand/left/input/b/click"],
    },
}
#: What each action is: its OpenXR type and the name the runtime shows.
_ACTIONS = {
    "move": ("VECTOR2F_INPUT", "Move"),
    "turn": ("VECTOR2F_INPUT", "Snap turn / scale"),
    "grip": ("FLOAT_INPUT", "Hold to scale"),
    "recentre": ("BOOLEAN_INPUT", "Recentre"),
    "next_result": ("BOOLEAN_INPUT", "Next result"),
    "previous_result": ("BOOLEAN_INPUT", "Previous result"),
}


class ControllerActions:
    """The OpenXR action set for :data:`BINDINGS` (see ``_ACTIONS`` for each action's type).

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
        self.actions = {
            name: xr.create_action(self.action_set, xr.ActionCreateInfo(
                action_type=getattr(xr.ActionType, kind), action_name=name,
                localized_action_name=label))
            for name, (kind, label) in _ACTIONS.items()
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
        self.presses = {name: Press() for name in ("recentre", "next_result", "previous_result")}
        self.snap = SnapTurn()
        self.snap_scale = SnapTurn()

    def poll(self) -> dict:
        """Sync the actions; returns ``{"move": (x, y), "turn": int, "scale": int,
        "recentre": bool, "result": int}``.

        ``turn`` is +1/-1 once per snap-turn push, ``scale`` +1/-1 once per push with the
        grip held; ``recentre`` is true once per press; ``result`` is +1 (next) or -1
        (previous) once per press.
        """
        xr = self.xr
        out = {"move": (0.0, 0.0), "turn": 0, "scale": 0, "recentre": False, "result": 0}
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
        gp = xr.get_action_state_float(self.session, xr.ActionStateGetInfo(
            action=self.actions["grip"]))
        sx, sy = ((float(tn.current_state.x), float(tn.current_state.y)) if tn.is_active
                  else (0.0, 0.0))
        grip = float(gp.current_state) if gp.is_active else 0.0
        out["turn"], out["scale"] = stick_commands(sx, sy, grip, self.snap, self.snap_scale)
        fired = {}
        for name, press in self.presses.items():
            st = xr.get_action_state_boolean(self.session, xr.ActionStateGetInfo(
                action=self.actions[name]))
            fired[name] = press.update(bool(st.is_active and st.current_state))
        out["recentre"] = fired["recentre"]
        out["result"] = int(fired["next_result"]) - int(fired["previous_result"])
        return out

    def destroy(self) -> None:
        if self.action_set is not None:
            self.xr.destroy_action_set(self.action_set)
            self.action_set = None
