"""RGBD images: the equirectangular panorama and the perspective image.

Both keep the raw depth exactly as it arrived plus the :class:`~scene.depth.DepthInterpretation`
that turns it into metres; ``distance`` is derived from the two and recomputed when the
interpretation changes (:meth:`RGBDPanorama.with_interpretation`). Objects are treated as
immutable: every edit returns a new object, which is what makes undo cheap and safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from .conventions import direction_grid
from .depth import DepthInterpretation, to_distance
from .errors import InputError
from .metadata import GenerationMetadata

__all__ = ["RGBDPanorama", "PerspectiveRGBD", "DEFAULT_FLAT_RADIUS_M", "resize_nearest_wrap",
           "resize_bilinear_wrap"]

#: Radius at which a panorama without depth is shown (a plain sky dome), metres.
DEFAULT_FLAT_RADIUS_M = 10.0


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InputError(f"RGB must be an (H, W, 3) uint8 array, got {rgb.shape} {rgb.dtype}")
    return rgb


def resize_bilinear_wrap(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resample of an equirect image to ``height x width``, wrapping horizontally.

    Pixel centres map to pixel centres (the equirect convention), the left/right edges blend
    across the seam, top/bottom clamp. NaN in the input propagates only to the output pixels
    whose four taps include it.

    Parameters
    ----------
    img : (H, W) or (H, W, C) ndarray
    height, width : int

    Returns
    -------
    (height, width[, C]) float32 ndarray
    """
    src = np.asarray(img, dtype=np.float32)
    h, w = src.shape[:2]
    ys = (np.arange(height) + 0.5) * h / height - 0.5
    xs = (np.arange(width) + 0.5) * w / width - 0.5
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    fy = (ys - y0).astype(np.float32)
    fx = (xs - x0).astype(np.float32)
    y1 = np.clip(y0 + 1, 0, h - 1)
    y0 = np.clip(y0, 0, h - 1)
    x1 = (x0 + 1) % w
    x0 = x0 % w
    if src.ndim == 3:
        fy = fy[:, None, None]
        fx = fx[None, :, None]
    else:
        fy = fy[:, None]
        fx = fx[None, :]
    top = src[y0][:, x0] * (1 - fx) + src[y0][:, x1] * fx
    bot = src[y1][:, x0] * (1 - fx) + src[y1][:, x1] * fx
    return (top * (1 - fy) + bot * fy).astype(np.float32)


