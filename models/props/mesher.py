"""Field → mesh: sample an implicit object on a grid, run marching cubes, colour the vertices.

Both prop backends end here: the ``procedural`` one with exact signed-distance fields
(:mod:`models.props.shapes`), the ``lrm`` one with a triplane NeRF (:mod:`models.lrm.reconstruct`).
Sharing one mesher means the analytic objects are its ground truth: a sphere of radius ``r``
must come back with every vertex within one voxel of radius ``r`` and the volume of a sphere.

Marching cubes is scikit-image's (``skimage.measure.marching_cubes``, Lewiner's variant, which
resolves the ambiguous cube cases consistently so the surface is closed). The grid is padded by
one layer of "outside" samples, so an object that touches the sampling box is still closed, and
the triangles are wound counter-clockwise seen from outside (``gradient_direction="ascent"``
for a density that grows inwards; checked by the signed volume and flipped if ever negative).

Sampling is coarse to fine: a 64-per-side pass finds the cells the surface crosses, and only
those (and their neighbours) are sampled at the full resolution; at 256 that is a few percent
of the 16.7 million points for one object, which is what makes LRM's MLP affordable on a CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from models.base import Progress, ProgressCallback, raise_if_cancelled
from scene.composition import ObjectMesh
from scene.errors import InputError

__all__ = ["Field", "mesh_field", "grid_axes", "signed_volume", "stand_on_base",
           "DEFAULT_RESOLUTION", "DEFAULT_COARSE", "MIN_RESOLUTION", "MAX_RESOLUTION"]

#: Grid samples along the longest side of the box (the issue's default).
DEFAULT_RESOLUTION = 256
MIN_RESOLUTION = 16
MAX_RESOLUTION = 1024
#: Samples along the longest side of the coarse pass (OpenLRM's planes are 64 texels wide).
DEFAULT_COARSE = 64
#: Points evaluated per call of a field (bounds memory: ~2^18 points x a few floats each).
_CHUNK = 2**18


@dataclass
class Field:
    """An implicit object: where it is solid and what colour it is.

    Parameters
    ----------
    density : callable
        ``(N, 3) float32 points -> (N,) float32``; larger means more inside. The surface is
        where it equals ``level``.
    lo, hi : (3,) float
        The box to sample, in the field's own units and axes.
    level : float
        Iso-value of the surface.
    color : callable, optional
        ``(N, 3) float32 points -> (N, 3) float`` sRGB in [0, 1]; ``None`` gives grey.
    to_object : (3, 3) float ndarray
        Rotation from the field's axes to the object frame (+Y up, front towards +Z); must be
        proper (determinant +1) so the winding survives.
    """

    density: Callable[[np.ndarray], np.ndarray]
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    level: float = 0.0
    color: Callable[[np.ndarray], np.ndarray] | None = None
    to_object: np.ndarray = field(default_factory=lambda: np.eye(3))


def grid_axes(lo, hi, resolution: int) -> tuple[list[np.ndarray], float]:
    """Sample positions along x, y, z with cubic voxels.

    Parameters
    ----------
    lo, hi : (3,) float
    resolution : int
        Samples along the longest side (the shorter sides get proportionally fewer, at least 2).

    Returns
    -------
    axes : list of 3 (n_i,) float64 ndarray
        Each starts at ``lo[i]``; the last sample is at or just beyond ``hi[i]``.
    voxel : float
        Spacing, in field units.
    """
    lo = np.asarray(lo, np.float64)
    hi = np.asarray(hi, np.float64)
    extent = hi - lo
    if not (np.all(np.isfinite(extent)) and np.all(extent > 0)):
        raise InputError(f"the sampling box must have positive size, got {lo} .. {hi}")
    voxel = float(extent.max()) / (resolution - 1)
    counts = [max(2, int(np.ceil(e / voxel - 1e-9)) + 1) for e in extent]
    return [lo[i] + voxel * np.arange(counts[i]) for i in range(3)], voxel


def _check_resolution(resolution: int) -> int:
    r = int(resolution)
    if not MIN_RESOLUTION <= r <= MAX_RESOLUTION:
        raise InputError(f"grid resolution must be {MIN_RESOLUTION}..{MAX_RESOLUTION}, got {r}",
                         hint="use --grid 256 (the default); 128 is faster, 384 finer")
    return r


def _sample(field_: Field, axes, on_progress, cancel, t0: float,
            message: str = "sampling the field") -> np.ndarray:
    """(nx, ny, nz) float32 density, evaluated one x-slab (or a few) at a time."""
    ax, ay, az = axes
    nx, ny, nz = len(ax), len(ay), len(az)
    yy, zz = np.meshgrid(ay, az, indexing="ij")
    plane = np.stack([np.zeros(yy.size), yy.ravel(), zz.ravel()], axis=1).astype(np.float32)
    per_call = max(1, _CHUNK // plane.shape[0])
    vol = np.empty((nx, ny, nz), np.float32)
    for i0 in range(0, nx, per_call):
        raise_if_cancelled(cancel)
        i1 = min(nx, i0 + per_call)
        pts = np.repeat(plane[None], i1 - i0, axis=0)
        pts[:, :, 0] = ax[i0:i1, None]
        d = np.asarray(field_.density(pts.reshape(-1, 3)), np.float32)
        if d.shape != (pts.shape[0] * pts.shape[1],):
            raise ValueError(f"a field's density must return (N,), got {d.shape}")
        vol[i0:i1] = d.reshape(i1 - i0, ny, nz)
        if on_progress is not None:
            elapsed = time.perf_counter() - t0
            eta = elapsed / i1 * (nx - i1)
            on_progress(Progress(i1, nx + 1, elapsed, eta, message=message))
    return vol


def _evaluate(field_: Field, pts: np.ndarray) -> np.ndarray:
    d = np.asarray(field_.density(np.ascontiguousarray(pts, np.float32)), np.float32)
    if d.shape != (len(pts),):
        raise ValueError(f"a field's density must return (N,), got {d.shape}")
    return d


def _coarse_index(n: int, step: int) -> np.ndarray:
    idx = np.arange(0, n, step)
    return idx if idx[-1] == n - 1 else np.append(idx, n - 1)


def _lerp_axis(values: np.ndarray, idx: np.ndarray, n: int, axis: int) -> np.ndarray:
    """Linear interpolation of ``values`` (samples at fine indices ``idx`` along ``axis``)
    onto every fine index 0..n-1 along that axis."""
    i = np.arange(n)
    cell = np.clip(np.searchsorted(idx, i, side="right") - 1, 0, len(idx) - 2)
    frac = ((i - idx[cell]) / (idx[cell + 1] - idx[cell])).astype(np.float32)
    shape = [1, 1, 1]
    shape[axis] = n
    frac = frac.reshape(shape)
    lo = np.take(values, cell, axis=axis)
    hi = np.take(values, cell + 1, axis=axis)
    return lo * (1 - frac) + hi * frac


def _cell_of(idx: np.ndarray, n: int) -> np.ndarray:
    return np.clip(np.searchsorted(idx, np.arange(n), side="right") - 1, 0, len(idx) - 2)


def _sample_refined(field_: Field, axes, step: int, on_progress, cancel,
                    t0: float) -> np.ndarray:
    """The density on the fine grid, evaluated exactly only near the surface.

    A coarse grid (every ``step``-th sample, the last one always kept) is evaluated first.
    Coarse cells whose eight corners are not all on one side of the level, and their 26
    neighbours, are evaluated exactly at every fine sample inside them; elsewhere the fine
    values are the trilinear interpolation of the coarse ones, which keeps their side of the
    level, so marching cubes finds no surface there. Exact where the surface is, as long as
    no part of the object is thinner than a coarse cell.
    """
    from skimage.morphology import dilation

    level = float(field_.level)
    counts = [len(a) for a in axes]
    idx = [_coarse_index(n, step) for n in counts]
    coarse = _sample(field_, [a[i] for a, i in zip(axes, idx, strict=True)], on_progress,
                     cancel, t0, message="sampling the field (coarse)")
    inside = coarse > level
    corners = [inside[a:inside.shape[0] - 1 + a, b:inside.shape[1] - 1 + b,
                      c:inside.shape[2] - 1 + c]
               for a in (0, 1) for b in (0, 1) for c in (0, 1)]
    crossing = np.logical_or.reduce(corners) & ~np.logical_and.reduce(corners)
    crossing |= ~np.isfinite(coarse[:-1, :-1, :-1])  # let the finite check see them
    band = dilation(crossing, np.ones((3, 3, 3), bool)).astype(bool)
    vol = coarse
    for axis in range(3):
        vol = _lerp_axis(vol, idx[axis], counts[axis], axis)
    vol = np.ascontiguousarray(vol, np.float32)
    cells = [_cell_of(i, n) for i, n in zip(idx, counts, strict=True)]
    exact = band[np.ix_(*cells)]
    where = np.nonzero(exact)
    total = len(where[0])
    done_coarse = len(idx[0]) + 1
    n_calls = max(1, -(-total // _CHUNK))
    for k, i0 in enumerate(range(0, total, _CHUNK)):
        raise_if_cancelled(cancel)
        sel = tuple(w[i0:i0 + _CHUNK] for w in where)
        pts = np.stack([axes[a][sel[a]] for a in range(3)], axis=1)
        vol[sel] = _evaluate(field_, pts)
        if on_progress is not None:
            elapsed = time.perf_counter() - t0
            eta = elapsed / (k + 1) * (n_calls - k - 1)
            on_progress(Progress(done_coarse + k + 1, done_coarse + n_calls + 1, elapsed, eta,
                                 message="refining near the surface"))
    return vol


def signed_volume(positions: np.ndarray, faces: np.ndarray) -> float:
    """Volume enclosed by a closed triangle mesh; positive when it is wound outward.

    Parameters
    ----------
    positions : (N, 3) float ndarray
    faces : (M, 3) int ndarray

    Returns
    -------
    float
        In the units of ``positions`` cubed.
    """
    p = np.asarray(positions, np.float64)
    f = np.asarray(faces, np.int64)
    a, b, c = p[f[:, 0]], p[f[:, 1]], p[f[:, 2]]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def mesh_field(field_: Field, resolution: int = DEFAULT_RESOLUTION,
               on_progress: ProgressCallback | None = None, cancel=None,
               coarse: int | None = DEFAULT_COARSE) -> ObjectMesh:
    """Turn an implicit object into a closed, outward-wound, vertex-coloured triangle mesh.

    Parameters
    ----------
    field_ : Field
    resolution : int
        Grid samples along the longest side of ``field_``'s box (16..1024; default 256).
    on_progress : callable, optional
        Receives a :class:`models.base.Progress` after each slab and once meshed.
    cancel : Event-like, optional
        Checked before each slab; raises :class:`scene.errors.CancelledError`.
    coarse : int or None
        Samples along the longest side of a first, coarse pass (default 64, the side of
        OpenLRM's planes); only the coarse cells the surface crosses are then sampled at
        ``resolution`` (see :func:`_sample_refined`). ``None`` samples every point.

    Returns
    -------
    ObjectMesh
        Positions (float32) in the field's units, rotated by ``field_.to_object``; faces
        counter-clockwise seen from outside; colours (uint8 RGBA) from ``field_.color``.

    Raises
    ------
    InputError
        When no surface crosses the box (the object is empty, or fills the whole box).
    """
    from skimage import measure

    resolution = _check_resolution(resolution)
    t0 = time.perf_counter()
    axes, voxel = grid_axes(field_.lo, field_.hi, resolution)
    step = 1 if not coarse else max(1, (resolution - 1) // max(1, int(coarse) - 1))
    if step > 1:
        vol = _sample_refined(field_, axes, step, on_progress, cancel, t0)
    else:
        vol = _sample(field_, axes, on_progress, cancel, t0)
    if not np.all(np.isfinite(vol)):
        raise InputError("the object's density has NaN or infinite values",
                         hint="the model's weights may be damaged; download them again")
    level = float(field_.level)
    if vol.min() > level:
        raise InputError(
            "no surface: the object fills its whole box (the density is above the threshold "
            f"everywhere, minimum {float(vol.min()):.3g} > {level:g})",
            hint="cut the object out of its background (a PNG with transparency), or use a "
            "higher threshold")
    if not vol.max() > level:
        raise InputError(
            "no surface: the object's density never crosses the threshold inside its box "
            f"(range {float(vol.min()):.3g} .. {float(vol.max()):.3g}, threshold {level:g})",
            hint="use an image of one object on a plain background, or another threshold")
    outside = np.float32(min(float(vol.min()), level) - 1.0)
    padded = np.pad(vol, 1, mode="constant", constant_values=outside)
    raise_if_cancelled(cancel)
    verts, faces, _normals, _values = measure.marching_cubes(
        padded, level, spacing=(voxel, voxel, voxel), gradient_direction="ascent",
        allow_degenerate=False)
    origin = np.array([axes[0][0], axes[1][0], axes[2][0]]) - voxel
    pos = verts.astype(np.float64) + origin
    faces = faces.astype(np.int64)
    if signed_volume(pos, faces) < 0:  # never expected; keep the contract regardless
        faces = faces[:, [0, 2, 1]]
    colors = None
    if field_.color is not None:
        rgb = np.concatenate([np.asarray(field_.color(pos[i:i + _CHUNK].astype(np.float32)),
                                         np.float64)
                              for i in range(0, len(pos), _CHUNK)], axis=0)
        colors = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
    rot = np.asarray(field_.to_object, np.float64)
    if rot.shape != (3, 3) or not np.isclose(np.linalg.det(rot), 1.0, atol=1e-6):
        raise ValueError("Field.to_object must be a proper rotation (det +1)")
    pos = pos @ rot.T
    if on_progress is not None:
        elapsed = time.perf_counter() - t0
        on_progress(Progress(len(axes[0]) + 1, len(axes[0]) + 1, elapsed, 0.0,
                             message="meshed"))
    return ObjectMesh(pos.astype(np.float32), faces.astype(np.uint32), colors)


def stand_on_base(mesh: ObjectMesh, height: float | None = None) -> ObjectMesh:
    """Move a mesh so it stands on y = 0, centred on its footprint; optionally rescale it.

    Parameters
    ----------
    mesh : ObjectMesh
    height : float, optional
        Scale uniformly so the mesh is this tall (metres); ``None`` keeps the size.

    Returns
    -------
    ObjectMesh
        A new mesh (same faces and colours): min y = 0, x and z centred on the bounding box.
    """
    lo, hi = mesh.bounds()
    shift = np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2], np.float64)
    pos = mesh.positions.astype(np.float64) - shift
    if height is not None:
        tall = float(hi[1] - lo[1])
        if not tall > 0:
            raise InputError("the object is flat (no height) and cannot be scaled to a height")
        pos *= float(height) / tall
    return ObjectMesh(pos.astype(np.float32), mesh.faces, mesh.colors, mesh.uvs, mesh.texture)
