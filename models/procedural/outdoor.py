"""The outdoor procedural scenes: forest, desert, snowy mountains, ocean beach.

Each ``build_*`` function turns the prompt's words and a seeded generator into a
:class:`~.raycast.SceneSpec`: a height-field terrain, props placed on it, the
materials that colour them and the light. The viewer stands ``EYE_M`` above the ground at the
origin; the panorama's centre (-Z) is where each scene puts its best view (the sun at dawn
and sunset stands within about 35 degrees of it).
"""

from __future__ import annotations

import numpy as np

from .materials import (
    CoverMap,
    bark,
    bump,
    fbm_xz,
    lin,
    mix,
    pine_needles,
    rock,
    smooth,
    snow_cover,
    tinted,
)
from .noise import ValueNoise
from .prompt_words import PromptWords
from .raycast import SceneSpec, ShadeInput, Surface
from .scenery import boulder, butte, palm, pine, scatter, shadow_stand_ins
from .sky import lighting_for
from .terrain import Layer, Terrain

__all__ = ["EYE_M", "build_forest", "build_desert", "build_mountains", "build_beach"]

#: Height of the viewer's eye above the ground, metres.
EYE_M = 1.7


def _on_ground(terrain: Terrain, pts: np.ndarray) -> list[tuple[float, float, float]]:
    """``(x, z, ground height)`` for each position (heights in one vectorised call)."""
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    if pts.shape[0] == 0:
        return []
    g = terrain.ground(pts[:, 0], pts[:, 1])
    return [(float(x), float(z), float(h)) for (x, z), h in zip(pts, g, strict=True)]


# -- forest ---------------------------------------------------------------------------------
def build_forest(words: PromptWords, rng: np.random.Generator, noise: ValueNoise) -> SceneSpec:
    """A pine forest on rolling hills around a small clearing."""
    terrain = Terrain(noise, [
        Layer("fbm", 0.9, 9.0, 3, fade_out=(150.0, 250.0)),
        Layer("fbm", 9.0, 70.0, 4, fade_in=(10.0, 80.0)),
        Layer("ridged", 110.0, 420.0, 4, fade_in=(150.0, 650.0)),
    ], eye=EYE_M)
    light = lighting_for(words, rng, fog=1.6)
    props = []
    # a glade opens towards the sun so the dawn (or sunset) light comes through
    sun_az = np.arctan2(light.sun_dir[0], -light.sun_dir[2])

    def off_glade(x, z):
        off = np.abs((np.arctan2(x, -z) - sun_az + np.pi) % (2 * np.pi) - np.pi)
        return (off > np.radians(9.0)) | (np.hypot(x, z) > 70.0)

    spots = np.concatenate([scatter(rng, 170, 8.5, 45.0, 3.4, keep=off_glade),
                            scatter(rng, 260, 45.0, 110.0, 3.4, keep=off_glade)])
    for x, z, g in _on_ground(terrain, spots):
        props += pine(x, z, g, float(rng.uniform(9.0, 21.0)), rng)
    for x, z, g in _on_ground(terrain, scatter(rng, 10, 4.0, 45.0, 3.0)):
        props.append(boulder(x, z, g, float(rng.uniform(0.4, 1.4)), rng))
    tint = words.tint
    grass = tinted(lin(0.34, 0.42, 0.17), tint)
    if words.lush:
        grass = tinted(lin(0.26, 0.46, 0.13), tint)
    needles_floor = tinted(lin(0.42, 0.31, 0.19), tint)
    moss = tinted(lin(0.22, 0.33, 0.11), tint)
    soil = lin(0.20, 0.15, 0.11)
    canopy = tinted(lin(0.11, 0.20, 0.10), tint)
    if words.autumn:
        canopy = lin(0.40, 0.22, 0.08)
        grass = lin(0.45, 0.36, 0.16)
    cover = CoverMap(spots, extent=130.0, cell=0.5, blur=2.0)

    def ground(inp: ShadeInput) -> Surface:
        x, z = inp.p[:, 0], inp.p[:, 2]
        big = fbm_xz(inp, 7.0, 3)
        fine = fbm_xz(inp, 0.15, 2, 9.0)
        under = cover(x, z)
        albedo = mix(grass, moss, smooth(big, -0.05, 0.12))
        albedo = mix(albedo, needles_floor,
                     0.8 * np.clip(smooth(under, 0.05, 0.6) + smooth(big + 0.3 * fine, 0.08, 0.2), 0, 1))
        albedo = mix(albedo, soil, 0.4 * smooth(-fine - 0.5 * big, 0.18, 0.32))
        albedo = albedo * (0.85 + 0.6 * fine)[:, None]
        # beyond the trees the hills read as forest canopy
        r = np.hypot(x, z)
        far_zone = smooth(r, 105.0, 140.0)
        if np.any(far_zone > 0):
            far = fbm_xz(inp, 9.0, 3, 4.0)
            albedo = mix(albedo, canopy * (0.7 + 1.4 * far)[:, None], far_zone)
        if words.snow:
            albedo = snow_cover(albedo, inp, smooth(inp.n[:, 1] + 0.5 * big - 0.15 * under, 0.7, 0.85))
        ao = 1.0 - 0.55 * smooth(under, 0.0, 0.7)
        return Surface(np.clip(albedo, 0.0, 0.95), normal=bump(inp, 1.5, 0.5, 2), ao=ao)

    materials = {
        "ground": ground,
        "bark": bark(),
        "pine": pine_needles(snow=words.snow, autumn=words.autumn, tint=tint),
        "rock": rock(moss=(0.22, 0.32, 0.12)),
    }
    light.fog_height = 25.0
    return SceneSpec("forest", light, materials, noise, terrain=terrain, props=props,
                     shadow_props=shadow_stand_ins(props), ground_y=-EYE_M,
                     shafts=1.0 if words.fog > 1.0 else 0.4,
                     facts={"trees": int(len(spots))})


