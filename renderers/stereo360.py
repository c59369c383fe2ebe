"""Omnidirectional stereo (ODS): a top-bottom stereo equirect image of a scene's mesh.

Every VR photo player shows a top-bottom equirectangular pair in 3D. In ODS each output column
is seen from its own eye position: the two eyes sit on a horizontal circle of radius
``ipd / 2`` around the scene's origin, offset tangentially (to the viewer's left and right when
facing that column), and look along the column's direction. A point in front of the viewer at
distance ``d`` then appears ``asin(ipd / 2 / d)`` to the right of its direction in the left eye
and as far to the left in the right eye: an angular disparity of ``2 asin(ipd / 2 / d)``.

How it is rendered
------------------
In numpy, by ray-casting, vectorised over all pixels of a band of rows (no loop over pixels).
The surface hit is the DepthFusion mesh's radial distance surface: the distance of each mesh
vertex that sits on a panorama pixel centre (every vertex of a full-grid mesh, so live
near/far edits baked into the mesh are honoured), the panorama's own distance at the pixels
an adaptive mesh has no vertex for, interpolated bilinearly between pixel centres. Two
simplifications, both invisible at IPD scale:

- Faces the mesh cuts at depth discontinuities are not holes here: the few-pixel strips an eye
  sees behind a foreground edge show the colour stretched across the jump (as the uncut mesh
  would) instead of black.
- Unknown depth (NaN, e.g. an open sky) is infinitely far: it has no parallax.

Because an eye ray starts ``ipd/2`` off the origin, seen from the origin it sweeps along a
great circle from its own direction towards the eye's offset; at radius ``r`` it is
``asin(ipd / 2 / r)`` away. The ray is marched along that arc one source pixel at a time from
the nearest distance in the scene outwards; the first sample at or beyond the surface is the
hit, refined by linear interpolation.

Near the poles a fixed IPD makes ODS images hard to fuse (the eye circle is seen edge-on), so
the IPD fades smoothly to zero above 60° of latitude, as ODS renderers commonly do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scene.conventions import latitudes, longitudes
from scene.errors import InputError
from scene.meshdata import DepthMesh
from scene.panorama import RGBDPanorama

__all__ = ["render_stereo360", "write_stereo360", "mesh_distance_grid", "ipd_taper",
           "DEFAULT_IPD_M", "TAPER_START_DEG"]

#: Default interpupillary distance, metres.
DEFAULT_IPD_M = 0.064
#: Latitude (degrees) above which the IPD fades to zero at the poles.
TAPER_START_DEG = 60.0
#: Distance standing in for unknown depth (no parallax at IPD scale), metres.
_FAR_M = 1.0e6
#: Output rows ray-cast together (bounds the temporaries to a few tens of MB).
_ROWS_PER_BAND = 32
#: Largest output width accepted (the top-bottom image is width x width).
_MAX_WIDTH = 16384


def ipd_taper(lat: np.ndarray) -> np.ndarray:
    """Fraction of the IPD used at each latitude: 1 up to 60°, smoothly 0 at the poles.

    Parameters
    ----------
    lat : (...) float ndarray
        Latitude, radians.

    Returns
    -------
    (...) float64 ndarray
        In [0, 1].
    """
    start = np.radians(TAPER_START_DEG)
    x = np.clip((np.pi / 2 - np.abs(np.asarray(lat, dtype=np.float64))) / (np.pi / 2 - start),
                0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def mesh_distance_grid(pano: RGBDPanorama, mesh: DepthMesh) -> np.ndarray:
    """The mesh's radial distance at every panorama pixel centre.

    Vertices whose texture coordinate is a pixel centre of ``pano`` give their distance from
    the origin; pixels without such a vertex (an adaptive mesh's skipped pixels) keep the
    panorama's distance. Pole vertices and other off-centre vertices are ignored.

    Parameters
    ----------
    pano : RGBDPanorama
    mesh : DepthMesh

    Returns
    -------
    (H, W) float32 ndarray
        Metres; NaN where neither the mesh nor the panorama knows the depth.
    """
    h, w = pano.height, pano.width
    grid = np.array(pano.distance, dtype=np.float32, copy=True)
    if mesh.n_vertices == 0:
        return grid
    uv = mesh.uvs.astype(np.float64)
    fx = uv[:, 0] * w - 0.5
    fy = uv[:, 1] * h - 0.5
    ix = np.rint(fx)
    iy = np.rint(fy)
    on_centre = (np.abs(fx - ix) < 1e-3) & (np.abs(fy - iy) < 1e-3) & (iy >= 0) & (iy < h)
    ix = ix[on_centre].astype(np.int64) % w
    iy = iy[on_centre].astype(np.int64)
    grid[iy, ix] = mesh.distances()[on_centre]
    return grid


def _sample(img: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Bilinear lookup of an equirect image at (lon, lat), wrapping across the seam.

    Parameters
    ----------
    img : (H, W) or (H, W, C) float ndarray
    lon, lat : (...) float ndarray
        Radians.

    Returns
    -------
    (...) or (..., C) float ndarray
    """
    h, w = img.shape[:2]
    px = (lon + np.pi) * (w / (2.0 * np.pi)) - 0.5
    py = np.clip((np.pi / 2 - lat) * (h / np.pi) - 0.5, 0.0, h - 1.0)
    x0 = np.floor(px)
    y0 = np.minimum(np.floor(py), h - 2) if h > 1 else np.zeros_like(py)
    fx = px - x0
    fy = py - y0
    x0 = x0.astype(np.int64) % w
    x1 = (x0 + 1) % w
    y0 = y0.astype(np.int64)
    y1 = np.minimum(y0 + 1, h - 1)
    if img.ndim == 3:
        fx = fx[..., None]
        fy = fy[..., None]
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bot = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return top * (1 - fy) + bot * fy


def _sample_nearest(img: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Nearest-pixel lookup of an (H, W) equirect image at (lon, lat) radians."""
    h, w = img.shape[:2]
    x = np.floor((lon + np.pi) * (w / (2.0 * np.pi))).astype(np.int64) % w
    y = np.clip(np.floor((np.pi / 2 - lat) * (h / np.pi)).astype(np.int64), 0, h - 1)
    return img[y, x]


def _direction_lonlat(d: np.ndarray, tau: np.ndarray, ca: np.ndarray, sa: np.ndarray):
    """(lon, lat) of ``cos(a) d + sin(a) tau`` for unit ``d`` perpendicular to unit ``tau``."""
    u = ca[..., None] * d + sa[..., None] * tau
    lon = np.arctan2(u[..., 0], -u[..., 2])
    lat = np.arcsin(np.clip(u[..., 1], -1.0, 1.0))
    return lon, lat


def _window_min(a: np.ndarray, k: int) -> np.ndarray:
    """Minimum over columns ``x - k .. x + k`` (wrapping) of each row of ``a`` ((r, w))."""
    w = a.shape[1]
    span = min(2 * k + 1, w)
    p = 1
    m = a
    while 2 * p <= span:  # m[x] = min(a[x .. x + 2p - 1]) after each doubling
        m = np.minimum(m, np.roll(m, -p, axis=1))
        p *= 2
    if span >= w:
        return np.repeat(a.min(axis=1, keepdims=True), w, axis=1)
    return np.minimum(np.roll(m, k, axis=1), np.roll(m, -(k - p + 1), axis=1))


def _reachable_min(dist: np.ndarray, a_max: float) -> np.ndarray:
    """For each source pixel, the nearest distance any ODS ray starting there can meet.

    A ray seen from the origin sweeps at most ``a_max`` radians from its pixel, horizontally
    (plus a sliver of latitude): the minimum over that window (+ the bilinear taps' margin)
    bounds where it can hit, so the march can start there instead of at the scene's nearest
    point.

    Parameters
    ----------
    dist : (h, w) float64 ndarray
    a_max : float
        Largest arc angle, radians (``asin(ipd / 2 / nearest distance)``).

    Returns
    -------
    (h, w) float64 ndarray
    """
    h, w = dist.shape
    padded = np.pad(dist, ((2, 2), (0, 0)), mode="edge")
    rows = np.min(np.stack([padded[i:i + h] for i in range(5)]), axis=0)  # +-2 rows
    cos_lat = np.maximum(np.cos(latitudes(h)), 1e-6)
    half = np.minimum(np.ceil(a_max / cos_lat / (2 * np.pi / w)).astype(np.int64) + 2, w)
    out = np.empty_like(dist)
    for k in np.unique(half):
        sel = half == k
        out[sel] = _window_min(rows[sel], int(k))
    return out


def _cast_band(dist: np.ndarray, lon: np.ndarray, lat: np.ndarray, radius: np.ndarray,
               side: np.ndarray, d_low: np.ndarray, d_max: float):
    """Hit directions of the ODS rays of one band of output pixels.

    Parameters
    ----------
    dist : (h, w) float64 ndarray
        The distance surface, metres, finite.
    lon, lat : (n,) float64 ndarray
        Output pixel directions.
    radius : (n,) float64 ndarray
        Eye-circle radius per pixel (ipd / 2 after the pole taper), metres.
    side : (n,) float64 ndarray
        -1 for the left eye, +1 for the right eye.
    d_low : (n,) float64 ndarray
        A lower bound of the distance each ray can meet (:func:`_reachable_min`).
    d_max : float
        Farthest distance in ``dist``.

    Returns
    -------
    lon_hit, lat_hit : (n,) float64 ndarray
        Direction (from the origin) of the surface point each ray sees.
    """
    h = dist.shape[0]
    cl = np.cos(lat)
    d = np.stack([cl * np.sin(lon), np.sin(lat), -cl * np.cos(lon)], axis=-1)
    # The eye's tangential offset direction: the viewer's right when facing this column.
    tau = np.stack([np.cos(lon), np.zeros_like(lon), np.sin(lon)], axis=-1) * side[:, None]
    if radius.size == 0 or float(radius.max()) <= 0.0:
        return lon, lat
    # Arc angle a of the point at distance r: sin(a) = R / r. Each ray is marched from its
    # nearest possible hit (r = d_low) outwards to r = d_max, one source pixel per step, on a
    # grid of angles shared by the band; only rays still marching are computed.
    a_hi = np.arcsin(np.minimum(radius / np.maximum(d_low, radius * 1.000001), 1.0))
    a_lo = np.arcsin(radius / d_max)
    step = np.pi / h
    a_top = float(a_hi.max())
    first = np.floor((a_top - a_hi) / step).astype(np.int64)  # a_top - first*step >= a_hi
    n_steps = int(np.ceil((a_top - float(a_lo.min())) / step)) + 1
    hit_a = np.zeros_like(lon)  # a = 0: the surface is at infinity
    found = radius <= 0.0
    f_prev = np.full(lon.shape, np.nan)
    a_prev = np.zeros_like(lon)
    for k in range(int(first.min()), n_steps + 1):
        idx = np.flatnonzero((first <= k) & ~found)
        if idx.size == 0:
            if found.all():
                break
            continue
        a = np.maximum(a_top - k * step, a_lo[idx])
        sa = np.sin(a)
        r = radius[idx] / sa
        lo, la = _direction_lonlat(d[idx], tau[idx], np.cos(a), sa)
        f = r - _sample(dist, lo, la)
        fp, ap = f_prev[idx], a_prev[idx]
        cross = f >= 0
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.clip(np.where((f - fp) > 0, -fp / (f - fp), 1.0), 0.0, 1.0)
        hit = np.where(np.isnan(fp), a, ap + (a - ap) * w)
        hit_a[idx[cross]] = hit[cross]
        found[idx[cross]] = True
        f_prev[idx], a_prev[idx] = f, a
    return _direction_lonlat(d, tau, np.cos(hit_a), np.sin(hit_a))


def render_stereo360(pano: RGBDPanorama, mesh: DepthMesh, ipd: float = DEFAULT_IPD_M,
                     width: int | None = None) -> np.ndarray:
    """Render a top-bottom omnidirectional stereo equirect image of the mesh.

    Parameters
    ----------
    pano : RGBDPanorama
        Colour (and the distance where the mesh has no vertex).
    mesh : DepthMesh
        The DepthFusion mesh built from ``pano``; its radial surface is what is seen.
    ipd : float
        Interpupillary distance, metres (0 gives two identical mono images).
    width : int, optional
        Output width ``W`` in pixels (default: the panorama's); each eye is ``W x W/2``.

    Returns
    -------
    (W, W, 3) uint8 ndarray
        The left eye's equirect image on top (rows ``0 .. W/2-1``), the right eye's below,
        both in the conventions of :mod:`scene.conventions`.

    Raises
    ------
    InputError
        ``ipd`` is negative or not finite, or ``width`` is not an even number in range.
    """
    if not (np.isfinite(ipd) and 0.0 <= ipd <= 1.0):
        raise InputError(f"--ipd must be between 0 and 1 metre, got {ipd}",
                         hint="a typical adult IPD is 0.064 (64 mm)")
    w = pano.width if width is None else int(width)
    if w < 8 or w % 2 or w > _MAX_WIDTH:
        raise InputError(f"stereo 360 width must be an even number from 8 to {_MAX_WIDTH}, "
                         f"got {width}", hint="for example --width 4096")
    h = w // 2
    dist = mesh_distance_grid(pano, mesh).astype(np.float64)
    dist = np.where(np.isfinite(dist) & (dist > 0), dist, _FAR_M)
    d_max = float(dist.max())
    a_max = float(np.arcsin(min(0.5 * ipd / float(dist.min()), 1.0)))
    reach = _reachable_min(dist, a_max)
    rgb = pano.rgb.astype(np.float32)
    lon_cols = longitudes(w)
    lat_rows = latitudes(h)
    out = np.empty((2 * h, w, 3), dtype=np.uint8)
    for y0 in range(0, h, _ROWS_PER_BAND):
        y1 = min(h, y0 + _ROWS_PER_BAND)
        lat = np.repeat(lat_rows[y0:y1], w)
        lon = np.tile(lon_cols, y1 - y0)
        radius = 0.5 * ipd * ipd_taper(lat)
        n = lat.size
        side = np.concatenate([np.full(n, -1.0), np.full(n, 1.0)])
        d_low = _sample_nearest(reach, lon, lat)
        lo, la = _cast_band(dist, np.concatenate([lon, lon]), np.concatenate([lat, lat]),
                            np.concatenate([radius, radius]), side,
                            np.concatenate([d_low, d_low]), d_max)
        colour = np.clip(np.rint(_sample(rgb, lo, la)), 0, 255).astype(np.uint8)
        out[y0:y1] = colour[:n].reshape(y1 - y0, w, 3)
        out[h + y0:h + y1] = colour[n:].reshape(y1 - y0, w, 3)
    return out


def write_stereo360(path: str | Path, pano: RGBDPanorama, mesh: DepthMesh,
                    ipd: float = DEFAULT_IPD_M, width: int | None = None) -> None:
    """Render :func:`render_stereo360` and save it as an image (PNG, or JPEG by extension).

    The file is written atomically (a temporary file renamed into place).

    Parameters
    ----------
    path : str or Path
        ``.png``, ``.jpg`` or ``.jpeg``, in an existing folder (checked before rendering).
    pano, mesh, ipd, width
        As for :func:`render_stereo360`.
    """
    from .image_file import check_image_path, write_image

    path = check_image_path(path, "a stereo 360 image")
    write_image(path, render_stereo360(pano, mesh, ipd=ipd, width=width), "a stereo 360 image")
