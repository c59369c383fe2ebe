"""360° video files carry the Spherical Video V2 boxes, read back by FFmpeg's own demuxer
(through PyAV): the decoded frames come with equirectangular spherical side data."""

from __future__ import annotations

import struct

import av
import numpy as np
import pytest

from renderers.spherical_metadata import (
    SphericalError,
    find_boxes,
    inject_equirect,
    spherical_boxes,
)
from renderers.video_file import VideoWriter
from scene.errors import InputError

#: FFmpeg's AVSphericalProjection value for a full equirectangular sphere.
AV_SPHERICAL_EQUIRECTANGULAR = 0
#: AVStereo3DType: 2D (monoscopic).
AV_STEREO3D_2D = 0


def _frames(n=6, size=(128, 64)):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8) for _ in range(n)]


def _write(path, spherical, frames):
    with VideoWriter(path, (frames[0].shape[1], frames[0].shape[0]), 10,
                     spherical=spherical) as v:
        for f in frames:
            v.write(f)


def read_back(path):
    """(decoded rgb frames, {side data type name: first 4 ints}) of the first frame."""
    with av.open(str(path)) as c:
        frames = list(c.decode(video=0))
        side = {sd.type.name: struct.unpack("=4i", bytes(sd)[:16]) for sd in frames[0].side_data
                if sd.type.name in ("SPHERICAL", "STEREO3D")}
        return [f.to_ndarray(format="rgb24") for f in frames], side


def _tree(data, start, end, depth=0, out=None):
    """Every box of the file, walking the containers down to the sample entry's children."""
    out = [] if out is None else out
    for kind, off, head, size in find_boxes(data, start, end):
        out.append((depth, kind, size))
        body = off + head
        if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"sv3d", b"proj"):
            _tree(data, body, off + size, depth + 1, out)
        elif kind == b"stsd":
            _tree(data, body + 8, off + size, depth + 1, out)
        elif kind == b"avc1":
            _tree(data, body + 78, off + size, depth + 1, out)
    return out


@pytest.mark.parametrize("suffix", [".mp4", ".mov"])
def test_360_file_says_equirectangular_and_decodes_like_the_plain_one(tmp_path, suffix):
    frames = _frames()
    sph, plain = tmp_path / f"s{suffix}", tmp_path / f"p{suffix}"
    _write(sph, True, frames)
    _write(plain, False, frames)
    got, side = read_back(sph)
    assert side["SPHERICAL"][0] == AV_SPHERICAL_EQUIRECTANGULAR
    assert side["SPHERICAL"][1:] == (0, 0, 0)  # yaw, pitch, roll
    assert side["STEREO3D"][0] == AV_STEREO3D_2D
    ref, side_plain = read_back(plain)
    assert side_plain == {}  # the ordinary video carries none
    assert len(got) == len(ref) == len(frames)
    assert all(np.array_equal(a, b) for a, b in zip(got, ref, strict=True))
    # the boxes sit in the video sample entry; every size on the way adds up
    data = sph.read_bytes()
    tree = _tree(data, 0, len(data))
    kinds = [k for _, k, _ in tree]
    assert kinds.index(b"avc1") < kinds.index(b"st3d") < kinds.index(b"sv3d")
    assert [k for _, k, _ in tree if k in (b"svhd", b"prhd", b"equi")] == [b"svhd", b"prhd",
                                                                           b"equi"]
    assert len(data) == len(plain.read_bytes()) + len(spherical_boxes())


def test_moov_before_mdat_is_moved_and_the_chunks_still_play(tmp_path):
    """A fast-start file (moov first): the old moov becomes a free box, mdat stays put."""
    frames = _frames(4)
    name = str(tmp_path / "fast.mp4")
    c = av.open(name, mode="w", format="mp4", options={"movflags": "faststart"})
    s = c.add_stream("libx264", rate=10)
    s.width, s.height, s.pix_fmt = 128, 64, "yuv420p"
    for i, f in enumerate(frames):
        vf = av.VideoFrame.from_ndarray(f, format="rgb24")
        vf.pts = i
        for p in s.encode(vf):
            c.mux(p)
    for p in s.encode(None):
        c.mux(p)
    c.close()
    top = [k for k, *_ in find_boxes(open(name, "rb").read())]
    assert top.index(b"moov") < top.index(b"mdat")
    before, _ = read_back(name)
    with open(name, "r+b") as fh:
        inject_equirect(fh)
    top = [k for k, *_ in find_boxes(open(name, "rb").read())]
    assert top[-1] == b"moov" and b"free" in top
    got, side = read_back(name)
    assert side["SPHERICAL"][0] == AV_SPHERICAL_EQUIRECTANGULAR
    assert all(np.array_equal(a, b) for a, b in zip(got, before, strict=True))


def test_twice_or_not_a_video_is_refused(tmp_path):
    sph = tmp_path / "s.mp4"
    _write(sph, True, _frames(2))
    with open(sph, "r+b") as fh, pytest.raises(SphericalError, match="already"):
        inject_equirect(fh)
    junk = tmp_path / "j.mp4"
    junk.write_bytes(struct.pack(">I4s", 16, b"ftyp") + b"isom\0\0\0\0")
    with open(junk, "r+b") as fh, pytest.raises(SphericalError, match="no moov"):
        inject_equirect(fh)


def test_matroska_360_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(InputError, match=r"\.mp4 and \.mov") as err:
        VideoWriter(tmp_path / "t.mkv", (128, 64), 10, spherical=True)
    assert "-o tour360.mp4" in err.value.hint
    assert list(tmp_path.iterdir()) == []