# -- desert ---------------------------------------------------------------------------------
def build_desert(words: PromptWords, rng: np.random.Generator, noise: ValueNoise) -> SceneSpec:
    """Dunes rolling to the horizon, boulders, and buttes in the haze."""
    wind = float(rng.uniform(0.0, np.pi))
    terrain = Terrain(noise, [
        Layer("fbm", 0.8, 14.0, 3, fade_out=(150.0, 250.0)),
        Layer("dunes", 4.0, 34.0, direction=wind, fade_in=(2.0, 18.0), fade_out=(350.0, 500.0)),
        Layer("dunes", 30.0, 150.0, direction=wind + 0.3, fade_in=(30.0, 200.0)),
        Layer("ridged", 70.0, 320.0, 4, fade_in=(350.0, 750.0)),
    ], eye=EYE_M)
    light = lighting_for(words, rng, fog=0.7)
    props = []
    for x, z, g in _on_ground(terrain, scatter(rng, 14, 5.0, 80.0, 4.0)):
        props.append(boulder(x, z, g, float(rng.uniform(0.3, 1.6)), rng))
    n_buttes = 4 if words.variant not in ("mesa", "canyon") else 8
    for x, z, g in _on_ground(terrain, scatter(rng, n_buttes, 380.0, 720.0, 160.0)):
        props.append(butte(x, z, g, float(rng.uniform(60.0, 140.0)),
                           float(rng.uniform(35.0, 80.0))))
    sand = tinted(lin(0.86, 0.66, 0.42), words.tint)
    sand_dark = sand * np.array([0.85, 0.78, 0.72])
    wind_dir = np.array([np.sin(wind), -np.cos(wind)])

    def ground(inp: ShadeInput) -> Surface:
        along = inp.p[:, 0] * wind_dir[0] + inp.p[:, 2] * wind_dir[1]
        warp = fbm_xz(inp, 3.0, 2)
        phase = (along / 0.45 + 3.0 * warp) * 2 * np.pi
        # wind ripples, faded out where a pixel covers more than a fraction of one (no moire)
        keep = 1.0 - smooth(inp.footprint(), 0.06, 0.15)
        tone = fbm_xz(inp, 18.0, 3, 5.0)
        grain = fbm_xz(inp, 0.5, 2, 2.0) * (1.0 - smooth(inp.footprint(), 0.1, 0.3))
        albedo = mix(sand, sand_dark, smooth(tone, -0.1, 0.2))
        albedo = albedo * (0.97 + 0.06 * np.sin(phase) * keep + 0.25 * grain)[:, None]
        n = bump(inp, 4.0, 0.35, 2)
        k = 0.08 * keep * np.cos(phase)
        n = n.copy()
        n[:, 0] -= k * wind_dir[0]
        n[:, 2] -= k * wind_dir[1]
        n /= np.linalg.norm(n, axis=1, keepdims=True)
        return Surface(np.clip(albedo, 0.0, 0.95), normal=n)

    strata_a = tinted(lin(0.62, 0.36, 0.22), words.tint)
    strata_b = tinted(lin(0.78, 0.52, 0.34), words.tint)

    def butte_rock(inp: ShadeInput) -> Surface:
        warp = fbm_xz(inp, 25.0, 3)
        band = np.sin(inp.p[:, 1] / 3.0 + 8.0 * warp) * 0.5 + 0.5
        albedo = mix(strata_a, strata_b, 0.5 * band + 0.5 * smooth(warp, -0.1, 0.15))
        albedo = albedo * (0.8 + 0.6 * fbm_xz(inp, 4.0, 2, 2.0))[:, None]
        return Surface(np.clip(albedo, 0.0, 0.95))

    materials = {
        "ground": ground,
        "rock": rock(base=(0.55, 0.38, 0.26)),
        "butte": butte_rock,
    }
    return SceneSpec("desert", light, materials, noise, terrain=terrain, props=props,
                     ground_y=-EYE_M, facts={"buttes": n_buttes})


