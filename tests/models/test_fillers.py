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
from scene.walkzone import eye_offsets, scene_surfaces

CUT = 0.25
RADIUS = 0.5


def _dome(prompt: str, width: int = 256):
    req = GenerationRequest(prompt=prompt, seed=3, width=width, height=width // 2)
    return ProceduralBackend().generate(req).panorama


def _layers(dome, filler: str, depth: int = 3):
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
    dome, layers = hall
    d = layers[0].panorama.distance
    band = np.isfinite(d) & (d != dome.distance)
    assert band.any() and np.all(d[band] > dome.distance[band] * (1 + CUT))


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


def test_forest_layers_remove_most_holes():
    """The forest: trees in front of trees and a grazing ground. The layers close the
    trees' outlines; the ground seen at a grazing angle near the horizon is cut in every row
    by the relative-jump rule at this resolution, so some cracks stay (reported)."""
    dome = _dome("a pine forest", 128)
    layers = _layers(dome, "procedural")
    eyes = eye_offsets(RADIUS)[:4]
    plain = scene_surfaces(Scene(dome), CUT)
    layered = scene_surfaces(Scene(dome, tuple(layers)), CUT)
    hp = np.mean([render_cube(plain, e, 32).hole_fraction() for e in eyes])
    hl = np.mean([render_cube(layered, e, 32).hole_fraction() for e in eyes])
    print(f"forest: holes {100 * hp:.2f} % plain, {100 * hl:.2f} % layered")
    assert hl < 0.5 * hp


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
