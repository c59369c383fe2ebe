"""Importing files into a panorama: exact distances through every format, and each refusal."""

from __future__ import annotations

import numpy as np
import OpenEXR
import pytest
from PIL import Image

import scene.importer as importer
from scene.conventions import direction_grid
from scene.errors import InputError, ResourceError
from scene.importer import (
    check_mesh_memory,
    estimate_mesh_bytes,
    fit_box,
    import_panorama,
)
from scene.testing.analytic import box_room

W, H = 128, 64


@pytest.fixture(scope="module")
def room():
    return box_room(W)


@pytest.fixture
def rgb_png(tmp_path, room):
    p = tmp_path / "pano.png"
    Image.fromarray(room.panorama.rgb).save(p)
    return p


def exact_distance(room, width=W, height=H) -> np.ndarray:
    return room.distance_of(direction_grid(width, height, np.float64))


def write_exr(path, z: np.ndarray) -> None:
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    OpenEXR.File(header, {"Z": z.astype(np.float32)}).write(str(path))


# -- formats -----------------------------------------------------------------------------------
def test_png16_millimetres_round_trip_within_half_a_millimetre(tmp_path, room, rgb_png):
    exact = exact_distance(room)
    mm = np.rint(exact * 1000).astype(np.uint16)
    Image.fromarray(mm).save(tmp_path / "depth.png")
    out = import_panorama(rgb_png, tmp_path / "depth.png")
    pano = out.panorama
    assert np.abs(pano.distance - exact).max() <= 0.0005 + 1e-6
    assert pano.raw_depth.dtype == np.uint16 and np.array_equal(pano.raw_depth, mm)
    assert pano.interpretation.kind == "distance" and pano.interpretation.scale == 0.001
    assert "depth.png" in pano.interpretation.source and "16-bit" in pano.interpretation.source
    assert pano.rgb_encoded == rgb_png.read_bytes() and pano.rgb_mime == "image/png"
    assert pano.encoded_depth() == (tmp_path / "depth.png").read_bytes()  # saved as it came
    assert out.warnings == []


def test_depth_unit_overrides_millimetres(tmp_path, rgb_png):
    Image.fromarray(np.full((H, W), 250, np.uint16)).save(tmp_path / "cm.png")
    pano = import_panorama(rgb_png, tmp_path / "cm.png", unit=0.01).panorama
    assert np.allclose(pano.distance, 2.5, rtol=1e-6, atol=0)


