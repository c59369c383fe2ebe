"""A depth cut never opens a hole seen from the centre (scene.backing in both mesh builders)."""

from __future__ import annotations

import numpy as np
import pytest

import scene.adaptive as adaptive_module
import scene.mesh as mesh_module
from scene.backing import BEHIND
from scene.mesh import build_depth_mesh
from scene.mesh_settings import MeshSettings
from scene.testing.analytic import box_room, nested_spheres


def coverage_from_origin(mesh, n_rays: int = 3000, seed: int = 0) -> float:
    """Share of uniformly random directions from the origin that hit a triangle (exact rays)."""
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n_rays, 3))
    dirs = v / np.linalg.norm(v, axis=1, keepdims=True)
    p = mesh.positions.astype(np.float64)
    tri = p[mesh.faces.astype(np.int64)]
    a, e1, e2 = tri[:, 0], tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    hit = np.zeros(n_rays, dtype=bool)
    eps = 1e-9
    for i in range(0, n_rays, 64):  # Moller-Trumbore, a block of rays against every face
        d = dirs[i:i + 64, None, :]
        pv = np.cross(d, e2[None])
        det = np.einsum("rfk,fk->rf", pv, e1)
        inv = 1.0 / np.where(np.abs(det) < 1e-15, np.nan, det)
        tv = -a[None]
        u = np.einsum("rfk,rfk->rf", np.broadcast_to(tv, pv.shape), pv) * inv
        qv = np.cross(np.broadcast_to(tv, pv.shape), e1[None])
        w = np.einsum("rfk,rfk->rf", np.broadcast_to(d, qv.shape), qv) * inv
        t = np.einsum("rfk,fk->rf", qv, e2) * inv
        ok = (u >= -eps) & (w >= -eps) & (u + w <= 1 + eps) & (t > 0)
        hit[i:i + 64] = ok.any(axis=1)
    return float(hit.mean())


@pytest.fixture(scope="module", params=["box_room", "nested_spheres"])
def pano(request):
    make = {"box_room": box_room, "nested_spheres": nested_spheres}[request.param]
    return make(64).panorama


@pytest.mark.parametrize("mode", ["full", "adaptive"])
def test_cuts_on_still_cover_the_whole_view_from_the_centre(pano, mode):
    cut = build_depth_mesh(pano, MeshSettings(mode=mode, cut_threshold=0.25))
    assert cut.stats["mode"] == mode
    assert cut.stats["cut_faces"] > 0 and cut.stats["backing_faces"] == cut.stats["cut_faces"]
    assert coverage_from_origin(cut) >= 0.999


def test_without_backing_the_cut_leaves_cracks(pano, monkeypatch):
    # The stage switched off: the same mesh without its backing triangles has holes.
    monkeypatch.setattr(mesh_module, "_add_backing",
                        lambda positions, uvs, faces, keep, w, h: (positions, uvs, faces, 0))
    cut = build_depth_mesh(pano, MeshSettings(cut_threshold=0.25))
    assert coverage_from_origin(cut) < 0.995


def test_without_backing_the_adaptive_cut_leaves_cracks(pano, monkeypatch):
    monkeypatch.setattr(adaptive_module, "_add_backing",
                        lambda positions, uvs, faces, cut: (positions, uvs, faces, 0))
    cut = build_depth_mesh(pano, MeshSettings(mode="adaptive", cut_threshold=0.25))
    assert cut.stats["cut_faces"] > 0
    assert coverage_from_origin(cut) < 0.995


def test_backing_lies_on_the_far_surface_and_stretches_nothing(pano):
    settings = MeshSettings(cut_threshold=0.25)
    m = build_depth_mesh(pano, settings)
    n_back = m.stats["backing_faces"]
    r = np.linalg.norm(m.positions[m.faces.astype(np.int64)], axis=2)
    front, back = r[:-n_back], r[-n_back:]
    assert (front.max(axis=1) <= front.min(axis=1) * (1 + 0.25) * (1 + 1e-5)).all()
    assert np.allclose(back.max(axis=1), back.min(axis=1), rtol=1e-5)  # no rubber sheets
    # Each backing triangle has the directions and texture of a cut one, at its far distance.
    uncut = build_depth_mesh(pano, settings.with_(cut_threshold=np.inf))
    assert m.n_faces == uncut.n_faces
    far = np.linalg.norm(uncut.positions, axis=1).max()
    assert back.max() <= far * BEHIND * (1 + 1e-5)


def test_the_backing_shows_the_far_surface_in_the_cut_directions(pano):
    # Every backing vertex has the direction of a vertex of the uncut mesh (from the origin it
    # covers the same pixels), and the texture coordinate of its triangle's far side.
    settings = MeshSettings(cut_threshold=0.25)
    m = build_depth_mesh(pano, settings)
    uncut = build_depth_mesh(pano, settings.with_(cut_threshold=np.inf))

    def directions(positions):
        d = positions / np.linalg.norm(positions, axis=1, keepdims=True)
        return {tuple(k) for k in np.round(d, 4).tolist()}

    n_back = m.stats["backing_faces"]
    f = m.faces[-n_back:].astype(np.int64)
    assert directions(m.positions[f.ravel()]) <= directions(uncut.positions)
    uv_far = {tuple(k) for k in np.round(uncut.uvs, 5).tolist()}
    assert {tuple(k) for k in np.round(m.uvs[f.ravel()], 5).tolist()} <= uv_far
    # the far surface's colour: each backing triangle uses at most two distinct texels
    distinct = [len({tuple(np.round(m.uvs[v], 6)) for v in tri}) for tri in f]
    assert max(distinct) <= 2