# -- mountains ------------------------------------------------------------------------------
def build_mountains(words: PromptWords, rng: np.random.Generator, noise: ValueNoise
                    ) -> SceneSpec:
    """An alpine meadow ringed by snowy, ridged peaks."""
    terrain = Terrain(noise, [
        Layer("fbm", 1.5, 16.0, 3, fade_out=(200.0, 300.0)),
        Layer("fbm", 30.0, 130.0, 4, fade_in=(25.0, 160.0)),
        Layer("ridged", 420.0, 360.0, 5, fade_in=(140.0, 620.0)),
    ], eye=EYE_M)
    light = lighting_for(words, rng, fog=0.8)
    props = []
    for x, z, g in _on_ground(terrain, scatter(rng, 40, 12.0, 140.0, 6.0)):
        props += pine(x, z, g, float(rng.uniform(6.0, 14.0)), rng)
    for x, z, g in _on_ground(terrain, scatter(rng, 14, 4.0, 70.0, 3.0)):
        props.append(boulder(x, z, g, float(rng.uniform(0.4, 1.8)), rng))
    meadow = tinted(lin(0.36, 0.42, 0.20), words.tint)
    stone = tinted(lin(0.40, 0.38, 0.37), words.tint)
    snow_line = 25.0 if words.snow else 55.0

    def ground(inp: ShadeInput) -> Surface:
        y = inp.p[:, 1]
        big = fbm_xz(inp, 30.0, 4)
        small = fbm_xz(inp, 2.0, 2, 5.0)
        steep = 1.0 - inp.n[:, 1]
        albedo = mix(meadow * (0.8 + 0.8 * small)[:, None], stone * (0.8 + 1.0 * big)[:, None],
                     smooth(y + 60.0 * big + 60.0 * steep, 8.0, 30.0))
        snowy = smooth(y + 80.0 * big, snow_line, snow_line + 25.0) * smooth(inp.n[:, 1] + 0.3 * small, 0.55, 0.75)
        if words.snow:
            snowy = np.maximum(snowy, smooth(inp.n[:, 1] + big, 0.75, 0.9))
        albedo = snow_cover(albedo, inp, snowy)
        n = bump(inp, 6.0, 0.6)
        if words.snow:  # wind-packed snow: finer relief close by
            fine_n = bump(inp, 0.8, 0.25, 2)
            n = n + (fine_n - inp.n) * (1.0 - smooth(inp.footprint(), 0.05, 0.2))[:, None]
            n /= np.linalg.norm(n, axis=1, keepdims=True)
        return Surface(np.clip(albedo, 0.0, 0.95), normal=n)

    materials = {
        "ground": ground,
        "bark": bark(),
        "pine": pine_needles(snow=words.snow, tint=words.tint),
        "rock": rock(),
    }
    return SceneSpec("mountains", light, materials, noise, terrain=terrain, props=props,
                     shadow_props=shadow_stand_ins(props), ground_y=-EYE_M)


