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

The whole composition
---------------------
With ``parts`` (:class:`~renderers.scene_parts.SceneParts`) the surface is the whole scene:

- **Props** are ray-cast from the origin onto the panorama's grid (exact ray/triangle hits,
  vectorised over the pixels each triangle covers; colours shaded as the desktop shades them,
  :func:`renderers.scene_parts.shade`, interpolated across each triangle) and join the dome's
  distance surface where they are nearer: the *front* surface.
- **Layers** make a *back* surface (the nearest layer's distance and colour per pixel). Where
  an eye ray passes a depth discontinuity of the front surface that the mesh would cut (a jump
  above the mesh's cut threshold between two steps of the march) and a layer is known behind
  it, the ray goes on to the layer instead of stopping on the stretched strip, so the few
  pixels an eye sees behind a foreground edge show what the layer holds there.

Near the poles a fixed IPD makes ODS images hard to fuse (the eye circle is seen edge-on), so
the IPD fades smoothly to zero above 60° of latitude, as ODS renderers commonly do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scene.conventions import latitudes, longitudes
from scene.errors import InputError
from scene.mesh_grid import cut_enabled
from scene.meshdata import DepthMesh
from scene.panorama import RGBDPanorama, resize_nearest_wrap

__all__ = ["render_stereo360", "write_stereo360", "mesh_distance_grid", "ipd_taper",
           "props_surface", "DEFAULT_IPD_M", "TAPER_START_DEG"]

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
#: Pixel/triangle pairs tested together when ray-casting props (bounds the temporaries).
_PAIRS_PER_CHUNK = 1 << 20


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


def _lonlat(p: np.ndarray):
    """(lon, lat) radians of (..., 3) directions (any length > 0)."""
    r = np.sqrt(np.einsum("...i,...i->...", p, p))
    return np.arctan2(p[..., 0], -p[..., 2]), np.arcsin(np.clip(p[..., 1] / r, -1.0, 1.0))


def _pixel_rays(h: int, w: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    lat = np.pi / 2 - np.pi * (rows + 0.5) / h
    lon = 2 * np.pi * (cols + 0.5) / w - np.pi
    cl = np.cos(lat)
    return np.stack([cl * np.sin(lon), np.sin(lat), -cl * np.cos(lon)], axis=-1)


def _triangle_hits(d: np.ndarray, v0: np.ndarray, v1: np.ndarray, v2: np.ndarray):
    """Möller-Trumbore for rays from the origin along ``d`` ((n, 3) each): (t, u, v), t = inf
    where the ray misses."""
    e1, e2 = v1 - v0, v2 - v0
    pvec = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, pvec)
    ok = np.abs(det) > 1e-18
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    tvec = -v0
    u = np.einsum("ij,ij->i", tvec, pvec) * inv
    qvec = np.cross(tvec, e1)
    v = np.einsum("ij,ij->i", d, qvec) * inv
    t = np.einsum("ij,ij->i", e2, qvec) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
    return np.where(hit, t, np.inf), u, v


def _triangle_pixel_boxes(v0, v1, v2, h: int, w: int):
    """Rows and columns (inclusive first, count) of the equirect pixels each triangle can
    cover, with a one-pixel margin; a triangle around a pole covers its rows' full width."""
    lon = np.stack([_lonlat(v)[0] for v in (v0, v1, v2)], axis=1)
    lat = np.stack([_lonlat(v)[1] for v in (v0, v1, v2)], axis=1)
    centre = _lonlat(v0 + v1 + v2)[0]
    rel = (lon - centre[:, None] + np.pi) % (2 * np.pi) - np.pi
    lat_hi, lat_lo = lat.max(axis=1), lat.min(axis=1)
    n = v0.shape[0]
    up = np.tile([0.0, 1.0, 0.0], (n, 1))
    north = np.isfinite(_triangle_hits(up, v0, v1, v2)[0])
    south = np.isfinite(_triangle_hits(-up, v0, v1, v2)[0])
    lat_hi = np.where(north, np.pi / 2, lat_hi)
    lat_lo = np.where(south, -np.pi / 2, lat_lo)
    y0 = np.clip(np.floor((np.pi / 2 - lat_hi) * h / np.pi - 0.5).astype(np.int64) - 1, 0, h - 1)
    y1 = np.clip(np.ceil((np.pi / 2 - lat_lo) * h / np.pi - 0.5).astype(np.int64) + 1, 0, h - 1)
    # Columns: widen by the row's stretch (1 / cos lat) so the margin stays a pixel.
    cos_lat = np.maximum(np.cos(np.maximum(np.abs(lat_hi), np.abs(lat_lo))), 1e-3)
    pad = 1.0 / cos_lat
    x0 = np.floor((centre + rel.min(axis=1) + np.pi) * w / (2 * np.pi) - 0.5 - pad)
    x1 = np.ceil((centre + rel.max(axis=1) + np.pi) * w / (2 * np.pi) - 0.5 + pad)
    ncols = np.minimum((x1 - x0).astype(np.int64) + 1, w)
    full = north | south | (ncols >= w)
    x0 = np.where(full, 0, x0).astype(np.int64)
    ncols = np.where(full, w, ncols)
    return y0, y1 - y0 + 1, x0, ncols


def props_surface(props, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The props seen from the origin on an equirect grid: distance and colour per pixel.

    Parameters
    ----------
    props : sequence of PropPart
        World-frame props (:func:`renderers.scene_parts.prop_part`).
    height, width : int
        The grid (pixel centres as in :mod:`scene.conventions`).

    Returns
    -------
    distance : (height, width) float64 ndarray
        Metres to the nearest prop surface; ``inf`` where no prop is hit.
    colour : (height, width, 3) float64 ndarray
        0..255 shaded colour there (0 where no prop).

    Notes
    -----
    Exact ray/triangle intersection (Möller-Trumbore), vectorised over (pixel, triangle)
    pairs taken from each triangle's pixel box; the loop is over props and chunks of pairs,
    never over pixels.
    """
    from .scene_parts import shade

    h, w = int(height), int(width)
    dist = np.full(h * w, np.inf)
    colour = np.zeros((h * w, 3))
    for part in props:
        p = np.asarray(part.positions, np.float64)
        f = np.asarray(part.faces, np.int64)
        vcol = shade(part.colors, part.normals, part.lit)
        v0, v1, v2 = p[f[:, 0]], p[f[:, 1]], p[f[:, 2]]
        y0, ny, x0, nx = _triangle_pixel_boxes(v0, v1, v2, h, w)
        count = ny * nx
        ends = np.cumsum(count)
        start = 0
        while start < f.shape[0]:
            base = ends[start - 1] if start else 0
            stop = int(np.searchsorted(ends, base + _PAIRS_PER_CHUNK, side="right"))
            stop = max(stop, start + 1)
            tri = np.repeat(np.arange(start, stop), count[start:stop])
            k = np.arange(tri.size) - np.repeat(ends[start:stop] - count[start:stop] - base,
                                                count[start:stop])
            rows = y0[tri] + k // nx[tri]
            cols = (x0[tri] + k % nx[tri]) % w
            d = _pixel_rays(h, w, rows, cols)
            t, u, v = _triangle_hits(d, v0[tri], v1[tri], v2[tri])
            hit = np.isfinite(t)
            if hit.any():
                pix = (rows * w + cols)[hit]
                t, u, v, tri = t[hit], u[hit], v[hit], tri[hit]
                order = np.lexsort((t, pix))
                pix, t, u, v, tri = pix[order], t[order], u[order], v[order], tri[order]
                first = np.ones(pix.size, bool)
                first[1:] = pix[1:] != pix[:-1]
                pix, t, u, v, tri = pix[first], t[first], u[first], v[first], tri[first]
                nearer = t < dist[pix]
                pix, t, u, v, tri = pix[nearer], t[nearer], u[nearer], v[nearer], tri[nearer]
                dist[pix] = t
                colour[pix] = ((1 - u - v)[:, None] * vcol[f[tri, 0]]
                               + u[:, None] * vcol[f[tri, 1]] + v[:, None] * vcol[f[tri, 2]])
            start = stop
    return dist.reshape(h, w), colour.reshape(h, w, 3)


def _back_surface(layers, h: int, w: int):
    """(distance (h, w) float64, NaN where no layer; colour (h, w, 3) float32) of the nearest
    layer at each pixel of the dome's grid."""
    dist = np.full((h, w), np.nan)
    rgb = np.zeros((h, w, 3), np.float32)
    for layer in layers:
        grid = (mesh_distance_grid(layer.panorama, layer.mesh) if layer.panorama is not None
                else None)
        if grid is None:
            continue
        d = resize_nearest_wrap(grid, h, w).astype(np.float64)
        c = resize_nearest_wrap(np.asarray(layer.rgb), h, w).astype(np.float32)
        nearer = np.isfinite(d) & (d > 0) & ~(d >= dist)
        dist[nearer] = d[nearer]
        rgb[nearer] = c[nearer]
    return dist, rgb


def _cast_band(dist: np.ndarray, lon: np.ndarray, lat: np.ndarray, radius: np.ndarray,
               side: np.ndarray, d_low: np.ndarray, d_max: float, back=None,
               jump: float = np.inf):
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
        Farthest distance in ``dist`` (and ``back``).
    back : (h, w) float64 ndarray, optional
        The layers' distance surface (NaN where no layer): rays that pass a front jump
        larger than ``jump`` go on to it (see the module docstring).
    jump : float
        Ratio of consecutive front distances counted as a cut discontinuity.

    Returns
    -------
    lon_hit, lat_hit : (n,) float64 ndarray
        Direction (from the origin) of the surface point each ray sees.
    on_back : (n,) bool ndarray
        True where that point is on the back (layer) surface.
    """
    h = dist.shape[0]
    cl = np.cos(lat)
    d = np.stack([cl * np.sin(lon), np.sin(lat), -cl * np.cos(lon)], axis=-1)
    # The eye's tangential offset direction: the viewer's right when facing this column.
    tau = np.stack([np.cos(lon), np.zeros_like(lon), np.sin(lon)], axis=-1) * side[:, None]
    on_back = np.zeros(lon.shape, bool)
    if radius.size == 0 or float(radius.max()) <= 0.0:
        return lon, lat, on_back
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
    layered = back is not None and np.isfinite(jump)
    if layered:
        back_known = np.isfinite(back)
        back_filled = np.where(back_known, back, dist)
        s_prev = np.full(lon.shape, np.nan)
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
        front = _sample(dist, lo, la)
        f = r - front
        fp, ap = f_prev[idx], a_prev[idx]
        if layered:
            behind = on_back[idx]
            bk = _sample(back_filled, lo, la)
            through = (~behind & (f >= 0) & (s_prev[idx] > front * jump) & (r < bk)
                       & _sample_nearest(back_known, lo, la))
            s_prev[idx] = front
            behind |= through
            on_back[idx] = behind
            f = np.where(behind, r - bk, f)
            fp = np.where(through, np.nan, fp)
        cross = f >= 0
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.clip(np.where((f - fp) > 0, -fp / (f - fp), 1.0), 0.0, 1.0)
        hit = np.where(np.isnan(fp), a, ap + (a - ap) * w)
        hit_a[idx[cross]] = hit[cross]
        found[idx[cross]] = True
        f_prev[idx], a_prev[idx] = f, a
    return (*_direction_lonlat(d, tau, np.cos(hit_a), np.sin(hit_a)), on_back)


def render_stereo360(pano: RGBDPanorama, mesh: DepthMesh, ipd: float = DEFAULT_IPD_M,
                     width: int | None = None, parts=None) -> np.ndarray:
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
    parts : SceneParts, optional
        The composition's layers and props (see the module docstring); ``None`` renders the
        dome alone.

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
    rgb = pano.rgb.astype(np.float32)
    prop_mask = back = back_rgb = None
    jump = np.inf
    if parts is not None and parts.props:
        p_dist, p_rgb = props_surface(parts.props, pano.height, pano.width)
        prop_mask = p_dist < dist
        dist = np.where(prop_mask, p_dist, dist)
        prop_rgb = p_rgb.astype(np.float32)
    if parts is not None and parts.layers:
        back, back_rgb = _back_surface(parts.layers, pano.height, pano.width)
        cut = float(mesh.stats.get("cut_threshold", np.inf))
        jump = 1.0 + cut if cut_enabled(cut) else np.inf
        back = np.where(back > dist, back, np.nan)  # a layer only counts behind the front
    d_max = float(dist.max())
    if back is not None and np.isfinite(back).any():
        d_max = max(d_max, float(np.nanmax(back)))
    a_max = float(np.arcsin(min(0.5 * ipd / float(dist.min()), 1.0)))
    reach = _reachable_min(dist, a_max)
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
        lo, la, on_back = _cast_band(dist, np.concatenate([lon, lon]),
                                     np.concatenate([lat, lat]),
                                     np.concatenate([radius, radius]), side,
                                     np.concatenate([d_low, d_low]), d_max, back, jump)
        colour = _sample(rgb, lo, la)
        if prop_mask is not None:
            on_prop = _sample_nearest(prop_mask, lo, la)
            colour[on_prop] = _sample_nearest(prop_rgb, lo[on_prop], la[on_prop])
        if on_back.any():
            colour[on_back] = _sample(back_rgb, lo[on_back], la[on_back])
        colour = np.clip(np.rint(colour), 0, 255).astype(np.uint8)
        out[y0:y1] = colour[:n].reshape(y1 - y0, w, 3)
        out[h + y0:h + y1] = colour[n:].reshape(y1 - y0, w, 3)
    return out


def write_stereo360(path: str | Path, pano: RGBDPanorama, mesh: DepthMesh,
                    ipd: float = DEFAULT_IPD_M, width: int | None = None, parts=None) -> None:
    """Render :func:`render_stereo360` and save it as an image (PNG, or JPEG by extension).

    The file is written atomically (a temporary file renamed into place).

    Parameters
    ----------
    path : str or Path
        ``.png``, ``.jpg`` or ``.jpeg``, in an existing folder (checked before rendering).
    pano, mesh, ipd, width, parts
        As for :func:`render_stereo360`.
    """
    from .image_file import check_image_path, write_image

    path = check_image_path(path, "a stereo 360 image")
    write_image(path, render_stereo360(pano, mesh, ipd=ipd, width=width, parts=parts),
                "a stereo 360 image")