def test_lower_resolution_depth_is_resampled(tmp_path, rgb_png):
    Image.fromarray(np.full((H // 4, W // 4), 3250, np.uint16)).save(tmp_path / "small.png")
    pano = import_panorama(rgb_png, tmp_path / "small.png").panorama
    assert pano.raw_depth.shape == (H // 4, W // 4)
    assert pano.distance.shape == (H, W)
    assert np.allclose(pano.distance, 3.25, rtol=1e-6, atol=0)


def test_exr_and_npy_metres_are_exact(tmp_path, room, rgb_png):
    exact = exact_distance(room).astype(np.float32)
    write_exr(tmp_path / "d.exr", exact)
    np.save(tmp_path / "d.npy", exact)
    for name in ("d.exr", "d.npy"):
        pano = import_panorama(rgb_png, tmp_path / name).panorama
        assert np.array_equal(pano.distance, exact), name
        assert pano.interpretation.scale == 1.0 and "metres" in pano.interpretation.source


def test_8bit_depth_warns_about_banding(tmp_path, rgb_png):
    d = np.tile(np.arange(W, dtype=np.uint8), (H, 1))
    d[d == 0] = 1
    Image.fromarray(d).save(tmp_path / "d8.png")
    out = import_panorama(rgb_png, tmp_path / "d8.png", kind="disparity", near=1, far=10)
    assert any("8-bit" in w and "banding" in w for w in out.warnings)
    with pytest.raises(InputError, match="8-bit depth") as exc:
        import_panorama(rgb_png, tmp_path / "d8.png", kind="distance")
    assert "--depth-unit" in exc.value.hint
    pano = import_panorama(rgb_png, tmp_path / "d8.png", kind="distance", unit=0.1).panorama
    assert np.allclose(pano.distance, d * np.float32(0.1), rtol=1e-6)


def test_disparity_gives_the_formula_exactly(tmp_path, rgb_png):
    raw = np.tile(np.linspace(0, 65535, W).astype(np.uint16), (H, 1))
    Image.fromarray(raw).save(tmp_path / "disp.png")
    near, far = 0.5, 30.0
    out = import_panorama(rgb_png, tmp_path / "disp.png", kind="disparity", near=near, far=far)
    d = raw.astype(np.float64) / 65535
    expected = 1.0 / (d * (1 / near - 1 / far) + 1 / far)
    assert np.allclose(out.panorama.distance, expected, rtol=2e-6, atol=0)
    assert out.panorama.distance[0, 0] == pytest.approx(far, rel=1e-6)   # 0 -> far
    assert out.panorama.distance[0, -1] == pytest.approx(near, rel=1e-6)  # 65535 -> near
    assert not any("no absolute scale" in w for w in out.warnings)
    defaulted = import_panorama(rgb_png, tmp_path / "disp.png", kind="disparity")
    assert any("no absolute scale" in w for w in defaulted.warnings)


def test_zdepth_on_the_box_room_gives_the_radial_distances(tmp_path, room, rgb_png):
    dirs = direction_grid(W, H, np.float64)
    exact = room.distance_of(dirs)
    zdepth = exact * np.abs(dirs).max(axis=-1)  # planar depth along the cube-face axis
    np.save(tmp_path / "z.npy", zdepth.astype(np.float32))
    pano = import_panorama(rgb_png, tmp_path / "z.npy", kind="zdepth").panorama
    assert np.allclose(pano.distance, exact, rtol=2e-6, atol=0)
    assert pano.interpretation.kind == "zdepth"


def test_without_depth_the_panorama_is_flat(tmp_path, rgb_png):
    out = import_panorama(rgb_png, flat_radius=7.5, near=1.0)
    assert not out.panorama.has_depth
    assert (out.panorama.distance == 7.5).all()
    assert any("ignored without --depth" in w for w in out.warnings)


# -- invalid values ----------------------------------------------------------------------------
def test_a_minority_of_invalid_values_becomes_unknown_with_counts(tmp_path, rgb_png):
    d = np.full((H, W), 4.0, np.float32)
    d[0, :3] = np.nan
    d[1, :2] = np.inf
    d[2, 0] = -1.0
    d[3, 0] = 0.0
    np.save(tmp_path / "d.npy", d)
    out = import_panorama(rgb_png, tmp_path / "d.npy")
    (warning,) = [w for w in out.warnings if "unusable" in w]
    assert "7 of 8,192" in warning
    assert "3 NaN" in warning and "2 infinite" in warning and "1 negative" in warning
    assert "1 zero" in warning and "unknown" in warning
    dist = out.panorama.distance
    assert np.isnan(dist).sum() == 7 and np.isnan(dist[0, :3]).all() and np.isnan(dist[3, 0])
    assert (dist[~np.isnan(dist)] == 4.0).all()


def test_a_majority_of_invalid_values_needs_permission(tmp_path, rgb_png):
    d = np.full((H, W), np.nan, np.float32)
    d[:, : W // 4] = 2.0
    np.save(tmp_path / "d.npy", d)
    with pytest.raises(InputError, match=r"75\.0 %.*more than half") as exc:
        import_panorama(rgb_png, tmp_path / "d.npy")
    assert "--allow-partial-depth" in exc.value.hint
    out = import_panorama(rgb_png, tmp_path / "d.npy", allow_partial_depth=True)
    assert np.isnan(out.panorama.distance).mean() == pytest.approx(0.75)


def test_all_invalid_is_refused(tmp_path, rgb_png):
    Image.fromarray(np.zeros((H, W), np.uint16)).save(tmp_path / "zeros.png")
    with pytest.raises(InputError, match="none of its 8,192 depth values is usable"):
        import_panorama(rgb_png, tmp_path / "zeros.png", allow_partial_depth=True)


# -- shapes ------------------------------------------------------------------------------------
def test_not_2_to_1_is_refused_with_the_fit_options(tmp_path):
    Image.fromarray(np.zeros((40, 100, 3), np.uint8)).save(tmp_path / "wide.png")
    with pytest.raises(InputError, match="100x40, not 2:1") as exc:
        import_panorama(tmp_path / "wide.png")
    assert "--fit pad" in exc.value.hint and "--fit crop" in exc.value.hint


def test_fit_pad_pads_rgb_and_depth_consistently(tmp_path):
    rgb = np.full((32, 96, 3), 200, np.uint8)  # 3:1, spans 360 degrees horizontally
    Image.fromarray(rgb).save(tmp_path / "band.png")
    Image.fromarray(np.full((16, 48), 5000, np.uint16)).save(tmp_path / "band_d.png")
    out = import_panorama(tmp_path / "band.png", tmp_path / "band_d.png", fit="pad")
    pano = out.panorama
    assert pano.rgb.shape == (48, 96, 3)
    assert (pano.rgb[:8] == 0).all() and (pano.rgb[-8:] == 0).all() and (pano.rgb[8:40] == 200).all()
    assert pano.rgb_encoded is None
    assert pano.encoded_depth() is None  # padded: the file's bytes are not this depth
    raw = pano.raw_depth
    assert raw.shape == (24, 48) and raw.dtype == np.float32
    assert np.isnan(raw[:4]).all() and np.isnan(raw[-4:]).all() and (raw[4:20] == 5000).all()
    assert np.allclose(pano.distance[12:36], 5.0)
    assert not any("360 degrees" in w for w in out.warnings)  # the width did not change


def test_fit_crop_keeps_the_centre(tmp_path):
    rgb = np.zeros((80, 100, 3), np.uint8)
    rgb[15:65] = 255
    Image.fromarray(rgb).save(tmp_path / "tall.png")
    pano = import_panorama(tmp_path / "tall.png", fit="crop").panorama
    assert pano.rgb.shape == (50, 100, 3) and (pano.rgb == 255).all()


def test_fit_box():
    assert fit_box(96, 32, "pad") == (96, 48, 0, 8)
    assert fit_box(100, 80, "pad") == (160, 80, 30, 0)
    assert fit_box(101, 40, "pad") == (102, 51, 0, 5)
    assert fit_box(100, 80, "crop") == (100, 50, 0, -15)
    assert fit_box(300, 100, "crop") == (200, 100, -50, 0)


def test_depth_aspect_must_match(tmp_path, rgb_png):
    Image.fromarray(np.full((32, 48), 1000, np.uint16)).save(tmp_path / "other.png")
    with pytest.raises(InputError, match="aspects differ"):
        import_panorama(rgb_png, tmp_path / "other.png")
    Image.fromarray(np.full((2 * H, 2 * W), 1000, np.uint16)).save(tmp_path / "big.png")
    with pytest.raises(InputError, match="larger than the panorama"):
        import_panorama(rgb_png, tmp_path / "big.png")


# -- size and memory ---------------------------------------------------------------------------
def test_mesh_memory_estimate():
    assert estimate_mesh_bytes(4, 2) == 5 * 2 * 20 + 2 * 4 * 2 * 12
    assert estimate_mesh_bytes(4096, 2048) == 4097 * 2048 * 20 + 2 * 4096 * 2048 * 12


def test_too_large_to_mesh_suggests_a_downsample_that_fits():
    available = 200 * 2**20
    with pytest.raises(ResourceError, match="too large to mesh") as exc:
        check_mesh_memory(8192, 4096, available=available)
    factor = int(exc.value.hint.split("--downsample ")[1].split()[0])
    budget = importer.MESH_MEMORY_FRACTION * available
    assert estimate_mesh_bytes(8192 // factor, 4096 // factor) <= budget
    assert estimate_mesh_bytes(8192 // (factor - 1), 4096 // (factor - 1)) > budget
    check_mesh_memory(1024, 512, available=available)  # fits: no error


def test_import_refuses_then_downsample_fits(tmp_path, rgb_png, monkeypatch):
    need = estimate_mesh_bytes(W, H)
    monkeypatch.setattr(importer, "available_memory_bytes", lambda: need)  # budget = need / 2
    with pytest.raises(ResourceError) as exc:
        import_panorama(rgb_png)
    assert "--downsample 2" in exc.value.hint
    out = import_panorama(rgb_png, downsample=2)
    assert out.panorama.rgb.shape == (H // 2, W // 2, 3)


def test_downsample_averages_rgb_and_samples_raw_depth(tmp_path):
    rgb = np.zeros((32, 64, 3), np.uint8)
    rgb[:, ::2] = 100  # 2x2 blocks average to 50 exactly
    Image.fromarray(rgb).save(tmp_path / "stripes.png")
    depth = np.arange(32 * 64, dtype=np.uint16).reshape(32, 64) + 1
    Image.fromarray(depth).save(tmp_path / "d.png")
    pano = import_panorama(tmp_path / "stripes.png", tmp_path / "d.png", downsample=2).panorama
    assert pano.rgb.shape == (16, 32, 3) and (pano.rgb == 50).all()
    assert pano.rgb_encoded is None
    assert pano.raw_depth.dtype == np.uint16 and pano.raw_depth.shape == (16, 32)
    assert np.isin(pano.raw_depth, depth).all()  # raw values sampled, never blended


@pytest.mark.parametrize("kwargs, match", [
    ({"fit": "stretch"}, "unknown --fit"),
    ({"downsample": 0}, "--downsample"),
    ({"flat_radius": -1.0}, "flat radius"),
])
def test_bad_options(rgb_png, kwargs, match):
    with pytest.raises(InputError, match=match):
        import_panorama(rgb_png, **kwargs)


def test_bad_depth_options(tmp_path, rgb_png):
    Image.fromarray(np.full((H, W), 1000, np.uint16)).save(tmp_path / "d.png")
    with pytest.raises(InputError, match="near"):
        import_panorama(rgb_png, tmp_path / "d.png", kind="disparity", near=50, far=10)
    with pytest.raises(InputError, match="--depth-unit must be a positive"):
        import_panorama(rgb_png, tmp_path / "d.png", unit=0)
