"""Omnidirectional stereo export: parallax against scenes with known geometry."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from renderers.stereo360 import ipd_taper, mesh_distance_grid, render_stereo360, write_stereo360
from scene.conventions import longitudes
from scene.depth import DepthInterpretation
from scene.errors import InputError
from scene.mesh import build_depth_mesh
from scene.mesh_settings import MeshSettings
from scene.panorama import RGBDPanorama
from scene.testing.analytic import BOX_ROOM_COLOURS, box_room

IPD = 0.064
STRIPE = np.array([255, 0, 0], dtype=np.uint8)


def _striped_sphere(width: int, radius: float, stripe_px: int = 4) -> RGBDPanorama:
    """A sphere of ``radius`` around the viewer, grey, with a red stripe centred on lon = 0."""
    h = width // 2
    rgb = np.full((h, width, 3), 128, dtype=np.uint8)
    rgb[:, width // 2 - stripe_px // 2: width // 2 + stripe_px // 2] = STRIPE
    dist = np.full((h, width), radius, dtype=np.float32)
    return RGBDPanorama(rgb=rgb, raw_depth=dist, interpretation=DepthInterpretation("distance"))


def _stripe_lon(row: np.ndarray) -> float:
    """Longitude (radians) of the red stripe's centre in one equirect row (weighted centroid)."""
    w = row.shape[0]
    redness = np.clip(row[:, 0].astype(float) - row[:, 1].astype(float), 0, None)
    lon = longitudes(w)
    return float((redness * lon).sum() / redness.sum())


@pytest.mark.parametrize("distance", [0.5, 1.0, 3.0])
def test_point_in_front_shows_the_disparity_ipd_and_distance_imply(distance):
    width = 1024
    pano = _striped_sphere(width, distance)
    img = render_stereo360(pano, build_depth_mesh(pano), ipd=IPD)
    h = width // 2
    assert img.shape == (width, width, 3) and img.dtype == np.uint8
    row = h // 2  # at the equator, where the IPD is not tapered
    left, right = _stripe_lon(img[row]), _stripe_lon(img[h + row])
    expected = np.arcsin(IPD / 2 / distance)
    pixel = 2 * np.pi / width
    # The left eye sees a point in front of it to the right, the right eye to the left.
    assert left == pytest.approx(expected, abs=0.2 * pixel)
    assert right == pytest.approx(-expected, abs=0.2 * pixel)
    assert left - right == pytest.approx(2 * np.arcsin(IPD / 2 / distance), abs=0.3 * pixel)


def test_zero_ipd_is_the_panorama_itself_in_both_eyes():
    scene = box_room(256)
    img = render_stereo360(scene.panorama, build_depth_mesh(scene.panorama), ipd=0.0)
    assert np.array_equal(img[:128], scene.panorama.rgb)
    assert np.array_equal(img[128:], scene.panorama.rgb)


def _pillar_hit(lon: np.ndarray, side: float, pillar=(1.0, -1.8, 0.3)) -> np.ndarray:
    """Whether the horizontal ODS ray of each column hits the square pillar (exact 2-D cast)."""
    cx, cz, half = pillar
    ox, oz = side * IPD / 2 * np.cos(lon), side * IPD / 2 * np.sin(lon)
    dx, dz = np.sin(lon), -np.cos(lon)
    with np.errstate(divide="ignore", invalid="ignore"):
        tx1, tx2 = (cx - half - ox) / dx, (cx + half - ox) / dx
        tz1, tz2 = (cz - half - oz) / dz, (cz + half - oz) / dz
    t_near = np.maximum(np.minimum(tx1, tx2), np.minimum(tz1, tz2))
    t_far = np.minimum(np.maximum(tx1, tx2), np.maximum(tz1, tz2))
    return (t_near <= t_far) & (t_far > 0)


