"""Depth for a whole 360° panorama from a perspective estimator: tile, estimate, align, blend.

The geometry (tiles, overlaps, least squares, feathered blending, the floor cue) is pure numpy
in :mod:`scene.tiling`; this module runs an estimator over the tiles with progress and cancel,
turns its output into one radial-distance equirect in metres, and records how it was made.

Resolution: the tiles are rendered at the estimator's input size from the panorama (a large
photo is box-filtered down first); the depth equirect is made at the tiles' angular resolution
(:func:`scene.tiling.output_width`, about 1100 px wide for 518-px cube tiles) and kept at that
size as the panorama's raw depth, while the RGB stays at its full resolution: the panorama
upsamples depth bilinearly when it needs distance at the RGB's size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from scene import tiling
from scene.depth import DepthInterpretation
from scene.errors import InputError
from scene.panorama import RGBDPanorama, resize_nearest_wrap

from ..base import Progress, ProgressCallback, raise_if_cancelled
from .base import DepthEstimator

__all__ = ["DepthEstimateOptions", "DepthEstimate", "estimate_panorama_depth",
           "DEFAULT_CAMERA_HEIGHT_M", "DEFAULT_MAX_DISTANCE_M"]

#: Camera height above the floor that sets the scale of relative depth, metres.
DEFAULT_CAMERA_HEIGHT_M = 1.6
#: Distances beyond this (a sky the network calls "infinitely far") are clamped, metres.
DEFAULT_MAX_DISTANCE_M = 1000.0
#: Scale used when relative depth has no floor and no known point: median distance, metres.
_FALLBACK_MEDIAN_M = 5.0


@dataclass(frozen=True)
class DepthEstimateOptions:
    """How to estimate.

    Parameters
    ----------
    layout : {"cube", "icosahedron"}
        Tiles (:data:`scene.tiling.TILE_LAYOUTS`).
    alignment : {"scale-shift", "scale", "none"}
        Per-tile alignment (:data:`scene.tiling.ALIGN_MODES`); metric models use ``"scale"``
        whatever is asked unless ``"none"``.
    camera_height : float
        Metres above the floor; the scale cue for relative depth.
    known_point : (lon_deg, lat_deg, metres) or None
        A direction with a known distance; replaces the floor cue when given.
    max_distance : float
        Metres; farther estimates are clamped to it.
    seed : int
        Seeds the subsample of overlap rows (same inputs, same depth).
    """

    layout: str = "cube"
    alignment: str = "scale-shift"
    camera_height: float = DEFAULT_CAMERA_HEIGHT_M
    known_point: tuple[float, float, float] | None = None
    max_distance: float = DEFAULT_MAX_DISTANCE_M
    seed: int = 0


@dataclass(eq=False)
class DepthEstimate:
    """The panorama with estimated depth and what the user should know.

    Parameters
    ----------
    panorama : RGBDPanorama
        Same RGB, raw depth = float32 radial metres (NaN = unknown), its metadata's
        ``extra["depth_estimation"]`` recording the estimator and the alignment.
    record : dict
        That record (plain JSON).
    warnings : list of str
    """

    panorama: RGBDPanorama
    record: dict
    warnings: list


def _to_disparity(depth: np.ndarray, metric: bool) -> np.ndarray:
    """Network output -> disparity; metric metres become ``1/z`` (NaN where not positive)."""
    if not metric:
        return depth.astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(depth > 0, 1.0 / depth, np.nan).astype(np.float32)


def _relative_scale(dist: np.ndarray, options: DepthEstimateOptions, warnings: list) -> dict:
    """Scale cue for relative depth: the known point, else the floor, else a median."""
    if options.known_point is not None:
        lon, lat, metres = options.known_point
        factor = tiling.point_scale(dist, lon, lat, metres)
        return {"cue": "known point", "lon_deg": lon, "lat_deg": lat, "metres": metres,
                "factor": factor}
    try:
        factor, pixels = tiling.floor_scale(dist, options.camera_height)
        return {"cue": "camera height", "camera_height_m": options.camera_height,
                "floor_pixels": pixels, "factor": factor}
    except InputError as exc:
        med = float(np.nanmedian(dist)) if np.isfinite(dist).any() else float("nan")
        if not (np.isfinite(med) and med > 0):
            raise InputError("the depth model gave no usable depth for this panorama",
                             hint="try another --depth-model") from None
        warnings.append(f"{exc.message}; the scale is a guess (median distance "
                        f"{_FALLBACK_MEDIAN_M:g} m): give a point with a known distance "
                        "(--known-point LON LAT METRES)")
        return {"cue": "median guess", "median_m": _FALLBACK_MEDIAN_M,
                "factor": _FALLBACK_MEDIAN_M / med}


def estimate_panorama_depth(
    pano: RGBDPanorama,
    estimator: DepthEstimator,
    options: DepthEstimateOptions | None = None,
    known: np.ndarray | None = None,
    on_progress: ProgressCallback | None = None,
    cancel=None,
) -> DepthEstimate:
    """Estimate the depth of an equirect panorama with a perspective estimator.

    Parameters
    ----------
    pano : RGBDPanorama
        Its RGB is used (any existing depth is replaced).
    estimator : DepthEstimator
    options : DepthEstimateOptions, optional
    known : (H, W) bool ndarray, optional
        Where the panorama has picture (a partial panorama placed by its GPano tags); depth
        elsewhere is unknown (NaN) and those pixels take no part in the alignment.
    on_progress : callable, optional
        ``Progress`` after rendering, after each batch of tiles, after alignment and blending.
    cancel : Event-like, optional
        Checked between steps and batches.

    Returns
    -------
    DepthEstimate

    Raises
    ------
    InputError, CancelledError
    """
    options = options or DepthEstimateOptions()
    start = time.perf_counter()
    warnings: list[str] = []
    tiles = tiling.make_tiles(options.layout, estimator.input_size)
    batch = max(1, int(getattr(estimator, "batch_size", 1)))
    n_batches = -(-len(tiles) // batch)
    total = n_batches + 3

    def report(step: int, message: str) -> None:
        if on_progress is None:
            return
        elapsed = time.perf_counter() - start
        eta = elapsed / step * (total - step) if step else 0.0
        on_progress(Progress(step=step, total=total, elapsed_s=elapsed, eta_s=eta,
                             message=message))

    raise_if_cancelled(cancel)
    images = tiling.render_tiles(pano.rgb, tiles)
    report(1, f"rendered {len(tiles)} {options.layout} tiles of {estimator.input_size} px")
    raw = np.empty((len(tiles), estimator.input_size, estimator.input_size), dtype=np.float32)
    for b in range(n_batches):
        raise_if_cancelled(cancel)
        sl = slice(b * batch, (b + 1) * batch)
        raw[sl] = estimator.estimate(images[sl], cancel=cancel)
        report(2 + b, f"estimated tiles {min((b + 1) * batch, len(tiles))} of {len(tiles)}")
    raise_if_cancelled(cancel)

    width = tiling.output_width(tiles, pano.width)
    height = width // 2
    valid = None
    if known is not None:
        valid = resize_nearest_wrap(np.asarray(known, dtype=bool), height, width).reshape(-1)
    samples = tiling.sample_tiles(tiles, width, height)
    values = tiling.sample_tile_values(_to_disparity(raw, estimator.metric), samples)
    mode = options.alignment
    if estimator.metric and mode == "scale-shift":
        mode = "scale"
    alignment = tiling.align_tiles(values, samples, mode, metric=estimator.metric, valid=valid,
                                   seed=options.seed)
    report(total - 1, "aligned the tiles")
    q = tiling.blend_tiles(values, samples, alignment, valid)
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.where(q > 0, 1.0 / q, np.inf).astype(np.float64)
    dist[~np.isfinite(q)] = np.nan
    far = ~np.isfinite(dist) & np.isfinite(q)
    if estimator.metric:
        scale = {"cue": "metric model", "factor": 1.0}
    else:
        finite = dist.copy()
        finite[far] = np.nan
        scale = _relative_scale(finite, options, warnings)
    dist = dist * scale["factor"]
    dist[far] = options.max_distance
    clamped = int(np.count_nonzero(dist > options.max_distance))
    dist = np.minimum(dist, options.max_distance)
    if clamped + int(np.count_nonzero(far)):
        warnings.append(f"{clamped + int(np.count_nonzero(far)):,} depth pixels (sky or very "
                        f"far) were set to {options.max_distance:g} m")
    depth = dist.astype(np.float32)

    record = {
        "estimator": estimator.name,
        "library": getattr(estimator, "library", ""),
        "model_id": estimator.model_id,
        "model_revision": estimator.revision,
        "licence": estimator.licence,
        "metric": bool(estimator.metric),
        "device": estimator.device,
        "tiles": {"layout": options.layout, "count": len(tiles), "size": estimator.input_size,
                  "fov_deg": tiles[0].fov_deg},
        "alignment": alignment.to_dict(),
        "scale": scale,
        "depth_size": [width, height],
        "max_distance_m": options.max_distance,
    }
    what = "metric" if estimator.metric else "relative"
    interp = DepthInterpretation(
        kind="distance", scale=1.0,
        source=f"estimated by {estimator.model_id} ({what}, {len(tiles)} {options.layout} tiles, "
        f"{mode} alignment, scale from {scale['cue']})")
    meta = replace(pano.metadata, extra={**pano.metadata.extra, "depth_estimation": record})
    meta = meta.with_licences([estimator.licence])
    report(total, "blended")
    out = replace(pano, raw_depth=depth, interpretation=interp, metadata=meta)
    return DepthEstimate(panorama=out, record=record, warnings=warnings)
