"""Layering + fill time and the GLB size with layers (issue 11).

Run::

    .venv/bin/python benchmarks/bench_layers.py                 # 1024x512 and 4096x2048
    .venv/bin/python benchmarks/bench_layers.py --sizes 1024

For each size and scene (the procedural hall with pillars and the pine forest, exact depth) it
times, as whole function calls in this process on whatever CPU this is (the machine may be
shared):

- **layering**: :func:`scene.layering.disocclusion` (edges by the cut rule, the geometric
  band for a 0.5 m walk radius, k-d tree on directions, the islands the band encloses);
- **procedural fill**: :class:`models.fillers.procedural.ProceduralFiller` (two ray casts of
  the scene: the exposure and the peeled render);
- **classical fill**: :class:`models.fillers.classical.ClassicalFiller` (OpenCV inpainting);
- **GLB**: the size of the dome alone and with the first layer (``scene.exporters``).

Goal: layering + classical fill under 2 s at 1024x512 (a user clicking "Make walkable" with
no weights waits about as long as for an export). The comparison is against that budget;
no other tool makes these layers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_S = 2.0


def _timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096])
    ap.add_argument("--walk-radius", type=float, default=0.5)
    ap.add_argument("--scenes", nargs="+", default=["a grand hall with pillars", "a pine forest"])
    args = ap.parse_args(argv)

    from models.base import GenerationRequest
    from models.fillers import FillRequest, make_filler
    from models.procedural.backend import ProceduralBackend
    from scene.composition import Scene
    from scene.exporters import export
    from scene.layering import disocclusion, make_layer

    cut = 0.25
    print(f"{'scene':>26} {'size':>10} {'layering':>9} {'proc fill':>9} {'class fill':>10} "
          f"{'lay+class':>9} {'goal':>5} {'GLB dome':>9} {'GLB+layer':>9}")
    for prompt, w in ((p, w) for w in args.sizes for p in args.scenes):
        h = w // 2
        req = GenerationRequest(prompt=prompt, seed=3, width=w, height=h)
        dome = ProceduralBackend().generate(req).panorama
        _ = dome.distance
        dis, t_lay = _timed(disocclusion, dome.distance, cut, args.walk_radius)
        proc, t_proc = _timed(make_filler("procedural").fill, FillRequest(dome, dis))
        clas, t_clas = _timed(make_filler("classical").fill, FillRequest(dome, dis))
        layer = make_layer(dome, dis, proc.rgb, proc.distance, layer_id="l1",
                           method="procedural")
        with tempfile.TemporaryDirectory() as tmp:
            a, b = Path(tmp) / "dome.glb", Path(tmp) / "layered.glb"
            export("glb", Scene(dome), a)
            export("glb", Scene(dome, (layer,)), b)
            size_a, size_b = a.stat().st_size, b.stat().st_size
        total = t_lay + t_clas
        ok = "ok" if total < GOAL_S or w != 1024 else "MISS"
        print(f"{prompt:>26} {w}x{h:<5} {t_lay:8.2f}s {t_proc:8.2f}s {t_clas:9.2f}s {total:8.2f}s "
              f"{ok if w == 1024 else '-':>5} {size_a / 1e6:7.1f}MB {size_b / 1e6:7.1f}MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
