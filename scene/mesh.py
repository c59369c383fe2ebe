"""DepthFusion: the equirect sphere pushed out to the panorama's depth, as a triangle mesh.

Mesh conventions (shared by the full grid and the adaptive mesh)
----------------------------------------------------------------
- One vertex per pixel centre, on the pixel's ray (:mod:`scene.conventions`) at the pixel's
  distance. Grid vertex ``(row y, column x)`` has index ``y * (W + 1) + x``.
- A seam column ``x = W`` repeats column 0's positions bit for bit, with
  ``u = 1 + 0.5 / W`` (the texture wraps with sampler mode REPEAT): the geometry is welded
  across lon = +-pi and the texture continues without a visible line.
- ``uv = ((x + 0.5) / W, (y + 0.5) / H)`` with glTF's orientation (v = 0 is the top row).
- One vertex per pole, at the end of the vertex array (top, then bottom), on the +-Y axis at
  the mean height of the nearest pixel row; the pole caps are triangle fans.
- Faces are wound counter-clockwise *as seen from the origin*: for a face ``(a, b, c)`` the
  normal ``(b - a) x (c - a)`` points towards the viewer, so ``normal . centroid < 0``. This is
  glTF's front face for a camera inside the mesh.
- Faces with a vertex at unknown depth (NaN) are dropped, and so are the unknown vertices
  themselves (the vertex array is compacted): no vertex is ever NaN.
- Discontinuity cut: a triangle whose vertex distances satisfy
  ``(max - min) / min > cut_threshold`` is a "rubber sheet" across a depth jump and is
  removed; ``stats["cut_faces"]`` counts them. ``cut_threshold`` inf keeps them all
  (:class:`~scene.mesh_settings.MeshSettings` turns the user's 0 into inf).
"""

from __future__ import annotations

import numpy as np

from .adaptive import adaptive_mesh
from .backing import backing_triangles, grid_face_vertices
from .conventions import latitudes, longitudes
from .errors import InputError, ResourceError
from .limits import check_mesh_size
from .mesh_grid import compress_rows, cut_enabled, drop_unknown_vertices, pole_heights
from .mesh_settings import MeshSettings
from .meshdata import DepthMesh
from .panorama import RGBDPanorama

__all__ = ["build_depth_mesh", "full_grid_mesh", "check_distance", "grid_uvs"]

#: Largest vertex count a uint32 index buffer can address (two are reserved for the poles).
MAX_VERTICES = 2**32 - 3


