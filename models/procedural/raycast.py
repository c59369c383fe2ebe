"""The procedural generator's ray caster: a :class:`SceneSpec` in, colour and exact distance out.

Stages (each one reported to a callback so the backend can show progress and honour cancel):

1. ``terrain``: the analytic room of an interior scene, then the exact ray/height-field hits
   (:func:`~.terrain.cast_terrain`) where the terrain can be in front of it.
2. ``props``: closed-form hits with every prop, each against only the pixels that can see it.
3. ``sky``: the sky colour of the pixels that hit nothing.
4. ``shading``: materials, sun (with prop shadows cast by exact shadow rays), ambient light,
   reflections, fog; sky pixels get :data:`SKY_DISTANCE_M`.

All per-pixel work is vectorised; Python loops run over stages, props and materials only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from scene.conventions import direction_grid

from .geometry import Prop
from .noise import ValueNoise
from .sky import Lighting, add_stars, fog_amount, fog_colour, sky_radiance, to_srgb8
from .terrain import Terrain, cast_terrain

__all__ = ["SKY_DISTANCE_M", "Surface", "ShadeInput", "SceneSpec", "RenderOutput", "render",
           "STAGES", "auto_exposure", "merge_props"]

#: Distance given to sky pixels, metres. The sky has no surface, but the DepthFusion mesh
#: needs one: the sky is a dome this far away (beyond every scene's geometry, which ends at
#: :attr:`SceneSpec.r_max`).
SKY_DISTANCE_M = 1000.0

STAGES = ("terrain", "props", "sky", "shading")
#: Wrap of the diffuse term: light reaches this far (as n.L) past the terminator.
WRAP = 0.1
#: Shadow rays are cast from surfaces nearer than this, metres.
SHADOW_RANGE_M = 120.0


@dataclass
class ShadeInput:
    """What a material sees of the pixels it colours (N of them).

    Attributes
    ----------
    p : (N, 3) float64
        Hit positions, metres.
    n : (N, 3) float64
        Geometric unit normals.
    d : (N, 3) float64
        Unit view directions.
    t : (N,) float64
        Distances, metres.
    tint : (N,) float64
        The hit prop's variation in [-1, 1] (0 for terrain and rooms).
    obj : (N,) int64
        Index of the hit prop (-1 for terrain and rooms).
    noise : ValueNoise
    pixel_angle : float
        Angle one pixel spans, radians (pi / H): with ``t`` it gives each pixel's footprint,
        so fine textures can fade out before they alias.
    """

    p: np.ndarray
    n: np.ndarray
    d: np.ndarray
    t: np.ndarray
    tint: np.ndarray
    obj: np.ndarray
    noise: ValueNoise
    pixel_angle: float = 0.0

    def footprint(self) -> np.ndarray:
        """(N,) width of each pixel on the surface, metres (larger at grazing angles)."""
        cos_i = np.abs(np.einsum("ij,ij->i", self.n, self.d))
        return self.t * self.pixel_angle / np.maximum(cos_i, 0.05)


@dataclass
class Surface:
    """A material's answer for N pixels.

    Attributes
    ----------
    albedo : (N, 3) float
        Linear diffuse reflectance.
    normal : (N, 3) float or None
        Shading normal (bump), defaults to the geometric normal.
    emission : (N, 3) float or None
        Light it gives off (windows, crystals), linear.
    mirror : (N,) float or float
        Weight of the mirror reflection at normal incidence (water, polished stone); the
        Fresnel term raises it towards grazing angles.
    ao : (N,) float or None
        Ambient occlusion factor in [0, 1].
    """

    albedo: np.ndarray
    normal: np.ndarray | None = None
    emission: np.ndarray | None = None
    mirror: np.ndarray | float = 0.0
    ao: np.ndarray | None = None


MaterialFn = Callable[[ShadeInput], Surface]


@dataclass
class SceneSpec:
    """Everything :func:`render` needs to draw one scene.

    Attributes
    ----------
    name : str
    lighting : Lighting
    materials : dict of str -> MaterialFn
        Every material used by the terrain, the room and the props.
    noise : ValueNoise
    terrain : Terrain or None
    terrain_material : str
    interior : callable or None
        ``interior(d) -> (t, normal, material_names_index)`` for rays from the origin:
        (N,) exact distances, (N, 3) normals and (N,) int indices into ``interior_materials``.
    interior_materials : tuple of str
    interior_shape : object or None
        The analytic shape behind ``interior`` (a ``HallShape`` or ``CaveShape``), so tests
        and tools can compute its exact distances independently.
    props : list of Prop
    ground_y : float
        Ground height at the viewer (metres, negative), the base of the height fog.
    exposure : float
        Multiplies the automatic exposure.
    key : float
        Log-average luminance the automatic exposure aims for (0.2 bright scenes, lower
        for dark ones: caves, night).
    extra_light : callable or None
        ``extra_light(p, n) -> (N, 3)`` irradiance from local lights (a cave mouth, lamps).
    sun_mask : callable or None
        ``sun_mask(p) -> (N,)`` in [0, 1]: where direct sun can reach at all (through a
        window, outside a cave), before prop shadows.
    sun_shadows : bool
        Cast shadow rays from lit surfaces towards the sun against the props.
    shafts : float
        Strength of the light shafts (crepuscular rays) drawn from a low sun through gaps
        between props in misty air; 0 = none.
    shadow_props : list of Prop or None
        Simpler stand-ins that cast the props' shadows (one cone for a whole pine's
        foliage); ``None`` uses ``props`` themselves.
    r_max : float
        Horizontal distance at which the terrain stops (metres, below SKY_DISTANCE_M).
    facts : dict
        Plain facts for the metadata (prop counts, variant).
    """

    name: str
    lighting: Lighting
    materials: dict[str, MaterialFn]
    noise: ValueNoise
    terrain: Terrain | None = None
    terrain_material: str = "ground"
    interior: Callable | None = None
    interior_materials: tuple[str, ...] = ()
    interior_shape: object | None = None
    props: list[Prop] = field(default_factory=list)
    ground_y: float = -1.7
    exposure: float = 1.0
    key: float = 0.2
    extra_light: Callable | None = None
    sun_mask: Callable | None = None
    sun_shadows: bool = True
    shadow_props: list[Prop] | None = None
    shafts: float = 0.0
    r_max: float = 900.0
    facts: dict = field(default_factory=dict)


@dataclass
class RenderOutput:
    """Result of :func:`render`.

    Attributes
    ----------
    rgb : (H, W, 3) uint8
    distance : (H, W) float32
        Exact ray-hit distance in metres; :data:`SKY_DISTANCE_M` on sky pixels.
    material : (H, W) int16
        Index into ``material_names`` (-1 = sky).
    material_names : list of str
    exposure : float
        The exposure the image was tone-mapped with (give it back to :func:`render` to draw
        another view of the same scene with the same brightness).
    obj : (H, W) int64 or None
        Index of the prop each pixel hit (-1 for terrain, rooms and sky).
    """

    rgb: np.ndarray
    distance: np.ndarray
    material: np.ndarray
    material_names: list[str]
    exposure: float = 1.0
    obj: np.ndarray | None = None


StageCallback = Callable[[str, np.ndarray], None]


def _preview(lin: np.ndarray, exposure: float) -> np.ndarray:
    return to_srgb8(lin[::4, ::4], exposure)


def render(spec: SceneSpec, width: int, height: int, rng: np.random.Generator,
           on_stage: StageCallback | None = None, *, t_min: np.ndarray | None = None,
           exposure: float | None = None, eye=None) -> RenderOutput:
    """Ray-cast ``spec`` into a ``width x height`` equirect panorama.

    Parameters
    ----------
    spec : SceneSpec
    width, height : int
        2:1 panorama size.
    rng : numpy.random.Generator
        Only for the stars (everything else was drawn when ``spec`` was built).
    on_stage : callable, optional
        ``on_stage(stage_name, preview_rgb8)`` after each of :data:`STAGES`; it may raise to
        stop the render (cancellation).
    t_min : (H, W) float ndarray, optional
        Peel the foreground: surfaces at or nearer than this (metres from the origin) are
        ignored, so the render shows what lies behind them (props are closed, so a prop
        whose front is peeled is skipped whole). Where the peeled surface was the room or
        the terrain itself the ray is inside the ground or the wall: ``distance`` is NaN.
    exposure : float, optional
        Tone-map with this exposure (:attr:`RenderOutput.exposure` of another render of the
        same scene) instead of the automatic one, so peeled or moved views match it.
    eye : (3,) float, optional
        Cast from this eye (metres) instead of the origin (:mod:`.eye_cast`); the panorama's
        directions and distances are then the eye's.

    Returns
    -------
    RenderOutput
    """
    names = list(spec.materials)
    index = {n: i for i, n in enumerate(names)}
    dirs = direction_grid(width, height, dtype=np.float64)
    light = spec.lighting
    npx = width * height
    flat = dirs.reshape(npx, 3)

    # 1. the room (exact, cheap) and then the terrain, cast only where it can be in front
    t = np.full(npx, np.inf)
    normal = np.zeros((npx, 3))
    mat = np.full(npx, -1, dtype=np.int16)
    obj = np.full(npx, -1, dtype=np.int64)
    eye_v = np.zeros(3) if eye is None else np.asarray(eye, np.float64)
    tmin = None if t_min is None else np.asarray(t_min, np.float64).reshape(npx)
    peeled = np.zeros(npx, dtype=bool)
    if np.any(eye_v != 0):
        from .eye_cast import cast_from_eye

        t, normal, mat, obj = cast_from_eye(spec, eye_v, flat, width, height, index)
    elif spec.interior is not None:
        ti, ni, mi = spec.interior(flat)
        t = ti.astype(np.float64)
        normal = ni.astype(np.float64)
        lut = np.array([index[m] for m in spec.interior_materials], dtype=np.int16)
        mat = np.where(np.isfinite(t), lut[mi], -1).astype(np.int16)
        if tmin is not None:
            peeled = ~(t > tmin)  # nothing lies behind a closed room
            t = np.where(peeled, np.inf, t)
            mat = np.where(np.isfinite(t), mat, -1).astype(np.int16)
    if spec.terrain is not None and not np.any(eye_v != 0):
        hits = cast_terrain(spec.terrain, width, height, spec.r_max,
                            t_limit=t.reshape(height, width))
        tt = hits.t.reshape(npx)
        if tmin is not None:
            peeled |= tt <= tmin
            tt = np.where(tt <= tmin, np.inf, tt)
        closer = tt < t
        t = np.where(closer, tt, t)
        normal[closer] = hits.normal.reshape(npx, 3)[closer]
        mat[closer] = index[spec.terrain_material]
    if on_stage:
        on_stage("terrain", _geometry_preview(flat, t, normal, light, width, height))

    # 2. props
    tints = np.array([p.tint for p in spec.props]) if spec.props else np.zeros(0)
    if not np.any(eye_v != 0):  # (a moved eye met its props in cast_from_eye)
        merge_props(spec.props, [p.window(width, height) for p in spec.props], np.zeros(3),
                    flat, index, (t, normal, mat, obj), tmin)
    if on_stage:
        on_stage("props", _geometry_preview(flat, t, normal, light, width, height))

    # 3. the sky, where no surface was hit
    hit = np.isfinite(t)
    lin = np.zeros((npx, 3))
    miss = np.nonzero(~hit)[0]
    lin[miss] = sky_radiance(flat[miss], light, spec.noise)
    if on_stage:
        prev = _geometry_preview(flat, t, normal, light, width, height)
        sky_q = lin.reshape(height, width, 3)[::4, ::4]
        miss_q = ~hit.reshape(height, width)[::4, ::4]
        prev[miss_q] = to_srgb8(sky_q[miss_q], spec.exposure)
        on_stage("sky", prev)

    # 4. shading
    _shade(spec, names, lin, flat, t, normal, mat, obj, tints, hit, np.pi / height, eye_v)
    lin = lin.reshape(height, width, 3)
    if spec.shafts > 0 and not light.is_moon:
        _light_shafts(lin, ~hit.reshape(height, width), light, spec.shafts)
    key = min(spec.key, 0.07) if light.time_of_day == "night" else spec.key
    if exposure is None:
        exposure = spec.exposure * auto_exposure(lin, key)
    if light.stars > 0:
        add_stars(lin, ~hit.reshape(height, width), rng, light.stars)
    rgb = to_srgb8(lin, exposure)
    distance = np.where(hit, t, SKY_DISTANCE_M).astype(np.float32)
    distance[peeled] = np.nan  # a ray that went into the ground or the wall sees nothing more
    distance = distance.reshape(height, width)
    material = mat.reshape(height, width)
    if on_stage:
        on_stage("shading", rgb[::4, ::4])
    return RenderOutput(rgb, distance, material, names, float(exposure),
                        obj.reshape(height, width))


def merge_props(props, windows, origin: np.ndarray, dirs: np.ndarray, index: dict, hits,
                t_min: np.ndarray | None = None) -> None:
    """Let each prop's exact intersection replace the farther hits, in place (one rule for
    the render from the origin and for :func:`.eye_cast.cast_from_eye`).

    Parameters
    ----------
    props : sequence of Prop
    windows : sequence of (K_i,) int ndarray
        For each prop, the flat pixel indices it may cover (its angular window seen from
        ``origin``); only those rays are intersected.
    origin : (3,) float64
        Where the rays start, metres.
    dirs : (N, 3) float64
        Unit ray directions, row-major over the panorama.
    index : dict of str -> int
        Material name -> index.
    hits : tuple of ndarrays
        ``(t, normal, mat, obj)``: (N,) metres, (N, 3), (N,) int16 material, (N,) int64 prop
        index; updated where a prop is nearer.
    t_min : (N,) float64, optional
        Peel: a prop hit at or nearer than this is ignored.
    """
    t, normal, mat, obj = hits
    for k, (prop, idx) in enumerate(zip(props, windows, strict=True)):
        tk, nk = prop.intersect(origin, dirs[idx])
        closer = tk < t[idx]
        if t_min is not None:
            closer &= tk > t_min[idx]
        if not closer.any():
            continue
        sel = idx[closer]
        t[sel] = tk[closer]
        normal[sel] = nk[closer]
        mat[sel] = index[prop.material]
        obj[sel] = k


def auto_exposure(lin: np.ndarray, key: float, strength: float = 0.7) -> float:
    """Exposure that brings the image's log-average luminance part of the way to ``key``.

    Parameters
    ----------
    lin : (H, W, 3) float ndarray
        Linear radiance.
    key : float
        Target log-average luminance (0.2 a bright scene, 0.07 night).
    strength : float
        1 = all the way (every scene equally bright), 0 = no change; in between keeps some
        of the mood (dawn a little darker than noon).

    Returns
    -------
    float, within [0.35, 4]
    """
    sub = lin[::4, ::4]
    lum = sub[..., 0] * 0.2126 + sub[..., 1] * 0.7152 + sub[..., 2] * 0.0722
    log_avg = float(np.exp(np.mean(np.log(lum + 1e-4))))
    return float(np.clip((key / max(log_avg, 1e-6)) ** strength, 0.35, 4.0))


def _light_shafts(lin: np.ndarray, sky: np.ndarray, light: Lighting, strength: float,
                  samples: int = 48, decay: float = 0.97) -> None:
    """Add crepuscular rays around a low sun to an (H, W, 3) linear image, in place.

    An image-space radial blur towards the sun's pixel of the bright sky near the sun (sky
    pixels only, so trunks and branches cut the light into shafts). Near the horizon the
    equirect image is close to a perspective one, so straight lines towards the sun's pixel
    are the shafts' directions. Only a window around the sun is processed.
    """
    h, w = sky.shape
    sd = light.sun_dir
    elev = np.degrees(np.arcsin(sd[1]))
    if elev > 30.0 or elev < -2.0:
        return
    lon = np.arctan2(sd[0], -sd[2])
    sx = (lon + np.pi) * w / (2 * np.pi) - 0.5
    sy = (np.pi / 2 - np.radians(elev)) * h / np.pi - 0.5
    half_w = int(0.22 * w)
    y1 = min(h, int(sy + 0.28 * h))
    cols = np.arange(int(sx) - half_w, int(sx) + half_w + 1) % w
    rows = np.arange(0, y1)
    win = lin[np.ix_(rows, cols)]
    gx, gy = np.meshgrid(np.arange(cols.size, dtype=np.float32),
                         rows.astype(np.float32))
    cx = np.float32(sx - (int(sx) - half_w))
    cy = np.float32(sy)
    # the light source: the sky near the sun, brightest at the sun
    lum = win[..., 0] * 0.3 + win[..., 1] * 0.55 + win[..., 2] * 0.15
    dist = np.hypot(gx - cx, gy - cy)
    src = np.where(sky[np.ix_(rows, cols)], lum, 0.0) * np.exp(-(dist / (0.06 * w)) ** 2)
    src = src.astype(np.float32)
    acc = np.zeros_like(src)
    weight, total = 1.0, 0.0
    hh, ww = src.shape
    for k in range(samples):  # loop over samples along the ray, not over pixels
        f = np.float32(k / samples)
        py = np.clip(np.rint(gy + (cy - gy) * f).astype(np.int64), 0, hh - 1)
        px = np.clip(np.rint(gx + (cx - gx) * f).astype(np.int64), 0, ww - 1)
        acc += weight * src[py, px]
        total += weight
        weight *= decay
    acc *= np.exp(-(dist / (0.16 * w)) ** 2) / total
    lin[np.ix_(rows, cols)] = win + (np.clip(acc, 0.0, 4.0)[..., None]
                                     * light.sun_colour * (0.5 * strength))


def _geometry_preview(flat, t, normal, light: Lighting, width: int, height: int) -> np.ndarray:
    """A cheap quarter-size look at the geometry so far: grey lambert, a plain sky."""
    rows = np.arange(0, height, 4)[:, None] * width + np.arange(0, width, 4)[None, :]
    tq, nq, dq = t[rows], normal[rows], flat[rows]
    up = np.clip(dq[..., 1], 0.0, 1.0)[..., None]
    out = light.horizon_away + (light.zenith - light.horizon_away) * up
    hit = np.isfinite(tq)
    lam = np.clip(nq[hit] @ light.sun_dir, 0.0, 1.0)
    out[hit] = (0.08 + 0.3 * lam)[:, None]
    return to_srgb8(out)


def _shade(spec: SceneSpec, names, lin, dirs, t, normal, mat, obj, tints, hit,
           pixel_angle: float, eye: np.ndarray | None = None) -> None:
    light = spec.lighting
    idx_all = np.nonzero(hit)[0]
    if idx_all.size == 0:
        return
    eye = np.zeros(3) if eye is None else eye
    p_all = dirs[idx_all] * t[idx_all, None] + eye
    lit = np.ones(idx_all.size)
    if spec.sun_mask is not None:
        lit = np.asarray(spec.sun_mask(p_all), dtype=np.float64).copy()
    if spec.sun_shadows and spec.props and light.sun_dir[1] > 0:
        n_all = normal[idx_all]
        # beyond SHADOW_RANGE_M fog hides a shadow's edge; no shadow rays there
        facing = ((n_all @ light.sun_dir) > 0) & (t[idx_all] < SHADOW_RANGE_M) & (lit > 0)
        lit[facing] *= _sun_visibility(spec, p_all[facing] + n_all[facing] * 2e-3)
    slot = np.full(hit.size, -1)
    slot[idx_all] = np.arange(idx_all.size)
    for m, name in enumerate(names):
        sel = idx_all[mat[idx_all] == m]
        if sel.size == 0:
            continue
        s = slot[sel]
        has_obj = obj[sel] >= 0
        tint = np.zeros(sel.size)
        tint[has_obj] = tints[obj[sel][has_obj]]
        inp = ShadeInput(p_all[s], normal[sel], dirs[sel], t[sel], tint,
                         obj[sel], spec.noise, pixel_angle)
        surf = spec.materials[name](inp)
        n = surf.normal if surf.normal is not None else inp.n
        # the inside of an open shell (a pine tier seen from below) faces the viewer: decided
        # by the geometric normal (a bumped shading normal may lean away at grazing angles)
        back = np.einsum("ij,ij->i", inp.n, inp.d) > 0
        if back.any():
            n = np.where(back[:, None], -n, n)
        # slightly wrapped diffuse: a low sun does not cut gentle bumps into black and white
        ndl = np.clip((n @ light.sun_dir + WRAP) / (1.0 + WRAP), 0.0, 1.0) * lit[s]
        amb = (light.ambient_sky * (0.5 + 0.5 * n[:, 1:2])
               + light.ambient_ground * (0.5 - 0.5 * n[:, 1:2]))
        if surf.ao is not None:
            amb = amb * surf.ao[:, None]
        irr = light.sun_colour * ndl[:, None] + amb
        if spec.extra_light is not None:
            irr = irr + spec.extra_light(inp.p, n)
        col = np.asarray(surf.albedo) * irr
        if surf.emission is not None:
            col = col + surf.emission
        mirror = np.broadcast_to(np.asarray(surf.mirror, dtype=np.float64), (sel.size,))
        if np.any(mirror > 0):
            col = _reflect(spec, col, inp.d, n, mirror, lit[s])
        lin[sel] = col
    fog = fog_amount(t[idx_all], dirs[idx_all], light, spec.ground_y - float(eye[1]))
    fcol = fog_colour(dirs[idx_all], light)
    lin[idx_all] = lin[idx_all] * (1.0 - fog[:, None]) + fcol * fog[:, None]


def _reflect(spec: SceneSpec, col, d, n, mirror, lit):
    """Mix in the mirror image of the sky with Schlick's Fresnel term, plus sun glints."""
    light = spec.lighting
    cos_i = np.clip(-np.einsum("ij,ij->i", d, n), 0.0, 1.0)
    fres = mirror + (1.0 - mirror) * (1.0 - cos_i) ** 5
    fres = np.where(mirror > 0, fres, 0.0)
    r = d + 2.0 * cos_i[:, None] * n
    r[:, 1] = np.abs(r[:, 1])  # a ray bent below the horizon by a wave still sees sky
    r /= np.linalg.norm(r, axis=1, keepdims=True)
    sky = sky_radiance(r, light, spec.noise).astype(np.float64)
    out = col * (1.0 - fres[:, None]) + sky * fres[:, None]
    spec_amt = np.clip(r @ light.sun_dir, 0.0, 1.0) ** 300 * lit * (mirror > 0)
    return out + spec_amt[:, None] * light.sun_colour * 6.0


