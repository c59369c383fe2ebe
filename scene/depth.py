"""Depth interpretation: how raw depth data from a model or a file becomes metres.

Inside Panoforge depth is always ``float32`` radial distance in metres from the viewer, with
NaN for "unknown". What arrives from outside (normalised disparity from LDM3D, a 16-bit PNG in
millimetres, perspective z-depth, an EXR in metres) is converted once, here, by an explicit
:class:`DepthInterpretation` that is stored beside the untouched raw data, so the user can
change the interpretation later without losing anything.

Kinds
-----
``disparity``
    Normalised inverse depth, 1 = near, 0 = far (MiDaS/DPT style, what LDM3D outputs)::

        r = 1 / (d * (1/near - 1/far) + 1/far)

``zdepth``
    Planar depth along a camera axis, converted to radial distance. For a perspective image
    the axis is the optical axis (-Z): ``r = z / cos(angle to the axis)``. For an equirect
    panorama it is the axis of the cube face the pixel falls in (what a six-face cubemap depth
    capture in a game engine gives): ``r = z / max(|dx|, |dy|, |dz|)`` for a unit direction.
``distance``
    Already radial distance.

``scale`` multiplies the raw value first: ``1/65535`` for 16-bit disparity, ``0.001`` for a
16-bit PNG in millimetres, ``1`` for float metres.

``clip`` (metric kinds only) is an optional ``(near, far)`` range in metres that distances are
clamped into: the depth panel's near/far for depth that is already metric (for ``disparity``
near/far define the mapping itself, so no clip is needed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from .errors import InputError

__all__ = ["DepthInterpretation", "DEPTH_KINDS", "to_distance", "DEFAULT_NEAR_M", "DEFAULT_FAR_M"]

DEPTH_KINDS = ("disparity", "zdepth", "distance")
#: Defaults for relative (disparity) depth, metres. LDM3D's depth is relative, so these set
#: the scale of the scene; the depth panel lets the user change them.
DEFAULT_NEAR_M = 1.0
DEFAULT_FAR_M = 40.0


@dataclass(frozen=True)
class DepthInterpretation:
    """How to turn raw depth values into radial distance in metres.

    Parameters
    ----------
    kind : {"disparity", "zdepth", "distance"}
        What the raw values measure (see the module docstring).
    near, far : float
        Metres; only used by ``disparity`` (the distances that 1 and 0 map to).
    scale : float
        Multiplier applied to the raw value before anything else.
    invalid_zero : bool
        Treat raw value 0 as unknown (NaN). The default for ``distance``/``zdepth`` integer
        files, where 0 conventionally means "no data".
    source : str
        Free text: where the data came from ("ldm3d-pano 16-bit", "depth.png 16-bit mm").
    clip : (float, float) or None
        ``(near, far)`` metres that metric distances are clamped into; ``None`` = no clamp.
        Ignored for ``disparity``.
    """

    kind: str = "distance"
    near: float = DEFAULT_NEAR_M
    far: float = DEFAULT_FAR_M
    scale: float = 1.0
    invalid_zero: bool = False
    source: str = ""
    clip: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in DEPTH_KINDS:
            raise InputError(
                f"unknown depth kind {self.kind!r}",
                hint="use one of: " + ", ".join(DEPTH_KINDS),
            )
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise InputError(f"depth scale must be a positive number, got {self.scale}")
        if self.kind == "disparity":
            if not (np.isfinite(self.near) and np.isfinite(self.far) and 0 < self.near < self.far):
                raise InputError(
                    f"near ({self.near} m) and far ({self.far} m) must satisfy 0 < near < far",
                    hint="for example --near 1 --far 40",
                )
        if self.clip is not None:
            lo, hi = (float(v) for v in self.clip)
            if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
                raise InputError(f"clip range {self.clip} must satisfy 0 < near < far (metres)")
            object.__setattr__(self, "clip", (lo, hi))

    def with_(self, **changes) -> DepthInterpretation:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    @property
    def near_far(self) -> tuple[float, float] | None:
        """The near/far this interpretation fixes, metres, or ``None`` when it fixes none.

        ``disparity``: the mapping's ``(near, far)``. Metric kinds: the clip range, ``None``
        when there is no clip (the data's own range applies; see
        :meth:`scene.panorama.RGBDPanorama.near_far`).
        """
        if self.kind == "disparity":
            return (float(self.near), float(self.far))
        return self.clip

    def with_near_far(self, near: float, far: float) -> DepthInterpretation:
        """A copy with its near/far set: the disparity mapping, or the metric clip range.

        This is the one home of the depth panel's rule (the window, the headset and every
        tool that reads the saved interpretation agree through it).

        Parameters
        ----------
        near, far : float
            Metres, ``0 < near < far`` (checked; :class:`~scene.errors.InputError` otherwise).
        """
        near, far = float(near), float(far)
        if self.kind == "disparity":
            return self.with_(near=near, far=far)
        return self.with_(clip=(near, far))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["clip"] = list(self.clip) if self.clip is not None else None
        return d

    @classmethod
    def from_dict(cls, data: dict) -> DepthInterpretation:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        for name in ("near", "far", "scale"):  # (a string or list here is a damaged file)
            value = known.get(name)
            if name in known and (isinstance(value, bool)
                                  or not isinstance(value, (int, float))):
                raise InputError(f"depth {name} must be a number of metres, got {value!r}")
        for name, kind in (("kind", str), ("source", str), ("invalid_zero", bool)):
            if name in known and not isinstance(known[name], kind):
                raise InputError(f"depth {name} must be a {kind.__name__}, "
                                 f"got {known[name]!r}")
        if known.get("clip") is not None:
            clip = known["clip"]
            if not (isinstance(clip, (list, tuple)) and len(clip) == 2):
                raise InputError(f"depth clip must be [near, far], got {clip!r}")
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in clip):
                raise InputError(f"depth clip must be two numbers of metres, got {clip!r}")
            known["clip"] = (float(clip[0]), float(clip[1]))
        return cls(**known)


def _zdepth_factor(directions: np.ndarray, perspective: bool) -> np.ndarray:
    """``1 / cos`` factor from planar depth to radial distance for unit ``directions``."""
    if perspective:
        axial = -directions[..., 2]
    else:
        axial = np.max(np.abs(directions), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(axial > 1e-6, 1.0 / axial, np.nan).astype(np.float32)


def to_distance(
    raw: np.ndarray,
    interp: DepthInterpretation,
    directions: np.ndarray | None = None,
    perspective: bool = False,
) -> np.ndarray:
    """Convert raw depth to radial distance in metres.

    Parameters
    ----------
    raw : (H, W) ndarray, any real dtype
        The data as it came (uint8, uint16, float16/32/64).
    interp : DepthInterpretation
        How to read it.
    directions : (H, W, 3) float ndarray, optional
        Unit view directions of the pixels; required for ``zdepth``.
    perspective : bool
        ``zdepth`` of a perspective image (optical axis -Z) rather than an equirect panorama.

    Returns
    -------
    (H, W) float32 ndarray
        Metres, NaN where unknown (NaN/inf in the input, zero when ``invalid_zero``,
        negative values). Never negative, never inf.
    """
    raw = np.asarray(raw)
    if raw.ndim != 2:
        raise InputError(f"depth must be a single-channel image, got shape {raw.shape}")
    value = raw.astype(np.float32) * np.float32(interp.scale)
    bad = ~np.isfinite(value) | (value < 0)
    if interp.invalid_zero:
        bad |= raw == 0
    if interp.kind == "disparity":
        d = np.clip(value, 0.0, 1.0)
        inv_near, inv_far = 1.0 / interp.near, 1.0 / interp.far
        dist = 1.0 / (d * np.float32(inv_near - inv_far) + np.float32(inv_far))
    elif interp.kind == "zdepth":
        if directions is None:
            raise ValueError("zdepth conversion needs the pixel directions")
        dist = value * _zdepth_factor(directions, perspective)
    else:
        dist = value
    if interp.clip is not None and interp.kind != "disparity":
        with np.errstate(invalid="ignore"):
            dist = np.clip(dist, np.float32(interp.clip[0]), np.float32(interp.clip[1]))
    dist = dist.astype(np.float32, copy=False)
    dist[bad] = np.nan
    dist[~np.isfinite(dist)] = np.nan
    return dist
