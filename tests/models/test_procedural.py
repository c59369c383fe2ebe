"""The procedural generator: exact distances, determinism, words, progress and cancel.

Renders are small (128x64 .. 256x128) so the whole file runs in a few seconds.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from models.base import GenerationRequest, Progress
from models.procedural import SKY_DISTANCE_M, ProceduralBackend, build_scene, make_backend
from models.procedural.geometry import (
    angular_window,
    ray_box,
    ray_ellipsoid,
    ray_vcone,
    ray_vcylinder,
    vertical_window,
)
from models.procedural.indoor import EYE_M, HallShape, hall_distance
from models.procedural.prompt_words import SCENE_WORDS, SCENES, parse_prompt
from models.procedural.raycast import render
from scene.conventions import direction_grid, latitudes, longitudes
from scene.errors import CancelledError, InputError
from scene.panorama import RGBDPanorama

W, H = 256, 128


def generate(prompt: str, seed: int = 1, width: int = W, **kw):
    req = GenerationRequest(prompt=prompt, seed=seed, width=width, height=width // 2)
    return ProceduralBackend().generate(req, **kw)


def render_scene(prompt: str, seed: int = 1, width: int = W):
    spec, _, rng = build_scene(prompt, seed)
    return spec, render(spec, width, width // 2, rng)


# -- the result -----------------------------------------------------------------------------
@pytest.mark.parametrize("prompt", ["a pine forest", "desert dunes", "snowy mountains",
                                    "a sunny beach", "a grand hall", "a dark cave"])
def test_every_scene_gives_a_complete_rgbd_panorama(prompt):
    res = generate(prompt, width=128)
    pano = res.panorama
    assert isinstance(pano, RGBDPanorama)
    assert pano.rgb.shape == (64, 128, 3) and pano.rgb.dtype == np.uint8
    assert pano.raw_depth.shape == (64, 128) and pano.raw_depth.dtype == np.float32
    assert pano.interpretation.kind == "distance"
    assert pano.interpretation.source == "procedural exact"
    d = pano.distance
    assert np.all(np.isfinite(d)), "no NaN: every pixel has a surface (sky at the dome)"
    assert d.min() > 0.5 and d.max() <= SKY_DISTANCE_M
    md = res.metadata
    assert md is pano.metadata
    assert (md.backend, md.prompt, md.seed, md.width, md.height) == ("procedural", prompt, 1, 128, 64)
    assert md.extra["scene"] == parse_prompt(prompt).scene
    assert md.extra["time_of_day"] == "day"
    assert pano.rgb.std() > 10, "an image, not a flat colour"


def test_default_size_is_1024x512():
    req = GenerationRequest(prompt="a cave", seed=0)
    spec_w = ProceduralBackend()
    # only check the size logic, without paying for a full-size render
    from models.procedural.backend import _check_size

    assert _check_size(req.width, req.height) == (1024, 512)
    assert _check_size(None, 100) == (200, 100)
    assert _check_size(300, None) == (300, 150)
    assert spec_w.available() == (True, "built in")


@pytest.mark.parametrize("size", [(300, 100), (256, 256), (8, 4), (8192, 4096)])
def test_sizes_that_are_not_2_to_1_or_out_of_range_are_refused(size):
    req = GenerationRequest(prompt="forest", width=size[0], height=size[1])
    with pytest.raises(InputError) as err:
        ProceduralBackend().generate(req)
    assert err.value.hint


def test_negative_seed_is_refused():
    with pytest.raises(InputError):
        ProceduralBackend().generate(GenerationRequest(prompt="forest", seed=-1, width=64, height=32))


def test_registry_makes_it():
    from models.registry import get_backend

    assert isinstance(get_backend("procedural"), ProceduralBackend)
    with pytest.raises(InputError):
        make_backend("ldm3d")


# -- determinism ----------------------------------------------------------------------------
def test_same_seed_same_pixels_and_distances():
    a = generate("a misty pine forest at dawn", seed=7).panorama
    b = generate("a misty pine forest at dawn", seed=7).panorama
    assert np.array_equal(a.rgb, b.rgb)
    assert np.array_equal(a.raw_depth, b.raw_depth)


@pytest.mark.parametrize("prompt", ["a pine forest", "a sandy desert", "a cave", "a hall"])
def test_different_seeds_differ(prompt):
    a = generate(prompt, seed=1, width=128).panorama
    b = generate(prompt, seed=2, width=128).panorama
    changed = np.mean(np.any(a.rgb != b.rgb, axis=2))
    assert changed > 0.2, f"only {changed:.1%} of pixels changed"
    if prompt != "a hall":  # the hall's architecture is fixed; its light and decor move
        assert np.mean(a.raw_depth != b.raw_depth) > 0.05


# -- words ----------------------------------------------------------------------------------
@pytest.mark.parametrize("word, scene", sorted((w, s) for w, (s, _) in SCENE_WORDS.items()))
def test_every_keyword_picks_its_scene(word, scene):
    assert parse_prompt(f"a view of the {word.upper()}, wide").scene == scene


@pytest.mark.parametrize("words, scene", [
    ("forest/pine/woods", "forest"), ("desert/dunes/sand", "desert"),
    ("snow/mountain/alpine", "mountains"), ("ocean/beach/sea/coast", "beach"),
    ("room/hall/interior/library/cathedral", "hall"), ("cave/cavern/grotto", "cave"),
])
def test_the_documented_keyword_table(words, scene):
    for w in words.split("/"):
        spec, parsed, _ = build_scene(f"a {w}", 3)
        assert parsed.scene == scene and spec.name == scene, w


def test_scene_words_weigh_nouns_over_modifiers():
    assert parse_prompt("a snowy pine forest").scene == "forest"
    assert parse_prompt("sandy beach").scene == "beach"
    assert parse_prompt("a cave by the sea").scene == "cave"  # tie: first word wins
    assert parse_prompt("something else entirely").scene is None


def test_no_scene_word_lets_the_seed_choose():
    names = {build_scene("something beautiful", s)[0].name for s in range(12)}
    assert len(names) >= 3 and names <= set(SCENES)


@pytest.mark.parametrize("text, tod", [("at dawn", "dawn"), ("sunrise", "dawn"),
                                       ("at noon", "day"), ("", "day"), ("at sunset", "sunset"),
                                       ("dusk", "sunset"), ("at night", "night"),
                                       ("under the moon", "night")])
def test_time_of_day_words(text, tod):
    assert parse_prompt(f"a forest {text}").time_of_day == tod


def test_mood_and_colour_words():
    w = parse_prompt("a misty golden forest")
    assert w.fog > 1 and w.colours == ["golden"] and w.tint[0] > w.tint[2]
    assert parse_prompt("a clear forest").fog < 1
    assert parse_prompt("red desert").tint[0] > 1 > parse_prompt("red desert").tint[2]
    assert parse_prompt("a snowy forest").snow
    assert parse_prompt("a grand library").variant == "library"


def test_time_of_day_changes_the_sky():
    sky_rows = slice(0, H // 4)
    mean = {t: generate(f"a desert at {t}", seed=4).panorama.rgb[sky_rows].astype(float).mean(axis=(0, 1))
            for t in ("noon", "dawn", "sunset", "night")}
    day, night = mean["noon"], mean["night"]
    assert night.sum() < 0.5 * day.sum(), "night sky is dark"
    assert day[2] > day[0], "day sky is blue"
    for a, b in (("noon", "dawn"), ("dawn", "sunset"), ("noon", "sunset")):
        assert np.abs(mean[a] - mean[b]).max() > 8, (a, b, mean[a], mean[b])


def test_misty_means_more_fog():
    clear = generate("a clear pine forest", seed=5).panorama.rgb.astype(float)
    misty = generate("a misty pine forest", seed=5).panorama.rgb.astype(float)
    # fog pulls the far, lower half of the view towards one colour: less contrast there
    band = slice(H // 2 - 10, H // 2 + 10)
    assert misty[band].std() < clear[band].std()


# -- exact distances ------------------------------------------------------------------------
def test_hall_floor_walls_and_vault_distances_are_exact():
    spec, out = render_scene("a grand hall", seed=2)
    names = out.material_names
    d = direction_grid(W, H, dtype=np.float64)
    dist = out.distance.astype(np.float64)
    floor = out.material == names.index("floor")
    assert floor[-1].all(), "the bottom row looks straight down at the floor"
    lat = latitudes(H)
    # looking down at latitude lat the floor is eye_height / sin(-lat) away
    expected = EYE_M / np.sin(-lat)[:, None] * np.ones((1, W))
    np.testing.assert_allclose(dist[floor], expected[floor], rtol=2e-7)
    walls = out.material == names.index("wall")
    side = walls & (np.abs(d[..., 0]) > 0.9 * np.max(np.abs(d[..., [0, 2]]), axis=-1))
    shape = spec.interior_shape
    assert shape == HallShape()
    t_side = shape.half_width / np.abs(d[..., 0])
    ok = side & (np.abs(t_side * d[..., 1]) < 5)  # below the vault
    assert ok.sum() > 100
    np.testing.assert_allclose(dist[ok], t_side[ok], rtol=2e-7)
    vault = out.material == names.index("vault")
    assert vault.sum() > 100
    p = d[vault] * dist[vault, None]
    radial = np.hypot(p[:, 0], p[:, 1] - shape.wall_top)
    np.testing.assert_allclose(radial, shape.half_width, rtol=1e-5)


def test_hall_distance_function_matches_brute_force():
    shape = HallShape()
    rng = np.random.default_rng(0)
    d = rng.normal(size=(300, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    t, n, part = hall_distance(d, shape)

    def inside(p):
        x, y, z = p[..., 0], p[..., 1], p[..., 2]
        box = (np.abs(x) <= shape.half_width) & (y >= shape.floor) & (z >= shape.front) & (z <= shape.back)
        return box & ((y <= shape.wall_top) | (x * x + (y - shape.wall_top) ** 2 <= shape.half_width ** 2))

    s = np.linspace(0.0, 1.0, 4001)[None, :, None]
    pts = d[:, None, :] * (t[:, None, None] * s)
    assert inside(pts[:, :-1]).all(), "nothing is hit before t"
    assert not inside(d * (t + 1e-6)[:, None]).any(), "the ray has left the hall just after t"
    assert np.all(np.einsum("ij,ij->i", n, d) < 0), "normals face the viewer"


def test_a_pillar_at_a_known_place_has_its_analytic_distance():
    spec, out = render_scene("a grand hall", seed=2, width=512)
    w, h = 512, 256
    pillar = next(p for p in spec.props if p.material == "pillar" and p.cx > 0 and p.cz < -3)
    lon_c = np.arctan2(pillar.cx, -pillar.cz)
    col = int(np.floor((lon_c + np.pi) * w / (2 * np.pi)))
    row = h // 2
    assert out.material_names[out.material[row, col]] == "pillar"
    lon, lat = longitudes(w)[col], latitudes(h)[row]
    d = np.array([np.cos(lat) * np.sin(lon), np.sin(lat), -np.cos(lat) * np.cos(lon)])
    # ray from the origin vs the infinite cylinder (x-cx)^2 + (z-cz)^2 = r^2
    a = d[0] ** 2 + d[2] ** 2
    b = -2 * (d[0] * pillar.cx + d[2] * pillar.cz)
    c = pillar.cx ** 2 + pillar.cz ** 2 - pillar.r ** 2
    t = (-b - np.sqrt(b * b - 4 * a * c)) / (2 * a)
    assert out.distance[row, col] == pytest.approx(t, rel=1e-6)


def test_terrain_hits_lie_on_the_surface_and_are_first_hits():
    spec, out = render_scene("snowy alpine mountains", seed=3)
    ground = out.material == out.material_names.index("ground")
    assert ground.mean() > 0.3
    d = direction_grid(W, H, dtype=np.float64)[ground]
    t = out.distance.astype(np.float64)[ground]
    p = d * t[:, None]
    h = spec.terrain.height(p[:, 0], p[:, 2])
    # within float32 rounding of the stored distance (and the 0.1 mm Newton tolerance)
    err = np.abs(p[:, 1] - h)
    slope_room = 1e-3 + 2e-7 * t * 10
    assert np.all(err < slope_room), err.max()
    # the ray is above the ground everywhere before the hit (sampled finely)
    sub = np.random.default_rng(0).choice(t.size, 400, replace=False)
    s = np.linspace(0.0, 0.995, 2000)[None, :]
    q = d[sub, None, :] * (t[sub, None] * s)[..., None]
    above = q[..., 1] - spec.terrain.height(q[..., 0], q[..., 2])
    assert np.all(above > -1e-6)


def test_cave_wall_distance_is_its_radius_function():
    spec, out = render_scene("a cave", seed=4)
    wall = out.material == out.material_names.index("wall")
    assert wall.mean() > 0.3
    d = direction_grid(W, H, dtype=np.float64)[wall]
    np.testing.assert_allclose(out.distance[wall], spec.interior_shape.radius(d), rtol=1e-6)


def test_sky_pixels_sit_on_the_documented_dome():
    _, out = render_scene("a desert", seed=1)
    sky = out.material == -1
    assert sky[0].all() and sky.mean() > 0.3
    assert np.all(out.distance[sky] == SKY_DISTANCE_M)
    assert np.all(out.distance[~sky] < SKY_DISTANCE_M)


# -- closed-form shapes ---------------------------------------------------------------------
def _rays(target, n=600, seed=0, origin=(0.0, 0.0, 0.0), spread=3.0):
    """Rays from ``origin`` aimed around ``target`` (most hit a shape there, some miss)."""
    rng = np.random.default_rng(seed)
    o = np.asarray(origin, dtype=float)
    d = np.asarray(target) + rng.uniform(-spread, spread, (n, 3)) - o
    return o, d / np.linalg.norm(d, axis=1, keepdims=True)


def _first_inside(inside, o, d, t_max=12.0, steps=2400):
    """Brute force: the first sample along each ray that is inside the solid."""
    s = np.linspace(0.0, t_max, steps)
    pts = o + d[:, None, :] * s[None, :, None]
    hit = inside(pts)
    first = np.where(hit.any(axis=1), s[np.argmax(hit, axis=1)], np.inf)
    return first, s[1] - s[0]


@pytest.mark.parametrize("shape", ["cylinder", "cone_up", "cone_down", "open_cone", "frustum",
                                   "ellipsoid", "box"])
def test_closed_form_shapes_match_brute_force(shape):
    c = np.array([2.0, 0.5, -4.0])
    o, d = _rays(c, origin=(0.3, -0.2, 0.1))
    if shape == "cylinder":
        t, n = ray_vcylinder(o, d, c[0], c[2], 1.2, -1.0, 2.5)
        def inside(p):
            return ((p[..., 0] - c[0]) ** 2 + (p[..., 2] - c[2]) ** 2 <= 1.44) & (p[..., 1] >= -1) & (p[..., 1] <= 2.5)
    elif shape in ("cone_up", "cone_down", "frustum"):
        apex, base = (3.0, -1.0) if shape != "cone_down" else (-1.0, 3.0)
        cut = 1.5 if shape == "frustum" else None
        t, n = ray_vcone(o, d, c[0], c[2], apex, base, 1.5, y_cut=cut)
        def inside(p):
            frac = (p[..., 1] - apex) / (base - apex)
            r = np.hypot(p[..., 0] - c[0], p[..., 2] - c[2])
            solid = (frac >= 0) & (frac <= 1) & (r <= 1.5 * frac)
            return solid & (p[..., 1] <= cut) if cut is not None else solid
    elif shape == "open_cone":
        # no base disc: seen from below, a ray enters through the open base and meets the
        # inside of the far wall (what a pine tier looks like from underneath)
        t, n = ray_vcone(o, d, c[0], c[2], 3.0, 1.0, 1.5, cap=False)
        inside = None

        def mantle_crossing(o, d, t_max=12.0, steps=2400):
            s_ = np.linspace(0.0, t_max, steps)
            p = o + d[:, None, :] * s_[None, :, None]
            frac = (p[..., 1] - 3.0) / (1.0 - 3.0)
            f = np.hypot(p[..., 0] - c[0], p[..., 2] - c[2]) - 1.5 * frac
            ok = (frac >= 0) & (frac <= 1)
            cross = (np.sign(f[:, 1:]) != np.sign(f[:, :-1])) & ok[:, 1:] & ok[:, :-1]
            first = np.where(cross.any(axis=1), s_[1:][np.argmax(cross, axis=1)], np.inf)
            return first, s_[1] - s_[0]
    elif shape == "ellipsoid":
        radii, yaw = np.array([2.0, 0.8, 1.2]), 0.7
        t, n = ray_ellipsoid(o, d, c, radii, yaw)
        cy, sy = np.cos(yaw), np.sin(yaw)
        rot = np.array([[cy, 0.0, -sy], [0.0, 1.0, 0.0], [sy, 0.0, cy]])
        def inside(p):
            q = ((p - c) @ rot.T) / radii
            return np.einsum("...i,...i->...", q, q) <= 1.0
    else:
        lo, hi = np.array([-1.0, -0.5, -0.7]), np.array([1.0, 1.5, 0.7])
        t, n = ray_box(o, d, lo, hi, yaw=0.4, centre=c)
        cy, sy = np.cos(0.4), np.sin(0.4)
        rot = np.array([[cy, 0.0, -sy], [0.0, 1.0, 0.0], [sy, 0.0, cy]])
        def inside(p):
            q = (p - c) @ rot.T
            return np.all((q >= lo) & (q <= hi), axis=-1)
    brute, step = _first_inside(inside, o, d) if inside is not None else mantle_crossing(o, d)
    hit = np.isfinite(t)
    assert 50 < hit.sum() < 580
    # where brute force sees a hit, the closed form agrees to within one sample step
    both = hit & np.isfinite(brute)
    assert np.all(np.abs(t[both] - brute[both]) <= step * 1.01)
    assert np.isfinite(brute[hit]).mean() > 0.98  # (grazing rays may slip between samples)
    assert not np.isfinite(brute[~hit]).any()
    # normals are unit and face the incoming ray (outward: an open shell's inside faces away)
    assert np.allclose(np.linalg.norm(n[hit], axis=1), 1.0)
    if shape != "open_cone":
        assert np.all(np.einsum("ij,ij->i", n[hit], d[hit]) < 1e-9)


def test_pixel_windows_cover_every_pixel_a_prop_can_hit():
    from models.procedural.scenery import cylinder, pine

    w, h = 256, 128
    dirs = direction_grid(w, h, dtype=np.float64).reshape(-1, 3)
    rng = np.random.default_rng(1)
    props = pine(3.0, -6.0, -1.7, 14.0, rng) + [cylinder("x", -1.0, 0.8, 0.4, -1.7, 9.0)]
    for prop in props:
        t, _ = prop.intersect(np.zeros(3), dirs)
        hits = set(np.nonzero(np.isfinite(t))[0])
        assert hits, prop
        assert hits <= set(prop.window(w, h).tolist()), prop
    sphere = angular_window(np.array([0.0, 0.0, -5.0]), 1.0, w, h)
    cyl = vertical_window(0.0, -5.0, 0.3, -1.0, 6.0, w, h)
    assert sphere.size < 0.05 * w * h and cyl.size < 0.1 * w * h


# -- progress and cancel --------------------------------------------------------------------
def test_progress_is_reported_per_stage_with_previews():
    seen: list[Progress] = []
    generate("a forest", width=128, on_progress=seen.append)
    assert [p.step for p in seen] == list(range(1, len(seen) + 1))
    assert len(seen) == 5 and all(p.total == 5 for p in seen)
    assert [p.message for p in seen[1:]] == ["terrain", "props", "sky", "shading"]
    previews = [p.preview for p in seen if p.preview is not None]
    assert len(previews) == 4
    assert all(p.dtype == np.uint8 and p.ndim == 3 and p.shape[2] == 3 for p in previews)
    assert all(0 <= p.elapsed_s for p in seen) and seen[-1].eta_s == 0


def test_cancel_before_start_raises():
    ev = threading.Event()
    ev.set()
    with pytest.raises(CancelledError):
        generate("a forest", width=128, cancel=ev)


@pytest.mark.parametrize("stop_at", [1, 2, 3, 4])
def test_cancel_between_stages_raises_and_returns_nothing(stop_at):
    ev = threading.Event()
    calls = []

    def on_progress(p):
        calls.append(p.step)
        if p.step == stop_at:
            ev.set()

    with pytest.raises(CancelledError):
        generate("a cave", width=128, on_progress=on_progress, cancel=ev)
    assert calls[-1] == stop_at, "stopped right after the stage that saw the cancel"
