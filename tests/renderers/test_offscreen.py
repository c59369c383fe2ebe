"""Offscreen rendering on real OpenGL (EGL/Mesa): known colours at known directions.

The analytic box room has one flat colour per surface, so where a ray from the eye lands is
known exactly; a panorama whose colour encodes longitude/latitude proves the texture is
neither mirrored nor flipped and that the seam wraps.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from renderers import view_math as vm
from renderers.mesh_visual import depth_range
from renderers.offscreen import OffscreenRenderer, render_view, write_render
from scene.backing import surface_only
from scene.errors import InputError
from scene.mesh import build_depth_mesh
from scene.mesh_settings import MeshSettings
from scene.meshdata import DepthMesh
from scene.panorama import RGBDPanorama
from scene.testing.analytic import box_room

pytestmark = pytest.mark.gl

ROOT = Path(__file__).resolve().parents[2]
SIZE = (96, 64)
BLACK = np.zeros(3)


# -- scenes -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def room():
    return box_room(256)


@pytest.fixture(scope="module")
def room_mesh(room):
    return build_depth_mesh(room.panorama)


@pytest.fixture(scope="module")
def room_renderer(room, room_mesh):
    with OffscreenRenderer(room.panorama, room_mesh, size=SIZE) as r:
        yield r


def lonlat_panorama(width: int = 512) -> RGBDPanorama:
    """No depth (a sphere at 10 m); R, G = cos, sin of longitude; B = latitude, 0 at the bottom."""
    h = width // 2
    lon = 2 * np.pi * (np.arange(width) + 0.5) / width - np.pi
    lat = np.pi / 2 - np.pi * (np.arange(h) + 0.5) / h
    rgb = np.empty((h, width, 3), np.uint8)
    rgb[..., 0] = np.rint(127.5 + 127.0 * np.cos(lon))[None, :]
    rgb[..., 1] = np.rint(127.5 + 127.0 * np.sin(lon))[None, :]
    rgb[..., 2] = np.rint(255.0 * (lat + np.pi / 2) / np.pi)[:, None]
    return RGBDPanorama(rgb)


def decode_lon_deg(pixels: np.ndarray) -> np.ndarray:
    p = pixels.astype(np.float64)
    return np.degrees(np.arctan2(p[..., 1] - 127.5, p[..., 0] - 127.5))


def decode_lat_deg(pixels: np.ndarray) -> np.ndarray:
    return pixels[..., 2].astype(np.float64) / 255.0 * 180.0 - 90.0


@pytest.fixture(scope="module")
def lonlat():
    pano = lonlat_panorama()
    return pano, build_depth_mesh(pano)


def centre(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return img[h // 2, w // 2].astype(np.int64)


def close_to(pixel, colour, tol=3) -> bool:
    return bool(np.all(np.abs(np.asarray(pixel, np.int64) - np.asarray(colour)) <= tol))


# -- the box room: which wall is where ----------------------------------------------------------
@pytest.mark.parametrize("yaw, pitch, surface", [
    (0, 0, "wall_front"),    # -Z
    (90, 0, "wall_right"),   # +X
    (-90, 0, "wall_left"),   # -X
    (180, 0, "wall_back"),   # +Z
    (0, -90, "floor"),
    (0, 90, "ceiling"),
    (np.degrees(np.arctan2(1.0, 1.8)), 0, "pillar"),  # the pillar's centre at (1.0, -1.8)
])
def test_centre_pixel_shows_the_surface_in_that_direction(room, room_renderer, yaw, pitch, surface):
    img = room_renderer.render(yaw_deg=yaw, pitch_deg=pitch)
    assert img.shape == (SIZE[1], SIZE[0], 3) and img.dtype == np.uint8
    assert close_to(centre(img), room.colours[surface]), (surface, centre(img))


def test_whole_view_matches_the_ray_cast_labels(room, room_renderer):
    """Every pixel's colour is the colour of the surface its ray hits (away from edges)."""
    yaw, pitch, fov = 20.0, -15.0, 100.0
    img = room_renderer.render(yaw_deg=yaw, pitch_deg=pitch, fov_deg=fov)
    w, h = SIZE
    r = vm.rotation_yaw_pitch(yaw, pitch)
    tx = np.tan(np.radians(fov) / 2)
    ty = tx * h / w
    xs = ((np.arange(w) + 0.5) / w * 2 - 1) * tx
    ys = (1 - (np.arange(h) + 0.5) / h * 2) * ty
    local = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], -1.0), -1)
    labels = room.label_of(local @ r.T)
    palette = np.array([room.colours[name] for name in room.labels])
    expected = palette[labels]
    # Ignore pixels next to a boundary between surfaces (triangles straddle creases there).
    same = np.ones_like(labels, bool)
    for axis in (0, 1):
        for shift in (1, -1):
            same &= np.roll(labels, shift, axis=axis) == labels
    err = np.abs(img.astype(int) - expected).max(axis=-1)
    assert same.sum() > 0.8 * same.size
    assert np.mean(err[same] <= 3) > 0.995, np.percentile(err[same], [50, 99, 100])


