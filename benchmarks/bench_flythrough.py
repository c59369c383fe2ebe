"""Fly-through video speed: frames per second of rendering and of H.264 encoding (issue 11).

Run::

    .venv/bin/python benchmarks/bench_flythrough.py              # 1280x720 and 360° 2048x1024
    .venv/bin/python benchmarks/bench_flythrough.py --frames 10  # a quick smoke run

On the procedural hall (1024x512, its DepthFusion mesh), a 0.3 m orbit; for each kind of frame
it times, in this process on whatever GPU or CPU OpenGL this is (Mesa's llvmpipe on a shared
CPU is far slower than a desktop GPU):

- **render**: :meth:`renderers.offscreen.OffscreenRenderer.render` per frame (perspective), or
  six cube faces plus :class:`renderers.flythrough.CubeToEquirect` (equirect);
- **encode**: :class:`renderers.video_file.VideoWriter` (libx264, crf 17, preset faster) per
  frame, on the rendered frames;
- **whole**: :func:`renderers.flythrough.render_flythrough` end to end, and the file size.

Compared against real time (30 fps): a ratio below 1 means a video takes longer to make than
to watch; the goal is only that the encoder is never the bottleneck (encode fps > render fps).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()

    from renderers.flight_path import orbit_path
    from renderers.flythrough import CUBE_VIEWS, CubeToEquirect, render_flythrough
    from renderers.offscreen import OffscreenRenderer
    from renderers.video_file import VideoWriter
    from scene.mesh import build_depth_mesh

    pano = _hall()
    mesh = build_depth_mesh(pano)
    fps = 30.0
    path = orbit_path(0.3, args.frames / fps)
    poses = path.sample(path.frame_times(fps))
    print(f"scene {pano.width}x{pano.height}, {mesh.n_faces:,} triangles, {len(poses)} frames")
    for kind, size in (("perspective", (1280, 720)), ("equirect", (2048, 1024))):
        eq = kind == "equirect"
        rsize = (size[0] // 4, size[0] // 4) if eq else size
        mapper = CubeToEquirect(*size, rsize[0]) if eq else None
        with OffscreenRenderer(pano, mesh, size=rsize) as r:
            t0 = time.perf_counter()
            frames = []
            for p in poses:
                if eq:
                    frames.append(mapper([r.render(yaw_deg=p.yaw_deg + y, pitch_deg=pt,
                                                   fov_deg=90, eye=p.eye) for y, pt in CUBE_VIEWS]))
                else:
                    frames.append(r.render(yaw_deg=p.yaw_deg, fov_deg=p.fov_deg, eye=p.eye))
            t_render = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "enc.mp4"
            t0 = time.perf_counter()
            with VideoWriter(out, size, fps) as v:
                for f in frames:
                    v.write(f)
            t_enc = time.perf_counter() - t0
            out2 = Path(tmp) / "whole.mp4"
            t0 = time.perf_counter()
            render_flythrough(pano, mesh, path, out2, size=size, fps=fps, equirect=eq)
            t_whole = time.perf_counter() - t0
            mb = out2.stat().st_size / 1e6
        n = len(frames)
        print(f"{kind:11s} {size[0]}x{size[1]}: render {n / t_render:6.1f} fps, "
              f"encode {n / t_enc:6.1f} fps, whole {n / t_whole:6.1f} fps "
              f"({n / t_whole / fps:.2f}x real time at {fps:g} fps), {mb:.2f} MB for "
              f"{n / fps:.1f} s")


def _hall():
    from models.base import GenerationRequest
    from models.registry import get_backend

    req = GenerationRequest(prompt="a hall with pillars", seed=1, width=1024, height=512)
    return get_backend("procedural").generate(req).panorama


if __name__ == "__main__":
    main()
