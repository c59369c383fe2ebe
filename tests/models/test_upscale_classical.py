"""The classical x4 upscaler against known answers from the procedural generator's exact depth.

Truth: a procedural scene rendered at 1024x512. Input: its colour area-downsampled to
256x128 and its depth as the renderer gives it at 256x128. The guided depth must beat plain
bicubic (depth MARE, the LDM3D-VR paper's metric) overall and within 3 px of depth edges;
with the guided step switched off (``guided=False`` is plain bicubic) the same comparison
fails. Depths must never be a mixture of the two sides of a discontinuity.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from models.base import GenerationRequest
from models.ldm3d_sr.classical import (
    ClassicalSettings,
    classical_upscale,
    upscale_depth_guided,
    upscale_rgb,
)
from models.ldm3d_sr.quality import bicubic_baseline, depth_edge_mask, depth_mare, psnr
from scene.depth import DepthInterpretation
from scene.errors import InputError
from scene.panorama import RGBDPanorama

cv2 = pytest.importorskip("cv2")

PROMPTS = ("a stone hall with pillars", "a desert with rocks")


@functools.cache
def _scene(prompt: str):
    from models.procedural import make_backend

    b = make_backend("procedural")
    hi = b.generate(GenerationRequest(prompt=prompt, seed=3, width=1024, height=512)).panorama
    lo = b.generate(GenerationRequest(prompt=prompt, seed=3, width=256, height=128)).panorama
    rgb_lo = cv2.resize(hi.rgb, (256, 128), interpolation=cv2.INTER_AREA)
    return hi.rgb, np.asarray(hi.distance), rgb_lo, np.asarray(lo.distance)


def _errors(prompt: str, settings: ClassicalSettings):
    rgb_hi, d_hi, rgb_lo, d_lo = _scene(prompt)
    rgb_up = upscale_rgb(rgb_lo, 4)
    d_up = upscale_depth_guided(d_lo, rgb_up, settings)
    _, d_bic = bicubic_baseline(rgb_lo, d_lo, 4)
    edges = depth_edge_mask(d_hi, within=3)
    assert 0.01 < edges.mean() < 0.5  # the scene has depth edges, and is not all edges
    return (depth_mare(d_up, d_hi), depth_mare(d_bic, d_hi),
            depth_mare(d_up, d_hi, edges), depth_mare(d_bic, d_hi, edges))


@pytest.mark.parametrize("prompt", PROMPTS)
def test_guided_depth_beats_bicubic_overall_and_at_edges(prompt):
    overall, overall_bic, edge, edge_bic = _errors(prompt, ClassicalSettings())
    assert overall < overall_bic
    assert edge < 0.85 * edge_bic


def test_the_comparison_fails_when_the_guided_step_is_bicubic():
    overall, overall_bic, edge, edge_bic = _errors(PROMPTS[0], ClassicalSettings(guided=False))
    assert not edge < 0.85 * edge_bic
    assert overall == pytest.approx(overall_bic, rel=0.05)


def _floating_fraction(d_up: np.ndarray, d_hi: np.ndarray, edges: np.ndarray) -> float:
    """Share of edge pixels whose depth is within 5 % of no true depth in a 9x9 window
    (a value that exists on neither side of the discontinuity: a floating point)."""
    best = np.full(d_up.shape, np.inf)
    for dy in range(-4, 5):
        for dx in range(-4, 5):
            t = np.roll(np.roll(d_hi, dy, axis=0), dx, axis=1)
            best = np.minimum(best, np.abs(d_up - t) / t)
    return float((best[edges] > 0.05).mean())


def test_depth_is_never_a_mixture_of_foreground_and_background():
    rgb_hi, d_hi, rgb_lo, d_lo = _scene(PROMPTS[0])
    rgb_up = upscale_rgb(rgb_lo, 4)
    edges = depth_edge_mask(d_hi, within=2, jump=0.3)
    guided = _floating_fraction(upscale_depth_guided(d_lo, rgb_up), d_hi, edges)
    bicubic = _floating_fraction(bicubic_baseline(rgb_lo, d_lo, 4)[1], d_hi, edges)
    assert bicubic > 0.05
    assert guided < 0.2 * bicubic


def test_colour_is_close_to_the_truth():
    rgb_hi, _, rgb_lo, _ = _scene(PROMPTS[0])
    assert psnr(upscale_rgb(rgb_lo, 4), rgb_hi) > 24.0


def _pano(seed=0):
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (32, 64, 3), dtype=np.uint8)
    disp = np.full((32, 64), 20000, np.uint16)
    disp[10:20, 20:40] = 50000  # a near box
    disp[:, :3] = 40000  # something on the seam
    return RGBDPanorama(rgb=rgb, raw_depth=disp, interpretation=DepthInterpretation(
        kind="disparity", near=0.5, far=30.0, scale=1 / 65535, source="ldm3d-pano 16-bit"))


def test_the_seam_is_an_ordinary_column():
    p = _pano()
    rolled = RGBDPanorama(rgb=np.roll(p.rgb, 5, axis=1), raw_depth=np.roll(p.raw_depth, 5, axis=1),
                          interpretation=p.interpretation)
    a = classical_upscale(p).panorama
    b = classical_upscale(rolled).panorama
    assert np.array_equal(np.roll(a.rgb, 20, axis=1), b.rgb)
    assert np.abs(np.roll(a.raw_depth.astype(int), 20, axis=1) - b.raw_depth.astype(int)).max() <= 1


def test_result_keeps_the_disparity_interpretation_and_records_the_method():
    p = _pano()
    out = classical_upscale(p).panorama
    assert out.rgb.shape == (128, 256, 3) and out.raw_depth.shape == (128, 256)
    assert out.raw_depth.dtype == np.uint16
    assert out.interpretation.kind == "disparity"
    assert (out.interpretation.near, out.interpretation.far) == (0.5, 30.0)
    assert "upscaled x4 (classical)" in out.interpretation.source
    up = out.metadata.extra["upscale"]
    assert up["method"] == "classical" and up["factor"] == 4 and up["guided"] is True
    assert up["source_width"] == 64 and out.metadata.backend == "upscale"
    # the box's disparity codes come through exactly (no blending inside it)
    assert np.all(out.raw_depth[48:72, 88:152] == 50000)
    # near/far can still be changed afterwards, as for any LDM3D result
    assert out.with_near_far(1.0, 20.0).near_far() == (1.0, 20.0)


def test_colour_only_panorama_upscales_colour():
    p = RGBDPanorama(rgb=_pano().rgb)
    out = classical_upscale(p).panorama
    assert out.rgb.shape == (128, 256, 3) and not out.has_depth


def test_unknown_depth_stays_unknown():
    p = _pano()
    dist = np.asarray(p.distance).copy()
    dist[:4] = np.nan
    q = RGBDPanorama(rgb=p.rgb, raw_depth=dist.astype(np.float32),
                     interpretation=DepthInterpretation(kind="distance"))
    out = classical_upscale(q).panorama
    assert np.isnan(out.distance[:16]).all() and np.isfinite(out.distance[16:]).all()


def test_bad_factor_is_refused():
    with pytest.raises(InputError, match="factor"):
        classical_upscale(_pano(), ClassicalSettings(factor=1))
