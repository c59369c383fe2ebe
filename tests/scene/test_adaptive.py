"""The adaptive DepthFusion mesh: the full grid's guarantees, an honoured error bound, and far
fewer faces."""

from __future__ import annotations

import numpy as np
import pytest

from scene.adaptive import plan_bands
from scene.backing import surface_only
from scene.depth import DepthInterpretation
from scene.mesh import build_depth_mesh
from scene.mesh_settings import MeshSettings
from scene.panorama import RGBDPanorama
from scene.testing.mesh_metrics import radial_error

from .conftest import assert_closed_oriented, assert_mesh_basics, weld

ADAPTIVE = MeshSettings(mode="adaptive", cut_threshold=float("inf"))


def pano_of(dist: np.ndarray) -> RGBDPanorama:
    h, w = dist.shape
    return RGBDPanorama(rgb=np.zeros((h, w, 3), np.uint8), raw_depth=dist.astype(np.float32),
                        interpretation=DepthInterpretation(kind="distance"))


def grid_coords(mesh) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every non-pole vertex, recovered from its uv."""
    w, h = mesh.stats["grid"]
    uv = mesh.uvs[:-2].astype(np.float64)
    x = np.rint(uv[:, 0] * w - 0.5).astype(np.int64)
    y = np.rint(uv[:, 1] * h - 0.5).astype(np.int64)
    return y, x


def assert_adaptive_guarantees(mesh, pano) -> None:
    assert_mesh_basics(mesh)
    w, h = pano.width, pano.height
    y, x = grid_coords(mesh)
    # every vertex is a pixel centre on its ray, at the pixel's distance
    d = pano.distance[y, x % w]
    np.testing.assert_allclose(mesh.distances()[:-2], d, rtol=2e-6)
    # seam: every seam-column vertex repeats column 0 of its row bit for bit
    seam = np.flatnonzero(x == w)
    assert seam.size > 0
    key0 = {int(yy): i for i, yy in zip(np.flatnonzero(x == 0), y[x == 0], strict=True)}
    assert set(y[seam].tolist()) == set(key0), "seam and column 0 hold different rows"
    twins = np.array([key0[int(yy)] for yy in y[seam]])
    assert mesh.positions[seam].tobytes() == mesh.positions[twins].tobytes()
    np.testing.assert_allclose(mesh.uvs[seam, 0], 1 + 0.5 / w)
    # closed and consistently oriented once the seam is welded: no crack, no T-junction
    welded = weld(mesh)
    assert_closed_oriented(welded)
    n_v = np.unique(welded).size
    assert n_v - 3 * mesh.n_faces // 2 + mesh.n_faces == 2
    # one vertex per pole, each the apex of a fan over the first / last row
    top, bottom = mesh.n_vertices - 2, mesh.n_vertices - 1
    assert (mesh.positions[[top, bottom]][:, [0, 2]] == 0).all()
    assert np.count_nonzero((mesh.positions[:, 0] == 0) & (mesh.positions[:, 2] == 0)) == 2
    for pole, row in ((top, 0), (bottom, h - 1)):
        n_row = np.count_nonzero(y == row)
        assert np.count_nonzero(mesh.faces == pole) == n_row - 1  # seam vertex closes the fan


@pytest.mark.parametrize("name", ["room", "spheres", "ground_dome"])
def test_guarantees_and_bound_on_analytic_scenes(name, request):
    scene = request.getfixturevalue(name)
    pano = scene.panorama
    mesh = build_depth_mesh(pano, ADAPTIVE)
    assert_adaptive_guarantees(mesh, pano)
    s = mesh.stats
    print(f"{name}: {mesh.n_faces} faces (full {2 * pano.width * pano.height}), pixels "
          f"mean {s['mean_error']:.2e} p99 {s['p99_error']:.2e} max {s['max_error']:.2e}, "
          f"exact {radial_error(mesh, scene)}")
    assert s["mode"] == "adaptive" and s["max_error"] <= 0.005 and s["pixels_over_bound"] == 0
    assert s["mean_error"] <= s["max_error"] and s["p99_error"] <= s["max_error"]
    assert mesh.n_faces < 2 * pano.width * pano.height / 8
    exact = radial_error(mesh, scene)
    assert exact["mean"] <= 0.005


def test_columns_thin_out_toward_the_poles(spheres):
    pano = spheres.panorama
    mesh = build_depth_mesh(pano, ADAPTIVE)
    y, x = grid_coords(mesh)
    stride = np.zeros(pano.height, dtype=np.int64) + pano.width
    for ya, hb, ks, _ in plan_bands(pano.height, pano.width):
        stride[ya:ya + hb + 1] = np.minimum(stride[ya:ya + hb + 1], 1 << ks)
    assert stride[0] >= 8 and stride[pano.height // 2] == 1
    assert (x % stride[y] == 0).all(), "a vertex off its band's column stride"
    per_row = np.bincount(y, minlength=pano.height)
    assert per_row[0] <= pano.width // 8 + 1 and per_row[-1] <= pano.width // 8 + 1


def test_error_bound_is_a_knob(room):
    pano = room.panorama
    faces = []
    for bound in (0.002, 0.01, 0.05):
        mesh = build_depth_mesh(pano, ADAPTIVE.with_(max_error=bound))
        assert mesh.stats["max_error"] <= bound
        assert mesh.stats["max_error_requested"] == bound
        faces.append(mesh.n_faces)
    assert faces[0] > faces[1] > faces[2]


def _cast(mesh, width, height, offset):
    """Open3D ray cast from the origin through every pixel centre moved by ``offset`` pixels."""
    import open3d as o3d

    from scene.conventions import latitudes, longitudes, lonlat_to_direction

    rc = o3d.t.geometry.RaycastingScene()
    rc.add_triangles(o3d.core.Tensor(mesh.positions), o3d.core.Tensor(mesh.faces))
    lon = longitudes(width) + offset[0] * 2 * np.pi / width
    lat = latitudes(height) - offset[1] * np.pi / height
    dirs = lonlat_to_direction(lon[None, :], lat[:, None]).reshape(-1, 3).astype(np.float32)
    rays = np.concatenate([np.zeros_like(dirs), dirs], axis=1)
    return rc.cast_rays(o3d.core.Tensor(rays))["t_hit"].numpy().reshape(height, width)


def test_pixel_rays_meet_the_mesh_within_the_bound(spheres):
    """Independent check with Open3D's ray caster: rays through the pixel centres (nudged by
    1e-3 pixel, since a ray exactly through a vertex can slip between triangles in a
    non-watertight ray caster) meet the mesh within the bound of the pixel's distance; rays
    through quad interiors never escape (no crack)."""
    pano = spheres.panorama
    bound = 0.005
    mesh = build_depth_mesh(pano, ADAPTIVE.with_(max_error=bound))
    t = _cast(mesh, pano.width, pano.height, (1e-3, 1e-3))
    err = np.abs(t - pano.distance) / pano.distance
    print(f"ray-cast pixel error: mean {err.mean():.2e} p99 {np.quantile(err, 0.99):.2e} "
          f"max {err.max():.2e}")
    assert np.isfinite(t).all()
    # the bound holds in panorama space; in 3-D it holds to within the nudge
    assert np.quantile(err, 0.99) <= bound
    labels = spheres.label_of_pixels()
    smooth = np.ones_like(labels, dtype=bool)  # away from the ball's silhouette
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            smooth &= np.roll(np.roll(labels, dy, 0), dx, 1) == labels
    assert err[smooth].max() <= bound * 1.05
    for offset in ((0.5, 0.5), (0.37, 0.21), (0.9, 0.6)):
        assert np.isfinite(_cast(mesh, pano.width, pano.height, offset)).all(), "a crack"


def test_cut_removes_only_pillar_silhouette_faces(room):
    pano = room.panorama
    uncut = build_depth_mesh(pano, ADAPTIVE)
    backed = build_depth_mesh(pano, ADAPTIVE.with_(cut_threshold=0.25))
    assert_mesh_basics(backed)
    n_cut = backed.stats["cut_faces"]
    assert backed.stats["backing_faces"] == n_cut  # each cut face is backed (scene.backing)
    mesh = surface_only(backed)  # the surface: the backing triangles come last
    assert n_cut > 0 and mesh.n_faces == uncut.n_faces - n_cut
    np.testing.assert_array_equal(mesh.positions[:uncut.positions.shape[0]], uncut.positions)
    kept = {tuple(f) for f in np.sort(mesh.faces, axis=1).tolist()}
    sorted_uncut = np.sort(uncut.faces, axis=1)
    removed = np.array([tuple(f) not in kept for f in sorted_uncut.tolist()])
    assert removed.sum() == n_cut
    # every removed face spans a jump over the threshold in the exact distances ...
    r = room.distance_of(uncut.positions.astype(np.float64))[uncut.faces]
    jump = (r.max(axis=1) - r.min(axis=1)) / r.min(axis=1)
    assert (jump[removed] > 0.25).all()
    # ... and straddles the pillar's silhouette
    lab = room.label_of(uncut.positions.astype(np.float64))[uncut.faces]
    pillar = room.labels.index("pillar")
    straddles = (lab == pillar).any(axis=1) & (lab != pillar).any(axis=1)
    assert straddles[removed].all()
    # where the pillar stands in front of a wall, no face across the silhouette remains
    walls = [room.labels.index(n) for n in ("wall_left", "wall_right", "wall_front", "wall_back")]
    against_wall = straddles & np.isin(lab, walls + [pillar]).all(axis=1)
    assert against_wall.sum() > pano.height // 4
    assert removed[against_wall].all()


def test_unknown_sky_dropped(ground):
    mesh = build_depth_mesh(ground.panorama, ADAPTIVE)
    assert_mesh_basics(mesh)
    assert mesh.stats["unknown_faces"] > 0
    assert (mesh.positions[:, 1] < 0).all()
    np.testing.assert_allclose(mesh.positions[:, 1], -1.6, rtol=1e-5)
    assert mesh.n_faces < ground.panorama.width * ground.panorama.height / 8


@pytest.mark.parametrize("width", [8, 36, 100, 128])
def test_any_size_and_rough_depth_stay_closed(width):
    """Random depth (nothing to merge) and sizes that are not powers of two."""
    rng = np.random.default_rng(width)
    h = width // 2
    smooth = 3 + np.sin(np.linspace(0, 6, width))[None, :] * np.cos(np.linspace(0, 3, h))[:, None]
    for dist in (rng.uniform(1, 5, (h, width)), smooth):
        pano = pano_of(dist)
        mesh = build_depth_mesh(pano, ADAPTIVE)
        assert_adaptive_guarantees(mesh, pano)
        assert mesh.stats["max_error"] <= 0.005


def test_band_level_errors_match_the_per_cell_measure(spheres):
    """The whole-band level test (strided views, every cell at once) gives bit for bit the
    per-cell two-triangle measure of :func:`scene.adaptive._two_triangle_ratio`."""
    import scene.adaptive as adaptive_module

    dist = spheres.panorama.distance
    geo = adaptive_module._Geometry(dist)
    checked = 0
    for ya, hb, ks, lb in plan_bands(*dist.shape):
        band_r = np.concatenate([dist[ya:ya + hb + 1], dist[ya:ya + hb + 1, :1]], axis=1)
        pts = adaptive_module._band_points(geo, band_r, ya)
        sizes = [(1, 1 << k) for k in range(1, ks + 1)]
        sizes += [(1 << lev, (1 << lev) << ks) for lev in range(1, lb + 1)]
        for h, w in sizes:
            got = adaptive_module._level_errors(geo, band_r, ya, pts, h, w)
            ii, jj = np.nonzero(np.ones_like(got, dtype=bool))
            rows = ya + ii[:, None] * h + np.arange(h + 1)
            cols = jj[:, None] * w + np.arange(w + 1)
            ratio = adaptive_module._two_triangle_ratio(geo, rows, cols).reshape(ii.size, -1)
            lo, hi = ratio.min(axis=1).astype(np.float64), ratio.max(axis=1).astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                want = np.maximum(1.0 / lo - 1.0, 1.0 - 1.0 / hi)
            want[~(lo > 0)] = np.inf
            assert got.ravel().tobytes() == want.tobytes()
            if (h + 1) * (w + 1) <= 100:  # both ways of measuring small cells agree
                small = adaptive_module._small_level_errors(geo, band_r, ya, pts, h, w)
                assert small.ravel().tobytes() == want.tobytes()
            checked += ii.size
    assert checked > dist.size / 4  # cells of every level of every band


def test_refine_rounds_reuse_only_unchanged_cells(monkeypatch):
    """Rounds after the first re-measure only the cells a split changed; the mesh and its
    error statistics equal those of re-measuring every cell each round."""
    import scene.adaptive as adaptive_module

    h, w = 128, 256
    yy, xx = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(5)
    dist = (3 + np.sin(xx / 17.0) * np.cos(yy / 9.0) + 0.3 * (xx > 150)
            + rng.normal(0, 0.002, (h, w))).astype(np.float32)
    fresh = []
    real = adaptive_module._generic_errors
    monkeypatch.setattr(adaptive_module, "_generic_errors",
                        lambda *a: fresh.append(a[-1].size) or real(*a))
    reused = adaptive_module.adaptive_mesh(dist, 0.005, 0.25)
    assert reused.stats["refine_rounds"] >= 2
    n_checked = fresh[:]
    real_checked = adaptive_module._checked_errors
    monkeypatch.setattr(adaptive_module, "_checked_errors",
                        lambda geo, leaves, topo, kinds, checked, prev:
                        real_checked(geo, leaves, topo, kinds, checked, None))
    fresh.clear()
    full = adaptive_module.adaptive_mesh(dist, 0.005, 0.25)
    assert sum(n_checked[1:]) < sum(fresh[1:]) / 2  # later rounds measure far fewer cells
    for a, b in ((reused.positions, full.positions), (reused.faces, full.faces)):
        assert a.tobytes() == b.tobytes()
    assert reused.stats == full.stats
