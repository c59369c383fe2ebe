"""Flat image export (RGB PNG, 16-bit mm depth + JSON, float32 EXR) and the EXR helpers."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import OpenEXR
import pytest
from PIL import Image

from scene.depth import DepthInterpretation
from scene.errors import InputError
from scene.export_images import MAX_DEPTH_MM, distance_to_mm, write_images
from scene.exr import exr_size, read_exr, read_exr_channels, write_exr
from scene.panorama import RGBDPanorama
from scene.testing.analytic import box_room, ground_plane


def test_writes_four_files_that_round_trip(tmp_path):
    pano = box_room(128).panorama
    files = write_images(tmp_path / "out", pano, stem="room")
    assert [f.name for f in files] == ["room.png", "room_depth.png", "room_depth.json",
                                       "room_distance.exr"]
    rgb = Image.open(files[0])
    assert rgb.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(rgb), pano.rgb)

    depth = Image.open(files[1])
    assert depth.mode == "I;16" and depth.size == (pano.width, pano.height)
    mm = np.asarray(depth)
    assert mm.dtype == np.uint16
    np.testing.assert_array_equal(mm, np.rint(pano.distance * 1000).astype(np.uint16))
    # millimetre precision: the file gives back metres within half a millimetre
    assert np.abs(mm * 0.001 - pano.distance).max() <= 0.0005 + 1e-6

    side = json.loads(files[2].read_text())
    assert side["kind"] == "distance" and side["unit"] == "mm" and side["scale"] == 0.001
    assert side["zero"].startswith("unknown")
    lo, hi = pano.depth_range()
    assert side["near"] == pytest.approx(lo, abs=1e-6) and side["far"] == pytest.approx(hi, abs=1e-6)
    assert side["clamped"] is False and side["unknown_pixels"] == 0
    assert side["source"]["interpretation"]["kind"] == "distance"
    assert side["file"] == "room_depth.png" and side["exr"]["file"] == "room_distance.exr"

    dist = read_exr(files[3])
    assert dist.dtype == np.float32
    np.testing.assert_array_equal(dist, pano.distance)
    header = OpenEXR.File(str(files[3]), header_only=True).header()
    assert "metres" in header["comments"]


def test_unknown_depth_is_zero_in_png_and_nan_in_exr(tmp_path):
    pano = ground_plane(64).panorama  # the sky is unknown
    unknown = np.isnan(pano.distance)
    assert unknown.any() and not unknown.all()
    files = write_images(tmp_path, pano)
    mm = np.asarray(Image.open(files[1]))
    assert (mm[unknown] == 0).all() and (mm[~unknown] > 0).all()
    side = json.loads(files[2].read_text())
    assert side["unknown_pixels"] == int(unknown.sum())
    np.testing.assert_array_equal(np.isnan(read_exr(files[3])), unknown)


def test_far_depth_is_clamped_and_said_so(tmp_path):
    rgb = np.zeros((8, 16, 3), np.uint8)
    dist = np.full((8, 16), 5.0, np.float32)
    dist[0, :4] = 100.0  # beyond 65.535 m
    dist[1, 0] = 0.0002  # would round to 0 (= unknown)
    pano = RGBDPanorama(rgb, dist, DepthInterpretation("distance"))
    files = write_images(tmp_path, pano)
    mm = np.asarray(Image.open(files[1]))
    assert (mm[0, :4] == MAX_DEPTH_MM).all() and mm[1, 0] == 1 and mm[2, 2] == 5000
    side = json.loads(files[2].read_text())
    assert side["clamped"] is True
    assert side["clamped_far_pixels"] == 4 and side["clamped_near_pixels"] == 1
    assert any("65.535" in note for note in side["notes"])
    assert side["far"] == 100.0
    assert read_exr(files[3])[0, 0] == 100.0  # the EXR keeps the true distance


def test_distance_to_mm_counts():
    d = np.array([[np.nan, -1.0, 0.0004, 1.2345, 70.0]], np.float32)
    mm, counts = distance_to_mm(d)
    np.testing.assert_array_equal(mm, [[0, 0, 1, 1234, 65535]])  # 1234.5 rounds to even
    assert counts == {"unknown": 2, "clamped_far": 1, "clamped_near": 1}


def test_png_bytes_of_the_panorama_are_written_unchanged(tmp_path):
    pano = box_room(64).panorama
    buf = io.BytesIO()
    Image.fromarray(pano.rgb).save(buf, format="PNG", compress_level=9)
    carrying = replace(pano, rgb_encoded=buf.getvalue(), rgb_mime="image/png")
    files = write_images(tmp_path, carrying)
    assert files[0].read_bytes() == buf.getvalue()


def test_panorama_without_depth_gets_only_colour(tmp_path):
    pano = RGBDPanorama(np.full((8, 16, 3), 7, np.uint8))
    files = write_images(tmp_path, pano)
    assert [f.name for f in files] == ["panorama.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["panorama.png"]


def test_bad_stem_is_refused(tmp_path):
    pano = RGBDPanorama(np.zeros((8, 16, 3), np.uint8))
    with pytest.raises(InputError):
        write_images(tmp_path, pano, stem="../escape")


# -- the EXR helpers -----------------------------------------------------------------------

def test_exr_round_trips_one_three_and_four_channels(tmp_path):
    rng = np.random.default_rng(1)
    one = rng.random((6, 10)).astype(np.float32)
    one[1, 2], one[3, 4] = np.nan, np.inf
    write_exr(tmp_path / "one.exr", one)
    got = read_exr(tmp_path / "one.exr")
    assert got.shape == (6, 10) and got.dtype == np.float32
    np.testing.assert_array_equal(got, one)
    for c in (3, 4):
        arr = rng.random((6, 10, c)).astype(np.float32)
        write_exr(tmp_path / f"c{c}.exr", arr)
        np.testing.assert_array_equal(read_exr(tmp_path / f"c{c}.exr"), arr)
        names = OpenEXR.File(str(tmp_path / f"c{c}.exr"), header_only=True).header()["channels"]
        assert sorted(ch.name for ch in names) == sorted("RGBA"[:c])


def test_exr_reads_half_channels_from_other_tools(tmp_path):
    half = (np.arange(12, dtype=np.float32).reshape(3, 4) / 4).astype(np.float16)
    OpenEXR.File({"type": OpenEXR.scanlineimage}, {"Z": half}).write(str(tmp_path / "h.exr"))
    got = read_exr(tmp_path / "h.exr")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, half.astype(np.float32))
    planes = read_exr_channels(tmp_path / "h.exr")  # the stored dtype, for the importer
    assert list(planes) == ["Z"] and planes["Z"].dtype == np.float16
    np.testing.assert_array_equal(planes["Z"], half)
    assert exr_size(tmp_path / "h.exr") == (4, 3)


def test_exr_errors_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_exr(tmp_path / "missing.exr")
    (tmp_path / "fake.exr").write_bytes(b"\x89PNG not an exr")
    with pytest.raises(InputError, match="not a readable OpenEXR file: it does not start"):
        read_exr(tmp_path / "fake.exr")
    (tmp_path / "cut.exr").write_bytes(b"\x76\x2f\x31\x01" + b"\0" * 20)
    for reader in (read_exr, exr_size):
        with pytest.raises(InputError, match="not a readable OpenEXR") as exc:
            reader(tmp_path / "cut.exr")
        assert "damaged" in exc.value.hint
    with pytest.raises(InputError):
        write_exr(tmp_path / "bad.exr", np.zeros(5, np.float32))
