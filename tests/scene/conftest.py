"""Analytic scenes and mesh-checking helpers shared by the mesh tests.

Scenes are small (512 x 256) and built once per session; every check compares against exact
ray-cast distances or exact counts.
"""

from __future__ import annotations

import numpy as np
import pytest

from scene.testing.analytic import box_room, ground_plane, nested_spheres

TEST_WIDTH = 512


@pytest.fixture(scope="session")
def room():
    return box_room(TEST_WIDTH)


@pytest.fixture(scope="session")
def spheres():
    return nested_spheres(TEST_WIDTH)


@pytest.fixture(scope="session")
def ground():
    """Ground plane with an unknown (NaN) sky."""
    return ground_plane(TEST_WIDTH)


@pytest.fixture(scope="session")
def ground_dome():
    """Ground plane closed by a sky dome 50 m away."""
    return ground_plane(TEST_WIDTH, sky=50.0)


def weld(mesh) -> np.ndarray:
    """Faces with vertices that have bit-identical positions merged into one index."""
    _, inverse = np.unique(mesh.positions.view(np.dtype((np.void, 12))).ravel(),
                           return_inverse=True)
    return inverse.ravel()[mesh.faces.astype(np.int64)]


def directed_edges(faces: np.ndarray) -> np.ndarray:
    """(3F, 2) int64 directed edges a->b, b->c, c->a of every face."""
    f = faces.astype(np.int64)
    return np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])


def face_normals(mesh) -> np.ndarray:
    p = mesh.positions.astype(np.float64)
    a, b, c = (p[mesh.faces[:, k]] for k in range(3))
    return np.cross(b - a, c - a), (a + b + c) / 3.0


def assert_closed_oriented(faces: np.ndarray) -> None:
    """Every directed edge appears once and its reverse once: a closed, consistently
    oriented 2-manifold (no crack, no T-junction, no duplicated or flipped face)."""
    e = directed_edges(faces)
    key = e[:, 0] * (int(e.max()) + 1) + e[:, 1]
    rev = e[:, 1] * (int(e.max()) + 1) + e[:, 0]
    uniq, counts = np.unique(key, return_counts=True)
    assert counts.max() == 1, "a directed edge is used twice (duplicated or flipped face)"
    assert np.isin(rev, uniq).all(), "an edge has only one face (a crack or a hole)"


def assert_mesh_basics(mesh) -> None:
    """No NaN vertex, indices in range, no degenerate index triple, no duplicated face,
    every face facing the origin."""
    assert mesh.positions.dtype == np.float32 and mesh.uvs.dtype == np.float32
    assert mesh.faces.dtype == np.uint32
    assert np.isfinite(mesh.positions).all()
    assert np.isfinite(mesh.uvs).all()
    f = mesh.faces
    assert f.max() < mesh.n_vertices
    assert (f[:, 0] != f[:, 1]).all() and (f[:, 1] != f[:, 2]).all() and (f[:, 0] != f[:, 2]).all()
    wf = np.sort(weld(mesh), axis=1)
    assert np.unique(wf, axis=0).shape[0] == f.shape[0], "duplicated face"
    n, centroid = face_normals(mesh)
    facing = np.einsum("ij,ij->i", n, centroid)
    assert (facing < 0).all(), f"{int((facing >= 0).sum())} faces face away from the origin"
