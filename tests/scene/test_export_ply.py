"""PLY export: binary little-endian with vertex colours, read back by Open3D and trimesh."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from scene.errors import InputError
from scene.export_ply import FACE_DTYPE, VERTEX_DTYPE, vertex_colours, write_ply
from scene.mesh import build_depth_mesh
from scene.meshdata import DepthMesh
from scene.testing.analytic import box_room, ground_plane


@pytest.fixture(scope="module")
def room():
    scene = box_room(128)
    return scene, scene.panorama, build_depth_mesh(scene.panorama)


def pixel_centre_colours(pano, uvs):
    """(mask, colours): the panorama's pixel under each uv that sits on a pixel centre."""
    px = uvs[:, 0].astype(np.float64) * pano.width - 0.5
    py = uvs[:, 1].astype(np.float64) * pano.height - 0.5
    on_centre = (np.abs(px - np.rint(px)) < 1e-3) & (np.abs(py - np.rint(py)) < 1e-3)
    x = np.rint(px).astype(np.int64) % pano.width
    y = np.clip(np.rint(py).astype(np.int64), 0, pano.height - 1)
    return on_centre, pano.rgb[y, x]


def header_of(path) -> list[str]:
    data = open(path, "rb").read()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    return data[:end].decode("ascii").splitlines(), len(data) - end


def test_header_and_exact_size(tmp_path, room):
    _, pano, mesh = room
    path = tmp_path / "room.ply"
    write_ply(path, pano, mesh)
    lines, body = header_of(path)
    assert lines[:2] == ["ply", "format binary_little_endian 1.0"]
    assert f"element vertex {mesh.n_vertices}" in lines
    assert f"element face {mesh.n_faces}" in lines
    assert "property list uchar uint vertex_indices" in lines
    assert [ln for ln in lines if ln.startswith("property uchar")] == [
        "property uchar red", "property uchar green", "property uchar blue"]
    assert body == mesh.n_vertices * VERTEX_DTYPE.itemsize + mesh.n_faces * FACE_DTYPE.itemsize
    assert VERTEX_DTYPE.itemsize == 15 and FACE_DTYPE.itemsize == 13


def test_open3d_reads_positions_faces_and_colours(tmp_path, room):
    import open3d as o3d

    _, pano, mesh = room
    path = tmp_path / "room.ply"
    write_ply(path, pano, mesh)
    got = o3d.io.read_triangle_mesh(str(path))
    np.testing.assert_array_equal(np.asarray(got.vertices, dtype=np.float32), mesh.positions)
    np.testing.assert_array_equal(np.asarray(got.triangles), mesh.faces.astype(np.int64))
    colours = np.rint(np.asarray(got.vertex_colors) * 255).astype(np.uint8)
    on_centre, expected = pixel_centre_colours(pano, mesh.uvs)
    assert on_centre.sum() >= mesh.n_vertices - 2  # all but the two pole vertices
    np.testing.assert_array_equal(colours[on_centre], expected[on_centre])


def test_trimesh_reads_the_same(tmp_path, room):
    scene, pano, mesh = room
    path = tmp_path / "room.ply"
    write_ply(path, pano, mesh)
    got = trimesh.load(path, process=False)
    assert isinstance(got, trimesh.Trimesh)
    np.testing.assert_array_equal(np.asarray(got.vertices, dtype=np.float32), mesh.positions)
    np.testing.assert_array_equal(got.faces, mesh.faces)
    rgba = got.visual.vertex_colors
    on_centre, expected = pixel_centre_colours(pano, mesh.uvs)
    np.testing.assert_array_equal(rgba[on_centre, :3], expected[on_centre])
    # the flat surface colours of the room come back: the pillar is (40, 40, 40)
    assert (rgba[:, :3] == scene.colours["pillar"]).all(axis=1).any()
    # faces still face the origin
    v = np.asarray(got.vertices)
    a, b, c = (v[got.faces[:, k]] for k in range(3))
    assert (np.einsum("ij,ij->i", np.cross(b - a, c - a), a + b + c) < 0).all()


def test_point_cloud_has_each_used_vertex_once(tmp_path, room):
    import open3d as o3d

    _, pano, mesh = room
    path = tmp_path / "points.ply"
    write_ply(path, pano, mesh, points=True)
    lines, body = header_of(path)
    assert not any(ln.startswith("element face") for ln in lines)
    cloud = o3d.io.read_point_cloud(str(path))
    pts = np.asarray(cloud.points, dtype=np.float32)
    # full grid: W x H pixel-centre vertices plus two poles, the seam copies left out
    assert pts.shape == (pano.width * pano.height + 2, 3)
    assert np.unique(pts, axis=0).shape[0] == pts.shape[0]
    assert body == pts.shape[0] * VERTEX_DTYPE.itemsize
    keep = mesh.uvs[:, 0] <= 1.0
    keep[mesh.n_vertices - 3 * mesh.stats.get("backing_faces", 0):] = False  # (scene.backing)
    np.testing.assert_array_equal(pts, mesh.positions[keep])
    np.testing.assert_array_equal(np.rint(np.asarray(cloud.colors) * 255).astype(np.uint8),
                                  vertex_colours(pano.rgb, mesh.uvs[keep]))
    got = trimesh.load(path)
    assert isinstance(got, trimesh.PointCloud) and len(got.vertices) == pts.shape[0]


def test_point_cloud_leaves_out_vertices_no_face_uses(tmp_path):
    """Ground plane with unknown sky: sky vertices that no face uses are not points."""
    scene = ground_plane(64)
    mesh = build_depth_mesh(scene.panorama)
    used = np.zeros(mesh.n_vertices, bool)
    used[mesh.faces.ravel()] = True
    extra = np.vstack([mesh.positions, [[0.0, 100.0, 0.0]]]).astype(np.float32)
    uvs = np.vstack([mesh.uvs, [[0.5, 0.5]]]).astype(np.float32)
    path = tmp_path / "g.ply"
    write_ply(path, scene.panorama, DepthMesh(extra, uvs, mesh.faces), points=True)
    got = trimesh.load(path)
    assert len(got.vertices) == int((used & (mesh.uvs[:, 0] <= 1)).sum())
    assert not (np.asarray(got.vertices)[:, 1] == 100.0).any()


def test_vertex_colours_wrap_across_the_seam():
    rgb = np.zeros((2, 4, 3), np.uint8)
    rgb[:, 0] = (200, 0, 0)
    rgb[:, 3] = (0, 0, 100)
    # u = 1 + 0.5/W is column 0 again; u = 1 (between the last column and column 0) blends
    uvs = np.array([[1 + 0.5 / 4, 0.25], [1.0, 0.25], [0.0, 0.75], [0.125, 0.0]], np.float32)
    got = vertex_colours(rgb, uvs)
    np.testing.assert_array_equal(got, [[200, 0, 0], [100, 0, 50], [100, 0, 50], [200, 0, 0]])


def test_empty_mesh_is_refused(tmp_path, room):
    _, pano, mesh = room
    with pytest.raises(InputError, match="no faces"):
        write_ply(tmp_path / "e.ply", pano,
                  DepthMesh(mesh.positions, mesh.uvs, np.zeros((0, 3), np.uint32)))
    assert not list(tmp_path.iterdir())