def resize_nearest_wrap(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resample of an equirect image (keeps dtype and exact raw values)."""
    h, w = img.shape[:2]
    ys = np.minimum(((np.arange(height) + 0.5) * h / height).astype(np.int64), h - 1)
    xs = np.minimum(((np.arange(width) + 0.5) * w / width).astype(np.int64), w - 1)
    return img[ys][:, xs]


class _ImageSize:
    """``width``/``height`` in pixels of an object with an ``rgb`` (H, W, 3) array."""

    rgb: np.ndarray

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


@dataclass(frozen=True, eq=False)
class RGBDPanorama(_ImageSize):
    """An equirectangular RGB panorama with optional depth.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        Colour, 2:1 (``W == 2 * H``), sRGB.
    raw_depth : (h, w) ndarray or None
        Depth exactly as it came (uint8, uint16 or float), 2:1, any resolution up to the RGB's.
        ``None`` means no depth: the panorama is shown flat at ``flat_radius``.
    interpretation : DepthInterpretation or None
        How ``raw_depth`` becomes metres; required when there is depth.
    metadata : GenerationMetadata
        What made it.
    flat_radius : float
        Metres; the distance used where there is no depth at all.
    rgb_encoded : bytes or None
        The RGB already encoded as a PNG or JPEG file whose pixels equal ``rgb`` (kept so
        exports can embed it without re-encoding).
    rgb_mime : str
        ``"image/png"`` or ``"image/jpeg"`` for ``rgb_encoded``.
    depth_encoded : (ndarray, bytes) or None
        A greyscale PNG file (8- or 16-bit) whose pixels equal that array, as the user's
        file held it (kept so saving a project stores the user's bytes instead of encoding
        them again). :meth:`encoded_depth` gives the bytes only while the array *is*
        ``raw_depth``, so a panorama made with other depth (``replace``, :meth:`with_depth`)
        never carries stale bytes.
    """

    rgb: np.ndarray
    raw_depth: np.ndarray | None = None
    interpretation: DepthInterpretation | None = None
    metadata: GenerationMetadata = field(default_factory=GenerationMetadata)
    flat_radius: float = DEFAULT_FLAT_RADIUS_M
    rgb_encoded: bytes | None = None
    rgb_mime: str = ""
    depth_encoded: tuple | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        rgb = _check_rgb(self.rgb)
        h, w = rgb.shape[:2]
        if w != 2 * h:
            raise InputError(
                f"an equirectangular panorama must be 2:1, got {w}x{h}",
                hint="pad or crop it to 2:1 (panoforge import --fit pad|crop), "
                "or import it as a perspective image",
            )
        if self.raw_depth is not None:
            d = np.asarray(self.raw_depth)
            if d.ndim != 2:
                raise InputError(f"depth must be single-channel, got shape {d.shape}")
            dh, dw = d.shape
            if dw != 2 * dh:
                raise InputError(
                    f"the depth map is {dw}x{dh} but the panorama is {w}x{h}: aspects differ",
                    hint="give a 2:1 depth map made for this panorama",
                )
            if dh > h:
                raise InputError(
                    f"the depth map ({dw}x{dh}) is larger than the RGB ({w}x{h})",
                    hint="downsample the depth to the RGB size first",
                )
            if self.interpretation is None:
                raise InputError("depth given without an interpretation (disparity/zdepth/distance)")
        if not (np.isfinite(self.flat_radius) and self.flat_radius > 0):
            raise InputError(f"flat radius must be positive, got {self.flat_radius}")

    # -- shape ---------------------------------------------------------------------------
    @property
    def has_depth(self) -> bool:
        return self.raw_depth is not None

    # -- depth ---------------------------------------------------------------------------
    def encoded_depth(self) -> bytes | None:
        """The greyscale PNG bytes of ``raw_depth`` given with it (``depth_encoded``), or
        None when there are none or they belong to other depth."""
        enc = self.depth_encoded
        if enc is None or self.raw_depth is None or enc[0] is not self.raw_depth:
            return None
        return enc[1]

    @cached_property
    def distance(self) -> np.ndarray:
        """(H, W) float32 radial distance in metres at the RGB resolution, NaN = unknown.

        Depth at a lower resolution than the RGB is converted at its own resolution, then
        resampled bilinearly (wrapping across the seam).
        """
        if self.raw_depth is None:
            return np.full((self.height, self.width), self.flat_radius, dtype=np.float32)
        raw = np.asarray(self.raw_depth)
        dh, dw = raw.shape
        dirs = direction_grid(dw, dh) if self.interpretation.kind == "zdepth" else None
        dist = to_distance(raw, self.interpretation, dirs, perspective=False)
        if (dh, dw) != (self.height, self.width):
            dist = resize_bilinear_wrap(dist, self.height, self.width)
        dist.setflags(write=False)
        return dist

    def depth_range(self) -> tuple[float, float]:
        """(min, max) finite distance in metres; ``(nan, nan)`` when nothing is known."""
        d = self.distance
        # fmin/fmax skip NaN without gathering the finite values (a copy of the whole map);
        # only NaN everywhere gives NaN. Distances are never infinite (scene.depth).
        return (float(np.fmin.reduce(d, axis=None)), float(np.fmax.reduce(d, axis=None)))

    def near_far(self) -> tuple[float, float]:
        """The near/far the depth panel shows, metres.

        The interpretation's (:attr:`DepthInterpretation.near_far`: disparity mapping or
        metric clip) when it fixes one, else the data's own :meth:`depth_range` (which is
        ``(flat_radius, flat_radius)`` without depth and ``(nan, nan)`` when nothing is known).
        """
        if self.has_depth and self.interpretation.near_far is not None:
            return self.interpretation.near_far
        return self.depth_range()

    # -- edits ---------------------------------------------------------------------------
    def with_near_far(self, near: float, far: float) -> RGBDPanorama:
        """This panorama with its near/far set (:meth:`DepthInterpretation.with_near_far`).

        A panorama without depth has nothing to set and is returned unchanged (the same
        object). Raw depth is untouched.
        """
        if not self.has_depth:
            return self
        return self.with_interpretation(self.interpretation.with_near_far(near, far))

    def with_interpretation(self, interpretation: DepthInterpretation) -> RGBDPanorama:
        """The same panorama read with another interpretation (raw data untouched)."""
        if self.raw_depth is None:
            raise InputError("this panorama has no depth to reinterpret",
                             hint="import a depth map for it first")
        return replace(self, interpretation=interpretation)

    def with_depth(self, raw_depth: np.ndarray, interpretation: DepthInterpretation) -> RGBDPanorama:
        """The same colour with new depth."""
        return replace(self, raw_depth=raw_depth, interpretation=interpretation)

    def with_metadata(self, metadata: GenerationMetadata) -> RGBDPanorama:
        return replace(self, metadata=metadata)


@dataclass(frozen=True, eq=False)
class PerspectiveRGBD(_ImageSize):
    """A perspective RGBD image (LDM3D's 512x512 models) with its field of view.

    The camera sits at the origin looking along -Z, +Y up, square pixels.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
    raw_depth : (H, W) ndarray or None
    interpretation : DepthInterpretation or None
        ``zdepth`` here means distance along the optical axis.
    fov_deg : float
        Horizontal field of view, degrees, in (0, 180).
    metadata : GenerationMetadata
    """

    rgb: np.ndarray
    raw_depth: np.ndarray | None = None
    interpretation: DepthInterpretation | None = None
    fov_deg: float = 60.0
    metadata: GenerationMetadata = field(default_factory=GenerationMetadata)

    def __post_init__(self) -> None:
        rgb = _check_rgb(self.rgb)
        if not (0 < self.fov_deg < 180):
            raise InputError(f"field of view must be between 0 and 180 degrees, got {self.fov_deg}")
        if self.raw_depth is not None:
            if np.asarray(self.raw_depth).shape != rgb.shape[:2]:
                raise InputError(
                    f"depth {np.asarray(self.raw_depth).shape} and RGB {rgb.shape[:2]} differ in size"
                )
            if self.interpretation is None:
                raise InputError("depth given without an interpretation")

    def directions(self) -> np.ndarray:
        """(H, W, 3) float32 unit ray directions of the pixel centres."""
        h, w = self.height, self.width
        f = (w / 2.0) / np.tan(np.radians(self.fov_deg) / 2.0)
        x = (np.arange(w) + 0.5 - w / 2.0) / f
        y = (h / 2.0 - (np.arange(h) + 0.5)) / f
        rays = np.empty((h, w, 3), dtype=np.float32)
        rays[..., 0] = x[None, :]
        rays[..., 1] = y[:, None]
        rays[..., 2] = -1.0
        rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
        return rays

    @cached_property
    def distance(self) -> np.ndarray:
        """(H, W) float32 radial distance in metres, NaN = unknown."""
        if self.raw_depth is None:
            return np.full((self.height, self.width), np.nan, dtype=np.float32)
        dirs = self.directions() if self.interpretation.kind == "zdepth" else None
        d = to_distance(np.asarray(self.raw_depth), self.interpretation, dirs, perspective=True)
        d.setflags(write=False)
        return d
