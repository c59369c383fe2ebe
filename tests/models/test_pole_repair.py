"""Pole repair against known answers: procedural scenes with exact depth, caps damaged on
purpose (noise in colour and depth above 70° latitude), then repaired.

Measured: the cap's depth error against the truth, the seam inside the caps, the step across
the cap boundary, and that nothing outside the caps and their feather rings changes.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from models.base import GenerationRequest
from models.ldm3d_sr.poles import PoleSettings, cap_weight, repair_poles
from models.ldm3d_sr.quality import depth_mare, psnr
from scene.conventions import latitudes
from scene.depth import DepthInterpretation
from scene.errors import InputError
from scene.panorama import RGBDPanorama

pytest.importorskip("cv2")

W, H = 512, 256
LAT = np.degrees(latitudes(H))
CAP = np.abs(LAT) > 70.0
TOP, BOTTOM = CAP & (LAT > 0), CAP & (LAT < 0)


@functools.cache
def _truth(prompt: str) -> RGBDPanorama:
    from models.procedural import make_backend

    return make_backend("procedural").generate(
        GenerationRequest(prompt=prompt, seed=3, width=W, height=H)).panorama


def _damaged(truth: RGBDPanorama) -> RGBDPanorama:
    rng = np.random.default_rng(0)
    rgb = truth.rgb.copy()
    rgb[CAP] = rng.integers(0, 256, (int(CAP.sum()), W, 3))
    depth = np.asarray(truth.raw_depth, dtype=np.float32).copy()
    depth[CAP] = rng.uniform(1.0, 30.0, (int(CAP.sum()), W))
    return RGBDPanorama(rgb=rgb, raw_depth=depth, interpretation=truth.interpretation)


@pytest.mark.parametrize("prompt", ["a stone hall with pillars", "a desert with rocks"])
def test_damaged_caps_are_restored(prompt):
    truth = _truth(prompt)
    bad = _damaged(truth)
    out = repair_poles(bad).panorama
    for cap in (TOP, BOTTOM):
        assert depth_mare(bad.distance[cap], truth.distance[cap]) > 0.5
        assert depth_mare(out.distance[cap], truth.distance[cap]) < 0.03
        assert psnr(out.rgb[cap], truth.rgb[cap]) > psnr(bad.rgb[cap], truth.rgb[cap]) + 10


def test_a_cap_left_out_stays_damaged():
    truth = _truth("a stone hall with pillars")
    bad = _damaged(truth)
    out = repair_poles(bad, PoleSettings(caps="top")).panorama
    assert depth_mare(out.distance[TOP], truth.distance[TOP]) < 0.03
    assert depth_mare(out.distance[BOTTOM], truth.distance[BOTTOM]) > 0.5


def test_the_seam_is_continuous_inside_the_caps():
    out = repair_poles(_damaged(_truth("a stone hall with pillars"))).panorama
    logd = np.log(out.distance)
    seam = np.abs(logd[:, 0] - logd[:, -1])[CAP].mean()
    interior = np.abs(np.diff(logd, axis=1))[CAP].mean()
    assert seam <= 3.0 * interior + 1e-4
    rgb = out.rgb.astype(float)
    seam_rgb = np.abs(rgb[:, 0] - rgb[:, -1])[CAP].mean()
    interior_rgb = np.abs(np.diff(rgb, axis=1))[CAP].mean()
    assert seam_rgb <= 2.0 * interior_rgb + 1.0


def test_the_cap_boundary_has_no_step():
    truth = _truth("a stone hall with pillars")
    bad = _damaged(truth)
    out = repair_poles(bad).panorama
    # rows from 10° inside the cap to 10° below the feather ring, both poles
    near = (np.abs(LAT) > 60.0) & (np.abs(LAT) < 80.0)
    rows = np.flatnonzero(near[:-1] & near[1:])

    def worst_step(p):
        logd = np.log(p.distance)
        return np.abs(logd[rows + 1] - logd[rows]).mean(axis=1).max()

    assert worst_step(bad) > 0.3  # the damage is a step
    assert worst_step(out) < 2.0 * worst_step(truth) + 0.005


def test_outside_the_caps_nothing_changes_bit_for_bit():
    bad = _damaged(_truth("a desert with rocks"))
    s = PoleSettings()
    out = repair_poles(bad, s).panorama
    keep = cap_weight(LAT, s.band_deg, s.feather_deg, True) + \
        cap_weight(LAT, s.band_deg, s.feather_deg, False) == 0
    assert keep.sum() > H // 2
    assert np.array_equal(out.rgb[keep], bad.rgb[keep])
    assert np.array_equal(out.raw_depth[keep], bad.raw_depth[keep])


def test_disparity_depth_keeps_its_dtype_and_interpretation_and_the_record():
    truth = _truth("a desert with rocks")
    interp = DepthInterpretation(kind="disparity", near=1.0, far=40.0, scale=1 / 65535)
    d = np.clip((1 / truth.distance - 1 / 40) / (1 - 1 / 40), 0, 1)
    p = RGBDPanorama(rgb=truth.rgb, raw_depth=np.rint(d * 65535).astype(np.uint16),
                     interpretation=interp)
    out = repair_poles(p, PoleSettings(band_deg=15, feather_deg=4)).panorama
    assert out.raw_depth.dtype == np.uint16 and out.interpretation.kind == "disparity"
    rec = out.metadata.extra["pole_repair"]
    assert rec["method"] == "classical" and rec["band_deg"] == 15 and rec["feather_deg"] == 4
    assert "OpenCV" in rec["inpainter"] and "model" not in rec
    assert out.metadata.backend == "repair-poles"


def test_colour_only_panorama_is_repaired_in_colour():
    truth = _truth("a desert with rocks")
    bad = _damaged(truth)
    out = repair_poles(RGBDPanorama(rgb=bad.rgb)).panorama
    assert not out.has_depth
    assert psnr(out.rgb[CAP], truth.rgb[CAP]) > psnr(bad.rgb[CAP], truth.rgb[CAP]) + 10


@pytest.mark.parametrize("kw", [dict(band_deg=0.5), dict(feather_deg=12), dict(caps="left")])
def test_bad_settings_are_refused(kw):
    with pytest.raises(InputError):
        repair_poles(_truth("a desert with rocks"), PoleSettings(**kw))


# -- the model path: RePaint-style masked denoising with a tiny random LDM3D-4c model --------


def _tiny_settings(**kw) -> PoleSettings:
    from tests.models.tiny_ldm3d import tiny_model

    base = dict(method="ldm3d", model=str(tiny_model(4)), model_backend="ldm3d-4c",
                face_size=64, steps=3, device="cpu", seed=1)
    base.update(kw)
    return PoleSettings(**base)


def test_model_path_keeps_the_known_ring_and_fills_the_hole():
    import cv2

    from models.ldm3d_sr.poles_ldm3d import inpaint_view, load_inpainter

    pipe, _, choice = load_inpainter(_tiny_settings().model, "ldm3d-4c", "cpu")
    rng = np.random.default_rng(0)
    rgb = cv2.resize(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8), (64, 64))
    disp = np.full((64, 64), 0.3, np.float32)
    hole = np.zeros((64, 64), bool)
    hole[16:48, 16:48] = True
    a_rgb, a_disp = inpaint_view(pipe, choice, rgb, disp, hole, prompt="up", steps=3, seed=2)
    b_rgb, b_disp = inpaint_view(pipe, choice, rgb, disp, hole, prompt="up", steps=3, seed=2)
    assert np.array_equal(a_rgb[~hole], rgb[~hole]) and np.array_equal(a_disp[~hole], disp[~hole])
    assert not np.array_equal(a_rgb[hole], rgb[hole])  # the model drew something there
    assert np.array_equal(a_rgb, b_rgb) and np.array_equal(a_disp, b_disp)  # per seed


def test_model_path_cancels_within_one_step():
    import threading

    from models.ldm3d_sr.poles_ldm3d import inpaint_view, load_inpainter
    from scene.errors import CancelledError

    pipe, _, choice = load_inpainter(_tiny_settings().model, "ldm3d-4c", "cpu")
    calls = []
    handle = pipe.unet.register_forward_pre_hook(lambda *a: calls.append(1))
    cancel = threading.Event()

    def on_progress(p):
        if p.step == 2:
            cancel.set()

    hole = np.zeros((64, 64), bool)
    hole[20:40, 20:40] = True
    try:
        with pytest.raises(CancelledError):
            inpaint_view(pipe, choice, np.zeros((64, 64, 3), np.uint8),
                         np.zeros((64, 64), np.float32), hole, prompt="up", steps=10,
                         on_progress=on_progress, cancel=cancel)
    finally:
        handle.remove()
    assert len(calls) == 2


def test_model_path_repairs_a_panorama_and_records_model_and_licence():
    bad = _damaged(_truth("a desert with rocks"))
    out = repair_poles(bad, _tiny_settings()).panorama
    s = PoleSettings()
    keep = cap_weight(LAT, s.band_deg, s.feather_deg, True) + \
        cap_weight(LAT, s.band_deg, s.feather_deg, False) == 0
    assert np.array_equal(out.raw_depth[keep], bad.raw_depth[keep])
    assert np.array_equal(out.rgb[keep], bad.rgb[keep])
    assert np.isfinite(out.distance).all()
    rec = out.metadata.extra["pole_repair"]
    assert rec["method"] == "ldm3d" and "RePaint" in rec["inpainter"]
    assert rec["steps"] == 3 and rec["seed"] == 1 and rec["face_size"] == 64
    assert rec["licence"]["spdx"] == "creativeml-openrail-m"
    assert out.metadata.licences[-1] == rec["licence"]


def test_a_six_channel_model_is_refused_for_pole_repair():
    with pytest.raises(InputError, match="4-channel"):
        repair_poles(_truth("a desert with rocks"), _tiny_settings(model_backend="ldm3d"))
