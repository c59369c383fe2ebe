"""The full-grid DepthFusion mesh on analytic scenes with exact depth."""

from __future__ import annotations

import numpy as np
import pytest

from scene.backing import surface_only
from scene.conventions import direction_grid
from scene.errors import InputError
from scene.mesh import build_depth_mesh
from scene.mesh_settings import MeshSettings
from scene.testing.analytic import nested_spheres
from scene.testing.mesh_metrics import radial_error

from .conftest import assert_closed_oriented, assert_mesh_basics, weld

KEEP_ALL = MeshSettings(cut_threshold=float("inf"))


def grid_of(mesh, pano):
    """(H, W + 1, 3) view of the grid vertices of a full mesh without unknowns."""
    return mesh.positions[:-2].reshape(pano.height, pano.width + 1, 3)


def test_vertices_are_pixels_on_their_rays(room):
    pano = room.panorama
    mesh = build_depth_mesh(pano, KEEP_ALL)
    h, w = pano.height, pano.width
    assert mesh.n_vertices == h * (w + 1) + 2
    assert mesh.n_faces == 2 * h * w
    expected = direction_grid(w, h).astype(np.float64) * pano.distance[..., None]
    g = grid_of(mesh, pano)
    np.testing.assert_allclose(g[:, :w], expected, rtol=0, atol=2e-6 * 8)
    np.testing.assert_allclose(np.linalg.norm(g[:, :w].astype(np.float64), axis=-1),
                               pano.distance, rtol=1e-6)
    uv = mesh.uvs[:-2].reshape(h, w + 1, 2)
    np.testing.assert_allclose(uv[0, :w, 0], (np.arange(w) + 0.5) / w, rtol=1e-6)
    np.testing.assert_allclose(uv[:, 0, 1], (np.arange(h) + 0.5) / h, rtol=1e-6)
    assert uv[0, w, 0] == np.float32(1 + 0.5 / w)
    assert mesh.stats["mode"] == "full" and tuple(mesh.stats["grid"]) == (w, h)


@pytest.mark.parametrize("name", ["room", "spheres", "ground_dome"])
def test_seam_welded_poles_closed_faces_inward(name, request):
    scene = request.getfixturevalue(name)
    pano = scene.panorama
    mesh = build_depth_mesh(pano, KEEP_ALL)
    assert_mesh_basics(mesh)
    w = pano.width
    g = grid_of(mesh, pano)
    # the seam column repeats column 0 bit for bit
    assert g[:, w].tobytes() == g[:, 0].tobytes()
    # welding identical positions gives a closed, consistently oriented sphere:
    # every seam edge (and every other edge) has exactly two faces, in opposite directions
    welded = weld(mesh)
    assert_closed_oriented(welded)
    n_v = np.unique(welded).size
    n_e = 3 * mesh.n_faces // 2
    assert n_v - n_e + mesh.n_faces == 2  # Euler characteristic of a sphere
    # one vertex per pole, on the Y axis, and a fan of W faces around it
    top, bottom = mesh.n_vertices - 2, mesh.n_vertices - 1
    for pole in (top, bottom):
        assert mesh.positions[pole, 0] == 0 and mesh.positions[pole, 2] == 0
        assert np.count_nonzero(mesh.faces == pole) == w
    assert mesh.positions[top, 1] > 0 > mesh.positions[bottom, 1]
    on_axis = (mesh.positions[:, 0] == 0) & (mesh.positions[:, 2] == 0)
    assert np.count_nonzero(on_axis) == 2


def test_box_room_poles_sit_on_ceiling_and_floor(room):
    mesh = build_depth_mesh(room.panorama, KEEP_ALL)
    np.testing.assert_allclose(mesh.positions[-2], [0, 1.4, 0], atol=1e-6)
    np.testing.assert_allclose(mesh.positions[-1], [0, -1.6, 0], atol=1e-6)


@pytest.mark.parametrize("name", ["room", "spheres", "ground", "ground_dome"])
def test_full_grid_radial_error_inside_faces(name, request):
    scene = request.getfixturevalue(name)
    for settings in (KEEP_ALL, MeshSettings()):
        mesh = build_depth_mesh(scene.panorama, settings)
        err = radial_error(surface_only(mesh), scene)  # (the backing is not the surface)
        mesh = surface_only(mesh)
        print(f"{name} cut={settings.cut_threshold}: mean {err['mean']:.2e} "
              f"p99 {err['p99']:.2e} max {err['max']:.2e} over {err['n_samples']} samples")
        assert err["n_samples"] >= 4 * mesh.n_faces * 0.99
        assert err["mean"] <= 0.005
        assert err["p99"] <= 0.005


