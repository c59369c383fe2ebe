"""Camera paths for fly-through videos: keyframes in a JSON file, or an orbit, interpolated.

The path file (``panoforge render PROJECT --path tour.json -o tour.mp4``)::

    {
      "version": 1,
      "interpolation": "smooth",
      "keyframes": [
        {"t": 0.0, "eye": [0.0, 0.0, 0.0], "yaw": 0,   "pitch": 0,   "fov": 90},
        {"t": 4.0, "eye": [0.3, 0.0, -0.2], "yaw": 90, "pitch": -10},
        {"t": 8.0, "eye": [0.0, 0.0, 0.0], "yaw": 360}
      ]
    }

- ``t``: seconds from the start of the video, strictly increasing; the video lasts from 0 to
  the last keyframe's ``t`` (the first keyframe may start later: the camera holds still until
  then).
- ``eye``: metres from the capture point, the scene's frame (+Y up, -Z the panorama centre).
- ``yaw``, ``pitch``: degrees, as for ``panoforge render`` (yaw 0 looks at the panorama centre,
  positive turns right; positive pitch looks up). Yaw is **not** wrapped: 0 then 360 turns a
  full circle to the right, 0 then -90 a quarter to the left.
- ``fov``: horizontal field of view, degrees.
- Every key but ``t`` may be left out of a keyframe: it keeps the previous keyframe's value
  (the first keyframe's defaults: eye at the capture point, yaw 0, pitch 0, fov 90).
- ``interpolation``: ``smooth`` (default; shape-preserving cubic, SciPy's
  :class:`~scipy.interpolate.PchipInterpolator`: passes through every keyframe exactly, never
  overshoots between two of them) or ``linear``.

An orbit (``--orbit R``, :func:`orbit_path`) circles the capture point at ``R`` metres, eye
height kept, looking outwards, one full turn over the duration.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scene.errors import InputError

__all__ = ["Pose", "FlightPath", "load_path", "orbit_path", "PATH_VERSION", "INTERPOLATIONS"]

PATH_VERSION = 1
INTERPOLATIONS = ("smooth", "linear")
_DEFAULTS = {"eye": (0.0, 0.0, 0.0), "yaw": 0.0, "pitch": 0.0, "fov": 90.0}
_KEYS = {"t", "eye", "yaw", "pitch", "fov"}
#: Longest path accepted, seconds (an hour of video).
MAX_DURATION_S = 3600.0


@dataclass(frozen=True)
class Pose:
    """Where the camera is at one instant.

    Attributes
    ----------
    eye : (3,) float64 ndarray
        Metres.
    yaw_deg, pitch_deg, fov_deg : float
        Degrees (``fov_deg`` horizontal).
    """

    eye: np.ndarray
    yaw_deg: float
    pitch_deg: float
    fov_deg: float


def _number(value, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v) or isinstance(value, bool):
        raise InputError(f"path: {what} must be a finite number, got {value!r}",
                         hint="see the path format in `panoforge render --help`")
    return v


class FlightPath:
    """Keyframed camera path.

    Parameters
    ----------
    times : (K,) array-like
        Seconds, strictly increasing, >= 0.
    eyes : (K, 3) array-like
        Metres.
    yaw, pitch, fov : (K,) array-like
        Degrees.
    interpolation : {"smooth", "linear"}

    Raises
    ------
    InputError
        For fewer than one keyframe, times not increasing, pitch outside ±90, fov outside
        (0, 180).
    """

    def __init__(self, times, eyes, yaw, pitch, fov, interpolation: str = "smooth") -> None:
        self.times = np.asarray(times, np.float64).reshape(-1)
        k = self.times.size
        self.eyes = np.asarray(eyes, np.float64).reshape(k, 3)
        self.yaw = np.asarray(yaw, np.float64).reshape(k)
        self.pitch = np.asarray(pitch, np.float64).reshape(k)
        self.fov = np.asarray(fov, np.float64).reshape(k)
        if k < 1:
            raise InputError("path: no keyframes", hint='give "keyframes": [{"t": 0, ...}, ...]')
        if interpolation not in INTERPOLATIONS:
            raise InputError(f"path: unknown interpolation {interpolation!r}",
                             hint="use " + " or ".join(INTERPOLATIONS))
        self.interpolation = interpolation
        if self.times[0] < 0 or np.any(np.diff(self.times) <= 0):
            raise InputError("path: keyframe times must start at 0 or later and increase",
                             hint="give each keyframe a larger t (seconds) than the one before")
        if self.times[-1] <= 0 or self.times[-1] > MAX_DURATION_S:
            raise InputError(f"path: the last keyframe's t must be in (0, {MAX_DURATION_S:g}] s, "
                             f"got {self.times[-1]:g}")
        if np.any(np.abs(self.pitch) > 90):
            raise InputError("path: pitch must be within -90..90 degrees")
        if np.any((self.fov <= 0) | (self.fov >= 180)):
            raise InputError("path: fov must be between 0 and 180 degrees (horizontal)")
        values = np.column_stack([self.eyes, self.yaw, self.pitch, self.fov])
        if k == 1:
            self._f = lambda t: np.broadcast_to(values[0], (np.size(t), 6))
        elif interpolation == "linear":
            self._f = lambda t: np.stack([np.interp(t, self.times, values[:, j])
                                          for j in range(6)], axis=-1)
        else:
            from scipy.interpolate import PchipInterpolator

            interp = PchipInterpolator(self.times, values, axis=0, extrapolate=False)
            self._f = lambda t: interp(np.clip(t, self.times[0], self.times[-1]))

    @property
    def duration(self) -> float:
        """Seconds: the last keyframe's time."""
        return float(self.times[-1])

    def frame_count(self, fps: float) -> int:
        """Frames at ``fps`` covering ``[0, duration]``: ``round(duration * fps)``, at least 1."""
        return max(1, int(round(self.duration * float(fps))))

    def sample(self, t) -> list[Pose]:
        """Poses at the times ``t`` (seconds; clamped to the keyframes' range)."""
        t = np.clip(np.atleast_1d(np.asarray(t, np.float64)), self.times[0], self.times[-1])
        v = np.asarray(self._f(t), np.float64).reshape(-1, 6)
        return [Pose(row[:3].copy(), float(row[3]), float(row[4]), float(row[5])) for row in v]

    def at(self, t: float) -> Pose:
        """The pose at ``t`` seconds."""
        return self.sample([t])[0]

    def frame_times(self, fps: float) -> np.ndarray:
        """(N,) float64 time of each video frame: ``i / fps``, the last frame at ``duration``
        when ``duration * fps`` is whole."""
        n = self.frame_count(fps)
        return np.minimum(np.arange(n) / float(fps), self.duration)

    def max_eye_distance(self) -> float:
        """Farthest the eye goes from the capture point along the path, metres (sampled)."""
        ts = np.linspace(0.0, self.duration, 512)
        return float(max(np.linalg.norm(p.eye) for p in self.sample(ts)))

    @classmethod
    def from_dict(cls, data) -> FlightPath:
        """Parse the JSON object of the module docstring."""
        if not isinstance(data, dict) or not isinstance(data.get("keyframes"), list):
            raise InputError("path: expected a JSON object with a \"keyframes\" list",
                             hint="see the path format in `panoforge render --help`")
        version = data.get("version", PATH_VERSION)
        if version != PATH_VERSION:
            raise InputError(f"path: version {version!r} is not supported",
                             hint=f"write \"version\": {PATH_VERSION} (or update Panoforge)")
        cur = dict(_DEFAULTS)
        rows = []
        for i, kf in enumerate(data["keyframes"]):
            if not isinstance(kf, dict) or "t" not in kf:
                raise InputError(f"path: keyframe {i} must be an object with a time \"t\"")
            unknown = set(kf) - _KEYS
            if unknown:
                raise InputError(f"path: keyframe {i} has unknown keys {sorted(unknown)}",
                                 hint="keys are t, eye, yaw, pitch, fov")
            t = _number(kf["t"], f"keyframe {i} t")
            if "eye" in kf:
                eye = kf["eye"]
                if not isinstance(eye, (list, tuple)) or len(eye) != 3:
                    raise InputError(f"path: keyframe {i} eye must be [x, y, z] in metres")
                cur["eye"] = tuple(_number(v, f"keyframe {i} eye") for v in eye)
            for key in ("yaw", "pitch", "fov"):
                if key in kf:
                    cur[key] = _number(kf[key], f"keyframe {i} {key}")
            rows.append((t, cur["eye"], cur["yaw"], cur["pitch"], cur["fov"]))
        if not rows:
            raise InputError("path: no keyframes", hint='give "keyframes": [{"t": 0, ...}, ...]')
        t, eye, yaw, pitch, fov = zip(*rows, strict=True)
        return cls(t, eye, yaw, pitch, fov, interpolation=data.get("interpolation", "smooth"))

    def to_dict(self) -> dict:
        """The JSON object of the module docstring (every key written)."""
        return {"version": PATH_VERSION, "interpolation": self.interpolation, "keyframes": [
            {"t": float(t), "eye": [float(v) for v in e], "yaw": float(y), "pitch": float(p),
             "fov": float(f)}
            for t, e, y, p, f in zip(self.times, self.eyes, self.yaw, self.pitch, self.fov,
                                     strict=True)]}


