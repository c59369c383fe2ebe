"""The DepthFusion mesh as plain arrays: what builders produce and exporters/renderers consume."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import InputError

__all__ = ["DepthMesh", "TriangleCounts"]


class TriangleCounts:
    """``n_vertices``/``n_faces`` of a mesh with ``positions`` (N, 3) and ``faces`` (M, 3)."""

    positions: np.ndarray
    faces: np.ndarray

    @property
    def n_vertices(self) -> int:
        return int(self.positions.shape[0])

    @property
    def n_faces(self) -> int:
        return int(self.faces.shape[0])


@dataclass(eq=False)
class DepthMesh(TriangleCounts):
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

    def distances(self) -> np.ndarray:
        """(N,) float32 distance of each vertex from the origin, metres."""
        return np.sqrt(np.einsum("ij,ij->i", self.positions, self.positions)).astype(np.float32)

    def checked(self, *, allow_no_faces: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The arrays, checked to fit together, as every consumer needs them.

        The one validation of a mesh before it is written or drawn (GLB, PLY, the viewport):
        positions ``(N >= 1, 3)`` and finite, uvs ``(N, 2)``, faces ``(M, 3)`` naming only
        existing vertices, and at least one face unless ``allow_no_faces``.

        Parameters
        ----------
        allow_no_faces : bool
            Accept ``M == 0`` (the viewport shows an empty mesh; files need faces).

        Returns
        -------
        positions : (N, 3) little-endian float32 ndarray, C-contiguous
        uvs : (N, 2) little-endian float32 ndarray, C-contiguous
        faces : (M, 3) little-endian uint32 ndarray, C-contiguous
            The mesh's own arrays (no copy) when they already have that layout.

        Raises
        ------
        InputError
            What does not fit, with a hint.
        """
        pos = np.ascontiguousarray(self.positions, dtype="<f4")
        uvs = np.ascontiguousarray(self.uvs, dtype="<f4")
        faces = np.ascontiguousarray(self.faces)
        if pos.ndim != 2 or pos.shape[1] != 3 or pos.shape[0] == 0:
            raise InputError(f"mesh positions must be (N >= 1, 3), got {pos.shape}",
                             hint="check that the panorama has depth")
        if uvs.shape != (pos.shape[0], 2):
            raise InputError(f"mesh positions {pos.shape} and uvs {uvs.shape} do not fit together",
                             hint="build the mesh with scene.mesh.build_depth_mesh")
        if faces.ndim != 2 or faces.shape[1] != 3:
            raise InputError(f"mesh faces must be (M, 3), got {faces.shape}")
        if faces.shape[0] == 0 and not allow_no_faces:
            raise InputError("the mesh has no faces (is all depth unknown?)",
                             hint="check the depth interpretation, or raise --cut-threshold")
        if faces.size and (int(faces.min()) < 0 or int(faces.max()) >= pos.shape[0]):
            raise InputError("mesh faces name vertices the mesh does not have",
                             hint="build the mesh with scene.mesh.build_depth_mesh")
        if not np.isfinite(pos).all():
            raise InputError("the mesh has non-finite vertex positions",
                             hint="rebuild the mesh: unknown depth must drop faces, not make "
                             "NaN vertices")
        return pos, uvs, np.ascontiguousarray(faces, dtype="<u4")
