"""Cube faces: known directions, the OpenGL cube-map convention, seam wrapping, files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scene.conventions import direction_grid
from scene.cubemap import (
    FACE_ORDER,
    FACES,
    cube_faces,
    face_directions,
    sample_bilinear_wrap,
    write_cubemap,
)
from scene.errors import InputError
from scene.panorama import RGBDPanorama

ODD = 65  # odd face size: the centre pixel looks exactly along the face's axis


@pytest.fixture(scope="module")
def direction_pano():
    """Equirect whose colour encodes the view direction: rgb = (d + 1) / 2 * 255."""
    d = direction_grid(1024, 512).astype(np.float64)
    return RGBDPanorama(np.rint((d + 1.0) * 127.5).astype(np.uint8))


def decode(rgb: np.ndarray) -> np.ndarray:
    d = rgb.astype(np.float64) / 127.5 - 1.0
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


#: Face -> (centre direction, direction of the top-left corner pixel) in the world frame.
EXPECTED = {
    "px": ((1, 0, 0), (1, 1, -1)),
    "nx": ((-1, 0, 0), (-1, 1, 1)),
    "py": ((0, 1, 0), (-1, 1, 1)),
    "ny": ((0, -1, 0), (-1, -1, -1)),
    "pz": ((0, 0, -1), (-1, 1, -1)),
    "nz": ((0, 0, 1), (1, 1, 1)),
}


def test_face_centres_and_corners_see_the_right_directions(direction_pano):
    faces = cube_faces(direction_pano, face_size=ODD)
    assert list(faces) == list(FACE_ORDER)
    for name, (centre, top_left) in EXPECTED.items():
        face = faces[name]
        assert face.shape == (ODD, ODD, 3) and face.dtype == np.uint8
        np.testing.assert_allclose(decode(face[ODD // 2, ODD // 2]), centre, atol=0.01,
                                   err_msg=name)
        corner = np.asarray(top_left, float) / np.sqrt(3)
        np.testing.assert_allclose(decode(face[0, 0]), corner, atol=0.03, err_msg=name)
        # the other three corners are the top-left one turned about the face axis
        for pix in [(0, -1), (-1, 0), (-1, -1)]:
            want = face_directions(name, ODD)[pix]
            np.testing.assert_allclose(decode(face[pix]), want, atol=0.03, err_msg=name)


def test_px_is_right_of_the_panorama_centre_and_pz_is_the_centre():
    w, h = 64, 32
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:, 3 * w // 4 - 1: 3 * w // 4 + 1] = (255, 0, 0)  # lon = +90 deg: right of centre
    rgb[:, w // 2 - 1: w // 2 + 1] = (0, 255, 0)  # lon = 0: the image centre
    faces = cube_faces(RGBDPanorama(rgb), face_size=17)
    assert tuple(faces["px"][8, 8]) == (255, 0, 0)
    assert tuple(faces["pz"][8, 8]) == (0, 255, 0)


def test_faces_follow_the_opengl_cube_map_convention():
    """Mapping world directions into the cube frame c = (x, y, -z), the OpenGL major-axis rule
    selects the same face and lands on the same pixel for every pixel of every face."""
    gl_rule = {  # face: (major axis, sign, sc, tc) as in the OpenGL specification
        "px": (0, 1, lambda c: -c[..., 2], lambda c: -c[..., 1]),
        "nx": (0, -1, lambda c: c[..., 2], lambda c: -c[..., 1]),
        "py": (1, 1, lambda c: c[..., 0], lambda c: c[..., 2]),
        "ny": (1, -1, lambda c: c[..., 0], lambda c: -c[..., 2]),
        "pz": (2, 1, lambda c: c[..., 0], lambda c: -c[..., 1]),
        "nz": (2, -1, lambda c: -c[..., 0], lambda c: -c[..., 1]),
    }
    n = 8
    centres = (np.arange(n) + 0.5) / n
    for name in FACE_ORDER:
        c = face_directions(name, n) * np.array([1.0, 1.0, -1.0])
        axis, sign, sc, tc = gl_rule[name]
        major = np.abs(c).argmax(axis=-1)
        assert (major == axis).all() and (np.sign(c[..., axis]) == sign).all(), name
        ma = np.abs(c[..., axis])
        s = (sc(c) / ma + 1) / 2
        t = (tc(c) / ma + 1) / 2
        np.testing.assert_allclose(s, np.broadcast_to(centres[None, :], (n, n)), atol=1e-12)
        np.testing.assert_allclose(t, np.broadcast_to(centres[:, None], (n, n)), atol=1e-12)


def test_faces_are_unmirrored_views_from_inside():
    for name, (forward, up) in FACES.items():
        d = face_directions(name, 4)
        right = d[1, 3] - d[1, 0]  # along a row, left to right
        down = d[3, 1] - d[0, 1]
        assert np.dot(np.cross(forward, up), right) > 0, name
        assert np.dot(up, down) < 0, name


def test_back_face_blends_across_the_seam():
    """nz's centre looks at lon = 180 deg, halfway between the last column and column 0."""
    w, h = 64, 32
    rgb = np.full((h, w, 3), 50, np.uint8)
    rgb[:, 0] = (200, 0, 0)
    rgb[:, -1] = (0, 0, 100)
    faces = cube_faces(RGBDPanorama(rgb), face_size=ODD)
    np.testing.assert_array_equal(faces["nz"][ODD // 2, ODD // 2], [100, 0, 50])
    # and the seam is continuous: no column of nz is the plain background in its middle rows
    mid = faces["nz"][ODD // 2]
    assert (mid[ODD // 2 - 1: ODD // 2 + 2] != 50).any(axis=1).all()


def test_bilinear_sampler_is_exact_on_pixel_centres_and_wraps():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (6, 12, 3), dtype=np.uint8)
    ys, xs = np.mgrid[0:6, 0:12]
    np.testing.assert_array_equal(sample_bilinear_wrap(img, xs, ys), img)
    np.testing.assert_array_equal(sample_bilinear_wrap(img, xs + 12.0, ys), img)
    np.testing.assert_array_equal(sample_bilinear_wrap(img, xs - 12.0, ys), img)
    half = sample_bilinear_wrap(img, np.array([11.5]), np.array([2.0]))
    np.testing.assert_array_equal(half[0], np.rint((img[2, 11].astype(float) + img[2, 0]) / 2))
    # rows clamp at the poles
    np.testing.assert_array_equal(sample_bilinear_wrap(img, np.array([3.0]), np.array([-0.5]))[0],
                                  img[0, 3])


def test_write_cubemap_files(tmp_path, direction_pano):
    files = write_cubemap(tmp_path / "cube", direction_pano, stem="room_")
    assert [f.name for f in files] == [f"room_{n}.png" for n in FACE_ORDER]
    faces = cube_faces(direction_pano)  # default face size is W / 4
    for path, name in zip(files, FACE_ORDER, strict=True):
        img = Image.open(path)
        assert img.mode == "RGB" and img.size == (256, 256)
        np.testing.assert_array_equal(np.asarray(img), faces[name])
    plain = write_cubemap(tmp_path / "plain", direction_pano, face_size=16)
    assert [f.name for f in plain] == [f"{n}.png" for n in FACE_ORDER]
    assert Image.open(plain[0]).size == (16, 16)


@pytest.mark.parametrize("size", [0, -4, 2.5, 100000])
def test_bad_face_size_is_refused(tmp_path, direction_pano, size):
    with pytest.raises(InputError, match="face-size"):
        write_cubemap(tmp_path, direction_pano, face_size=size)
    assert not list(tmp_path.iterdir())
