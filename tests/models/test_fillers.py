"""Fillers with known answers: the procedural generator's exact renders from moved eyes."""

from __future__ import annotations

import numpy as np
import pytest

from models.base import GenerationRequest
from models.fillers import FillRequest, make_filler
from models.fillers.procedural import exact_cube_views, render_recipe
from models.procedural.backend import ProceduralBackend
from scene.composition import Scene
from scene.consistency import compare_views
from scene.errors import InputError
from scene.layering import disocclusion, make_layer
from scene.raster import render_cube
from scene.testing.analytic import box_room
from scene.walkzone import MEASURE_FACE, eye_offsets, measure_walk_zone, scene_surfaces

CUT = 0.25
RADIUS = 0.5


def _dome(prompt: str, width: int = 256):
    req = GenerationRequest(prompt=prompt, seed=3, width=width, height=width // 2)
    return ProceduralBackend().generate(req).panorama


def _layers(dome, filler: str, depth: int = 8):
    """Peel like app.workflows_layers.make_walkable (at most ``depth`` layers)."""
    f = make_filler(filler)
    current, layers = dome, []
    for k in range(depth):
        dis = disocclusion(current.distance, CUT, RADIUS)
        if dis.empty:
            break
        out = f.fill(FillRequest(current, dis, recipe=dome.metadata))
        layers.append(make_layer(current, dis, out.rgb, out.distance, layer_id=f"l{k + 1}",
                                 method=filler, metadata=out.metadata))
        current = layers[-1].panorama
    return layers


@pytest.fixture(scope="module")
def hall():
    dome = _dome("a grand hall with pillars", 512)
    return dome, _layers(dome, "procedural")


def test_moved_eye_render_matches_the_origin_render_at_the_origin():
    dome = _dome("a grand hall with pillars", 128)
    same = render_recipe(dome.metadata, 128, 64, eye=(1e-9, 0.0, 0.0))
    assert np.allclose(same.distance, dome.distance, rtol=1e-5)


def test_peeled_render_is_behind_the_foreground(hall):
    """Every filled pixel is behind the dome, and beyond the cut wherever the band's own test
    put it there (the islands the band takes in, e.g. a pillar's side 1.23 times nearer than
    the wall, are filled up to that wall: behind, but within the cut)."""
    dome, layers = hall
    d = layers[0].panorama.distance
    band = np.isfinite(d) & (d != dome.distance)
    assert band.any() and np.all(d[band] > dome.distance[band])
    dis = disocclusion(dome.distance, CUT, RADIUS)
    beyond = band & (dis.behind > dome.distance * (1 + CUT))
    assert beyond.sum() > 0.9 * band.sum()
    assert np.all(d[beyond] > dome.distance[beyond] * (1 + CUT))


def test_hall_layered_scene_has_no_holes_from_the_walk_sphere(hall):
    """Eyes on the sphere of the walk radius: the layered scene against the generator's exact
    render from the same pose. Without layers the same eyes see holes."""
    dome, layers = hall
    eyes = eye_offsets(RADIUS)
    layered = scene_surfaces(Scene(dome, tuple(layers)), CUT)
    plain = scene_surfaces(Scene(dome), CUT)
    truth = exact_cube_views(dome.metadata, eyes, 64)
    psnr = []
    for eye, exact in zip(eyes, truth, strict=True):
        view = render_cube(layered, eye, 64)
        assert view.hole_fraction() == 0.0
        psnr.append(compare_views(view, exact).psnr)
    worst_plain = max(render_cube(plain, e, 64).hole_fraction() for e in eyes)
    assert worst_plain > 0.001
    print(f"hall: PSNR against exact renders from the walk sphere {np.mean(psnr):.2f} dB "
          f"(min {np.min(psnr):.2f}); plain dome holes up to {100 * worst_plain:.2f} %")
    assert np.mean(psnr) > 15.0


def test_forest_layered_scene_has_no_holes_from_the_walk_sphere():
    """The forest: trees stand behind trees (eight peeled layers) and the ground near the
    horizon is cut in every row at a grazing angle (a curtain layer). Eyes on the walk
    sphere see no hole at all, as in the hall; without layers they see many. PSNR against the
    generator's exact render from two of the poses is reported. (Before the band took in the
    islands it enclosed, 1-3 pixels per eye stayed open: 0.018 % at worst.)"""
    dome = _dome("a pine forest", 256)
    layers = _layers(dome, "procedural")
    eyes = eye_offsets(RADIUS)
    plain = scene_surfaces(Scene(dome), CUT)
    layered = scene_surfaces(Scene(dome, tuple(layers)), CUT)
    views = [render_cube(layered, e, 64) for e in eyes]
    holes = [v.hole_fraction() for v in views]
    hp = max(render_cube(plain, e, 64).hole_fraction() for e in eyes)
    truth = exact_cube_views(dome.metadata, eyes[:2], 64)
    psnr = [compare_views(v, t).psnr for v, t in zip(views[:2], truth, strict=True)]
    print(f"forest ({len(layers)} layers): holes up to {100 * max(holes):.3f} % layered, "
          f"{100 * hp:.2f} % plain; PSNR against exact renders {np.mean(psnr):.2f} dB")
    assert holes == [0.0] * len(eyes)
    assert hp > 0.001  # the stage switched off shows holes


@pytest.mark.parametrize("width", [512, 1024])
def test_wide_forest_has_no_holes_on_the_walk_zone_mesh(width):
    """The forest at the generator's default widths, measured as ``panoforge layer`` measures
    it (every panorama strided down to the walk zone's 256-pixel mesh): no hole from any of
    the 14 eyes at 0.5 m, so the walk zone with layers is at least 0.5 m. (Before the band's
    margin and the background rim were counted in pixels of that mesh, 1 pixel stayed open at
    512 and 182 pixels at 1024, 0.15 % from one corner eye: a walk zone under 0.5 m.)"""
    dome = _dome("a pine forest", width)
    layers = _layers(dome, "procedural")
    scene = Scene(dome, tuple(layers))
    layered = scene_surfaces(scene, CUT)
    holes = [int(render_cube(layered, e, MEASURE_FACE).hole.sum()) for e in eye_offsets(RADIUS)]
    zone = measure_walk_zone(scene, CUT)
    print(f"forest {width}: hole pixels per eye {holes}; walk zone {zone.describe()}")
    assert holes == [0] * 14
    assert zone.radius >= RADIUS


def test_procedural_filler_refuses_other_results():
    pano = box_room(64).panorama
    with pytest.raises(InputError, match="procedural generator"):
        make_filler("procedural").fill(FillRequest(pano, disocclusion(pano.distance, CUT)))


def test_classical_filler_on_an_import_closes_the_pillar():
    """An imported panorama (no recipe): OpenCV inpainting from the background side."""
    pano = box_room(256).panorama
    dis = disocclusion(pano.distance, CUT, RADIUS)
    out = make_filler("classical").fill(FillRequest(pano, dis))
    assert out.metadata.backend == "fill-classical"
    assert np.all(np.isfinite(out.distance[dis.band]))
    assert np.all(out.distance[dis.band] > pano.distance[dis.band])
    surfaces = scene_surfaces(Scene(pano, tuple(_layers(pano, "classical"))), CUT)
    plain = scene_surfaces(Scene(pano), CUT)
    eyes = eye_offsets(RADIUS)
    hl = max(render_cube(surfaces, e, 64).hole_fraction() for e in eyes)
    hp = max(render_cube(plain, e, 64).hole_fraction() for e in eyes)
    print(f"classical (import): worst holes {100 * hp:.2f} % plain, {100 * hl:.2f} % layered")
    # an inpainted depth is a guess: it closes most of the outline, not all of it
    assert hl < 0.5 * hp
    # the fill is the wall behind, not the pillar: its colour is the walls', not the pillar's
    empty = box_room(256, pillar=None).panorama
    err = np.abs(out.rgb[dis.band].astype(int) - empty.rgb[dis.band]).mean()
    pillar = np.abs(pano.rgb[dis.band].astype(int) - empty.rgb[dis.band]).mean()
    assert err < 0.5 * pillar


# -- ldm3d: end to end on a tiny random model (its output is noise, not a picture) ---------
@pytest.fixture(scope="module")
def tiny():
    pytest.importorskip("diffusers")
    from tests.models.tiny_ldm3d import tiny_model

    return str(tiny_model(4))


def _ldm3d_fill(tiny, seed=0, views=2, steps=8):
    pano = box_room(64).panorama
    dis = disocclusion(pano.distance, CUT, RADIUS)
    f = make_filler("ldm3d", model=tiny, steps=steps, device="cpu", views=views)
    return f, f.fill(FillRequest(pano, dis, seed=seed)), pano, dis


def test_draws_are_seeded_and_vary_per_step():
    from models.fillers.ldm3d import draw_conditioning

    a = draw_conditioning(3, 20, seed=5)
    assert np.array_equal(a, draw_conditioning(3, 20, seed=5))
    assert len(set(a.tolist())) == 3 and not np.array_equal(a, draw_conditioning(3, 20, 6))


def test_ldm3d_masking_keeps_the_known_latent(tiny):
    """A condition known everywhere: the final latent is the condition's own latent, so the
    decode equals the VAE's round trip of the condition."""
    import torch

    from models.fillers.ldm3d import _encode_rgbd, masked_denoise
    from models.ldm3d.denoise import RunSettings, decode_latents
    from models.ldm3d.seamless import patch_conv2d

    f = make_filler("ldm3d", model=tiny, steps=3, device="cpu")
    pipe, _, _ = f._pipeline()
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (32, 64, 3), dtype=np.uint8)
    disp = rng.random((32, 64)).astype(np.float32)
    known = np.ones((32, 64), bool)
    decoded, draws = masked_denoise(pipe, "a room", [(rgb, disp, known)], 64, 32, 3, 1, 1.0)
    assert draws.tolist() == [0, 0, 0]
    undo = patch_conv2d([pipe.unet, pipe.vae])
    try:
        z = _encode_rgbd(pipe.vae, rgb, disp)
        with torch.no_grad():
            ref = decode_latents(pipe, z, RunSettings("", "", 64, 32, 3, 1.0))
    finally:
        undo()
    assert np.allclose(decoded, ref, atol=1e-5)


