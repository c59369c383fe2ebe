"""360° tiling, alignment and blending with known answers (scene.tiling).

Tiles are made from an analytic scene's exact depth (scene.testing.analytic: exact distance along any
ray), each distorted by its own known scale and shift of disparity, as a relative depth
network would give them. The aligned, blended panorama must recover the truth within 1 %
after one global scale; with the alignment switched off the same check fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from scene import tiling
from scene.conventions import direction_grid, lonlat_to_direction
from scene.errors import InputError
from scene.testing.analytic import box_room, nested_spheres

W, H = 256, 128


def _distorted(scene, tiles, seed=1):
    """Per-tile disparity ``s_i / z_i + t_i`` from exact planar depth, and the (s, t) used."""
    z = tiling.tile_depth_from_distance(scene.distance_of, tiles)
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.3, 3.0, len(tiles))
    t = rng.uniform(-0.2, 0.5, len(tiles))
    return s[:, None, None] / z + t[:, None, None], s, t


def _recover(scene, layout, mode, size=96):
    tiles = tiling.make_tiles(layout, size)
    disp, _, _ = _distorted(scene, tiles)
    samples = tiling.sample_tiles(tiles, W, H)
    values = tiling.sample_tile_values(disp, samples)
    alignment = tiling.align_tiles(values, samples, mode)
    r = 1.0 / tiling.blend_tiles(values, samples, alignment)
    truth = scene.distance_of(direction_grid(W, H, dtype=np.float64))
    k = np.nanmedian(truth / r)  # the one global scale of relative depth
    return r * k, truth, alignment


def _seam_and_pole(r, truth):
    """Relative jump across the 360° seam beyond the truth's own, and the spread of the
    pole rows beyond the truth's (both should be ~0: no seam, closed poles)."""
    seam = np.abs(r[:, 0] - r[:, -1]) / truth[:, 0] - np.abs(truth[:, 0] - truth[:, -1]) / truth[:, 0]
    poles = [np.ptp(r[row]) / np.mean(r[row]) - np.ptp(truth[row]) / np.mean(truth[row])
             for row in (0, -1)]
    return float(np.max(seam)), float(np.max(poles))


@pytest.mark.parametrize("layout", tiling.TILE_LAYOUTS)
def test_alignment_recovers_exact_depth_within_one_percent(layout):
    scene = box_room(64)
    r, truth, alignment = _recover(scene, layout, "scale-shift")
    err = np.abs(r - truth) / truth
    # creases and the pillar's silhouette are resampled twice (equirect -> tile -> equirect):
    # a few pixels there are off; everywhere else the answer is exact
    assert np.median(err) < 1e-4
    assert np.percentile(err, 99) < 0.01
    assert alignment.rms_after < 0.05 * alignment.rms_before
    seam, pole = _seam_and_pole(r, truth)
    assert seam < 1e-3
    assert pole < 1e-3


def test_recovers_curved_surfaces_too():
    r, truth, _ = _recover(nested_spheres(64), "cube", "scale-shift")
    err = np.abs(r - truth) / truth
    assert np.percentile(err, 99) < 0.01


@pytest.mark.parametrize("mode", ["none", "scale"])
def test_without_the_shift_or_any_alignment_the_same_check_fails(mode):
    r, truth, _ = _recover(box_room(64), "cube", mode)
    err = np.abs(r - truth) / truth
    assert np.percentile(err, 99) > 0.05


def test_alignment_finds_the_known_scales_and_shifts():
    """a_i = c / s_i and b_i = -c t_i / s_i with one c for all tiles."""
    scene = box_room(64)
    tiles = tiling.cube_tiles(96)
    disp, s, t = _distorted(scene, tiles)
    samples = tiling.sample_tiles(tiles, W, H)
    al = tiling.align_tiles(tiling.sample_tile_values(disp, samples), samples, "scale-shift")
    a, b = np.array(al.scale), np.array(al.shift)
    c = a * s
    assert np.allclose(c, c[al.fixed_tile], rtol=1e-3)
    assert np.allclose(b, -c * t / s, atol=1e-3 * np.abs(c).max())
    assert al.scale[al.fixed_tile] == 1.0


def test_metric_tiles_keep_metres():
    """Metric tiles (1/z, scale only) come back in metres, scales normalised around 1."""
    scene = box_room(64)
    tiles = tiling.cube_tiles(96)
    z = tiling.tile_depth_from_distance(scene.distance_of, tiles)
    gain = np.array([1.02, 0.98, 1.0, 1.01, 0.99, 1.0])  # each tile a little off
    samples = tiling.sample_tiles(tiles, W, H)
    values = tiling.sample_tile_values(1.0 / (z * gain[:, None, None]), samples)
    al = tiling.align_tiles(values, samples, "scale", metric=True)
    r = 1.0 / tiling.blend_tiles(values, samples, al)
    truth = scene.distance_of(direction_grid(W, H, dtype=np.float64))
    err = np.abs(r - truth) / truth
    assert np.median(err) < 0.005
    assert np.percentile(err, 99) < 0.02