def test_error_is_measured_inside_faces_not_at_vertices():
    """A coarse mesh of a sphere has exact vertices but chords inside its faces; the
    face-interior measure must see the chord error (1 - cos of half the pixel angle)."""
    sphere = nested_spheres(16, outer=((0.0, 0.0, 0.0), 5.0), inner=None)
    mesh = build_depth_mesh(sphere.panorama, KEEP_ALL)
    np.testing.assert_allclose(mesh.distances()[:-2], 5.0, rtol=1e-6)  # vertices exact
    err = radial_error(mesh, sphere)
    p = mesh.positions.astype(np.float64)
    centroid_err = 1 - np.linalg.norm(p[mesh.faces].mean(axis=1), axis=1) / 5.0
    assert err["max"] >= centroid_err.max() * (1 - 1e-9)
    assert 0.01 < err["mean"] < 0.1  # 22.5 degree pixels: sagitta 1 - cos(11.25 deg) = 0.019


def test_unknown_sky_is_dropped_without_nan(ground):
    pano = ground.panorama
    h, w = pano.height, pano.width
    assert np.isnan(pano.distance[: h // 2]).all() and np.isfinite(pano.distance[h // 2:]).all()
    mesh = build_depth_mesh(pano, KEEP_ALL)
    assert_mesh_basics(mesh)
    # the ground half keeps its grid vertices plus the bottom pole; the top pole is gone
    assert mesh.n_vertices == (h // 2) * (w + 1) + 1
    expected_faces = 2 * (h // 2 - 1) * w + w
    assert mesh.n_faces == expected_faces
    assert mesh.stats["unknown_faces"] == 2 * h * w - expected_faces
    assert mesh.stats["cut_faces"] == 0
    assert (mesh.positions[:, 1] < 0).all()
    np.testing.assert_allclose(mesh.positions[:, 1], -1.6, rtol=1e-5)


def _exact_cut_count(scene, mesh_all, threshold):
    """Faces of the uncut mesh whose exact vertex distances jump by more than threshold."""
    r = scene.distance_of(mesh_all.positions.astype(np.float64))
    fr = r[mesh_all.faces]
    jump = (fr.max(axis=1) - fr.min(axis=1)) / fr.min(axis=1)
    return jump > threshold


def test_discontinuity_cut_on_pillar_silhouette(room):
    pano = room.panorama
    h, w = pano.height, pano.width
    mesh_all = build_depth_mesh(pano, KEEP_ALL)
    threshold = 0.25
    mesh = build_depth_mesh(pano, MeshSettings(cut_threshold=threshold))
    assert_mesh_basics(mesh)
    expected = _exact_cut_count(room, mesh_all, threshold)
    n_cut = mesh.stats["cut_faces"]
    assert n_cut > 0
    assert n_cut == int(expected.sum())
    assert mesh.n_faces == mesh_all.n_faces - n_cut + mesh.stats["backing_faces"]
    # the faces removed are exactly the ones the rule names
    kept = {tuple(f) for f in np.sort(mesh.faces, axis=1).tolist()}
    all_sorted = np.sort(mesh_all.faces, axis=1)
    removed = np.array([tuple(f) not in kept for f in all_sorted.tolist()])
    np.testing.assert_array_equal(removed, expected)
    # ... and all of them straddle the pillar's silhouette (pillar pixel next to a non-pillar)
    labels = np.empty(h * (w + 1) + 2, dtype=np.int16)
    lab = room.label_of_pixels()
    labels[:-2] = np.concatenate([lab, lab[:, :1]], axis=1).ravel()
    labels[-2:] = -2
    pillar = room.labels.index("pillar")
    face_pillar = labels[mesh_all.faces] == pillar
    mixed = face_pillar.any(axis=1) & ~face_pillar.all(axis=1)
    assert not (removed & ~mixed).any()
    # where the pillar stands in front of a wall, every straddling face is cut
    walls = [room.labels.index(n) for n in ("wall_left", "wall_right", "wall_front", "wall_back")]
    fl = labels[mesh_all.faces]
    against_wall = mixed & (np.isin(fl, walls) | face_pillar).all(axis=1)
    assert against_wall.sum() > h // 4
    assert removed[against_wall].all()


@pytest.mark.parametrize("threshold", [float("inf"), 0.0])
def test_cut_disabled(room, threshold):
    mesh = build_depth_mesh(room.panorama, MeshSettings(cut_threshold=threshold))
    assert mesh.stats["cut_faces"] == 0
    assert mesh.n_faces == 2 * room.panorama.height * room.panorama.width


def test_distance_override_and_bad_input(room):
    pano = room.panorama
    doubled = pano.distance * 2
    mesh = build_depth_mesh(pano, KEEP_ALL, distance=doubled)
    base = build_depth_mesh(pano, KEEP_ALL)
    np.testing.assert_allclose(mesh.positions, base.positions * 2, rtol=1e-6, atol=1e-6)
    with pytest.raises(InputError, match="distance map"):
        build_depth_mesh(pano, distance=doubled[:, :-2])
    with pytest.raises(InputError, match="negative"):
        build_depth_mesh(pano, distance=-doubled)
