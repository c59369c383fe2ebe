"""The DepthFusion mesh as plain arrays: what builders produce and exporters/renderers consume."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DepthMesh"]


@dataclass(eq=False)
class DepthMesh:
    """A triangle mesh around the origin, textured by an equirect image.

    Parameters
    ----------
    positions : (N, 3) float32 ndarray
        Vertex positions, metres, world frame (+Y up, -Z = panorama centre).
    uvs : (N, 2) float32 ndarray
        Texture coordinates, glTF convention (v = 0 is the image's top row). ``u`` may run
        past 1 on the seam column so the texture wraps (sampler wrap mode REPEAT).
    faces : (M, 3) uint32 ndarray
        Triangles wound counter-clockwise as seen from the origin: every face faces the viewer.
    stats : dict
        Facts about how it was built: ``mode``, ``grid`` (W, H), ``cut_faces``,
        ``mean_error``/``p99_error``/``max_error`` (relative radial error) where measured.
    """

    positions: np.ndarray
    uvs: np.ndarray
    faces: np.ndarray
    stats: dict = field(default_factory=dict)

    @property
    def n_vertices(self) -> int:
        return int(self.positions.shape[0])

    @property
    def n_faces(self) -> int:
        return int(self.faces.shape[0])

    def distances(self) -> np.ndarray:
        """(N,) float32 distance of each vertex from the origin, metres."""
        return np.sqrt(np.einsum("ij,ij->i", self.positions, self.positions)).astype(np.float32)
