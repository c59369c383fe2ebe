"""Stereo 360 of a whole composition: props where (and as far as) their geometry says, and
layers filling what each eye sees behind the pillar, checked against exact ray casts."""

from __future__ import annotations

import numpy as np
import pytest

from renderers.scene_parts import scene_parts
from renderers.stereo360 import ipd_taper, props_surface, render_stereo360
from scene.composition import Scene
from scene.conventions import latitudes, longitudes
from scene.mesh import build_depth_mesh
from tests.renderers.composition_fixtures import PILLAR, UNLIT_COLOUR, composition, room_layer


def _pixel_of(point, w):
    p = np.asarray(point, float)
    lon = np.arctan2(p[0], -p[2])
    lat = np.arcsin(p[1] / np.linalg.norm(p))
    return (int(np.floor((np.pi / 2 - lat) / np.pi * (w // 2))),
            int(np.floor((lon + np.pi) / (2 * np.pi) * w)))


def _cube_distance(prop, direction):
    """Exact distance from the origin along a unit ``direction`` to the prop's cube surface."""
    m = prop.transform.matrix()
    half = float(prop.mesh.positions.max()) * prop.transform.scale
    # In the cube's frame: origin o, direction u; first slab exit from outside is the entry.
    rot = m[:3, :3] / prop.transform.scale
    o = rot.T @ (-m[:3, 3])
    u = rot.T @ np.asarray(direction, float)
    with np.errstate(divide="ignore"):
        t1, t2 = (-half - o) / u, (half - o) / u
    return float(np.max(np.minimum(t1, t2)))


def test_props_surface_is_the_exact_distance_and_colour():
    _, scene = composition(256)
    parts = scene_parts(Scene(dome=scene.dome, props=scene.props[:1]))
    dist, colour = props_surface(parts.props, 128, 256)
    unlit = scene.props[0]
    y, x = _pixel_of(unlit.transform.translation, 256)
    lon, lat = longitudes(256)[x], latitudes(128)[y]
    d = np.array([np.cos(lat) * np.sin(lon), np.sin(lat), -np.cos(lat) * np.cos(lon)])
    assert dist[y, x] == pytest.approx(_cube_distance(unlit, d), rel=1e-6)  # float32 vertices
    assert tuple(colour[y, x]) == UNLIT_COLOUR
    # Every pixel's ray that meets the cube is marked, and none other (exact slab test).
    lons, lats = np.meshgrid(longitudes(256), latitudes(128))
    dirs = np.stack([np.cos(lats) * np.sin(lons), np.sin(lats), -np.cos(lats) * np.cos(lons)], -1)
    exact = np.array([[_cube_distance(unlit, v) for v in row] for row in dirs[40:70, 100:140]])
    m = unlit.transform.matrix()
    rot = m[:3, :3] / unlit.transform.scale
    half = float(unlit.mesh.positions.max()) * unlit.transform.scale
    inside = np.array([[np.all(np.abs(rot.T @ (t * v - m[:3, 3])) <= half + 1e-9)
                        for t, v in zip(r_t, r_v, strict=True)]
                       for r_t, r_v in zip(exact, dirs[40:70, 100:140], strict=True)])
    got = np.isfinite(dist[40:70, 100:140])
    assert inside.sum() > 20 and np.array_equal(got, inside)
    assert np.allclose(dist[40:70, 100:140][got], exact[got], rtol=1e-6)


def _cube_hit_from(prop, eye, direction):
    """Whether rays from ``eye`` ((..., 3)) along ``direction`` ((..., 3)) meet the prop's cube."""
    m = prop.transform.matrix()
    rot = m[:3, :3] / prop.transform.scale
    half = float(prop.mesh.positions.max()) * prop.transform.scale
    o = (eye - m[:3, 3]) @ rot
    u = direction @ rot
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (-half - o) / u, (half - o) / u
    t_in = np.max(np.minimum(t1, t2), axis=-1)
    t_out = np.min(np.maximum(t1, t2), axis=-1)
    return (t_in <= t_out) & (t_out > 0)


def test_props_show_in_both_eyes_where_the_exact_geometry_says():
    w, ipd = 1024, 0.064
    _, scene = composition(w)
    mesh = build_depth_mesh(scene.dome)
    unlit = scene.props[0]
    parts = scene_parts(Scene(dome=scene.dome, props=(unlit,)))
    img = render_stereo360(scene.dome, mesh, ipd=ipd, parts=parts)
    mono = render_stereo360(scene.dome, mesh, ipd=0.0, parts=parts)
    y, x = _pixel_of(unlit.transform.translation, w)
    assert tuple(mono[y, x]) == UNLIT_COLOUR and tuple(mono[w // 2 + y, x]) == UNLIT_COLOUR
    assert tuple(render_stereo360(scene.dome, mesh, ipd=0.0)[y, x]) != UNLIT_COLOUR
    lon = longitudes(w)
    lat = latitudes(w // 2)[y]
    d = np.stack([np.cos(lat) * np.sin(lon), np.full_like(lon, np.sin(lat)),
                  -np.cos(lat) * np.cos(lon)], -1)
    tau = np.stack([np.cos(lon), np.zeros_like(lon), np.sin(lon)], -1)
    r = 0.5 * ipd * ipd_taper(np.array(lat))
    centres = {}
    for top, side in ((0, -1.0), (w // 2, 1.0)):
        seen = (img[top + y] == UNLIT_COLOUR).all(axis=-1)
        exact = _cube_hit_from(unlit, side * r * tau, d)
        assert exact.sum() > 10
        # The silhouette edges sit within a column of the exact ones (the stretched strip an
        # eye sees behind an edge is a pixel wide at this IPD).
        assert np.count_nonzero(seen != exact) <= 2
        centres[side] = (lon[seen].mean(), lon[exact].mean())
    # Left eye to the right, right eye to the left, by the exact amount.
    got = centres[-1.0][0] - centres[1.0][0]
    want = centres[-1.0][1] - centres[1.0][1]
    assert want > 2 * (2 * np.pi / w)
    assert got == pytest.approx(want, abs=1.0 * 2 * np.pi / w)


def _exact_eye_labels(room, w, ipd):
    """Label each ODS pixel sees in the real room with its pillar (an exact ray cast from each
    eye), and whether that point is hidden behind the pillar seen from the origin."""
    h = w // 2
    lons, lats = np.meshgrid(longitudes(w), latitudes(h))
    d = np.stack([np.cos(lats) * np.sin(lons), np.sin(lats), -np.cos(lats) * np.cos(lons)], -1)
    tau = np.stack([np.cos(lons), np.zeros_like(lons), np.sin(lons)], -1)
    r = 0.5 * ipd * ipd_taper(lats)
    lo = np.array([-3.0, -1.6, -4.5])
    hi = np.array([3.5, 1.4, 2.5])
    cx, cz, half = PILLAR
    out = []
    for side in (-1.0, 1.0):
        e = side * r[..., None] * tau
        with np.errstate(divide="ignore", invalid="ignore"):
            t_room = np.min(np.where(d > 0, (hi - e) / d, (lo - e) / d), axis=-1)
            tx = np.stack([(cx - half - e[..., 0]) / d[..., 0], (cx + half - e[..., 0]) / d[..., 0]])
            tz = np.stack([(cz - half - e[..., 2]) / d[..., 2], (cz + half - e[..., 2]) / d[..., 2]])
        t_in = np.maximum(tx.min(0), tz.min(0))
        t_out = np.minimum(tx.max(0), tz.max(0))
        pillar = (t_in <= t_out) & (t_in > 0) & (t_in < t_room)
        t = np.where(pillar, t_in, t_room)
        point = e + t[..., None] * d
        seen_from_origin = room.label_of(point)
        hidden = ~pillar & (seen_from_origin == room.labels.index("pillar"))
        out.append((pillar, hidden))
    return out


def _wall_like(pixels, walls) -> float:
    """Share of (n, 3) pixels within 8 of one of the room's wall colours."""
    px = pixels.astype(int)
    return float((np.min(np.abs(px[:, None] - walls[None]).max(-1), axis=1) <= 8).mean())


def test_a_layer_fills_what_each_eye_sees_behind_the_pillar():
    w, ipd = 512, 0.3
    room, scene = composition(w)
    mesh = build_depth_mesh(scene.dome)
    layer = room_layer(room, w)
    with_layer = render_stereo360(scene.dome, mesh, ipd=ipd,
                                  parts=scene_parts(Scene(dome=scene.dome, layers=(layer,))))
    without = render_stereo360(scene.dome, mesh, ipd=ipd)
    pillar_colour = np.array(room.colours["pillar"])
    walls = np.array([room.colours[n] for n in room.labels if n != "pillar"])
    for eye, (pillar, hidden) in enumerate(_exact_eye_labels(room, w, ipd)):
        rows = slice(eye * (w // 2), (eye + 1) * (w // 2))
        # Away from the pillar's edges (one pixel), the strips behind it.
        core = hidden & np.roll(hidden, 1, 1) & np.roll(hidden, -1, 1)
        assert core.sum() > 30
        # Without the layer the stretched strip shows pillar-ish blends; with it, the walls.
        assert _wall_like(without[rows][core], walls) < 0.3
        assert _wall_like(with_layer[rows][core], walls) > 0.9
        # The pillar itself still shows where each eye sees it.
        solid = pillar & np.roll(pillar, 2, 1) & np.roll(pillar, -2, 1)
        got = with_layer[rows][solid].astype(int)
        assert np.mean(np.abs(got - pillar_colour).max(-1) <= 3) > 0.95
