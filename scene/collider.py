"""A low-poly, closed collision mesh of the dome, for engines that walk a player inside it.

The collider is a latitude-longitude sphere of ``rows`` rings by ``columns`` meridians around
the origin whose every vertex sits at the *nearest* known distance of the dome within its
cell, so it never lies behind the visible surface (a player stops at or before a wall, never
inside it). Unlike the DepthFusion mesh it needs no texture coordinates, so the seam is
welded and the poles are single vertices: the mesh is closed (every edge has exactly two
faces) and has no material. Faces wind counter-clockwise seen from the origin, like the dome,
so their normals face the player.

It is written by hand because it is a few lines of index arithmetic on a regular grid; a
general remesher would neither be faster nor know the "nearest distance per cell" rule.
"""

from __future__ import annotations

import numpy as np

from .composition import Scene
from .errors import InputError

__all__ = ["collider_mesh", "COLLIDER_COLUMNS", "COLLIDER_ROWS", "COLLIDER_NODE"]

#: Meridians and latitude rings of the default collider (2 * 64 * 31 = 3968 triangles).
COLLIDER_COLUMNS = 64
COLLIDER_ROWS = 32
#: The node name engines and tests look for.
COLLIDER_NODE = "collider"


def _cell_min(dist: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """(rows + 1, columns) nearest finite distance around each vertex's direction."""
    h, w = dist.shape
    finite = np.isfinite(dist)
    if not finite.any():
        raise InputError("the dome has no known depth to make a collider from")
    far = float(dist[finite].max())
    d = np.where(finite, dist, far)
    # vertex ring k sits at latitude pi/2 - pi k / rows; meridian j at lon -pi + 2 pi j / cols
    ys = np.clip(np.round(np.linspace(0, h, rows + 1)).astype(int), 0, h)
    xs = np.round(np.linspace(0, w, columns + 1)).astype(int)
    half_y = max(1, h // (2 * rows))
    half_x = max(1, w // (2 * columns))
    out = np.empty((rows + 1, columns), np.float64)
    for k, y in enumerate(ys):
        band = d[max(0, y - half_y):min(h, y + half_y)]
        # per meridian: the minimum over the columns around it (wrapping at the seam)
        cols = np.concatenate([band[:, -half_x:], band, band[:, :half_x]], axis=1)
        col_min = cols.min(axis=0)
        for j in range(columns):
            x = xs[j]
            out[k, j] = col_min[x:x + 2 * half_x].min()
    return out


def collider_mesh(scene: Scene, rows: int = COLLIDER_ROWS,
                  columns: int = COLLIDER_COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """The dome's closed low-poly collision mesh.

    Parameters
    ----------
    scene : Scene
        Its dome's distances are used (a dome without depth gives a sphere at its flat
        radius).
    rows, columns : int
        Latitude rings (>= 2) and meridians (>= 3).

    Returns
    -------
    positions : (2 + (rows - 1) * columns, 3) float32 ndarray
        Metres, world frame; index 0 is the north pole, 1 the south pole.
    faces : (2 * columns * (rows - 1), 3) uint32 ndarray
        Counter-clockwise seen from the origin; every edge is shared by exactly two faces.
    """
    if rows < 2 or columns < 3:
        raise InputError(f"a collider needs at least 2 rings and 3 meridians, got {rows}x{columns}")
    pano = scene.dome
    dist = pano.distance if pano.has_depth else np.full((pano.height, pano.width),
                                                        float(pano.flat_radius), np.float32)
    radius = _cell_min(np.asarray(dist, np.float64), rows, columns)
    lat = np.pi / 2 - np.pi * np.arange(rows + 1) / rows
    lon = -np.pi + 2 * np.pi * np.arange(columns) / columns
    clat, slat = np.cos(lat)[:, None], np.sin(lat)[:, None]
    dirs = np.stack([clat * np.sin(lon)[None], np.broadcast_to(slat, (rows + 1, columns)),
                     -clat * np.cos(lon)[None]], axis=-1)
    pts = dirs * radius[..., None]
    north = np.array([0.0, radius[0].min(), 0.0])
    south = np.array([0.0, -radius[-1].min(), 0.0])
    ring = pts[1:-1].reshape(-1, 3)
    positions = np.concatenate([north[None], south[None], ring]).astype(np.float32)

    def v(k, j):  # vertex index of ring k (1..rows-1), meridian j (wrapping)
        return 2 + (k - 1) * columns + (j % columns)

    j = np.arange(columns)
    faces = []
    # Seen from the origin looking out, east (j + 1) is to the right and ring k + 1 is below:
    # (k, j) -> (k + 1, j) -> (k, j + 1) runs counter-clockwise.
    faces.append(np.stack([np.zeros(columns, int), v(1, j), v(1, j + 1)], axis=1))
    for k in range(1, rows - 1):
        a, b, c, d = v(k, j), v(k, j + 1), v(k + 1, j), v(k + 1, j + 1)
        faces.append(np.stack([a, c, b], axis=1))
        faces.append(np.stack([b, c, d], axis=1))
    faces.append(np.stack([np.ones(columns, int), v(rows - 1, j + 1), v(rows - 1, j)],
                           axis=1))
    return positions, np.ascontiguousarray(np.concatenate(faces), np.uint32)