def _sun_visibility(spec: SceneSpec, p: np.ndarray) -> np.ndarray:
    """1 where the straight line from ``p`` towards the sun misses every prop, else 0.

    Points are sorted along the horizontal axis ``e1`` perpendicular to the sun, so each prop
    only tests the points inside the band its shadow can cover (its horizontal half-width
    either side of its centre), then within its bounding sphere's disc.
    """
    L = spec.lighting.sun_dir
    e1 = np.cross(L, [0.0, 1.0, 0.0])
    if np.linalg.norm(e1) < 1e-6:
        e1 = np.array([1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(e1, L)
    u = p @ e1
    order = np.argsort(u)
    us = u[order]
    vs = (p @ e2)[order]
    ws = (p @ L)[order]
    vis = np.ones(p.shape[0])
    d = np.broadcast_to(L, (1, 3))
    casters = spec.props if spec.shadow_props is None else spec.shadow_props
    for prop in casters:
        c = np.asarray(prop.centre)
        cu, cv, cw = c @ e1, c @ e2, c @ L
        hw = prop.halfwidth()
        a = np.searchsorted(us, cu - hw)
        b = np.searchsorted(us, cu + hw)
        if b <= a:
            continue
        band = np.arange(a, b)
        du = us[band] - cu
        dv = vs[band] - cv
        cand = band[(du * du + dv * dv <= prop.radius ** 2) & (ws[band] < cw + prop.radius)]
        if cand.size == 0:
            continue
        pts = p[order[cand]]
        tk, _ = prop.intersect(pts, np.broadcast_to(d, pts.shape).copy())
        vis[order[cand[np.isfinite(tk)]]] = 0.0
    return vis
