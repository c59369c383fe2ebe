"""The indoor procedural scenes: a vaulted hall (library, cathedral variants) and a cave.

Hall: a box of planes (floor, side walls, end walls) under a half-cylinder barrel vault, all
intersected in closed form from the viewer at the origin (:func:`hall_distance`); pillars,
pews, shelves and tables are closed-form props. Sunlight enters through the arched windows
of the right-hand (+X) wall only: a point is sunlit when its straight line to the sun passes
through a window opening, which is tested exactly.

Cave: a chamber whose wall is the star-shaped surface ``r = R(d)`` around the viewer, so the
ray in direction ``d`` meets it at exactly ``R(d)``; a mouth ahead opens onto hills outside
(a height-field terrain); stalactites and stalagmites are cones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scene.conventions import direction_grid, direction_to_lonlat, lonlat_to_pixel

from .geometry import Box, Ellipsoid, ray_planes_inside
from .materials import bump, fbm_3d, fbm_xz, lin, mix, smooth, tinted
from .noise import ValueNoise
from .prompt_words import PromptWords
from .raycast import SceneSpec, ShadeInput, Surface
from .scenery import pillar, scatter, spike
from .sky import azimuth_elevation, lighting_for
from .terrain import Layer, Terrain

__all__ = ["EYE_M", "HallShape", "hall_distance", "build_hall", "CaveShape", "build_cave"]

#: Eye height above the floor, metres.
EYE_M = 1.7


# -- hall -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HallShape:
    """Dimensions of the hall, metres, in the viewer's frame (eye at the origin).

    Attributes
    ----------
    half_width : float
        Side walls at ``x = +-half_width``; also the vault's radius.
    wall_top : float
        Height (y) where the side walls meet the vault; the vault's axis.
    front, back : float
        End walls at ``z = front`` (< 0, ahead) and ``z = back`` (> 0).
    floor : float
        Floor height (``-EYE_M``).
    """

    half_width: float = 6.0
    wall_top: float = 6.3
    front: float = -34.0
    back: float = 14.0
    floor: float = -EYE_M


def hall_distance(d: np.ndarray, shape: HallShape):
    """Exact distance from the origin to the hall's shell along unit directions ``d``.

    The cross-section is a rectangle (floor to ``wall_top``) capped by a half circle of radius
    ``half_width`` (the barrel vault); the end walls close it.

    Parameters
    ----------
    d : (N, 3) float64 ndarray
    shape : HallShape

    Returns
    -------
    t : (N,) float64
        Metres.
    normal : (N, 3) float64
        Unit normals facing the viewer.
    part : (N,) int
        0 floor, 1 side wall, 2 vault, 3 end wall.
    """
    hw, yw = shape.half_width, shape.wall_top
    big = 1e9
    lo = np.array([-hw, shape.floor, shape.front])
    hi = np.array([hw, big, shape.back])
    t_box, axis, n_box = ray_planes_inside(d, lo, hi)
    y_box = t_box * d[:, 1]
    t = t_box.copy()
    normal = n_box
    part = np.where(axis == 1, 0, np.where(axis == 0, 1, 3))
    # above the walls' top the shell is the vault, or the end wall's half-disc
    up = y_box > yw
    if np.any(up):
        du = d[up]
        # |(t dx, t dy - yw)| = hw, far root (the origin lies below the axis, outside the
        # circle's upper half)
        a = du[:, 0] ** 2 + du[:, 1] ** 2
        b = -2.0 * yw * du[:, 1]
        c = yw * yw - hw * hw
        disc = np.maximum(b * b - 4 * a * c, 0.0)
        t_v = (-b + np.sqrt(disc)) / (2 * a)
        # end walls: z plane, valid inside the half-disc
        with np.errstate(divide="ignore", invalid="ignore"):
            t_z = np.where(du[:, 2] < 0, shape.front / du[:, 2], shape.back / du[:, 2])
        px = t_z * du[:, 0]
        py = t_z * du[:, 1] - yw
        end_ok = (px * px + py * py <= hw * hw) & np.isfinite(t_z) & (t_z > 0)
        use_end = end_ok & (t_z < t_v)
        tu = np.where(use_end, t_z, t_v)
        pv = du * tu[:, None]
        nv = np.stack([-pv[:, 0], -(pv[:, 1] - yw), np.zeros_like(tu)], axis=1) / hw
        ne = np.zeros_like(du)
        ne[:, 2] = -np.sign(du[:, 2])
        t[up] = tu
        normal[up] = np.where(use_end[:, None], ne, nv)
        part[up] = np.where(use_end, 3, 2)
    return t, normal, part


def _window_coords(shape: HallShape, spacing: float):
    """Window centres along z on the side walls, between the pillars."""
    first = shape.front + spacing
    centres = np.arange(first + spacing / 2, shape.back - spacing / 2, spacing)
    return centres


def _in_arch(u, v, centre_u, half_w, v_lo, v_spring):
    """Inside an arched opening: a rectangle from ``v_lo`` to ``v_spring`` topped by a half
    disc of radius ``half_w`` (``u`` horizontal, ``v`` vertical, metres)."""
    du = u - centre_u
    rect = (np.abs(du) <= half_w) & (v >= v_lo) & (v <= v_spring)
    dv = v - v_spring
    arch = (dv > 0) & (du * du + dv * dv <= half_w * half_w)
    return rect | arch


def build_hall(words: PromptWords, rng: np.random.Generator, noise: ValueNoise) -> SceneSpec:
    """A vaulted hall: a grand hall by default, a library or a cathedral when the prompt says so."""
    variant = words.variant if words.variant in ("library", "cathedral") else "hall"
    if variant == "cathedral":
        shape = HallShape(7.0, 10.3, -44.0, 16.0)
    elif variant == "library":
        shape = HallShape(6.0, 5.3, -30.0, 12.0)
    else:
        shape = HallShape()
    spacing = 5.0
    hw, yw, floor = shape.half_width, shape.wall_top, shape.floor
    light = lighting_for(words, rng, sun_azimuth_deg=float(rng.uniform(55.0, 80.0)))
    az = np.degrees(np.arctan2(light.sun_dir[0], -light.sun_dir[2]))
    elev = np.degrees(np.arcsin(light.sun_dir[1]))
    light.sun_dir = azimuth_elevation(az, float(np.clip(elev, 22.0, 45.0)))
    night = words.time_of_day == "night"
    # windows: on both side walls between the pillars, from win_lo up to an arch
    win_half = 1.0 if variant != "cathedral" else 1.3
    win_lo = floor + (3.8 if variant == "library" else 2.6)
    win_spring = yw - 1.0 - win_half
    centres = _window_coords(shape, spacing)
    props = []
    pillar_x = hw - 1.5
    z_pillars = np.arange(shape.front + spacing, shape.back - 0.5, spacing)
    for z in z_pillars:
        for x in (-pillar_x, pillar_x):
            props += pillar(x, z, floor, yw, 0.45 if variant != "cathedral" else 0.6)
    if variant == "cathedral":
        for z in np.arange(shape.front + 8.0, -3.0, 1.6):
            for sgn in (-1.0, 1.0):
                x0, x1 = sorted((sgn * 1.3, sgn * (pillar_x - 0.9)))
                lo, hi = (x0, floor, z - 0.25), (x1, floor + 0.9, z + 0.25)
                c = np.array([(x0 + x1) / 2, floor + 0.45, z])
                props.append(Box("wood", c, float(np.linalg.norm([x1 - x0, 0.9, 0.5]) / 2),
                                 float(rng.uniform(-1, 1)), lo, hi))
    if variant == "library":
        for zc in centres:
            for sgn in (-1.0, 1.0):
                x0, x1 = sorted((sgn * hw, sgn * (hw - 0.45)))
                lo, hi = (x0, floor, zc - spacing / 2 + 0.75), (x1, floor + 3.4, zc + spacing / 2 - 0.75)
                c = np.array([(x0 + x1) / 2, floor + 1.7, zc])
                props.append(Box("books", c, float(np.linalg.norm([0.45, 3.4, spacing]) / 2),
                                 float(rng.uniform(-1, 1)), lo, hi))
        for z0 in (-22.0, -12.0):
            lo, hi = (-1.2, floor + 0.72, z0 - 3.5), (1.2, floor + 0.8, z0 + 3.5)
            c = np.array([0.0, floor + 0.76, z0])
            props.append(Box("wood", c, 4.3, 0.0, lo, hi))
            for zz in (z0 - 2.0, z0 + 2.0):
                props.append(Ellipsoid("lamp", np.array([0.0, floor + 1.2, zz]), 0.2, 0.0,
                                       (0.2, 0.15, 0.2)))
    lamps = []
    if night or variant == "library":
        for z in z_pillars[:-1] + spacing / 2:
            pos = np.array([0.0, yw - 0.8, z])
            lamps.append(pos)
            props.append(Ellipsoid("lamp", pos, 0.35, 0.0, (0.35, 0.35, 0.35)))

    tint = np.asarray(words.tint)
    if night:
        window_col = light.zenith * 2.0 + light.horizon_away
    else:
        window_col = (light.horizon_sun * 0.5 + light.horizon_away * 0.5) * 2.2
    lamp_col = lin(1.0, 0.78, 0.5) * (1.6 if night else 0.9)

    def window_mask(u, v):
        out = np.zeros(u.shape, dtype=bool)
        k = np.clip(np.rint((u - centres[0]) / spacing), 0, len(centres) - 1)
        cu = centres[0] + k * spacing
        return out | _in_arch(u, v, cu, win_half, win_lo, win_spring)

    rose_c = np.array([0.0, yw + 0.8])
    rose_r = min(3.2, hw * 0.55)

    def interior(d):
        t, n, part = hall_distance(d, shape)
        p = d * t[:, None]
        mat = np.zeros(t.size, dtype=np.int64)  # floor
        mat[part == 1] = 1
        mat[part == 2] = 2
        mat[part == 3] = 1
        side = part == 1
        win = side & window_mask(p[:, 2], p[:, 1])
        front = (part == 3) & (p[:, 2] < 0)
        rose = front & ((p[:, 0] - rose_c[0]) ** 2 + (p[:, 1] - rose_c[1]) ** 2 <= rose_r ** 2)
        lancet = front & _in_arch(p[:, 0], p[:, 1], 0.0, 1.4, floor + 2.0, yw - 2.2)
        if variant != "library":
            win |= rose | lancet
        mat[win] = 3
        return t, n, mat

    def sun_mask(p):
        L = light.sun_dir
        if night or L[0] <= 0.05:
            return np.zeros(p.shape[0])
        s = (hw - p[:, 0]) / L[0]
        v = p[:, 1] + s * L[1]
        u = p[:, 2] + s * L[2]
        inside_hall = (u > shape.front) & (u < shape.back)
        return (window_mask(u, v) & inside_hall & (v < yw)).astype(np.float64)

    stone = tinted(lin(0.72, 0.66, 0.56), tint)
    mortar = stone * 0.6
    marble_a = lin(0.86, 0.83, 0.76)
    marble_b = lin(0.30, 0.28, 0.28)
    carpet = tinted(lin(0.30, 0.09, 0.08), tint)
    boards = tinted(lin(0.45, 0.28, 0.15), tint)

    def ao_floor(p):
        wall = smooth(hw - np.abs(p[:, 0]), 0.0, 1.2)
        px = np.abs(np.abs(p[:, 0]) - pillar_x)
        zz = p[:, 2] - z_pillars[np.clip(np.searchsorted(z_pillars, p[:, 2]), 0,
                                          len(z_pillars) - 1)]
        zz2 = p[:, 2] - z_pillars[np.clip(np.searchsorted(z_pillars, p[:, 2]) - 1, 0,
                                           len(z_pillars) - 1)]
        dz = np.minimum(np.abs(zz), np.abs(zz2))
        pil = smooth(np.hypot(px, dz), 0.6, 1.6)
        return (0.45 + 0.55 * wall) * (0.55 + 0.45 * pil)

    def floor_mat(inp: ShadeInput) -> Surface:
        x, z = inp.p[:, 0], inp.p[:, 2]
        vein = fbm_xz(inp, 0.7, 4)
        if variant == "library":
            plank = np.floor(x / 0.18)
            along = z / 2.4 + plank * 0.37
            tone = inp.noise.sample(plank.astype(np.float32) + 0.5,
                                    np.floor(along).astype(np.float32) + 0.5)
            gap = np.minimum((0.5 - np.abs((x / 0.18) % 1.0 - 0.5)) * 0.18,
                             (0.5 - np.abs(along % 1.0 - 0.5)) * 2.4)
            albedo = boards * (0.7 + 0.6 * tone + 0.4 * vein)[:, None]
            albedo = albedo * (0.55 + 0.45 * smooth(gap, 0.002, 0.008))[:, None]
        else:
            checker = ((np.floor(x / 1.2) + np.floor(z / 1.2)) % 2).astype(np.float64)
            base = mix(marble_a, marble_b, checker)
            albedo = base * (0.85 + 0.6 * vein)[:, None]
            gx = np.abs(((x / 1.2) % 1.0) - 0.5)
            gz = np.abs(((z / 1.2) % 1.0) - 0.5)
            grout = smooth(np.maximum(gx, gz), 0.485, 0.495)
            albedo = mix(albedo, mortar, grout * 0.7)
            if variant == "cathedral":
                rug = np.abs(x) < 1.1
                albedo = np.where(rug[:, None], carpet * (0.9 + 0.3 * fbm_xz(inp, 0.3, 2))[:, None], albedo)
        return Surface(np.clip(albedo, 0.0, 0.95), ao=ao_floor(inp.p))

    def wall_mat(inp: ShadeInput) -> Surface:
        p = inp.p
        along = np.where(np.abs(inp.n[:, 0]) > 0.5, p[:, 2], p[:, 0])
        row = np.floor((p[:, 1] - floor) / 0.55)
        u = along / 1.1 + 0.5 * (row % 2)
        col = np.floor(u)
        block = inp.noise.sample((col + 0.5).astype(np.float32), (row + 0.5).astype(np.float32))
        # distance to the nearest joint, metres (blocks 1.1 m long, 0.55 m high)
        ju = (0.5 - np.abs((u % 1.0) - 0.5)) * 1.1
        jv = (0.5 - np.abs((((p[:, 1] - floor) / 0.55) % 1.0) - 0.5)) * 0.55
        joint = 1.0 - smooth(np.minimum(ju, jv), 0.008, 0.025)
        grain = fbm_3d(inp, 0.4, 2)
        albedo = stone * (0.8 + 0.35 * block + 0.4 * grain)[:, None]
        albedo = mix(albedo, mortar, joint)
        ao = 0.55 + 0.45 * smooth(p[:, 1] - floor, 0.0, 1.5)
        return Surface(np.clip(albedo, 0.0, 0.95), ao=ao)

    def vault_mat(inp: ShadeInput) -> Surface:
        z = inp.p[:, 2]
        rib = np.abs(((z - shape.front) / spacing) % 1.0 - 0.0)
        rib = np.minimum(rib, 1.0 - rib) * spacing
        ribs = 1.0 - smooth(rib, 0.15, 0.3)
        grain = fbm_3d(inp, 0.6, 2)
        if variant == "cathedral":
            paint = tinted(lin(0.16, 0.22, 0.42), tint)
            base = paint * (0.9 + 0.4 * grain)[:, None]
            star = inp.noise.sample((inp.p[:, 0] * 6.0).astype(np.float32),
                                    (inp.p[:, 1] * 6.0 + z * 6.0).astype(np.float32))
            base = mix(base, lin(0.85, 0.68, 0.30), smooth(star, 0.975, 0.99))
        else:
            base = stone * (0.85 + 0.4 * grain)[:, None]
        albedo = mix(base, stone * 0.7, ribs)
        return Surface(np.clip(albedo, 0.0, 0.95), ao=np.full(z.size, 0.8))

    glass_palette = np.stack([lin(0.9, 0.2, 0.15), lin(0.2, 0.35, 0.95), lin(0.95, 0.75, 0.2),
                              lin(0.2, 0.7, 0.3), lin(0.6, 0.2, 0.8)])

    def window_mat(inp: ShadeInput) -> Surface:
        p = inp.p
        along = np.where(np.abs(inp.n[:, 0]) > 0.5, p[:, 2], p[:, 0])
        lead_u = np.abs(((along / 0.35) % 1.0) - 0.5)
        lead_v = np.abs(((p[:, 1] / 0.5) % 1.0) - 0.5)
        lead = smooth(np.maximum(lead_u, lead_v), 0.44, 0.48)
        emit = np.broadcast_to(window_col, (p.shape[0], 3)).copy()
        if variant == "cathedral":
            cell = inp.noise.sample(np.floor(along / 0.35).astype(np.float32) + 0.5,
                                    np.floor(p[:, 1] / 0.5).astype(np.float32) + 0.5)
            k = np.clip((cell * len(glass_palette)).astype(int), 0, len(glass_palette) - 1)
            emit = glass_palette[k] * (np.max(window_col) * 1.6)
        emit *= (1.0 - 0.9 * lead)[:, None]
        return Surface(np.full((p.shape[0], 3), 0.05), emission=emit)

    def pillar_mat(inp: ShadeInput) -> Surface:
        ang = np.arctan2(inp.n[:, 0], inp.n[:, 2])
        flute = 0.5 + 0.5 * np.cos(ang * 20.0)
        grain = fbm_3d(inp, 0.5, 3)
        albedo = marble_a * (0.85 + 0.3 * grain - 0.12 * flute)[:, None] * tint.clip(0.6, 1.3) ** 0.3
        return Surface(np.clip(albedo, 0.0, 0.95))

    def plinth_mat(inp: ShadeInput) -> Surface:
        grain = fbm_3d(inp, 0.4, 2)
        return Surface(np.clip(stone * (0.7 + 0.4 * grain)[:, None], 0, 0.95))

    def wood_mat(inp: ShadeInput) -> Surface:
        grain = inp.noise.fbm((inp.p[:, 0] * 0.8).astype(np.float32),
                              (inp.p[:, 2] * 9.0 + inp.p[:, 1] * 9.0).astype(np.float32), 3)
        albedo = lin(0.30, 0.17, 0.09) * (0.8 + 0.8 * grain + 0.15 * inp.tint)[:, None]
        return Surface(np.clip(albedo, 0, 0.95))

    spines = np.stack([lin(0.45, 0.08, 0.07), lin(0.10, 0.25, 0.14), lin(0.12, 0.14, 0.35),
                       lin(0.55, 0.38, 0.15), lin(0.32, 0.20, 0.12), lin(0.70, 0.62, 0.45)])

    def books_mat(inp: ShadeInput) -> Surface:
        p = inp.p
        shelf = (p[:, 1] - floor) / 0.42
        row = np.floor(shelf)
        in_row = shelf - row
        board = (in_row < 0.1) | (p[:, 1] - floor > 3.3) | (p[:, 1] - floor < 0.3)
        book = np.floor(p[:, 2] / 0.055 + row * 17.3)
        r1 = inp.noise.sample(book.astype(np.float32) + 0.5, row.astype(np.float32) + 0.5)
        r2 = inp.noise.sample(book.astype(np.float32) + 0.5, row.astype(np.float32) + 40.5)
        k = np.clip((r1 * len(spines)).astype(int), 0, len(spines) - 1)
        albedo = spines[k] * (0.7 + 0.6 * r2)[:, None]
        short = in_row > 0.72 + 0.25 * r2  # gap above shorter books
        albedo = np.where(short[:, None], lin(0.05, 0.04, 0.03), albedo)
        albedo = np.where(board[:, None], lin(0.28, 0.16, 0.08), albedo)
        side = np.abs(inp.n[:, 0]) < 0.5
        albedo = np.where(side[:, None], lin(0.28, 0.16, 0.08), albedo)
        return Surface(np.clip(albedo, 0, 0.95))

    def lamp_mat(inp: ShadeInput) -> Surface:
        return Surface(np.full((inp.p.shape[0], 3), 0.5), emission=np.broadcast_to(
            lamp_col * 6.0, (inp.p.shape[0], 3)))

    lamp_pos = np.array(lamps) if lamps else np.zeros((0, 3))

    def extra_light(p, n):
        e = np.zeros_like(p)
        # light from the windows of each side wall, falling off across the hall
        for sgn in (-1.0, 1.0):
            facing = np.clip(n[:, 0] * sgn, 0.0, 1.0)
            dist = hw - sgn * p[:, 0]
            e += (0.35 * facing / (1.0 + (dist / 5.0) ** 2))[:, None] * window_col
        e += 0.06 * window_col  # bounce
        for lp in lamp_pos:
            v = lp - p
            r2 = np.einsum("ij,ij->i", v, v)
            cosv = np.clip(np.einsum("ij,ij->i", v, n) / np.sqrt(r2), 0.0, 1.0)
            e += (cosv * 6.0 / (1.0 + r2))[:, None] * lamp_col
        return e

    materials = {
        "floor": floor_mat, "wall": wall_mat, "vault": vault_mat, "window": window_mat,
        "pillar": pillar_mat, "plinth": plinth_mat, "wood": wood_mat, "books": books_mat,
        "lamp": lamp_mat,
    }
    light.ambient_sky = light.ambient_sky * 0.5
    light.ambient_ground = light.ambient_ground * 0.5
    light.fog_density *= 0.6
    light.fog_height = 1000.0
    light.stars = 0.0
    return SceneSpec("hall", light, materials, noise, interior=interior,
                     interior_materials=("floor", "wall", "vault", "window"),
                     interior_shape=shape, props=props,
                     ground_y=floor, extra_light=extra_light, sun_mask=sun_mask,
                     r_max=100.0, facts={"variant": variant, "pillars": int(2 * len(z_pillars))})


# -- cave -----------------------------------------------------------------------------------
@dataclass
class CaveShape:
    """The cave wall ``r = R(d)``: an ellipsoid (semi-axes ``axes``) rippled by a sum of
    cosines of the direction, with a mouth (a hole) around ``mouth``.

    Attributes
    ----------
    axes : (3,) float
        Semi-axes along x, y, z, metres.
    waves : (K, 3) float
        Wave vectors of the ripples (per unit direction).
    phases, weights : (K,) float
    mouth : (3,) float
        Unit direction of the mouth's centre.
    mouth_radius : float
        Angular radius of the mouth, radians.
    """

    axes: np.ndarray
    waves: np.ndarray
    phases: np.ndarray
    weights: np.ndarray
    mouth: np.ndarray
    mouth_radius: float
    _table: np.ndarray | None = field(default=None, repr=False)

    def radius_approx(self, d: np.ndarray) -> np.ndarray:
        """``R`` looked up in a 512x256 table (nearest pixel): for shading decisions such as
        "is this point inside the cave", never for distances."""
        if self._table is None:
            self._table = self.radius(direction_grid(512, 256, np.float64).reshape(-1, 3)
                                      ).reshape(256, 512)
        lon, lat = direction_to_lonlat(d)
        px, py = lonlat_to_pixel(lon, lat, 512, 256)
        return self._table[np.clip(np.rint(py).astype(np.int64), 0, 255),
                           np.rint(px).astype(np.int64) % 512]

    def radius(self, d: np.ndarray, grad: bool = False):
        """``R(d)`` for unit directions ``d`` (N, 3), metres, without the mouth; with ``grad``
        also the gradient of the function ``f(v) = R0(v) * N(v)`` at ``d`` (N, 3)."""
        q = 1.0 / np.asarray(self.axes) ** 2
        s = d[:, 0] ** 2 * q[0] + d[:, 1] ** 2 * q[1] + d[:, 2] ** 2 * q[2]
        r0 = 1.0 / np.sqrt(s)
        w = self.waves
        ph = (d[:, 0:1] * w[:, 0] + d[:, 1:2] * w[:, 1]) + (d[:, 2:3] * w[:, 2] + self.phases)
        ripple = 1.0 + np.cos(ph) @ self.weights
        r = r0 * ripple
        if not grad:
            return r
        g0 = -(r0 ** 3)[:, None] * d * q  # gradient of R0
        gn = -(np.sin(ph) * self.weights) @ self.waves
        return r, ripple[:, None] * g0 + r0[:, None] * gn

    def in_mouth(self, d: np.ndarray, noise: ValueNoise) -> np.ndarray:
        cosang = np.clip(d @ self.mouth, -1.0, 1.0)
        ang = np.arccos(cosang)
        edge = noise.fbm((d[:, 0] * 6.0 + 40.0).astype(np.float32),
                         (d[:, 1] * 6.0 + d[:, 2] * 3.0).astype(np.float32), 3)
        return ang < self.mouth_radius * (1.0 + 0.8 * edge)


def build_cave(words: PromptWords, rng: np.random.Generator, noise: ValueNoise) -> SceneSpec:
    """A cavern with stalactites and stalagmites, its mouth opening onto hills ahead."""
    k = 7
    waves = rng.normal(size=(k, 3)) * rng.uniform(2.0, 7.0, (k, 1))
    shape = CaveShape(
        axes=np.array([rng.uniform(11.0, 15.0), rng.uniform(6.0, 8.0), rng.uniform(20.0, 26.0)]),
        waves=waves, phases=rng.uniform(0, 2 * np.pi, k),
        weights=rng.uniform(0.02, 0.05, k) * (7.0 / np.linalg.norm(waves, axis=1)) ** 0.5,
        mouth=azimuth_elevation(float(rng.uniform(-20.0, 20.0)), 6.0), mouth_radius=np.radians(17.0),
    )
    terrain = Terrain(noise, [
        Layer("fbm", 0.5, 6.0, 2, fade_out=(100.0, 200.0)),
        Layer("fbm", 30.0, 120.0, 4, fade_in=(40.0, 160.0)),
        Layer("ridged", 120.0, 380.0, 4, fade_in=(200.0, 600.0)),
    ], eye=EYE_M)
    light = lighting_for(words, rng, sun_azimuth_deg=float(rng.uniform(-30.0, 30.0)))
    floor = -EYE_M
    crystal = words.variant == "crystal"
    props = []
    # stalactites from the ceiling
    n_up = 70
    az = rng.uniform(-np.pi, np.pi, n_up)
    el = np.radians(rng.uniform(30.0, 85.0, n_up))
    dirs = np.stack([np.cos(el) * np.sin(az), np.sin(el), -np.cos(el) * np.cos(az)], axis=1)
    keep = np.degrees(np.arccos(np.clip(dirs @ shape.mouth, -1, 1))) > 30.0
    roots = dirs[keep] * shape.radius(dirs[keep])[:, None]
    for p in roots:
        length = float(rng.uniform(0.6, 3.2))
        props.append(spike(p[0], p[2], p[1] + 1.2, length + 1.2, float(rng.uniform(0.18, 0.5)),
                           "dripstone", hanging=True, tint=float(rng.uniform(-1, 1))))

    def inside_floor(x, z):
        d = np.stack([x, np.zeros_like(x), z], axis=1)
        r = np.hypot(x, z)
        d = d / r[:, None]
        return r < 0.8 * shape.radius(d)

    for x, z in scatter(rng, 30, 2.5, 22.0, 1.2, keep=inside_floor):
        length = float(rng.uniform(0.4, 2.4))
        props.append(spike(x, z, floor - 0.3, length + 0.3, float(rng.uniform(0.2, 0.6)),
                           "dripstone", hanging=False, tint=float(rng.uniform(-1, 1))))
    glow = tinted(lin(0.3, 0.75, 1.0), words.tint) if crystal else None
    crystal_spots = []
    if crystal:
        for x, z in scatter(rng, 7, 3.0, 18.0, 3.0, keep=inside_floor):
            crystal_spots.append((x, floor + 0.6, z))
            for _ in range(5):
                dx, dz = rng.normal(0, 0.35, 2)
                props.append(spike(x + dx, z + dz, floor - 0.2, float(rng.uniform(0.6, 1.8)),
                                   float(rng.uniform(0.08, 0.2)), "crystal", hanging=False))
    crystal_pos = np.array(crystal_spots) if crystal_spots else np.zeros((0, 3))
    # two or three lanterns left by explorers: warm pools of light against the cool mouth
    lantern_col = lin(1.0, 0.62, 0.30)
    lanterns = []
    for x, z in scatter(rng, int(rng.integers(2, 4)), 3.0, 12.0, 4.0, keep=inside_floor):
        pos = np.array([x, floor + 0.25, z])
        lanterns.append(pos)
        props.append(Ellipsoid("lantern", pos, 0.18, 0.0, (0.12, 0.18, 0.12)))
    lantern_pos = np.array(lanterns) if lanterns else np.zeros((0, 3))

    def interior(d):
        r, g = shape.radius(d, grad=True)
        # normal of |p| = R(p/|p|): d - (I - d d^T) grad / R, pointing outwards; flip inwards
        tang = g - np.einsum("ij,ij->i", g, d)[:, None] * d
        n_out = d - tang / r[:, None]
        n = -n_out / np.linalg.norm(n_out, axis=1, keepdims=True)
        t = np.where(shape.in_mouth(d, noise), np.inf, r)
        return t, n, np.zeros(d.shape[0], dtype=np.int64)

    mouth_point = shape.mouth * float(shape.radius(shape.mouth[None])[0])

    def is_inside(p):
        r = np.linalg.norm(p, axis=1)
        return r < shape.radius_approx(p / r[:, None]) + 0.3

    def sun_mask(p):
        return (~is_inside(p)).astype(np.float64)

    mouth_col = (light.horizon_sun + light.horizon_away + light.zenith) / 3.0 * 2.4
    if words.time_of_day == "night":
        mouth_col = mouth_col * 1.5

    def extra_light(p, n):
        v = mouth_point - p
        dist = np.linalg.norm(v, axis=1)
        ldir = v / np.maximum(dist, 1e-6)[:, None]
        cosn = np.clip(np.einsum("ij,ij->i", ldir, n), 0.0, 1.0)
        cosm = np.clip(-(ldir @ shape.mouth), 0.0, 1.0)  # light leaves the mouth inwards
        inside = is_inside(p)
        e = ((4.0 * cosn * (0.3 + 0.7 * cosm) / (1.0 + (dist / 8.0) ** 2)) * inside)[:, None] * mouth_col
        for c in lantern_pos:
            v = c + np.array([0.0, 0.25, 0.0]) - p
            r2 = np.einsum("ij,ij->i", v, v)
            cosv = np.clip(np.einsum("ij,ij->i", v, n) / np.sqrt(r2), 0.0, 1.0)
            e += (cosv * 2.5 / (0.3 + r2))[:, None] * lantern_col
        for c in crystal_pos:
            v = c - p
            r2 = np.einsum("ij,ij->i", v, v)
            cosv = np.clip(np.einsum("ij,ij->i", v, n) / np.sqrt(r2), 0.0, 1.0)
            e += (cosv * 3.0 / (1.0 + r2))[:, None] * glow
        return e

    wall_base = tinted(lin(0.50, 0.40, 0.31), words.tint)

    def wall_mat(inp: ShadeInput) -> Surface:
        n1 = fbm_3d(inp, 2.0, 3)
        strata = np.sin(inp.p[:, 1] * 2.2 + 6.0 * n1) * 0.5 + 0.5
        albedo = wall_base * (0.75 + 0.9 * n1 + 0.3 * strata)[:, None]
        return Surface(np.clip(albedo, 0, 0.95), normal=bump(inp, 0.8, 0.5, 2),
                       ao=np.full(albedo.shape[0], 0.25))

    grass = tinted(lin(0.34, 0.40, 0.18), words.tint)
    cave_floor = tinted(lin(0.36, 0.31, 0.26), words.tint)

    def ground(inp: ShadeInput) -> Surface:
        inside = is_inside(inp.p)
        tone = fbm_xz(inp, 1.5, 3)
        albedo = np.where(inside[:, None], cave_floor * (0.75 + 0.8 * tone)[:, None],
                          grass * (0.8 + 0.8 * tone)[:, None])
        ao = np.where(inside, 0.25, 1.0)
        return Surface(np.clip(albedo, 0, 0.95), normal=bump(inp, 0.6, 0.4), ao=ao)

    def dripstone(inp: ShadeInput) -> Surface:
        band = np.sin(inp.p[:, 1] * 14.0 + 4.0 * fbm_3d(inp, 0.5, 2)) * 0.5 + 0.5
        albedo = tinted(lin(0.55, 0.45, 0.34), words.tint) * (0.8 + 0.3 * band + 0.1 * inp.tint)[:, None]
        return Surface(np.clip(albedo, 0, 0.95), ao=np.full(band.size, 0.4))

    def crystal_mat(inp: ShadeInput) -> Surface:
        facet = 0.6 + 0.4 * np.abs(np.cos(np.arctan2(inp.n[:, 0], inp.n[:, 2]) * 3.0))
        return Surface(np.full((inp.p.shape[0], 3), 0.2),
                       emission=glow[None, :] * (1.2 * facet)[:, None])

    def lantern_mat(inp: ShadeInput) -> Surface:
        return Surface(np.full((inp.p.shape[0], 3), 0.3),
                       emission=np.broadcast_to(lantern_col * 5.0, (inp.p.shape[0], 3)))

    materials = {"wall": wall_mat, "ground": ground, "dripstone": dripstone,
                 "lantern": lantern_mat}
    if crystal:
        materials["crystal"] = crystal_mat
    light.fog_density *= 0.8
    # inside, the ambient light is what bounces off warm rock, dimmed
    light.ambient_sky = 0.5 * light.ambient_sky + 0.5 * lin(0.55, 0.45, 0.36) * float(
        np.mean(light.ambient_sky))
    return SceneSpec("cave", light, materials, noise, terrain=terrain, terrain_material="ground",
                     interior=interior, interior_materials=("wall",), interior_shape=shape,
                     props=props,
                     ground_y=floor, extra_light=extra_light, sun_mask=sun_mask, key=0.1,
                     facts={"variant": "crystal" if crystal else "cave",
                            "stalactites": int(keep.sum())})