def check_distance(distance: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Validate a distance map and return it as C-contiguous float32.

    Parameters
    ----------
    distance : (H, W) array_like
        Radial distance in metres; NaN (or inf) = unknown.
    shape : (H, W), optional
        The shape it must have (the panorama's).

    Returns
    -------
    (H, W) float32 ndarray
        The same values; inf becomes NaN.

    Raises
    ------
    InputError
        Wrong shape, not 2:1, or negative distances.
    """
    d = np.asarray(distance)
    if d.ndim != 2:
        raise InputError(f"a distance map must be 2-D, got shape {d.shape}")
    if shape is not None and d.shape != tuple(shape):
        raise InputError(
            f"the distance map is {d.shape[1]}x{d.shape[0]} but the panorama is "
            f"{shape[1]}x{shape[0]}",
            hint="resample the depth to the panorama's size first",
        )
    h, w = d.shape
    if w != 2 * h or h < 2:
        raise InputError(f"a panorama's distance map must be 2:1 and at least 4x2, got {w}x{h}")
    d = np.ascontiguousarray(d, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        if np.any(d < 0):
            raise InputError("the distance map has negative values",
                             hint="distances are metres from the viewer; check the depth kind")
    if not np.all(np.isfinite(d)):
        d = d.copy()
        d[np.isinf(d)] = np.nan
    return d


def grid_uvs(width: int, height: int, out: np.ndarray | None = None) -> np.ndarray:
    """Texture coordinates of the full vertex grid and the two poles.

    Parameters
    ----------
    width, height : int
        Panorama size ``W x H``.
    out : (H * (W + 1) + 2, 2) float32 ndarray, optional
        Where to write them.

    Returns
    -------
    (H * (W + 1) + 2, 2) float32 ndarray
        ``u = (x + 0.5) / W`` (``1 + 0.5 / W`` on the seam column), ``v = (y + 0.5) / H``;
        the poles are ``(0.5, 0)`` and ``(0.5, 1)``.
    """
    w1 = width + 1
    n = height * w1
    if out is None:
        out = np.empty((n + 2, 2), dtype=np.float32)
    grid = out[:n].reshape(height, w1, 2)
    grid[:, :, 0] = ((np.arange(w1, dtype=np.float64) + 0.5) / width).astype(np.float32)[None, :]
    grid[:, :, 1] = ((np.arange(height, dtype=np.float64) + 0.5) / height).astype(np.float32)[:, None]
    out[n] = (0.5, 0.0)
    out[n + 1] = (0.5, 1.0)
    return out


#: Pixel rows processed together by the row-chunked loops (keeps temporaries in cache).
_CHUNK_ROWS = 32


def _grid_positions(dist: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` ((H*(W+1)+2, 3) float32) with grid and pole positions from ``dist``.

    Directions come from separable per-row and per-column factors; rows are processed in
    small bands so the one temporary stays in cache.
    """
    h, w = dist.shape
    w1 = w + 1
    n = h * w1
    lon = longitudes(w)
    lat = latitudes(h)
    sin_lon = np.sin(lon).astype(np.float32)
    mcos_lon = (-np.cos(lon)).astype(np.float32)
    cos_lat = np.cos(lat).astype(np.float32)[:, None]
    sin_lat = np.sin(lat).astype(np.float32)[:, None]
    grid = out[:n].reshape(h, w1, 3)
    rc = np.empty((_CHUNK_ROWS, w), dtype=np.float32)
    for y0 in range(0, h, _CHUNK_ROWS):
        y1 = min(h, y0 + _CHUNK_ROWS)
        g = grid[y0:y1]
        d = dist[y0:y1]
        r = np.multiply(d, cos_lat[y0:y1], out=rc[:y1 - y0])  # horizontal radius
        np.multiply(r, sin_lon, out=g[:, :w, 0])
        np.multiply(d, sin_lat[y0:y1], out=g[:, :w, 1])
        np.multiply(r, mcos_lon, out=g[:, :w, 2])
        g[:, w] = g[:, 0]  # the seam: bit-identical copy of column 0
    top, bottom = pole_heights(grid[0, :w, 1], grid[h - 1, :w, 1])
    out[n] = (0.0, top, 0.0)
    out[n + 1] = (0.0, bottom, 0.0)


def _grid_faces(w: int, h: int, keep: np.ndarray | None = None, n_keep: int = 0,
                spare: int = 0) -> np.ndarray:
    """The faces of the full grid: 2 per pixel quad, then the top and bottom fans.

    Parameters
    ----------
    w, h : int
        Panorama size.
    keep : (2 * (H - 1) * W + 2 * W,) bool ndarray, optional
        Which faces to emit (all when None), in the order described below.
    n_keep : int
        ``keep.sum()`` (the output is allocated at that size, written once).
    spare : int
        Rows left unwritten at the end, for faces the caller appends (the backing) without
        copying the grid's.

    Returns
    -------
    (F, 3) uint32 ndarray
        Quad ``(y, x)`` gives ``(v00, v10, v01)`` and ``(v01, v10, v11)`` (``v10`` is one row
        down), quads in row-major order; then ``(top, v(0, x), v(0, x + 1))`` and
        ``(bottom, v(H-1, x + 1), v(H-1, x))``: all counter-clockwise seen from the origin.
    """
    w1 = w + 1
    n = h * w1
    ng = 2 * (h - 1) * w
    total = ng + 2 * w
    faces = np.empty(((total if keep is None else n_keep) + spare, 3), dtype=np.uint32)
    x = np.arange(w, dtype=np.uint32)
    pattern = np.empty((w, 2, 3), dtype=np.uint32)
    pattern[:, 0, 0] = x
    pattern[:, 0, 1] = x + w1
    pattern[:, 0, 2] = x + 1
    pattern[:, 1, 0] = x + 1
    pattern[:, 1, 1] = x + w1
    pattern[:, 1, 2] = x + (w1 + 1)
    row_start = (np.arange(h - 1, dtype=np.uint32) * np.uint32(w1))[:, None, None, None]
    fans = np.empty((2 * w, 3), dtype=np.uint32)
    fans[:w, 0] = n
    fans[:w, 1] = x
    fans[:w, 2] = x + 1
    last = np.uint32((h - 1) * w1)
    fans[w:, 0] = n + 1
    fans[w:, 1] = x + (last + 1)
    fans[w:, 2] = x + last
    if keep is None:
        np.add(pattern[None], row_start, out=faces[:ng].reshape(h - 1, w, 2, 3))
        faces[ng:total] = fans
        return faces
    # Row bands: build the pattern in a small buffer, keep what survives, write it once.
    buf = np.empty((_CHUNK_ROWS, w, 2, 3), dtype=np.uint32)
    kq = keep[:ng].reshape(h - 1, 2 * w)
    at = 0
    for y0 in range(0, h - 1, _CHUNK_ROWS):
        y1 = min(h - 1, y0 + _CHUNK_ROWS)
        k = kq[y0:y1].ravel()
        if k.all():
            dst = faces[at:at + k.size].reshape(y1 - y0, w, 2, 3)
            np.add(pattern[None], row_start[y0:y1], out=dst)
            at += k.size
        else:
            b = buf[:y1 - y0]
            np.add(pattern[None], row_start[y0:y1], out=b)
            kept = compress_rows(b.reshape(-1, 3), k)
            faces[at:at + kept.shape[0]] = kept
            at += kept.shape[0]
    kept = compress_rows(fans, keep[ng:])
    faces[at:at + kept.shape[0]] = kept
    assert at + kept.shape[0] == faces.shape[0] - spare
    return faces


def _triangle_test(r0, r1, r2, factor, out, scratch):
    """``out = max <= min * factor`` over three distance arrays (NaN -> False).

    With ``factor`` None only unknown (NaN) vertices fail.
    """
    lo, hi = scratch
    np.minimum(r0, r1, out=lo)
    np.minimum(lo, r2, out=lo)
    np.maximum(r0, r1, out=hi)
    np.maximum(hi, r2, out=hi)
    if factor is not None:
        np.multiply(lo, factor, out=lo)
        np.less_equal(hi, lo, out=out)
    else:
        np.less_equal(lo, hi, out=out)


def _keep_grid_faces(dist: np.ndarray, poles: tuple[float, float], threshold: float | None):
    """Which faces to keep, in :func:`_grid_faces` order, and how many were cut.

    A face is kept when all its vertex distances are known and, if ``threshold`` is given,
    ``max <= min * (1 + threshold)``.

    Returns
    -------
    keep : (n_faces,) bool ndarray
    cut : int
        Faces with known vertices removed by the threshold.
    unknown : int
        Faces removed because a vertex is unknown.
    """
    h, w = dist.shape
    ng = 2 * (h - 1) * w
    keep = np.empty(ng + 2 * w, dtype=bool)
    kq = keep[:ng].reshape(h - 1, w, 2)
    factor = np.float32(1.0 + threshold) if threshold is not None else None
    band = np.empty((_CHUNK_ROWS + 1, w + 1), dtype=np.float32)
    scratch = np.empty((2, _CHUNK_ROWS, w), dtype=np.float32)
    for y0 in range(0, h - 1, _CHUNK_ROWS):
        y1 = min(h - 1, y0 + _CHUNK_ROWS)  # quad rows y0..y1-1 use pixel rows y0..y1
        m = y1 - y0
        r = band[:m + 1]
        r[:, :w] = dist[y0:y1 + 1]
        r[:, w] = dist[y0:y1 + 1, 0]
        r00, r01, r10, r11 = r[:-1, :-1], r[:-1, 1:], r[1:, :-1], r[1:, 1:]
        sc = scratch[:, :m]
        _triangle_test(r00, r10, r01, factor, kq[y0:y1, :, 0], sc)
        _triangle_test(r01, r10, r11, factor, kq[y0:y1, :, 1], sc)
    for k, row in enumerate((0, h - 1)):
        r = np.empty(w + 1, dtype=np.float32)
        r[:w] = dist[row]
        r[w] = dist[row, 0]
        pole = np.full(w, poles[k], dtype=np.float32)
        _triangle_test(pole, r[:-1], r[1:], factor, keep[ng + k * w:ng + (k + 1) * w],
                       np.empty((2, w), dtype=np.float32))
    n_removed = int(keep.size - np.count_nonzero(keep))
    if factor is None:
        return keep, 0, n_removed
    n_unknown = _count_unknown_faces(dist, poles)
    return keep, n_removed - n_unknown, n_unknown


def _count_unknown_faces(dist: np.ndarray, poles: tuple[float, float]) -> int:
    """Number of grid faces with at least one unknown (NaN) vertex."""
    h, w = dist.shape
    known = np.empty((h, w + 1), dtype=bool)
    np.isfinite(dist, out=known[:, :w])
    known[:, w] = known[:, 0]
    if known.all() and np.isfinite(poles).all():
        return 0
    k01_10 = known[:-1, 1:] & known[1:, :-1]
    n_known = int(np.count_nonzero(k01_10 & known[:-1, :-1])
                  + np.count_nonzero(k01_10 & known[1:, 1:]))
    for row, pole in ((known[0], poles[0]), (known[h - 1], poles[1])):
        if np.isfinite(pole):
            n_known += int(np.count_nonzero(row[:-1] & row[1:]))
    return 2 * (h - 1) * w + 2 * w - n_known


def _add_backing(positions, uvs, faces, keep, w: int, h: int):
    """Write the backing triangles of the cut faces (:mod:`scene.backing`) into the spare
    rows at the end of the arrays (``3 * cuts`` vertices and ``cuts`` faces, allocated with
    the grid so that its 8 M vertices are never copied); returns the arrays and the number
    of backing faces (the caller trims the rows left unused)."""
    n_v = h * (w + 1) + 2
    n_f = faces.shape[0] - (positions.shape[0] - n_v) // 3
    cut = grid_face_vertices(np.flatnonzero(~keep), w, h)
    bp, buv, bf = backing_triangles(positions[:n_v], uvs[:n_v], cut, n_v)
    k = bf.shape[0]
    positions[n_v:n_v + 3 * k] = bp
    uvs[n_v:n_v + 3 * k] = buv
    faces[n_f:n_f + k] = bf
    return positions, uvs, faces, k


def _pole_heights(dist: np.ndarray):
    """The pole heights :func:`_grid_positions` gives ``dist``, without the grid."""
    lat = latitudes(dist.shape[0])
    s_top, s_bottom = np.sin(lat[[0, -1]]).astype(np.float32)
    return pole_heights(dist[0] * s_top, dist[-1] * s_bottom)


def full_grid_mesh(dist: np.ndarray, cut_threshold: float) -> DepthMesh:
    """The full-resolution DepthFusion mesh: every pixel centre a vertex.

    Parameters
    ----------
    dist : (H, W) float32 ndarray
        Radial distance in metres, NaN = unknown (validated by :func:`check_distance`).
    cut_threshold : float
        Relative depth jump above which a triangle is removed; 0 or inf keeps all.

    Returns
    -------
    DepthMesh
        ``H * (W + 1) + 2`` vertices (fewer where depth is unknown), up to
        ``2 * H * W`` faces. ``stats``: ``mode="full"``, ``grid=(W, H)``, ``cut_faces``,
        ``unknown_faces``, ``cut_threshold`` and ``mean_error = p99_error = max_error = 0``
        (vertices are the pixels themselves).
    """
    h, w = dist.shape
    n = h * (w + 1)
    if n + 2 > MAX_VERTICES:
        raise ResourceError(f"a {w}x{h} panorama has too many pixels for one mesh",
                            hint="use --mesh adaptive or downsample the panorama")
    try:
        # the cut is decided first (it needs only the distances and the poles), so that the
        # arrays are allocated once with room for the backing
        top, bottom = _pole_heights(dist)
        has_unknown = not bool(np.isfinite([top, bottom]).all() and np.isfinite(dist).all())
        cut = cut_enabled(cut_threshold)
        n_cut = n_unknown = 0
        keep = None
        if cut or has_unknown:
            poles = (abs(float(top)), abs(float(bottom)))
            keep, n_cut, n_unknown = _keep_grid_faces(dist, poles,
                                                      cut_threshold if cut else None)
            if not (n_cut or n_unknown):
                keep = None
        positions = np.empty((n + 2 + 3 * n_cut, 3), dtype=np.float32)
        _grid_positions(dist, positions[:n + 2])
        n_keep = 2 * (h - 1) * w + 2 * w - n_cut - n_unknown
        faces = _grid_faces(w, h, keep, n_keep, spare=n_cut)
        uvs = np.empty((n + 2 + 3 * n_cut, 2), dtype=np.float32)
        grid_uvs(w, h, out=uvs[:n + 2])
        n_backing = 0
        if n_cut:  # what the cut removed is put back behind (scene.backing): no holes
            positions, uvs, faces, n_backing = _add_backing(positions, uvs, faces, keep, w, h)
            positions, uvs = positions[:n + 2 + 3 * n_backing], uvs[:n + 2 + 3 * n_backing]
            faces = faces[:n_keep + n_backing]
        if has_unknown:
            positions, uvs, faces = drop_unknown_vertices(positions, uvs, faces)
    except MemoryError as exc:
        raise ResourceError(f"not enough memory to mesh a {w}x{h} panorama",
                            hint="use --mesh adaptive or downsample the panorama") from exc
    stats = {
        "mode": "full", "grid": (w, h), "cut_faces": int(n_cut), "unknown_faces": int(n_unknown),
        "backing_faces": int(n_backing),
        "cut_threshold": float(cut_threshold),
        "mean_error": 0.0, "p99_error": 0.0, "max_error": 0.0, "error_reference": "pixels",
    }
    return DepthMesh(positions=positions, uvs=uvs, faces=faces, stats=stats)


#: The default settings (frozen, so one shared instance is safe).
DEFAULT_SETTINGS = MeshSettings()


def build_depth_mesh(pano: RGBDPanorama, settings: MeshSettings = DEFAULT_SETTINGS,
                     distance: np.ndarray | None = None) -> DepthMesh:
    """Build the DepthFusion mesh of a panorama.

    Parameters
    ----------
    pano : RGBDPanorama
        The panorama; its ``distance`` (H, W) float32 metres is used unless ``distance``
        is given.
    settings : MeshSettings
        ``mode`` "full" (every pixel a vertex) or "adaptive" (error-bounded, see
        :mod:`scene.adaptive`), ``max_error`` and ``cut_threshold``.
    distance : (H, W) float ndarray, optional
        Distances to use instead of ``pano.distance`` (e.g. while the user drags a near/far
        slider), metres, NaN = unknown.

    Returns
    -------
    DepthMesh
        See the module docstring for the conventions; ``stats`` says how it was built.

    Raises
    ------
    InputError
        The distance map has the wrong shape or negative values.
    ResourceError
        The panorama is too large to mesh in memory.
    """
    check_mesh_size(pano.width, pano.height, settings.mode)  # (before any array is made)
    dist = check_distance(pano.distance if distance is None else distance,
                          (pano.height, pano.width))
    if settings.mode == "adaptive":
        return adaptive_mesh(dist, max_error=settings.max_error,
                             cut_threshold=settings.cut_threshold)
    return full_grid_mesh(dist, settings.cut_threshold)