def test_the_pillar_shows_parallax_when_the_eye_moves(room, room_renderer):
    pillar = np.array([1.0, 0.0, -1.8])
    for eye in ([0.0, 0.0, 0.0], [-0.5, 0.0, 0.0]):
        img = room_renderer.render(yaw_deg=0, fov_deg=100, eye=eye)
        view = vm.view_yaw_pitch(0, 0, eye)
        proj = vm.perspective(100, SIZE[0] / SIZE[1], 0.02, 100)
        (x, y), _ = vm.project_points(pillar, view, proj, SIZE)
        assert close_to(img[int(y), int(x)], room.colours["pillar"]), eye
    # From x = -0.5 the pillar sits farther right in the image than from the origin.
    x0 = vm.project_points(pillar, vm.view_yaw_pitch(0, 0), proj, SIZE)[0][0]
    x1 = vm.project_points(pillar, vm.view_yaw_pitch(0, 0, [-0.5, 0, 0]), proj, SIZE)[0][0]
    assert x1 - x0 > 5


def test_faces_are_culled_from_behind(room):
    """Back-face culling is on: the same mesh with its winding reversed draws nothing."""
    # Uncut, so no hole is left beside the pillar's silhouette: every pixel is covered.
    mesh = build_depth_mesh(room.panorama, MeshSettings(cut_threshold=np.inf))
    img = render_view(room.panorama, mesh, size=(48, 32), yaw_deg=30)
    assert (img.sum(axis=-1) > 0).all()
    flipped = DepthMesh(mesh.positions, mesh.uvs, np.ascontiguousarray(mesh.faces[:, ::-1]))
    img = render_view(room.panorama, flipped, size=(48, 32), yaw_deg=30, backdrop=False)
    assert img.max() == 0


def test_backdrop_fills_the_holes_cut_beside_silhouettes(room, room_mesh):
    """Cut without its backing (scene.backing), the mesh leaves see-through slits beside the
    pillar; the backdrop shows the panorama there."""
    assert room_mesh.stats["cut_faces"] > 0
    room_mesh = surface_only(room_mesh)
    kw = dict(size=(96, 64), yaw_deg=30, fov_deg=60)
    holes = render_view(room.panorama, room_mesh, backdrop=False, **kw).sum(axis=-1) == 0
    assert holes.any()
    filled = render_view(room.panorama, room_mesh, **kw)
    assert (filled.sum(axis=-1) > 0).all()
    # From the capture point a slit shows what the panorama has in that direction: a blend
    # of the colours on either side of it (the texture is filtered linearly), never black.
    w = holes.shape[1]
    ys, xs = np.nonzero(holes)
    left, right = xs.copy(), xs.copy()
    for _ in range(4):  # slits are a panorama pixel wide: a few render pixels at most
        left = np.where(holes[ys, left] & (left > 0), left - 1, left)
        right = np.where(holes[ys, right] & (right < w - 1), right + 1, right)
    ok = ~holes[ys, left] & ~holes[ys, right]
    assert ok.mean() > 0.9
    c, a, b = (filled[ys[ok], x[ok]].astype(float) for x in (xs, left, right))
    seg = b - a
    t = np.clip(np.einsum("ij,ij->i", c - a, seg) / np.maximum(np.einsum("ij,ij->i", seg, seg),
                                                                1e-9), 0, 1)
    assert np.linalg.norm(c - (a + t[:, None] * seg), axis=1).max() < 10


# -- texture orientation and the seam -----------------------------------------------------------
@pytest.mark.parametrize("yaw", [-170, -120, -45, 0, 30, 90, 135, 179])
def test_centre_shows_the_longitude_of_the_yaw(lonlat, yaw):
    pano, mesh = lonlat
    img = render_view(pano, mesh, yaw_deg=yaw, fov_deg=40, size=(32, 32))
    lon = decode_lon_deg(centre(img))
    assert abs((lon - yaw + 180) % 360 - 180) < 2.0, (yaw, lon)


@pytest.mark.parametrize("pitch", [-60, -30, 30, 60])
def test_centre_shows_the_latitude_of_the_pitch(lonlat, pitch):
    pano, mesh = lonlat
    img = render_view(pano, mesh, yaw_deg=50, pitch_deg=pitch, fov_deg=40, size=(32, 32))
    assert abs(decode_lat_deg(centre(img)) - pitch) < 2.0
    # Up in the image is up in the world: the top row has a higher latitude than the bottom.
    assert decode_lat_deg(img[0, 16]) > decode_lat_deg(img[-1, 16]) + 5


def test_right_of_the_image_is_to_the_right_in_the_world(lonlat):
    pano, mesh = lonlat
    img = render_view(pano, mesh, yaw_deg=0, fov_deg=90, size=(64, 32))
    lon = decode_lon_deg(img[16])
    assert lon[-1] > 30 and lon[0] < -30


