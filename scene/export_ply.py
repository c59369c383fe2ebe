"""Export a DepthFusion mesh (or its vertices as a point cloud) as binary PLY with colours.

Layout (``binary_little_endian 1.0``)::

    element vertex N      float x, y, z (metres, +Y up, panorama centre at -Z)
                          uchar red, green, blue (the texture sampled at the vertex)
    element face M        list uchar uint vertex_indices (counter-clockwise seen from the origin)

Both elements are numpy structured arrays filled column by column and written with one
``write`` each. Open3D, trimesh, MeshLab and Blender read the result.

The point cloud (``points=True``) holds only vertices that some face uses and that are not a
copy of another vertex across the seam (``u > 1``: the seam column repeats column 0), so every
point is a distinct, known surface sample.
"""

from __future__ import annotations

import os

import numpy as np

from .atomic import atomic_writer
from .backing import surface_faces
from .cubemap import sample_bilinear_wrap
from .meshdata import DepthMesh
from .metadata import software_version
from .panorama import RGBDPanorama

__all__ = ["write_ply", "ply_header", "vertex_colours", "VERTEX_DTYPE", "FACE_DTYPE"]

#: One vertex record: position (metres) and colour.
VERTEX_DTYPE = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"),
                         ("red", "u1"), ("green", "u1"), ("blue", "u1")])
#: One face record: the list length (always 3) and the three vertex indices.
FACE_DTYPE = np.dtype([("count", "u1"), ("vertex_indices", "<u4", (3,))])


def vertex_colours(rgb: np.ndarray, uvs: np.ndarray) -> np.ndarray:
    """Bilinearly sample an equirect image at texture coordinates, wrapping horizontally.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        The texture (row 0 is ``v = 0``).
    uvs : (N, 2) float ndarray
        glTF texture coordinates; ``u`` wraps (``u = 1 + 0.5/W`` is column 0's centre),
        ``v`` clamps to the first/last row.

    Returns
    -------
    (N, 3) uint8 ndarray
        Exactly the pixel's colour for a vertex at a pixel centre.
    """
    h, w = rgb.shape[:2]
    px = uvs[:, 0].astype(np.float64) * w - 0.5
    py = uvs[:, 1].astype(np.float64) * h - 0.5
    return sample_bilinear_wrap(rgb, px, py)


def ply_header(n_vertices: int, n_faces: int | None, comment: str = "") -> bytes:
    """The ASCII header for :data:`VERTEX_DTYPE` vertices and (optionally) faces."""
    lines = ["ply", "format binary_little_endian 1.0",
             f"comment Panoforge {software_version()}"]
    if comment:
        lines += [f"comment {line}" for line in comment.splitlines() if line.strip()]
    lines += [f"element vertex {n_vertices}",
              "property float x", "property float y", "property float z",
              "property uchar red", "property uchar green", "property uchar blue"]
    if n_faces is not None:
        lines += [f"element face {n_faces}", "property list uchar uint vertex_indices"]
    lines.append("end_header")
    return ("\n".join(lines) + "\n").encode("ascii")


def write_ply(
    path: str | os.PathLike,
    pano: RGBDPanorama,
    mesh: DepthMesh,
    *,
    points: bool = False,
) -> None:
    """Write the mesh (or a point cloud of its vertices) to a binary PLY file, atomically.

    Parameters
    ----------
    path : str or PathLike
        Target ``.ply`` file; replaced whole or left untouched.
    pano : RGBDPanorama
        Its ``rgb`` colours the vertices (sampled at each vertex's uv).
    mesh : DepthMesh
        ``positions`` (N, 3) float32 metres, ``uvs`` (N, 2), ``faces`` (M, 3) uint32.
    points : bool
        Write vertices only: those used by a face, without the seam copies (``u > 1``).

    Raises
    ------
    InputError
        When the mesh arrays do not fit together, or the mesh is empty.
    """
    pos, uvs, faces = mesh.checked()
    comment = f"source panorama {pano.width}x{pano.height}; units metres; +Y up; -Z = centre"
    if points:
        keep = np.zeros(pos.shape[0], dtype=bool)
        keep[surface_faces(faces, mesh.stats).ravel()] = True  # (not the backing: scene.backing)
        keep &= uvs[:, 0] <= 1.0
        pos = pos[keep]
        uvs = uvs[keep]
    verts = np.empty(pos.shape[0], dtype=VERTEX_DTYPE)
    verts["x"] = pos[:, 0]
    verts["y"] = pos[:, 1]
    verts["z"] = pos[:, 2]
    colours = vertex_colours(pano.rgb, uvs)
    verts["red"] = colours[:, 0]
    verts["green"] = colours[:, 1]
    verts["blue"] = colours[:, 2]
    del colours
    face_rec = None
    if not points:
        face_rec = np.empty(faces.shape[0], dtype=FACE_DTYPE)
        face_rec["count"] = 3
        face_rec["vertex_indices"] = faces
    header = ply_header(verts.shape[0], None if points else faces.shape[0], comment)
    with atomic_writer(path) as fh:
        fh.write(header)
        fh.write(memoryview(verts).cast("B"))
        if face_rec is not None:
            fh.write(memoryview(face_rec).cast("B"))
