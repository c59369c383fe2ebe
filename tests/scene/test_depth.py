"""Depth interpretation: the formulas, the unknowns, the metric clip range, serialisation."""

from __future__ import annotations

import numpy as np
import pytest

from scene.depth import DepthInterpretation, to_distance
from scene.errors import InputError
from scene.mesh import build_depth_mesh
from scene.mesh_settings import MeshSettings
from scene.testing.analytic import box_room


def test_disparity_formula_and_its_ends():
    interp = DepthInterpretation("disparity", near=2.0, far=50.0, scale=1 / 65535)
    raw = np.array([[65535, 0, 32768]], dtype=np.uint16)
    d = to_distance(raw, interp)
    assert d[0, 0] == pytest.approx(2.0, rel=1e-6)
    assert d[0, 1] == pytest.approx(50.0, rel=1e-6)
    x = 32768 / 65535
    assert d[0, 2] == pytest.approx(1 / (x * (1 / 2 - 1 / 50) + 1 / 50), rel=1e-6)


def test_unknowns_become_nan_and_never_negative():
    interp = DepthInterpretation("distance", invalid_zero=True)
    raw = np.array([[0.0, -1.0, np.inf, np.nan, 2.5]], dtype=np.float32)
    d = to_distance(raw, interp)
    assert np.isnan(d[0, :4]).all() and d[0, 4] == 2.5


def test_metric_clip_clamps_distances_but_keeps_unknowns():
    interp = DepthInterpretation("distance", clip=(1.0, 5.0))
    raw = np.array([[0.5, 3.0, 9.0, np.nan]], dtype=np.float32)
    d = to_distance(raw, interp)
    assert d[0, :3].tolist() == [1.0, 3.0, 5.0] and np.isnan(d[0, 3])


def test_clip_does_not_touch_disparity():
    a = DepthInterpretation("disparity", near=1, far=40, scale=1 / 255)
    b = a.with_(clip=(2.0, 3.0))
    raw = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert np.array_equal(to_distance(raw, a), to_distance(raw, b))


@pytest.mark.parametrize("clip", [(0.0, 1.0), (3.0, 2.0), (1.0, float("inf"))])
def test_bad_clip_ranges_are_refused(clip):
    with pytest.raises(InputError, match="clip range"):
        DepthInterpretation("distance", clip=clip)


def test_round_trip_through_json_types():
    interp = DepthInterpretation("zdepth", scale=0.001, invalid_zero=True, source="x", clip=(0.5, 9))
    data = interp.to_dict()
    assert data["clip"] == [0.5, 9.0]
    assert DepthInterpretation.from_dict(data) == interp
    assert DepthInterpretation.from_dict({"kind": "distance"}).clip is None


def test_a_clipped_interpretation_reaches_the_mesh():
    room = box_room(128).panorama
    far = float(np.nanmax(room.distance))
    clipped = room.with_interpretation(room.interpretation.with_(clip=(0.5, far / 2)))
    mesh = build_depth_mesh(clipped, MeshSettings(cut_threshold=float("inf")))
    assert mesh.distances().max() == pytest.approx(far / 2, rel=1e-5)