def test_partial_panorama_pixels_outside_are_unknown_and_ignored():
    scene = box_room(64)
    tiles = tiling.cube_tiles(96)
    disp, _, _ = _distorted(scene, tiles)
    samples = tiling.sample_tiles(tiles, W, H)
    values = tiling.sample_tile_values(disp, samples)
    valid = np.zeros((H, W), dtype=bool)
    valid[H // 4:3 * H // 4] = True  # a band around the horizon
    values = [np.where(valid.reshape(-1)[samples.index[k]], v, 1e6)  # garbage outside
              for k, v in enumerate(values)]
    al = tiling.align_tiles(values, samples, "scale-shift", valid=valid.reshape(-1))
    q = tiling.blend_tiles(values, samples, al, valid.reshape(-1))
    assert np.isnan(q[~valid]).all()
    r = 1.0 / q[valid]
    truth = scene.distance_of(direction_grid(W, H, dtype=np.float64))[valid]
    err = np.abs(r * np.nanmedian(truth / r) - truth) / truth
    assert np.percentile(err, 99) < 0.01


def test_tiles_cover_the_sphere_with_overlap():
    for layout in tiling.TILE_LAYOUTS:
        tiles = tiling.make_tiles(layout, 32)
        samples = tiling.sample_tiles(tiles, 128, 64)
        weight = np.zeros(128 * 64)
        seen = np.zeros(128 * 64, dtype=int)
        for k in range(len(tiles)):
            weight[samples.index[k]] += samples.weight[k]
            seen[samples.index[k]] += 1
        assert weight.min() > 0  # every direction has a tile with positive blend weight
        assert (seen >= 2).mean() > 0.1  # enough overlap to align on


def test_render_tiles_samples_the_panorama_by_direction():
    pano = box_room(512).panorama
    tiles = tiling.cube_tiles(128)
    images = tiling.render_tiles(pano.rgb, tiles)
    assert images.shape == (6, 128, 128, 3) and images.dtype == np.uint8
    scene = box_room(64)
    labels = [scene.label_of(t.directions()) for t in tiles]
    colours = np.array([scene.colours[name] for name in scene.labels], dtype=np.uint8)
    for k in range(6):
        same = np.all(images[k] == colours[labels[k]], axis=-1)
        assert same.mean() > 0.9  # flat colours: all but the pixels at edges match exactly


def test_tile_projection_round_trips():
    tile = tiling.icosahedron_tiles(40)[7]
    d = tile.directions()
    px, py, x, y = tile.project(d)
    jj, ii = np.meshgrid(np.arange(40), np.arange(40))
    assert np.allclose(px, jj, atol=1e-9) and np.allclose(py, ii, atol=1e-9)
    assert np.abs(x).max() < 1 and np.abs(y).max() < 1


def test_large_photo_is_box_filtered_before_tiling():
    """An 8192x4096 photo costs no more than the tiles (and does not alias)."""
    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, (4096, 8192, 3), dtype=np.uint8)
    tiles = tiling.cube_tiles(64)
    images = tiling.render_tiles(big, tiles)
    # noise averaged over many source pixels per tile pixel: near mid-grey, small spread
    assert abs(float(images.mean()) - 127.5) < 2
    assert float(images.std()) < 30
    assert tiling.output_width(tiles, 8192) == tiling.prefilter_width(tiles) <= 8192


def test_floor_cue_gives_metres():
    scene = box_room(128)  # floor 1.6 m below the eye
    truth = scene.panorama.distance.astype(np.float64)
    factor, pixels = tiling.floor_scale(truth / 7.3, 1.6)
    assert factor == pytest.approx(7.3, rel=1e-3)
    assert pixels > 100
    with pytest.raises(InputError, match="floor"):
        band = truth.copy()
        band[40:] = np.nan  # nothing more than 22° below the horizon
        tiling.floor_scale(band, 1.6)


def test_known_point_cue_gives_metres():
    scene = box_room(128)
    truth = scene.panorama.distance.astype(np.float64)
    lon, lat = 30.0, -10.0
    metres = float(scene.distance_of(lonlat_to_direction(np.radians(lon), np.radians(lat))))
    assert tiling.point_scale(truth / 3.0, lon, lat, metres) == pytest.approx(3.0, rel=0.02)


def _max_step(feather, width=512):
    """Largest pixel-to-pixel step of the blend where tiles disagree by a few percent.

    Measured on ``r_gain / r_exact``: the same tiles blended with and without a per-tile gain,
    so the resampling at creases and edges (the same in both) cancels and every step left
    comes from how the blend switches between tiles.
    """
    scene = box_room(64)
    tiles = tiling.cube_tiles(96)
    z = tiling.tile_depth_from_distance(scene.distance_of, tiles)
    samples = tiling.sample_tiles(tiles, width, width // 2, feather=feather)
    none = tiling.Alignment("none", [1.0] * 6, [0.0] * 6)

    def blend(gain):
        values = tiling.sample_tile_values(1.0 / (z * gain[:, None, None]), samples)
        return 1.0 / tiling.blend_tiles(values, samples, none)

    f = blend(np.array([1.03, 0.97, 1.0, 1.02, 0.98, 1.01])) / blend(np.ones(6))
    step = np.concatenate([np.abs(np.diff(f, axis=1)).ravel(), np.abs(np.diff(f, axis=0)).ravel(),
                           np.abs(f[:, 0] - f[:, -1])])  # across the 360° seam too
    return float(step.max())


def test_feathered_blending_leaves_no_seams_where_tiles_disagree():
    assert _max_step(tiling.DEFAULT_FEATHER) < 0.008  # 6 % disagreement spread over the band
    assert _max_step(1e-6) > 0.02  # hard tile borders: a visible step at each
