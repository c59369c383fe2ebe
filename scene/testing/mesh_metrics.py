"""How far a DepthFusion mesh is from the true scene, measured along view rays.

The error that matters is what the viewer at the origin sees: along a ray, the distance at
which the ray meets the mesh versus the true distance along the same ray. Vertices lie exactly
on the surface by construction, so the error is measured *inside* faces: at the centroid and
three more interior points of each face (barycentric ``(2/3, 1/6, 1/6)`` and its
permutations). A point ``p`` on a face is where the ray ``p / |p|`` meets that face, so the
relative error there is ``| |p| - r(p / |p|) | / r(p / |p|)`` with ``r`` the scene's exact
distance.

Faces are weighted by the solid angle they cover as seen from the origin (so a mesh is not
judged better for having many tiny faces where the error is low); ``unweighted_mean`` gives
every sample the same weight.
"""

from __future__ import annotations

import numpy as np

__all__ = ["radial_error", "solid_angles", "SAMPLE_BARYCENTRICS"]

#: Barycentric coordinates of the sample points inside each face.
SAMPLE_BARYCENTRICS = np.array(
    [[1 / 3, 1 / 3, 1 / 3], [2 / 3, 1 / 6, 1 / 6], [1 / 6, 2 / 3, 1 / 6], [1 / 6, 1 / 6, 2 / 3]]
)


def solid_angles(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Solid angle of triangles ``(a, b, c)`` seen from the origin.

    Parameters
    ----------
    a, b, c : (N, 3) float ndarray
        Vertex positions, metres.

    Returns
    -------
    (N,) float64 ndarray
        Steradians, non-negative (Van Oosterom and Strackee's formula, unsigned).
    """
    a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
    la, lb, lc = (np.sqrt(np.einsum("ij,ij->i", v, v)) for v in (a, b, c))
    triple = np.einsum("ij,ij->i", a, np.cross(b, c))
    denom = (la * lb * lc + np.einsum("ij,ij->i", a, b) * lc
             + np.einsum("ij,ij->i", a, c) * lb + np.einsum("ij,ij->i", b, c) * la)
    return np.abs(2.0 * np.arctan2(np.abs(triple), denom))


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    if cum[-1] <= 0:
        return float(np.quantile(values, q))
    i = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(values[order[min(i, order.size - 1)]])


def radial_error(mesh, scene, *, max_faces: int = 1_000_000, seed: int = 0) -> dict:
    """Relative radial error of a mesh against a scene's exact distance.

    Parameters
    ----------
    mesh : DepthMesh
        Any triangle mesh around the origin (``positions`` (N, 3), ``faces`` (M, 3)).
    scene : AnalyticScene
        Anything with ``distance_of(directions (..., 3)) -> (...) float64`` metres (NaN where
        the ray hits nothing).
    max_faces : int
        Faces measured at most; a larger mesh is measured on a random subset of this many
        faces (seeded by ``seed``), which is plenty for the mean and the 99th percentile.
    seed : int

    Returns
    -------
    dict
        ``mean``, ``p99``, ``max``: relative error (0.005 = 0.5 %), solid-angle weighted;
        ``unweighted_mean``; ``n_faces`` and ``n_samples`` measured; ``no_surface``: samples
        whose ray hits nothing in the scene (left out).
    """
    faces = np.asarray(mesh.faces)
    pos = np.asarray(mesh.positions, dtype=np.float64)
    if faces.shape[0] > max_faces:
        rng = np.random.default_rng(seed)
        faces = faces[np.sort(rng.choice(faces.shape[0], size=max_faces, replace=False))]
    a, b, c = pos[faces[:, 0]], pos[faces[:, 1]], pos[faces[:, 2]]
    weight = solid_angles(a, b, c) / SAMPLE_BARYCENTRICS.shape[0]
    pts = (SAMPLE_BARYCENTRICS[None, :, 0, None] * a[:, None]
           + SAMPLE_BARYCENTRICS[None, :, 1, None] * b[:, None]
           + SAMPLE_BARYCENTRICS[None, :, 2, None] * c[:, None])  # (F, S, 3)
    along = np.sqrt(np.einsum("fsk,fsk->fs", pts, pts))
    exact = scene.distance_of(pts)
    weight = np.broadcast_to(weight[:, None], along.shape)
    ok = np.isfinite(exact) & (exact > 0)
    err = np.abs(along[ok] - exact[ok]) / exact[ok]
    w = weight[ok]
    if err.size == 0:
        nan = float("nan")
        return {"mean": nan, "p99": nan, "max": nan, "unweighted_mean": nan,
                "n_faces": int(faces.shape[0]), "n_samples": 0, "no_surface": int(along.size)}
    total = w.sum()
    mean = float((err * w).sum() / total) if total > 0 else float(err.mean())
    return {
        "mean": mean,
        "p99": _weighted_quantile(err, w, 0.99),
        "max": float(err.max()),
        "unweighted_mean": float(err.mean()),
        "n_faces": int(faces.shape[0]),
        "n_samples": int(err.size),
        "no_surface": int(along.size - err.size),
    }
