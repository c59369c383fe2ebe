"""Placing a perspective RGBD image in an equirect panorama: geometry with exact answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scene.conventions import direction_grid, latitudes
from scene.depth import DepthInterpretation
from scene.errors import InputError
from scene.metadata import GenerationMetadata
from scene.panorama import PerspectiveRGBD, RGBDPanorama
from scene.perspective import NEUTRAL_RGB, perspective_to_equirect, project_to_perspective


def _index_image(w: int, h: int, fov: float) -> PerspectiveRGBD:
    """Raw depth holds each pixel's own index (j * w + i): the panorama says where it sampled."""
    codes = np.arange(w * h, dtype=np.uint16).reshape(h, w)
    rgb = np.zeros((h, w, 3), dtype=np.uint8)
    return PerspectiveRGBD(rgb, codes, DepthInterpretation(kind="disparity", scale=1 / 65535),
                           fov_deg=fov, metadata=GenerationMetadata(backend="ldm3d-4c"))


def test_projection_inverts_the_pixel_directions():
    p = _index_image(40, 30, 70.0)
    px, py, inside = project_to_perspective(p.directions(), 40, 30, 70.0)
    jj, ii = np.mgrid[0:30, 0:40]
    assert inside.all()
    np.testing.assert_allclose(px, ii, atol=1e-4)
    np.testing.assert_allclose(py, jj, atol=1e-4)
    _, _, behind = project_to_perspective(np.array([[0.0, 0.0, 1.0]]), 40, 30, 70.0)
    assert not behind.any()


@pytest.mark.parametrize("fov", [60.0, 90.0])
def test_every_panorama_pixel_samples_the_source_pixel_along_its_own_ray(fov):
    w, h, width = 64, 48, 512
    p = _index_image(w, h, fov)
    pano = perspective_to_equirect(p, width=width)
    assert isinstance(pano, RGBDPanorama) and pano.raw_depth.dtype == np.float32
    known = np.isfinite(pano.raw_depth)
    codes = pano.raw_depth[known].astype(np.int64)
    assert np.array_equal(pano.raw_depth[known], codes)  # raw codes copied exactly
    src_dirs = p.directions().reshape(-1, 3)[codes]
    pano_dirs = direction_grid(width, width // 2)[known]
    angle = np.arccos(np.clip((src_dirs * pano_dirs).sum(-1), -1, 1))
    f = (w / 2) / math.tan(math.radians(fov) / 2)
    assert angle.max() <= math.sqrt(0.5) / f * 1.01  # within half a source pixel's diagonal


@pytest.mark.parametrize("fov", [60.0, 100.0])
def test_covered_solid_angle_is_the_frustum(fov):
    w, h, width = 64, 48, 1024
    pano = perspective_to_equirect(_index_image(w, h, fov), width=width)
    known = np.isfinite(pano.raw_depth)
    pixel_sr = np.cos(latitudes(width // 2))[:, None] * (2 * np.pi / width) * (np.pi / (width // 2))
    covered = float((pixel_sr * known).sum())
    a = math.radians(fov) / 2
    b = math.atan(math.tan(a) * h / w)
    frustum = 4 * math.asin(math.sin(a) * math.sin(b))
    assert covered == pytest.approx(frustum, rel=0.01)


def test_outside_is_nan_and_neutral():
    pano = perspective_to_equirect(_index_image(32, 32, 60.0), width=256)
    outside = ~np.isfinite(pano.raw_depth)
    assert outside.mean() > 0.9
    assert (pano.rgb[outside] == np.array(NEUTRAL_RGB, dtype=np.uint8)).all()
    assert np.isnan(pano.distance[outside]).all()
    assert np.isnan(pano.distance[:, 0]).all() and np.isnan(pano.distance[0]).all()


def test_zdepth_wall_becomes_exact_radial_distance():
    """A wall 5 m in front: z-depth 5 everywhere, so the distance along d is 5 / (-d_z)."""
    w = h = 40
    rgb = np.full((h, w, 3), 200, dtype=np.uint8)
    z = np.full((h, w), 5.0, dtype=np.float32)
    p = PerspectiveRGBD(rgb, z, DepthInterpretation(kind="zdepth"), fov_deg=80.0)
    pano = perspective_to_equirect(p, width=360)
    assert pano.interpretation.kind == "distance"
    known = np.isfinite(pano.distance)
    dirs = direction_grid(360, 180)[known]
    # nearest-pixel sampling: the source pixel's ray differs by up to half a pixel
    np.testing.assert_allclose(pano.distance[known], 5.0 / -dirs[:, 2], rtol=0.02)
    assert (pano.rgb[known] == 200).all()


def test_disparity_keeps_interpretation_and_converts_the_same_way():
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 65536, size=(32, 32), dtype=np.uint16)
    interp = DepthInterpretation(kind="disparity", near=0.5, far=20.0, scale=1 / 65535,
                                 source="ldm3d-4c 16-bit")
    p = PerspectiveRGBD(np.zeros((32, 32, 3), np.uint8), raw, interp, fov_deg=60.0,
                        metadata=GenerationMetadata(backend="ldm3d-4c", extra={"a": 1}))
    pano = perspective_to_equirect(p, width=128)
    assert pano.interpretation == interp
    known = np.isfinite(pano.raw_depth)
    values = set(pano.raw_depth[known].astype(np.int64).tolist())
    assert values <= set(raw.ravel().tolist())
    assert set(pano.distance[known].round(4).tolist()) <= set(p.distance.ravel().round(4).tolist())
    assert pano.metadata.backend == "ldm3d-4c"
    assert pano.metadata.extra["a"] == 1
    assert pano.metadata.extra["perspective"]["fov_deg"] == 60.0
    assert p.metadata.extra == {"a": 1}  # the source is untouched


def test_colour_is_carried_over_and_a_ramp_stays_monotonic():
    w = h = 256
    ramp = np.linspace(0, 100, w).round().astype(np.uint8)  # never the neutral grey
    rgb = np.repeat(np.repeat(ramp[None, :, None], h, axis=0), 3, axis=2)
    pano = perspective_to_equirect(PerspectiveRGBD(rgb, fov_deg=60.0), width=512)
    assert pano.raw_depth is None
    row = pano.rgb[128, :, 0].astype(int)
    cols = np.nonzero(row != NEUTRAL_RGB[0])[0]
    assert cols.size == pytest.approx(512 / 6, abs=2)  # 60° of 360°
    assert np.all(np.diff(cols) == 1)  # one contiguous run
    seg = row[cols]
    assert (np.diff(seg) >= 0).all()  # left to right in the image is left to right here
    assert seg[0] <= 3 and seg[-1] >= 97


def test_bad_width_is_refused():
    with pytest.raises(InputError):
        perspective_to_equirect(_index_image(8, 8, 60.0), width=101)