def test_ldm3d_filler_end_to_end(tiny):
    f, out, pano, dis = _ldm3d_fill(tiny)
    # the first view conditions on the dome only; the second on the dome and the first view,
    # one of them drawn at random at each step
    assert len(f.last_draws) == 2 and set(f.last_draws[0]) == {0}
    assert set(f.last_draws[1]) == {0, 1}
    for rgb_k, dist_k, hole, v_rgb, v_dist in f.last_views:
        assert hole.any() and np.array_equal(v_rgb[~hole], rgb_k[~hole])  # known pixels kept
        assert np.array_equal(v_dist[~hole], dist_k[~hole])
    assert np.all(np.isfinite(out.distance[dis.band]))
    assert np.all(out.distance[dis.band] > pano.distance[dis.band])
    ex = out.metadata.extra
    assert out.metadata.backend == "fill-ldm3d" and out.metadata.licences
    # every band pixel came from a lifted view or was extended from the background (a random
    # model's depth mostly lands in front of the foreground and is refused)
    assert ex["from_views_px"] + ex["extended_px"] >= int(dis.band.sum())
    assert out.metadata.extra["conditioning_draws"] == f.last_draws
    f2, again, _, _ = _ldm3d_fill(tiny)
    assert np.array_equal(out.rgb, again.rgb)  # deterministic for a seed
    assert np.array_equal(out.distance, again.distance, equal_nan=True)
    assert f2.last_draws == f.last_draws
