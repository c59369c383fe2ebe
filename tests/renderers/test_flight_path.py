"""Fly-through camera paths: keyframes hit exactly, defaults carried, orbits on their circle."""

from __future__ import annotations

import json

import numpy as np
import pytest

from renderers.flight_path import FlightPath, load_path, orbit_path
from scene.errors import InputError

DOC = {"version": 1, "keyframes": [
    {"t": 0.0, "eye": [0.0, 0.0, 0.0], "yaw": 0, "pitch": 0, "fov": 90},
    {"t": 1.5, "eye": [0.3, 0.1, -0.2], "yaw": 90, "pitch": -10},
    {"t": 4.0, "eye": [-0.1, 0.0, 0.2], "yaw": 360, "fov": 60},
]}


@pytest.mark.parametrize("interpolation", ["smooth", "linear"])
def test_the_path_passes_through_every_keyframe_exactly(interpolation):
    path = FlightPath.from_dict({**DOC, "interpolation": interpolation})
    want = [((0, 0, 0), 0, 0, 90), ((0.3, 0.1, -0.2), 90, -10, 90), ((-0.1, 0, 0.2), 360, -10, 60)]
    for kf, (eye, yaw, pitch, fov) in zip(DOC["keyframes"], want, strict=True):
        p = path.at(kf["t"])
        np.testing.assert_allclose(p.eye, eye, atol=1e-12)
        assert (p.yaw_deg, p.pitch_deg, p.fov_deg) == pytest.approx((yaw, pitch, fov), abs=1e-9)
    assert path.duration == 4.0


def test_between_keyframes_the_smooth_path_does_not_overshoot():
    path = FlightPath.from_dict(DOC)
    yaws = np.array([p.yaw_deg for p in path.sample(np.linspace(0, 4, 401))])
    assert np.all(np.diff(yaws) >= -1e-9) and yaws.min() >= 0 and yaws.max() <= 360
    mid = path.at(0.75)
    assert 0 < mid.eye[0] < 0.3 and 0 < mid.yaw_deg < 90


def test_frames_cover_the_duration_at_the_frame_rate():
    path = FlightPath.from_dict(DOC)
    t = path.frame_times(10)
    assert len(t) == path.frame_count(10) == 40
    np.testing.assert_allclose(t[:3], [0.0, 0.1, 0.2])


def test_orbit_stays_on_its_circle_looking_outwards():
    path = orbit_path(0.3, 6.0, fov_deg=70)
    for p in path.sample(np.linspace(0, 6, 97)):
        assert np.hypot(p.eye[0], p.eye[2]) == pytest.approx(0.3, rel=1e-3)
        assert p.eye[1] == 0.0 and p.fov_deg == 70
        lon = np.degrees(np.arctan2(p.eye[0], -p.eye[2])) % 360
        assert (p.yaw_deg % 360) == pytest.approx(lon, abs=0.05) or abs(p.yaw_deg - 360) < 0.05
    assert path.at(0).yaw_deg == 0 and path.at(6).yaw_deg == pytest.approx(360)


def test_a_file_round_trips_and_bad_paths_say_what_is_wrong(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps(FlightPath.from_dict(DOC).to_dict()))
    again = load_path(f)
    np.testing.assert_allclose(again.eyes, FlightPath.from_dict(DOC).eyes)
    for bad in ({"keyframes": []}, {"keyframes": [{"t": 1}, {"t": 0.5}]},
                {"keyframes": [{"t": 0}, {"t": 1, "pitch": 120}]},
                {"keyframes": [{"t": 0}, {"t": 1, "eyes": [0, 0, 0]}]},
                {"version": 9, "keyframes": [{"t": 1}]}, [1, 2]):
        with pytest.raises(InputError):
            FlightPath.from_dict(bad)
    f.write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        load_path(f)
