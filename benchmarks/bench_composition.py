#!/usr/bin/env python3
"""Frame time of a whole composition (dome + layer + props) against the plain dome.

Usage::

    .venv/bin/python benchmarks/bench_composition.py              # 1024x512
    .venv/bin/python benchmarks/bench_composition.py --width 2048 --frames 20

The dome is the analytic box room at ``--width``, meshed on the full grid; the layer is the
empty room behind the pillar (NaN elsewhere, so its mesh covers only that part); the props are
``--props`` cubes subdivided to ``--prop-faces`` triangles each. Both scenes are drawn by
:class:`renderers.offscreen.OffscreenRenderer` (upload once, then only the camera moves), over
the same sequence of yaw angles.

Printed (milliseconds, median over ``--frames`` frames): ``dome`` and ``composition`` frame
time (render + read back), their ratio, and the one-off cost of building the parts
(:func:`renderers.scene_parts.scene_parts`). Goal: the ratio at most 1.5 (no per-frame Python
work per part: each part is one draw call). On Mesa's llvmpipe the triangles rasterised
dominate; a real GPU draws both in a few milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_RATIO = 1.5


def _cube(n: int, colour) -> object:
    """A unit cube (half 0.5) with each face an n x n grid of quads (12 n^2 triangles)."""
    from scene.composition import ObjectMesh

    g = np.linspace(-0.5, 0.5, n + 1)
    uu, vv = np.meshgrid(g, g)
    positions, faces = [], []
    for axis in range(3):
        for sign in (-0.5, 0.5):
            p = np.zeros((n + 1, n + 1, 3))
            p[..., axis] = sign
            p[..., (axis + 1) % 3] = uu
            p[..., (axis + 2) % 3] = vv
            base = sum(len(x) for x in positions)
            idx = base + np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
            a, b, c, d = idx[:-1, :-1], idx[:-1, 1:], idx[1:, 1:], idx[1:, :-1]
            quad = np.stack([a, b, c, a, c, d], -1).reshape(-1, 3)
            if sign < 0:
                quad = quad[:, ::-1]
            positions.append(p.reshape(-1, 3))
            faces.append(quad)
    p = np.concatenate(positions).astype(np.float32)
    colours = np.tile(np.array([*colour, 255], np.uint8), (len(p), 1))
    return ObjectMesh(p, np.concatenate(faces).astype(np.uint32), colors=colours)


def build(width: int, n_props: int, prop_faces: int):
    from scene.composition import Layer, Prop, Scene, Transform
    from scene.depth import DepthInterpretation
    from scene.panorama import RGBDPanorama
    from scene.testing.analytic import box_room

    room = box_room(width)
    empty = box_room(width, pillar=None)
    behind = room.label_of_pixels() == room.labels.index("pillar")
    dist = np.where(behind, empty.panorama.distance, np.nan).astype(np.float32)
    layer = Layer("l1", RGBDPanorama(empty.panorama.rgb, raw_depth=dist,
                                     interpretation=DepthInterpretation("distance")))
    n = max(1, int(round(np.sqrt(prop_faces / 12))))
    props = tuple(Prop(f"p{i}", _cube(n, (200, 80, 40)),
                       Transform.yaw((np.sin(i) * 1.5, -0.5, -1.5 - 0.3 * i), 20.0 * i, 0.4),
                       material="pbr" if i % 2 else "unlit")
                  for i in range(n_props))
    return Scene(dome=room.panorama, layers=(layer,), props=props)


def frame_ms(renderer, yaws) -> float:
    times = []
    for yaw in yaws:
        t0 = time.perf_counter()
        renderer.render(yaw_deg=float(yaw), fov_deg=90.0)
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--props", type=int, default=3)
    ap.add_argument("--prop-faces", type=int, default=20000)
    ap.add_argument("--size", type=int, nargs=2, default=(1280, 720))
    args = ap.parse_args(argv)

    from renderers.offscreen import OffscreenRenderer
    from renderers.scene_parts import scene_parts
    from scene.mesh import build_depth_mesh

    scene = build(args.width, args.props, args.prop_faces)
    mesh = build_depth_mesh(scene.dome)
    t0 = time.perf_counter()
    parts = scene_parts(scene)
    parts_ms = (time.perf_counter() - t0) * 1000.0
    yaws = np.linspace(-180, 180, args.frames, endpoint=False)
    with OffscreenRenderer(scene.dome, mesh, size=args.size) as r:
        r.render()  # warm-up: shaders compiled, buffers resident
        dome = frame_ms(r, yaws)
    with OffscreenRenderer(scene.dome, mesh, size=args.size, parts=parts) as r:
        r.render()
        comp = frame_ms(r, yaws)
    ratio = comp / dome
    print(f"box room {args.width}x{args.width // 2}: dome {mesh.n_faces:,} triangles; "
          f"parts {len(parts.layers)} layer(s) + {len(parts.props)} prop(s), "
          f"{parts.n_faces:,} triangles (built once in {parts_ms:.0f} ms)")
    print(f"frame {args.size[0]}x{args.size[1]} (render + read back), median of {args.frames}:")
    print(f"  dome         {dome:8.1f} ms")
    print(f"  composition  {comp:8.1f} ms")
    print(f"  ratio        {ratio:8.2f}  (goal <= {GOAL_RATIO})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
