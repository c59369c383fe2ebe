"""Saved viewpoints: named camera poses kept with a project (the window's View ▸ Saved Views).

A :class:`SavedView` is the inside camera of the window's viewport, in the angles and units of
:mod:`scene.conventions` and ``panoforge render``: yaw 0 looks at the panorama centre (-Z),
positive yaw turns right (towards +X), positive pitch looks up, the field of view is
horizontal, and the eye is the offset from the capture point in metres (WASD / walk mode).
The same numbers passed to ``panoforge render --yaw --pitch --fov --eye`` render that view.

In the project manifest a project's views are the optional list ``"views"`` (written only
when there is at least one, so format-2 files without views load and save byte-identically)::

    "views": [{"name": str, "yaw_deg": float, "pitch_deg": float, "fov_deg": float,
               "eye": [x, y, z]}]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .result_names import name_problem

__all__ = ["SavedView", "MAX_VIEWS", "MAX_NAME_CHARS", "views_to_list", "views_from_list"]

#: Views a project may hold (far above what anyone saves by hand).
MAX_VIEWS = 1000
#: Longest view name, characters.
MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class SavedView:
    """One named camera pose.

    Attributes
    ----------
    name : str
        Shown in the menu; 1 to :data:`MAX_NAME_CHARS` characters, unique in a project.
    yaw_deg : float
        Degrees right of the panorama centre, in [-180, 180).
    pitch_deg : float
        Degrees up, in [-90, 90].
    fov_deg : float
        Horizontal field of view, degrees, in (0, 180).
    eye : (float, float, float)
        Eye position, metres from the capture point (+X right, +Y up, -Z the centre).
    """

    name: str
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    fov_deg: float = 90.0
    eye: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        name = str(self.name).strip()
        if not name:
            raise ValueError(f"a view name must have 1 to {MAX_NAME_CHARS} characters, "
                             f"got {self.name!r}")
        problem = name_problem(name, MAX_NAME_CHARS)  # one line of visible text, as results
        if problem:
            raise ValueError(f"view name {name!r}: {problem}")
        eye = tuple(float(v) for v in self.eye)
        numbers = (float(self.yaw_deg), float(self.pitch_deg), float(self.fov_deg), *eye)
        if len(eye) != 3 or not all(math.isfinite(v) for v in numbers):
            raise ValueError(f"view {name!r}: yaw, pitch, fov and a 3-number eye must be "
                             f"finite, got {numbers}")
        if not -90.0 <= float(self.pitch_deg) <= 90.0:
            raise ValueError(f"view {name!r}: pitch {self.pitch_deg} is outside -90..90")
        if not 0.0 < float(self.fov_deg) < 180.0:
            raise ValueError(f"view {name!r}: field of view {self.fov_deg} is outside 0..180")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "yaw_deg", float(self.yaw_deg))
        object.__setattr__(self, "pitch_deg", float(self.pitch_deg))
        object.__setattr__(self, "fov_deg", float(self.fov_deg))
        object.__setattr__(self, "eye", eye)

    def to_dict(self) -> dict:
        """The manifest entry (plain JSON types; floats round-trip exactly)."""
        return {"name": self.name, "yaw_deg": self.yaw_deg, "pitch_deg": self.pitch_deg,
                "fov_deg": self.fov_deg, "eye": list(self.eye)}

    @classmethod
    def from_dict(cls, d: dict) -> SavedView:
        """A view from its manifest entry.

        Raises
        ------
        ValueError
            A key is missing, of the wrong type, or out of range (the message says which).
        """
        if not isinstance(d, dict):
            raise ValueError(f"a view must be an object, got {type(d).__name__}")
        missing = [k for k in ("name", "yaw_deg", "pitch_deg", "fov_deg", "eye") if k not in d]
        if missing:
            raise ValueError(f"a view lacks {', '.join(missing)}")
        if not isinstance(d["name"], str):
            raise ValueError("a view's name must be text")
        nums = [d["yaw_deg"], d["pitch_deg"], d["fov_deg"]]
        eye = d["eye"]
        if not isinstance(eye, list) or len(eye) != 3:
            raise ValueError(f"view {d['name']!r}: eye must be a list of 3 numbers")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   for v in [*nums, *eye]):
            raise ValueError(f"view {d['name']!r}: yaw, pitch, fov and eye must be numbers")
        return cls(name=d["name"], yaw_deg=nums[0], pitch_deg=nums[1], fov_deg=nums[2],
                   eye=tuple(eye))


def views_to_list(views) -> list[dict]:
    """Manifest entries of ``views`` in their order."""
    return [v.to_dict() for v in views]


def views_from_list(entries) -> list[SavedView]:
    """Views from the manifest's ``"views"`` list.

    Raises
    ------
    ValueError
        Not a list, over :data:`MAX_VIEWS`, a bad entry, or two views with one name.
    """
    if not isinstance(entries, list):
        raise ValueError(f"views must be a list, got {type(entries).__name__}")
    if len(entries) > MAX_VIEWS:
        raise ValueError(f"{len(entries)} views, over the limit of {MAX_VIEWS}")
    views = [SavedView.from_dict(e) for e in entries]
    names = [v.name for v in views]
    if len(set(names)) != len(names):
        raise ValueError("two views have the same name")
    return views
