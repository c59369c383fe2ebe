"""The depth panel's near/far rule, in one home: disparity mapping or metric clip."""

from __future__ import annotations

import numpy as np
import pytest

from scene.depth import DepthInterpretation
from scene.errors import InputError
from scene.panorama import RGBDPanorama


def _pano(raw: np.ndarray, interp: DepthInterpretation | None) -> RGBDPanorama:
    h, w = raw.shape
    return RGBDPanorama(np.zeros((h, w, 3), np.uint8), raw, interp)


def test_disparity_near_far_is_the_mapping():
    interp = DepthInterpretation("disparity", near=2.0, far=30.0, scale=1 / 65535)
    assert interp.near_far == (2.0, 30.0)
    new = interp.with_near_far(0.5, 8.0)
    assert (new.near, new.far, new.clip) == (0.5, 8.0, None)
    raw = np.full((4, 8), 65535, np.uint16)
    raw[:, 4:] = 0
    pano = _pano(raw, interp).with_near_far(0.5, 8.0)
    # 1 maps to near, 0 maps to far: the mapping moved, nothing was clamped.
    assert pano.distance[0, 0] == pytest.approx(0.5) and pano.distance[0, 7] == pytest.approx(8.0)
    assert pano.near_far() == (0.5, 8.0)


def test_metric_near_far_is_the_clip_and_defaults_to_the_data_range():
    raw = np.linspace(1.0, 20.0, 32, dtype=np.float32).reshape(4, 8)
    pano = _pano(raw, DepthInterpretation("distance"))
    assert pano.interpretation.near_far is None
    assert pano.near_far() == pytest.approx((1.0, 20.0))
    clipped = pano.with_near_far(3.0, 10.0)
    assert clipped.interpretation.clip == (3.0, 10.0)
    assert clipped.interpretation.near == pano.interpretation.near  # mapping fields untouched
    assert clipped.near_far() == (3.0, 10.0)
    assert float(np.nanmin(clipped.distance)) == 3.0
    assert float(np.nanmax(clipped.distance)) == 10.0
    assert clipped.raw_depth is pano.raw_depth


def test_without_depth_nothing_changes():
    pano = RGBDPanorama(np.zeros((4, 8, 3), np.uint8), flat_radius=7.0)
    assert pano.with_near_far(1.0, 2.0) is pano
    assert pano.near_far() == (7.0, 7.0)


@pytest.mark.parametrize("kind", ["disparity", "distance"])
def test_bad_ranges_are_refused(kind):
    with pytest.raises(InputError):
        DepthInterpretation(kind).with_near_far(5.0, 1.0)


def test_no_module_applies_near_far_by_hand():
    """Setting near/far goes through DepthInterpretation.with_near_far; a new copy that sets
    the mapping or the clip itself (``with_(near=...)``, ``replace(interp, clip=...)``) fails."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"with_\((near|far|clip)=|replace\([^)]*\b(near|far|clip)=")
    copies = [f"{path.relative_to(root)}:{n}"
              for folder in ("app", "renderers", "models", "scene")
              for path in sorted((root / folder).rglob("*.py")) if path.name != "depth.py"
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if pattern.search(line)]
    assert copies == []