def load_path(path) -> FlightPath:
    """Read a path JSON file (see the module docstring).

    Raises
    ------
    InputError
        When the file is missing, not JSON or not a valid path.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the path file {p}: {exc.strerror or exc}",
                         hint="give an existing .json file") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"the path file {p} is not JSON: {exc}",
                         hint="see the path format in `panoforge render --help`") from None
    return FlightPath.from_dict(data)


def orbit_path(radius: float, duration: float = 10.0, *, fov_deg: float = 90.0,
               height: float = 0.0, pitch_deg: float = 0.0, keyframes: int = 73) -> FlightPath:
    """A circle of ``radius`` metres around the capture point, looking outwards, one turn.

    The eye starts in front (towards the panorama centre, -Z) and turns right; at each moment
    it looks away from the capture point (yaw = its longitude), so the whole panorama passes
    once with the parallax of a sideways step.

    Parameters
    ----------
    radius : float
        Metres, >= 0.
    duration : float
        Seconds for the full turn, > 0.
    fov_deg, pitch_deg : float
        Degrees.
    height : float
        Eye height relative to the capture point, metres (kept).
    keyframes : int
        Keyframes on the circle (every 5° by default; linear interpolation between them
        stays within ``radius * (1 - cos 2.5°)`` = 0.1 % of the circle).
    """
    r = _number(radius, "the orbit radius")
    d = _number(duration, "the duration")
    if r < 0 or d <= 0:
        raise InputError(f"orbit radius must be >= 0 and duration > 0, got {r:g} m, {d:g} s",
                         hint="for example --orbit 0.3 --duration 10")
    ang = np.linspace(0.0, 2.0 * np.pi, int(keyframes))
    eyes = np.column_stack([r * np.sin(ang), np.full_like(ang, height), -r * np.cos(ang)])
    k = ang.size
    return FlightPath(ang / (2.0 * np.pi) * d, eyes, np.degrees(ang), np.full(k, pitch_deg),
                      np.full(k, fov_deg), interpolation="smooth")
