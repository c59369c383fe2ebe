"""Size and time of every export preset for the 1024 procedural forest and a 4096 box room.

Run::

    .venv/bin/python benchmarks/bench_export_presets.py            # both scenes
    .venv/bin/python benchmarks/bench_export_presets.py --sizes 1024

For each scene it prints, per preset: seconds to write the file (meshes included, the way
``panoforge export --preset`` does it: the presets without a budget share one mesh build,
which is timed once and added to each), file size, triangles, the estimate made before
writing, and the goals of issue 15 against them:

* ``web`` GLB at most 1/4 of the uncompressed (``godot``) GLB;
* ``quest`` under 300 k triangles and 30 MB;
* every preset under 5 s at 4096 x 2048 on this machine.

Numbers only; nothing here asserts (timing goals never live in tests).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scene.composition import Scene  # noqa: E402
from scene.export_presets import PRESETS, estimate, write_preset  # noqa: E402
from scene.mesh_settings import MeshSettings  # noqa: E402
from scene.scene_mesh import build_scene_meshes  # noqa: E402


def forest(width: int) -> Scene:
    from models.base import GenerationRequest
    from models.registry import get_backend

    req = GenerationRequest(prompt="a misty pine forest at dawn", seed=3, width=width,
                            height=width // 2)
    return Scene(dome=get_backend("procedural").generate(req).panorama, name="forest")


def room(width: int) -> Scene:
    from scene.testing.analytic import box_room

    return Scene(dome=box_room(width).panorama, name="room")


def bench(label: str, scene: Scene, folder: Path, limit_s: float | None) -> None:
    settings = MeshSettings()
    t0 = time.perf_counter()
    meshes = build_scene_meshes(scene, settings)
    mesh_s = time.perf_counter() - t0
    pano = scene.dome
    print(f"\n{label} ({pano.width}x{pano.height}); shared mesh build {mesh_s:.2f} s "
          f"({meshes.dome.n_faces:,} triangles)")
    print(f"{'preset':<9} {'seconds':>8} {'size MB':>8} {'estimate MB':>11} {'triangles':>10}")
    sizes, rows = {}, {}
    for name, preset in PRESETS.items():
        path = folder / f"{label}.{name}{preset.suffix}"
        t = time.perf_counter()
        est = estimate(scene, preset, settings, meshes)
        _, built = write_preset(scene, preset, path, settings, meshes)
        seconds = time.perf_counter() - t + (mesh_s if preset.triangle_budget is None else 0.0)
        size = path.stat().st_size
        sizes[name] = size
        rows[name] = (seconds, est.triangles)
        print(f"{name:<9} {seconds:8.2f} {size / 1e6:8.2f} {est.total_bytes / 1e6:11.2f} "
              f"{est.triangles:10,}")
    ratio = sizes["web"] / sizes["godot"]
    print(f"goal web <= 1/4 of uncompressed: {ratio:.3f} "
          f"{'MET' if ratio <= 0.25 else 'NOT MET'}")
    q_tri, q_mb = rows["quest"][1], sizes["quest"] / 1e6
    print(f"goal quest < 300k triangles and < 30 MB: {q_tri:,} triangles, {q_mb:.1f} MB "
          f"{'MET' if q_tri < 300_000 and q_mb < 30 else 'NOT MET'}")
    if limit_s is not None:
        slow = [n for n, (s, _) in rows.items() if s >= limit_s]
        print(f"goal every preset < {limit_s:g} s: "
              + ("MET" if not slow else "NOT MET (" + ", ".join(
                  f"{n} {rows[n][0]:.1f} s" for n in slow) + ")"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096],
                    help="1024 = the procedural forest, others = the box room at that width")
    args = ap.parse_args(argv)
    print(f"{os.cpu_count()} CPU cores; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="panoforge-bench-presets-") as tmp:
        for width in args.sizes:
            if width == 1024:
                bench("forest", forest(width), Path(tmp), None)
            else:
                bench("room", room(width), Path(tmp), 5.0 if width >= 4096 else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