# -- beach ----------------------------------------------------------------------------------
def build_beach(words: PromptWords, rng: np.random.Generator, noise: ValueNoise) -> SceneSpec:
    """A sandy shore sloping into the sea ahead, headlands and islands on the horizon."""
    sea = -EYE_M - 1.0
    terrain = Terrain(noise, [
        Layer("slope", 0.10, direction=np.pi),
        Layer("fbm", 0.3, 12.0, 3, fade_out=(150.0, 250.0)),
        Layer("ridged", 38.0, 260.0, 4, fade_in=(140.0, 400.0)),
    ], eye=EYE_M, sea_level=sea)
    light = lighting_for(words, rng, fog=0.8)
    props = []
    for x, z, g in _on_ground(terrain, scatter(rng, 12, 5.0, 70.0, 4.0)):
        props.append(boulder(x, z, g, float(rng.uniform(0.4, 2.0)), rng))
    if words.variant == "tropical":
        for x, z, g in _on_ground(terrain, scatter(rng, 9, 6.0, 40.0, 5.0, keep=lambda x, z: z > -10.0)):
            props += palm(x, z, g, float(rng.uniform(6.0, 10.0)), rng)
    sand = tinted(lin(0.88, 0.78, 0.60), words.tint)
    wet = sand * 0.6
    grass = lin(0.40, 0.45, 0.22)
    deep = tinted(lin(0.02, 0.16, 0.24), words.tint)
    shallow = tinted(lin(0.10, 0.45, 0.45), words.tint)
    foam = lin(0.92, 0.94, 0.95)

    def ground(inp: ShadeInput) -> Surface:
        x, z = inp.p[:, 0], inp.p[:, 2]
        floor = terrain.ground(x, z)
        depth = sea - floor
        water = inp.p[:, 1] <= sea + 1e-6
        tone = fbm_xz(inp, 5.0, 3)
        land = mix(sand * (0.9 + 0.5 * tone)[:, None], wet, smooth(-depth, -0.35, -0.05))
        land = mix(land, grass * (0.8 + 0.8 * tone)[:, None], smooth(inp.p[:, 1] + 10 * tone, 3.0, 6.0) * smooth(inp.n[:, 1], 0.7, 0.9))
        land = mix(land, lin(0.45, 0.40, 0.36) * (0.8 + tone)[:, None], smooth(1.0 - inp.n[:, 1], 0.3, 0.5))
        sea_col = mix(shallow, deep, smooth(depth, 0.2, 3.5))
        surf = fbm_xz(inp, 1.5, 2, 4.0)
        froth = smooth(0.25 - depth + 0.6 * surf, 0.0, 0.15) * smooth(depth, -0.05, 0.02)
        sea_col = mix(sea_col, foam, froth)
        albedo = np.where(water[:, None], sea_col, land)
        n = np.where(water[:, None], bump(inp, 2.5, 0.25, 3), bump(inp, 2.0, 0.3, 2))
        n = n / np.linalg.norm(n, axis=1, keepdims=True)
        mirror = np.where(water, 0.02 * (1.0 - froth), 0.0)
        return Surface(np.clip(albedo, 0.0, 0.95), normal=n, mirror=mirror)

    materials = {
        "ground": ground,
        "rock": rock(base=(0.35, 0.33, 0.32), scale=0.8),
        "palm_trunk": bark(base=(0.45, 0.36, 0.25)),
        "palm_leaf": pine_needles(base=(0.22, 0.42, 0.12), tint=words.tint),
    }
    return SceneSpec("beach", light, materials, noise, terrain=terrain, props=props,
                     ground_y=-EYE_M)
