"""Reading RGB and depth files: exact pixels, kept bytes only when exact, clear refusals."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import OpenEXR
import pytest
from PIL import Image

from scene.errors import InputError
from scene.imageio import linear_to_srgb8, png_header, read_depth, read_rgb

RNG = np.random.default_rng(3)
RGB = RNG.integers(0, 256, (16, 32, 3), dtype=np.uint8)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png16_rgb(values: np.ndarray) -> bytes:
    """A 16-bit RGB PNG (Pillow cannot write one), rows unfiltered."""
    h, w, _ = values.shape
    rows = values.astype(">u2").reshape(h, w * 3)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(raw)) + _png_chunk(b"IEND", b""))


def write_exr(path, channels: dict) -> None:
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    OpenEXR.File(header, channels).write(str(path))


# -- RGB -------------------------------------------------------------------------------------
def test_rgb_png_keeps_its_bytes(tmp_path):
    p = tmp_path / "pano.png"
    Image.fromarray(RGB).save(p)
    loaded = read_rgb(p)
    assert np.array_equal(loaded.rgb, RGB)
    assert loaded.encoded == p.read_bytes()
    assert loaded.mime == "image/png"
    assert loaded.notes == []


def test_rgb_jpeg_keeps_its_bytes_and_decodes_to_them(tmp_path):
    p = tmp_path / "pano.jpg"
    Image.fromarray(RGB).save(p, quality=90)
    loaded = read_rgb(p)
    assert loaded.mime == "image/jpeg"
    assert loaded.encoded == p.read_bytes()
    assert np.array_equal(loaded.rgb, np.asarray(Image.open(io.BytesIO(loaded.encoded))))


@pytest.mark.parametrize("mode, note", [("RGBA", "alpha"), ("L", "greyscale"), ("P", None)])
def test_rgb_conversions_drop_the_bytes(tmp_path, mode, note):
    p = tmp_path / "pano.png"
    src = Image.fromarray(RGB).convert(mode)
    src.save(p)
    loaded = read_rgb(p)
    assert loaded.encoded is None and loaded.mime == ""
    assert loaded.rgb.shape == (16, 32, 3) and loaded.rgb.dtype == np.uint8
    assert np.array_equal(loaded.rgb, np.asarray(src.convert("RGB")))
    if note:
        assert any(note in n for n in loaded.notes)


def test_rgb_16bit_png_keeps_the_high_byte(tmp_path):
    values = RNG.integers(0, 65536, (4, 8, 3)).astype(np.uint16)
    p = tmp_path / "deep.png"
    p.write_bytes(png16_rgb(values))
    loaded = read_rgb(p)
    assert loaded.encoded is None
    assert np.array_equal(loaded.rgb, (values >> 8).astype(np.uint8))
    assert any("16-bit" in n for n in loaded.notes)


def test_rgb_webp_lossless(tmp_path):
    p = tmp_path / "pano.webp"
    Image.fromarray(RGB).save(p, lossless=True)
    loaded = read_rgb(p)
    assert np.array_equal(loaded.rgb, RGB)
    assert loaded.encoded is None  # WebP cannot be embedded in a GLB: never kept


def test_linear_to_srgb_known_values():
    lin = np.array([[[0.0, 1.0, 0.5], [0.001, 2.0, -1.0], [np.nan, 0.0031308, 0.2158605]]],
                   dtype=np.float32)
    rgb, clipped = linear_to_srgb8(lin)
    # 0.5 -> 1.055 * 0.5**(1/2.4) - 0.055 = 0.7354 -> 187.5 -> 188; 0.001 -> 12.92e-3 * 255 = 3.3
    # 0.0031308 -> 0.04045 * 255 = 10.3; 0.2158605 -> 0.50199 -> 128.0
    assert rgb.tolist() == [[[0, 255, 188], [3, 255, 0], [0, 10, 128]]]
    assert clipped == 1


def test_rgb_exr_is_clipped_to_srgb(tmp_path):
    p = tmp_path / "pano.exr"
    r = np.full((4, 8), 0.5, np.float32)
    g = np.full((4, 8), 2.0, np.float32)
    b = np.zeros((4, 8), np.float32)
    write_exr(p, {"R": r, "G": g, "B": b})
    loaded = read_rgb(p)
    assert loaded.rgb.shape == (4, 8, 3)
    assert (loaded.rgb == np.array([188, 255, 0], np.uint8)).all()
    assert loaded.encoded is None
    assert any("clipping" in n for n in loaded.notes)
    assert any("32 pixels" in n for n in loaded.notes)


# -- depth -----------------------------------------------------------------------------------
def test_depth_png16_values_untouched(tmp_path):
    d = RNG.integers(0, 65536, (8, 16)).astype(np.uint16)
    p = tmp_path / "d.png"
    Image.fromarray(d).save(p)
    loaded = read_depth(p)
    assert loaded.raw.dtype == np.uint16 and np.array_equal(loaded.raw, d)
    assert loaded.bit_depth == 16 and not loaded.is_float
    assert loaded.suggested.kind == "distance" and loaded.suggested.scale == 0.001
    assert loaded.suggested.invalid_zero
    assert "d.png" in loaded.suggested.source and "16-bit" in loaded.suggested.source
    assert loaded.encoded == p.read_bytes()  # a greyscale PNG keeps its own bytes


def test_depth_png8_and_grey_rgb(tmp_path):
    d = RNG.integers(0, 256, (8, 16)).astype(np.uint8)
    Image.fromarray(d).save(tmp_path / "d8.png")
    loaded = read_depth(tmp_path / "d8.png")
    assert loaded.raw.dtype == np.uint8 and np.array_equal(loaded.raw, d)
    assert loaded.bit_depth == 8 and loaded.suggested.kind == "disparity"
    assert loaded.encoded == (tmp_path / "d8.png").read_bytes()
    Image.fromarray(np.repeat(d[..., None], 3, -1)).save(tmp_path / "grey_rgb.png")
    grey_rgb = read_depth(tmp_path / "grey_rgb.png")
    assert np.array_equal(grey_rgb.raw, d)
    assert grey_rgb.encoded is None  # its bytes are an RGB image, not the greyscale raw


def test_depth_colour_png_refused(tmp_path):
    Image.fromarray(RGB).save(tmp_path / "colour.png")
    with pytest.raises(InputError, match="colour image"):
        read_depth(tmp_path / "colour.png")


def test_depth_exr_picks_the_depth_channel(tmp_path):
    z = RNG.uniform(0.5, 20, (8, 16)).astype(np.float32)
    p = tmp_path / "d.exr"
    ones = np.ones((8, 16), np.float32)
    write_exr(p, {"R": ones, "G": ones, "B": ones, "Z": z})
    loaded = read_depth(p)
    assert loaded.raw.dtype == np.float32 and np.array_equal(loaded.raw, z)
    assert loaded.is_float and loaded.bit_depth == 32
    assert loaded.suggested.kind == "distance" and loaded.suggested.scale == 1.0
    assert "[Z]" in loaded.suggested.source


def test_depth_exr_half_single_channel(tmp_path):
    z = RNG.uniform(0.5, 20, (8, 16)).astype(np.float16)
    write_exr(tmp_path / "h.exr", {"Y": z})
    loaded = read_depth(tmp_path / "h.exr")
    assert loaded.raw.dtype == np.float32 and loaded.bit_depth == 16
    assert np.array_equal(loaded.raw, z.astype(np.float32))


def test_depth_exr_without_a_depth_channel(tmp_path):
    ones = np.ones((4, 8), np.float32)
    write_exr(tmp_path / "x.exr", {"foo": ones, "bar": ones})
    with pytest.raises(InputError, match="cannot tell which channel") as exc:
        read_depth(tmp_path / "x.exr")
    assert "bar, foo" in exc.value.message


def test_depth_npy(tmp_path):
    d = RNG.uniform(0, 9, (8, 16))
    np.save(tmp_path / "d.npy", d)
    loaded = read_depth(tmp_path / "d.npy")
    assert loaded.raw.dtype == np.float64 and np.array_equal(loaded.raw, d)
    np.save(tmp_path / "d3.npy", d[..., None].astype(np.float32))
    assert read_depth(tmp_path / "d3.npy").raw.shape == (8, 16)


@pytest.mark.parametrize("array, match", [
    (np.zeros((2, 4, 3), np.float32), "2-D array"),
    (np.array([[{"a": 1}]], dtype=object), "not a readable"),
])
def test_depth_npy_refusals(tmp_path, array, match):
    np.save(tmp_path / "bad.npy", array, allow_pickle=True)
    with pytest.raises(InputError, match=match):
        read_depth(tmp_path / "bad.npy")


# -- refusals --------------------------------------------------------------------------------
def test_damaged_files_are_refused_with_a_hint(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(RGB).save(good)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:60])
    for reader in (read_rgb, read_depth):
        with pytest.raises(InputError, match="not a readable") as exc:
            reader(cut)
        assert "damaged" in exc.value.hint
    (tmp_path / "junk.exr").write_bytes(b"not an exr" * 10)
    with pytest.raises(InputError, match="not a readable OpenEXR"):
        read_depth(tmp_path / "junk.exr")


@pytest.mark.parametrize("name, reader, match", [
    ("pano.bmp", read_rgb, "unknown panorama file type '.bmp'"),
    ("depth.jpg", read_depth, "unknown depth map file type '.jpg'"),
    ("missing.png", read_rgb, "does not exist"),
    ("missing.exr", read_depth, "does not exist"),
])
def test_unknown_or_missing(tmp_path, name, reader, match):
    if "missing" not in name:
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(InputError, match=match) as exc:
        reader(tmp_path / name)
    assert exc.value.hint


def test_png_header():
    buf = io.BytesIO()
    Image.fromarray(np.zeros((3, 5), np.uint16)).save(buf, format="PNG")
    assert png_header(buf.getvalue()) == (5, 3, 16, 0)
    assert png_header(b"GIF89a" + bytes(40)) is None