def test_no_discontinuity_across_the_seam(lonlat):
    """Looking at yaw 180 every column shows exactly its longitude: no seam line."""
    pano, mesh = lonlat
    w, h, fov = 256, 32, 60.0
    img = render_view(pano, mesh, yaw_deg=180, fov_deg=fov, size=(w, h))
    x = (np.arange(w) + 0.5) / w * 2 - 1
    expected = 180.0 + np.degrees(np.arctan(x * np.tan(np.radians(fov / 2))))
    for row in (h // 4, h // 2, 3 * h // 4):
        got = decode_lon_deg(img[row])
        diff = (got - expected + 180) % 360 - 180
        assert np.abs(diff).max() < 2.0, (row, np.abs(diff).max())


def test_texture_repeats_across_the_seam():
    """The seam column (u > 1) samples column 0 through REPEAT: blue fades into red."""
    w = 256
    rgb = np.full((w // 2, w, 3), 128, np.uint8)
    rgb[:, 0] = (255, 0, 0)
    rgb[:, -1] = (0, 0, 255)
    pano = RGBDPanorama(rgb)
    mesh = build_depth_mesh(pano)
    assert mesh.uvs[:, 0].max() > 1.0  # the mesh does use u > 1 on the seam
    img = render_view(pano, mesh, yaw_deg=180, fov_deg=1.0, size=(64, 8))
    # Dead ahead is lon = 180 exactly, halfway between the last and the first column.
    assert close_to(img[4, 32], (128, 0, 128), tol=12), img[4, 32]
    # Left of it the last column (blue) dominates, right of it the first (red).
    assert img[4, 8, 2] > img[4, 8, 0] + 60 and img[4, 56, 0] > img[4, 56, 2] + 60


# -- modes ------------------------------------------------------------------------------------
def test_depth_mode_colours_by_distance(room, room_mesh, room_renderer):
    from vispy.color import get_colormap

    img = room_renderer.render(mode="depth")
    near, far = depth_range(room_mesh.positions)
    t = (np.log(4.5) - np.log(near)) / (np.log(far) - np.log(near))  # front wall, 4.5 m ahead
    expected = get_colormap("viridis").map(np.array([np.clip(t, 0, 1)]))[0, :3] * 255
    assert close_to(centre(img), expected, tol=6), (centre(img), expected)
    # The pillar (2 m) is darker in viridis than the front wall (4.5 m).
    pillar = room_renderer.render(mode="depth", yaw_deg=np.degrees(np.arctan2(1.0, 1.8)))
    assert centre(pillar).sum() < centre(img).sum() - 60


def test_wireframe_and_points_leave_gaps_and_differ():
    coarse = box_room(64)  # about 6 pixels between grid lines in a 96-pixel, 90° view
    surface = surface_only(build_depth_mesh(coarse.panorama))  # (no backing: only the surface)
    with OffscreenRenderer(coarse.panorama, surface, size=SIZE) as r:
        textured = r.render()
        wire = r.render(mode="wireframe")
        points = r.render(mode="points")
    for img in (wire, points):
        background = (img.sum(axis=-1) == 0).mean()
        assert 0.05 < background < 0.98
        assert not np.array_equal(img, textured)
    assert not np.array_equal(wire, points)
    # Drawn pixels carry the texture's colours: looking at the front wall, they are blue.
    drawn = wire[wire.sum(axis=-1) > 0]
    assert np.median(drawn[:, 2]) > np.median(drawn[:, 0])


# -- output and errors --------------------------------------------------------------------------
def test_supersampling_keeps_the_size_and_the_colours(room, room_mesh):
    img = render_view(room.panorama, room_mesh, size=(40, 30), supersample=2, yaw_deg=90)
    assert img.shape == (30, 40, 3)
    assert close_to(centre(img), room.colours["wall_right"])


def test_write_render_png_round_trip(tmp_path, room, room_mesh):
    out = tmp_path / "view.png"
    write_render(out, room.panorama, room_mesh, size=(40, 30), yaw_deg=180)
    back = np.asarray(Image.open(out).convert("RGB"))
    assert back.shape == (30, 40, 3)
    assert close_to(centre(back), room.colours["wall_back"])
    with pytest.raises(InputError):
        write_render(tmp_path / "view.tiff", room.panorama, room_mesh)


@pytest.mark.parametrize("kwargs", [
    {"size": (0, 10)}, {"size": (100000, 10)}, {"fov_deg": 180}, {"fov_deg": 0},
    {"mode": "shaded"}, {"eye": (0, 0)}, {"supersample": 9},
])
def test_bad_arguments_raise_input_error(room, room_mesh, kwargs):
    with pytest.raises(InputError):
        render_view(room.panorama, room_mesh, **kwargs)


def test_no_opengl_gives_a_clear_error():
    """Forcing a windowed backend with no display fails with the installation hint."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PANOFORGE_GL"] = "glfw"
    code = ("from renderers.gl_context import offscreen_app, GLUnavailableError\n"
            "try:\n    offscreen_app()\nexcept GLUnavailableError as e:\n"
            "    print('ERR', e.exit_code, e.hint)\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.stdout.startswith("ERR 2"), res.stdout + res.stderr
    assert "xvfb-run" in res.stdout and "apt-get install" in res.stdout
