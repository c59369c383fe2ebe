"""Backing faces: what a depth cut removes is put back behind, so no hole is seen from the centre.

The DepthFusion mesh removes the triangles that span a depth jump (``cut_threshold``), so
that walking around does not show rubber sheets stretched from a tree to the sky. Seen from
the capture point, though, those triangles were the only thing covering their directions:
without them the viewer at the origin sees cracks along every silhouette (three.js covered
95.7 % of the view of the demo forest) and a 1-2 pixel halo of background colour around
objects.

Each cut triangle is therefore replaced by a **backing triangle**: the same three directions,
all pushed out radially to the triangle's *farthest* vertex distance (:data:`BEHIND`), textured with the far surface's colour (its near vertices take the far
vertex's texture coordinate). From the origin a radial move changes nothing (the triangle
covers exactly the same pixels), so the view from the centre has no hole and no background
halo; from anywhere else it lies on the far surface, behind the near object, instead of
stretching between the two. This is the "skirt" of terrain renderers turned to face the viewer, and
it needs no extra texture: it is plain numpy on the builder's own arrays (no library does
this one step).
"""

from __future__ import annotations

import numpy as np

#: Backing triangles sit at this factor of their farthest vertex's distance: 1, on the far
#: surface, so every distance in the mesh stays within the depth data's range.
BEHIND = 1.0
#: A vertex nearer than this share of its triangle's farthest distance is on the near side.
NEAR_SHARE = 0.99

__all__ = ["grid_face_vertices", "backing_triangles", "surface_faces", "surface_only"]


def grid_face_vertices(face_ids: np.ndarray, width: int, height: int) -> np.ndarray:
    """The vertex indices of full-grid faces given by their index in the grid's face order.

    The order is :func:`scene.mesh._grid_faces`': two faces per pixel quad in row-major order,
    then the top and the bottom pole fans.

    Parameters
    ----------
    face_ids : (K,) int ndarray
        Indices into the full grid's ``2 * (H - 1) * W + 2 * W`` faces.
    width, height : int
        Panorama size ``W``, ``H``.

    Returns
    -------
    (K, 3) uint32 ndarray
    """
    w, h = int(width), int(height)
    w1 = w + 1
    n = h * w1
    ng = 2 * (h - 1) * w
    f = np.asarray(face_ids, dtype=np.int64)
    out = np.empty((f.size, 3), dtype=np.int64)
    quad = f < ng
    q = f[quad]
    y, rest = np.divmod(q, 2 * w)
    x, t = np.divmod(rest, 2)
    v00 = y * w1 + x
    first = t == 0
    out[quad] = np.where(first[:, None],
                         np.stack([v00, v00 + w1, v00 + 1], axis=1),
                         np.stack([v00 + 1, v00 + w1, v00 + w1 + 1], axis=1))
    fan = f[~quad] - ng
    top = fan < w
    x = np.where(top, fan, fan - w)
    last = (h - 1) * w1
    out[~quad] = np.where(top[:, None],
                          np.stack([np.full_like(x, n), x, x + 1], axis=1),
                          np.stack([np.full_like(x, n + 1), last + x + 1, last + x], axis=1))
    return out.astype(np.uint32)


def backing_triangles(positions: np.ndarray, uvs: np.ndarray, cut: np.ndarray,
                      first_index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New vertices and faces that back the cut triangles (see the module docstring).

    Parameters
    ----------
    positions : (N, 3) float32 ndarray
        Vertex positions in metres around the origin (the viewer).
    uvs : (N, 2) float32 ndarray
    cut : (K, 3) uint32 ndarray
        The removed triangles (vertex indices, counter-clockwise seen from the origin); any
        with an unknown (non-finite) vertex are skipped.
    first_index : int
        Index the first new vertex will have (the number of vertices it is appended to).

    Returns
    -------
    positions : (3K', 3) float32 ndarray
    uvs : (3K', 2) float32 ndarray
    faces : (K', 3) uint32 ndarray
        ``first_index + 3 i + (0, 1, 2)``; same winding as ``cut``.
    """
    if cut.size == 0:
        return (np.empty((0, 3), np.float32), np.empty((0, 2), np.float32),
                np.empty((0, 3), np.uint32))
    p = positions[cut]  # (K, 3, 3)
    r = np.linalg.norm(p, axis=2)
    ok = np.isfinite(r).all(axis=1) & (r > 0).all(axis=1)
    p, r, cut = p[ok], r[ok], cut[ok]
    far = r.max(axis=1)
    new_p = (p * (BEHIND * far[:, None] / r)[:, :, None]).astype(np.float32).reshape(-1, 3)
    # The near vertices take the farthest vertex's texture coordinate: the backing shows the
    # far surface's colour, so an eye beside the centre sees background behind the near object,
    # not its edge smeared onto the wall.
    uv = uvs[cut].astype(np.float32)  # (K, 3, 2)
    far_uv = uv[np.arange(uv.shape[0]), r.argmax(axis=1)]
    near = r < far[:, None] * NEAR_SHARE
    uv[near] = np.broadcast_to(far_uv[:, None, :], uv.shape)[near]
    new_uv = uv.reshape(-1, 2)
    faces = (np.arange(3 * cut.shape[0], dtype=np.int64).reshape(-1, 3) + int(first_index))
    return new_p, new_uv, faces.astype(np.uint32)


def surface_faces(faces: np.ndarray, stats: dict) -> np.ndarray:
    """``faces`` without the backing triangles (which a builder appends last).

    Point clouds and measurements of the surface's error use these: the backing stands in for
    what was hidden behind a cut, it is not a sample of the surface.
    """
    n = int(stats.get("backing_faces", 0))
    return faces[:faces.shape[0] - n] if n else faces


def surface_only(mesh):
    """A :class:`scene.meshdata.DepthMesh` with the same vertices and only its surface faces."""
    from dataclasses import replace

    return replace(mesh, faces=surface_faces(mesh.faces, mesh.stats))
