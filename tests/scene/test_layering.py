"""Layering, the numpy rasteriser, the walk zone and the consistency score, on analytic
scenes with known answers (the box room: its pillar hides part of the walls)."""

from __future__ import annotations

import numpy as np
import pytest

from scene.composition import Scene
from scene.consistency import PSNR_CAP_DB, compare_views, score_scene
from scene.depth import DepthInterpretation
from scene.layering import disocclusion, find_edges, make_layer
from scene.panorama import RGBDPanorama
from scene.raster import CubeRender, Surface, render_cube
from scene.testing.analytic import box_room
from scene.walkzone import eye_offsets, measure_walk_zone, scene_surfaces, walk_zones

CUT = 0.25
W = 256


@pytest.fixture(scope="module")
def room():
    """(dome with the pillar, exact background without it)."""
    return box_room(W).panorama, box_room(W, pillar=None).panorama


def _exact_layer(room, radius=0.5):
    dome, empty = room
    dis = disocclusion(dome.distance, CUT, radius)
    return make_layer(dome, dis, empty.rgb, empty.distance, layer_id="l1", method="exact"), dis


def _sphere(radius_m=2.0, colour=(100, 100, 100), w=128):
    rgb = np.empty((w // 2, w, 3), np.uint8)
    rgb[:] = colour
    return RGBDPanorama(rgb, raw_depth=np.full((w // 2, w), radius_m, np.float32),
                        interpretation=DepthInterpretation(kind="distance"))


def test_raster_sphere_from_moved_eye_is_exact_and_watertight():
    s = Surface.from_equirect(_sphere().rgb, _sphere().distance, CUT)
    eye = np.array([0.3, -0.2, 0.1])
    c = render_cube([s], eye, 32)
    assert c.hole_fraction() == 0.0
    from scene.cubemap import FACE_ORDER, face_directions
    d = np.stack([face_directions(f, 32) for f in FACE_ORDER])
    b = d @ eye
    t = -b + np.sqrt(b * b - (eye @ eye - 4.0))  # ray from the eye to the sphere r = 2
    # the mesh's chords lie inside the sphere by at most r (1 - cos(half a pixel))
    assert np.max(np.abs(c.distance - t) / t) < 2e-3


def test_edges_follow_the_cut_rule(room):
    dome, _ = room
    fg, bg, behind = find_edges(dome.distance, CUT)
    assert fg.any() and bg.any()
    assert np.all(behind[fg] > dome.distance[fg] * (1 + CUT))
    none = find_edges(dome.distance, np.inf)
    assert not none[0].any()


def test_plain_dome_shows_holes_and_the_layered_one_none(room):
    dome, _ = room
    layer, dis = _exact_layer(room)
    assert dis.band.any() and not (dis.band & dis.overlap).any()
    plain = scene_surfaces(Scene(dome), CUT)
    layered = scene_surfaces(Scene(dome, (layer,)), CUT)
    for eye in eye_offsets(0.5):
        assert render_cube(layered, eye, 64).hole_fraction() == 0.0
    worst = max(render_cube(plain, e, 64).hole_fraction() for e in eye_offsets(0.5))
    assert worst > 0.001  # the stage switched off shows holes


def test_layer_is_behind_the_foreground_and_nan_elsewhere(room):
    dome, _ = room
    layer, dis = _exact_layer(room)
    d = layer.panorama.distance
    known = np.isfinite(d)
    assert np.array_equal(known, (dis.band | dis.overlap) & known)
    assert np.all(d[dis.band & known] > dome.distance[dis.band & known])
    assert layer.kind == "fill" and layer.walk_radius == 0.5


def _tree_with_a_far_patch(w=256):
    """Background 10 m; a 12x12 pixel "tree" at 7 m whose centre 2x2 pixels are at 8.1 m: too
    far for the band's test (8.1 * 1.25 > 10), too near the outline to be left out."""
    dist = np.full((w // 2, w), 10.0, np.float32)
    dist[58:70, 120:132] = 7.0
    dist[63:65, 125:127] = 8.1
    return dist


def test_band_takes_in_the_islands_it_encloses(monkeypatch):
    import scene.layering as layering

    dist = _tree_with_a_far_patch()
    dis = disocclusion(dist, CUT, 0.5)
    patch = (slice(63, 65), slice(125, 127))
    assert dis.band[patch].all() and np.all(dis.behind[patch] == 10.0)
    assert not dis.overlap[patch].any() and not dis.band[dist == 10.0].any()
    monkeypatch.setattr(layering, "FILL_ISLANDS", False)
    off = disocclusion(dist, CUT, 0.5)
    assert not off.band[patch].any()  # the rule alone leaves them out
    assert np.array_equal(off.band | (dis.band & (dist == 8.1)), dis.band)


def test_band_grows_with_the_walk_radius(room):
    dome, _ = room
    small = disocclusion(dome.distance, CUT, 0.1).band.sum()
    big = disocclusion(dome.distance, CUT, 0.5).band.sum()
    assert 0 < small < big


def test_walk_zone_with_and_without_layers(room):
    dome, _ = room
    layer, _ = _exact_layer(room)
    zones = walk_zones(Scene(dome, (layer,)), CUT)
    assert zones["dome"].radius == 0.0  # the cut cracks the pillar's outline at the centre
    assert zones["layers"].radius >= 0.5
    # no cut: rubber sheets and no holes, until the eye leaves the room (its nearest wall and
    # the pillar are 1.5 m away or less)
    uncut = measure_walk_zone(Scene(dome), np.inf)
    assert 1.0 <= uncut.radius < 1.5 and all(v == 0 for r, v in uncut.tried.items() if r <= 1)


def test_compare_views_hand_checked():
    n = 16
    a = CubeRender(np.full((6, n, n, 3), 100, np.float32), np.ones((6, n, n), np.float32),
                   np.zeros(3))
    b = CubeRender(np.full((6, n, n, 3), 110, np.float32), np.ones((6, n, n), np.float32),
                   np.zeros(3))
    c = compare_views(a, b)
    assert c.psnr == pytest.approx(10 * np.log10(255.0 ** 2 / 100.0))  # 28.1308 dB
    assert c.hole_fraction == 0.0
    same = compare_views(a, a)
    assert same.psnr == PSNR_CAP_DB and same.ssim == pytest.approx(1.0)
    holes = b.distance.copy()
    holes[0] = np.nan  # one face of six, each 1/6 of the sphere
    h = compare_views(a, CubeRender(b.rgb, holes, np.zeros(3)))
    assert h.hole_fraction == pytest.approx(1 / 6)
    mse = (255.0 ** 2 + 5 * 10.0 ** 2) / 6  # a hole is an error of the full range
    assert h.psnr == pytest.approx(10 * np.log10(255.0 ** 2 / mse))


def test_score_of_a_uniform_sphere_is_perfect():
    s = score_scene(Scene(_sphere()), CUT, n_views=4, radius=0.3, face_size=16)
    assert s.psnr == PSNR_CAP_DB and s.ssim == pytest.approx(1.0) and s.hole_fraction == 0.0


def test_layered_scene_scores_higher_than_the_plain_dome(room):
    dome, _ = room
    layer, _ = _exact_layer(room)
    plain = score_scene(Scene(dome), CUT, n_views=6, radius=0.5, face_size=32)
    layered = score_scene(Scene(dome, (layer,)), CUT, n_views=6, radius=0.5, face_size=32)
    assert layered.hole_fraction < plain.hole_fraction
    assert layered.psnr > plain.psnr
