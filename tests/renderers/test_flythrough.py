"""Fly-through videos: the file decodes with the right frames, size and duration, a frame is
the offscreen render of its pose, a 360° frame from the capture point is the panorama, and a
cancel or Ctrl+C leaves no file behind."""

from __future__ import annotations

import struct
import threading

import av
import numpy as np
import pytest

from renderers.flight_path import FlightPath, orbit_path
from renderers.flythrough import CubeToEquirect, render_flythrough
from renderers.offscreen import render_view
from scene.errors import CancelledError
from scene.mesh import build_depth_mesh
from scene.testing.analytic import box_room

pytestmark = pytest.mark.gl


def psnr(a, b) -> float:
    mse = np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2)
    return float(10 * np.log10(255.0 ** 2 / max(mse, 1e-12)))


@pytest.fixture(scope="module")
def room():
    r = box_room(256)
    return r.panorama, build_depth_mesh(r.panorama)


def decode(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        info = {"codec": s.codec_context.name, "size": (s.width, s.height),
                "duration": float(c.duration / av.time_base), "rate": float(s.average_rate)}
        frames = list(c.decode(video=0))
        info["frames"] = [f.to_ndarray(format="rgb24") for f in frames]
        # what FFmpeg's demuxer found in the Spherical Video V2 boxes (first uint32: the
        # projection, 0 = equirectangular)
        info["spherical"] = [struct.unpack("=I", bytes(sd)[:4])[0]
                             for sd in frames[0].side_data if sd.type.name == "SPHERICAL"]
    return info


def test_video_has_the_frames_size_and_duration_and_matches_the_renders(tmp_path, room):
    pano, mesh = room
    path = FlightPath.from_dict({"keyframes": [
        {"t": 0, "eye": [0, 0, 0], "yaw": -30, "fov": 80},
        {"t": 1.2, "eye": [0.3, 0, -0.1], "yaw": 40, "pitch": -15}]})
    seen = []
    out = tmp_path / "tour.mp4"
    info = render_flythrough(pano, mesh, path, out, size=(160, 96), fps=10,
                             on_progress=lambda i, n: seen.append((i, n)))
    assert info.frames == 12 and seen[-1] == (12, 12) and len(seen) == 12
    v = decode(out)
    assert v["codec"] == "h264" and v["size"] == (160, 96) and len(v["frames"]) == 12
    assert v["spherical"] == []  # a perspective video is not marked as 360°
    assert v["duration"] == pytest.approx(1.2, abs=1e-3) and v["rate"] == pytest.approx(10)
    times = path.frame_times(10)
    for k in (0, 7, 11):
        pose = path.at(times[k])
        ref = render_view(pano, mesh, yaw_deg=pose.yaw_deg, pitch_deg=pose.pitch_deg,
                          fov_deg=pose.fov_deg, eye=pose.eye, size=(160, 96))
        assert psnr(v["frames"][k], ref) > 30
    # ... and not the render of another pose (the frames do follow the path).
    assert psnr(v["frames"][0], v["frames"][11]) < 20


def test_a_360_frame_from_the_capture_point_is_the_panorama(tmp_path, room):
    pano, mesh = room
    out = tmp_path / "360.mp4"
    path = FlightPath([0.0, 0.2], [[0, 0, 0], [0, 0, 0]], [0, 0], [0, 0], [90, 90])
    info = render_flythrough(pano, mesh, path, out, size=(256, 128), fps=10, equirect=True)
    v = decode(out)
    assert info.equirect and v["size"] == (256, 128) and len(v["frames"]) == 2
    assert v["spherical"] == [0]  # YouTube and VR players see an equirectangular 360° video
    want = pano.rgb
    frame = v["frames"][0]
    # Away from the poles (where a 64-pixel face is coarse) the frame is the panorama.
    band = slice(16, 112)
    assert psnr(frame[band], want[band]) > 25
    # The frame is centred on the path's yaw: turned 90 degrees it is the panorama rolled.
    turned = tmp_path / "turned.mp4"
    path90 = FlightPath([0.0, 0.2], [[0, 0, 0], [0, 0, 0]], [90, 90], [0, 0], [90, 90])
    render_flythrough(pano, mesh, path90, turned, size=(256, 128), fps=10, equirect=True)
    f90 = decode(turned)["frames"][0]
    assert psnr(f90[band], np.roll(want, -64, axis=1)[band]) > 25
    assert psnr(f90[band], want[band]) < psnr(f90[band], np.roll(want, -64, axis=1)[band]) - 5


def test_cube_to_equirect_puts_each_face_where_it_looks():
    n = 8
    faces = [np.full((n, n, 3), 40 * i, np.uint8) for i in range(6)]
    eq = CubeToEquirect(64, 32, n)(faces)
    assert eq[16, 32].tolist() == [0] * 3       # centre: front (-Z)
    assert eq[16, 48].tolist() == [40] * 3      # lon +90: right (+X)
    assert eq[16, 0].tolist() == [80] * 3       # lon -180: back
    assert eq[16, 16].tolist() == [120] * 3     # lon -90: left
    assert eq[0, 10].tolist() == [160] * 3 and eq[31, 10].tolist() == [200] * 3


def _left_behind(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("how", ["cancel", "interrupt"])
def test_cancel_or_ctrl_c_leaves_no_file(tmp_path, room, how):
    pano, mesh = room
    out = tmp_path / "tour.mp4"
    cancel = threading.Event()

    def progress(i, n):
        if i == 3:
            if how == "cancel":
                cancel.set()
            else:
                raise KeyboardInterrupt

    with pytest.raises(CancelledError if how == "cancel" else KeyboardInterrupt):
        render_flythrough(pano, mesh, orbit_path(0.2, 1.0), out, size=(64, 48), fps=10,
                          on_progress=progress, cancel=cancel)
    assert _left_behind(tmp_path) == []
    # An earlier video at the path is kept as it was.
    out.write_bytes(b"earlier")
    cancel.clear()
    with pytest.raises(CancelledError if how == "cancel" else KeyboardInterrupt):
        render_flythrough(pano, mesh, orbit_path(0.2, 1.0), out, size=(64, 48), fps=10,
                          on_progress=progress, cancel=cancel)
    assert _left_behind(tmp_path) == ["tour.mp4"] and out.read_bytes() == b"earlier"
