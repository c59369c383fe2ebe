"""Small closed object meshes with known geometry, for prop tests."""

from __future__ import annotations

import numpy as np

__all__ = ["cube_arrays"]


def cube_arrays(half: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An axis-aligned cube of half-width ``half`` metres around the object origin.

    Returns
    -------
    positions : (24, 3) float32 ndarray
        Four vertices per side, so each side has its own normal.
    faces : (12, 3) uint32 ndarray
        Counter-clockwise seen from outside (normals point out).
    uvs : (24, 2) float32 ndarray
        Each side covers the whole texture (glTF convention, v = 0 at the top).
    """
    positions, faces, uvs = [], [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = np.zeros(3)
            n[axis] = sign
            u = np.zeros(3)
            u[(axis + 1) % 3] = 1.0
            v = np.cross(n, u)  # (u, v, n) right-handed: u x v = n
            base = len(positions)
            for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                positions.append(half * (n + a * u + b * v))
                uvs.append(((a + 1) / 2, (1 - b) / 2))
            faces += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    return np.array(positions, np.float32), np.array(faces, np.uint32), np.array(uvs, np.float32)