def test_occluding_pillar_edges_move_as_the_exact_geometry_says():
    width = 1024
    scene = box_room(width)
    img = render_stereo360(scene.panorama, build_depth_mesh(scene.panorama), ipd=IPD)
    h = width // 2
    lon = longitudes(width)
    pillar = np.array(BOX_ROOM_COLOURS["pillar"], dtype=float)
    for top, side in ((0, -1.0), (h, 1.0)):
        row = img[top + h // 2].astype(float)
        seen = np.linalg.norm(row - pillar, axis=1) < 40
        expected = _pillar_hit(lon, side)
        assert expected.sum() > 10  # the pillar covers some columns
        # Only one column at each silhouette edge may differ: the mesh (and so the render) puts
    # the pillar's corners on pixel centres, up to a pixel from the exact corner.
        assert np.count_nonzero(seen != expected) <= 2
    # And the two eyes really differ there: the pillar (about 2 m away) shifts by about
    # 2*asin(0.032/2) = 1.8 degrees, 4 to 5 columns, as the exact masks say.
    cols = {}
    for top, side in ((0, -1.0), (h, 1.0)):
        row = img[top + h // 2].astype(float)
        cols[side] = np.flatnonzero(np.linalg.norm(row - pillar, axis=1) < 40).mean()
    exact = np.flatnonzero(_pillar_hit(lon, -1.0)).mean() - np.flatnonzero(_pillar_hit(lon, 1.0)).mean()
    assert exact > 3
    assert cols[-1.0] - cols[1.0] == pytest.approx(exact, abs=1.0)


def test_the_mesh_distance_is_what_is_seen():
    """A mesh built from edited distances (as during a near/far drag) drives the parallax."""
    width = 1024
    pano = _striped_sphere(width, 3.0)
    near_dist = np.full((width // 2, width), 0.5, dtype=np.float32)
    mesh = build_depth_mesh(pano, distance=near_dist)
    assert np.allclose(mesh_distance_grid(pano, mesh), 0.5)
    img = render_stereo360(pano, mesh, ipd=IPD)
    h = width // 2
    disparity = _stripe_lon(img[h // 2]) - _stripe_lon(img[h + h // 2])
    assert disparity == pytest.approx(2 * np.arcsin(IPD / 2 / 0.5), abs=0.5 * 2 * np.pi / width)


def test_adaptive_mesh_keeps_the_panorama_distance_where_it_has_no_vertex():
    scene = box_room(256)
    mesh = build_depth_mesh(scene.panorama, MeshSettings(mode="adaptive", max_error=0.01))
    grid = mesh_distance_grid(scene.panorama, mesh)
    ref = scene.panorama.distance
    assert grid.shape == ref.shape
    assert np.nanmax(np.abs(grid - ref) / ref) <= 0.011


def test_unknown_depth_has_no_parallax():
    width = 512
    pano = _striped_sphere(width, 2.0)
    pano = pano.with_depth(np.full((width // 2, width), np.nan, dtype=np.float32),
                           DepthInterpretation("distance"))
    img = render_stereo360(pano, build_depth_mesh(pano), ipd=IPD)
    h = width // 2
    assert _stripe_lon(img[h // 2]) == pytest.approx(_stripe_lon(img[h + h // 2]), abs=1e-9)


def test_ipd_fades_to_zero_at_the_poles_only():
    assert ipd_taper(np.radians([0.0, 45.0, 60.0, -59.0])) == pytest.approx(1.0)
    assert ipd_taper(np.radians([90.0, -90.0])) == pytest.approx(0.0)
    mid = ipd_taper(np.radians([75.0]))[0]
    assert 0.0 < mid < 1.0


def test_output_width_and_bad_inputs():
    scene = box_room(256)
    mesh = build_depth_mesh(scene.panorama)
    assert render_stereo360(scene.panorama, mesh, width=128).shape == (128, 128, 3)
    for bad in (-0.01, float("nan"), 2.0):
        with pytest.raises(InputError):
            render_stereo360(scene.panorama, mesh, ipd=bad)
    with pytest.raises(InputError):
        render_stereo360(scene.panorama, mesh, width=101)


def test_write_stereo360_png_round_trip(tmp_path):
    scene = box_room(256)
    mesh = build_depth_mesh(scene.panorama)
    out = tmp_path / "stereo.png"
    write_stereo360(out, scene.panorama, mesh, ipd=IPD)
    back = np.asarray(Image.open(out))
    assert np.array_equal(back, render_stereo360(scene.panorama, mesh, ipd=IPD))
    with pytest.raises(InputError):
        write_stereo360(tmp_path / "stereo.bmp", scene.panorama, mesh)
