"""Cutting the object out and centring it the way LRM expects (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from models.lrm.preprocess import border_matte, cut_out, load_rgba, recentre
from scene.errors import InputError


def _disc(h=120, w=160, cy=50, cx=70, r=30, bg=(200, 205, 210), fg=(180, 40, 30), noise=0.0):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), np.float64)
    img[:] = bg
    inside = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    img[inside] = fg
    img += rng.normal(0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), inside


def test_border_matting_finds_the_object_on_a_plain_backdrop():
    img, inside = _disc(noise=4.0)  # camera-like noise on the backdrop
    alpha = border_matte(img) > 127
    iou = (alpha & inside).sum() / (alpha | inside).sum()
    assert iou > 0.97


def test_an_object_touching_the_edge_is_still_cut_out():
    img, inside = _disc(cy=60, cx=0, r=40)
    alpha = border_matte(img) > 127
    assert (alpha & inside).sum() / (alpha | inside).sum() > 0.97


def test_a_cluttered_background_is_refused():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (80, 80, 3), dtype=np.uint8)
    with pytest.raises(InputError, match="not a plain colour") as err:
        border_matte(img)
    assert "transparency" in err.value.hint


def test_nothing_but_backdrop_is_refused():
    with pytest.raises(InputError, match="no single object"):
        border_matte(np.full((64, 64, 3), 128, np.uint8))


def test_alpha_is_used_as_given(tmp_path):
    from PIL import Image

    rgba = np.zeros((40, 50, 4), np.uint8)
    rgba[10:30, 5:20] = (10, 200, 10, 255)
    path = tmp_path / "cut.png"
    Image.fromarray(rgba).save(path)
    loaded, has_alpha = load_rgba(path)
    assert has_alpha
    out, method = cut_out(loaded, has_alpha)
    assert method == "alpha"
    np.testing.assert_array_equal(out[..., 3], rgba[..., 3])
    opaque = tmp_path / "opaque.jpg"
    Image.fromarray(_disc()[0]).save(opaque)
    assert load_rgba(opaque)[1] is False


def test_recentre_puts_the_object_in_the_middle_at_four_fifths_on_white():
    rgba = np.zeros((100, 300, 4), np.uint8)
    rgba[20:60, 200:280] = (0, 0, 255, 255)  # an 80 x 40 box, far off-centre
    out = recentre(rgba, 100)
    assert out.shape == (100, 100, 3) and out.dtype == np.float32
    blue = (out[..., 2] > 0.9) & (out[..., 0] < 0.1)
    ys, xs = np.nonzero(blue)
    assert xs.max() - xs.min() + 1 == pytest.approx(80, abs=2)
    assert ys.max() - ys.min() + 1 == pytest.approx(40, abs=2)
    assert (xs.min() + xs.max()) / 2 == pytest.approx(49.5, abs=1)
    assert (ys.min() + ys.max()) / 2 == pytest.approx(49.5, abs=1)
    np.testing.assert_allclose(out[2, 2], [1.0, 1.0, 1.0])  # white where there is no object
