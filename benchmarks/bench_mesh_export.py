#!/usr/bin/env python3
"""Time and peak memory of "panorama -> full-grid mesh -> GLB", against other routes.

Usage::

    .venv/bin/python benchmarks/bench_mesh_export.py                 # 1024x512 and 4096x2048
    .venv/bin/python benchmarks/bench_mesh_export.py --sizes 1024 --repeat 5

Every route runs in its own fresh Python process (so peak memory is that route's alone) on
the same inputs: the analytic box room rendered at the size, given as a PNG file (the colour,
as a project or an import holds it) and a float32 ``.npy`` distance map. Each process loads
the inputs and imports its libraries, then does the timed work; every route ends with the
file fsync'ed (Panoforge's atomic writer always does; the others get an explicit
``os.fsync``). Files go to ``/dev/shm`` by default so that disk speed and other processes'
I/O do not swamp the comparison; ``--workdir`` puts them on a disk instead.

Routes
------
``floor``            fill buffers of the final mesh's sizes (positions, uvs, indices) once and
                     write them plus the PNG bytes: the memory-traffic floor.
``panoforge``        ``build_depth_mesh`` + ``write_glb(texture="png")``: the PNG bytes the
                     panorama carries are embedded as they are.
``panoforge-jpeg``   the same, encoding a JPEG texture from the pixels (the default format).
``trimesh``          the mesh built in numpy the way a user would (float64, int64 faces),
                     ``trimesh.Trimesh`` with ``TextureVisuals`` -> ``export(".glb")``.
``trimesh-pfmesh``   Panoforge's mesh arrays handed to trimesh's exporter (isolates the export).
``open3d``           the user-built mesh as ``o3d.geometry.TriangleMesh`` with per-corner uvs
                     and the texture -> ``o3d.io.write_triangle_mesh(".glb")``.
``cli-import``       the command a user runs: ``panoforge import rgb.png --depth depth16.png
                     -o scene.panoforge`` (16-bit PNG depth in millimetres), as its own process.
``cli-export``       then ``panoforge export scene.panoforge --glb scene.glb`` (the defaults:
                     full-grid mesh, JPEG texture), as its own process.

Printed per route: loading the inputs and importing the route's libraries (``load``), the
timed work (``build`` + ``write`` = ``total``, seconds, best of ``--repeat``), the whole process
(wall seconds including interpreter start, imports and loading), peak resident memory of the
whole process (``wait4`` rusage ``ru_maxrss``), resident memory before the work (``before``)
and the file written, with whether its texture survived.
Ratios against trimesh and the floor come from the same run. Timings on a shared machine are
noisy: compare ratios, and repeat. ``cpu s`` is the whole process's user + system CPU time
(``wait4`` rusage), which other processes on a loaded machine disturb far less than wall
time; the CLI routes are compared with the floor on it: the *route* (``cli-import`` +
``cli-export``, two processes) and ``cli-export`` alone, each against the floor process.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROUTES = ("floor", "panoforge", "panoforge-jpeg", "trimesh", "trimesh-pfmesh", "open3d",
          "cli-import", "cli-export")
CLI_ROUTES = ("cli-import", "cli-export")
GOAL_ROUTE = 1.5  # at 4096x2048: cli-import + cli-export CPU, as a multiple of the floor's
GOAL_EXPORT = 1.3  # at 4096x2048: cli-export CPU, as a multiple of the floor's
GOAL_SPEEDUP = 6.0  # at 4096x2048, vs trimesh
GOAL_MEMORY = 0.5  # at 4096x2048, peak as a fraction of trimesh's
GOAL_SMALL_S = 0.15  # at 1024x512, build + write


# -- child side: one route, one process ---------------------------------------------------

def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _user_mesh(dist: np.ndarray):
    """The full-grid mesh as a user would write it with plain numpy (same topology as
    Panoforge's: pixel-centre vertices, a seam column, one vertex per pole, fans)."""
    h, w = dist.shape
    lon = 2 * np.pi * (np.arange(w + 1) + 0.5) / w - np.pi
    lat = np.pi / 2 - np.pi * (np.arange(h) + 0.5) / h
    lon_g, lat_g = np.meshgrid(lon, lat)
    r = np.concatenate([dist, dist[:, :1]], axis=1).astype(np.float64)
    xyz = np.stack([np.cos(lat_g) * np.sin(lon_g), np.sin(lat_g),
                    -np.cos(lat_g) * np.cos(lon_g)], axis=-1) * r[..., None]
    top = [0.0, float(np.mean(xyz[0, :, 1])), 0.0]
    bottom = [0.0, float(np.mean(xyz[-1, :, 1])), 0.0]
    verts = np.concatenate([xyz.reshape(-1, 3), [top, bottom]])
    u, v = np.meshgrid((np.arange(w + 1) + 0.5) / w, (np.arange(h) + 0.5) / h)
    uv = np.concatenate([np.stack([u, v], axis=-1).reshape(-1, 2), [[0.5, 0.0], [0.5, 1.0]]])
    idx = np.arange(h * (w + 1)).reshape(h, w + 1)
    a, b = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel()
    c, d = idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    n = h * (w + 1)
    faces = np.concatenate([
        np.stack([a, c, b], axis=1), np.stack([b, c, d], axis=1),
        np.stack([np.full(w, n), idx[0, :-1], idx[0, 1:]], axis=1),
        np.stack([np.full(w, n + 1), idx[-1, 1:], idx[-1, :-1]], axis=1),
    ])
    return verts, faces, uv


def _glb_has_image(path: Path) -> bool:
    import struct

    with open(path, "rb") as fh:
        head = fh.read(20)
        jlen = struct.unpack_from("<I", head, 12)[0]
        doc = json.loads(fh.read(jlen))
    return bool(doc.get("images"))


def _import_route(route: str) -> dict:
    """Import what a route needs before the clock starts (imports are not the work)."""
    mods = {}
    if route in ("floor", "panoforge", "panoforge-jpeg", "trimesh-pfmesh"):
        from scene.atomic import atomic_writer
        from scene.depth import DepthInterpretation
        from scene.export_glb import write_glb
        from scene.mesh import build_depth_mesh
        from scene.panorama import RGBDPanorama

        mods.update(atomic_writer=atomic_writer, DepthInterpretation=DepthInterpretation,
                    write_glb=write_glb, build_depth_mesh=build_depth_mesh,
                    RGBDPanorama=RGBDPanorama)
    if route.startswith("trimesh"):
        import trimesh

        mods["trimesh"] = trimesh
    if route == "open3d":
        import open3d

        mods["o3d"] = open3d
    return mods


def run_child(route: str, inputs: Path, out: Path) -> dict:
    t_start = time.perf_counter()
    from PIL import Image

    png = (inputs / "rgb.png").read_bytes()
    dist = np.load(inputs / "distance.npy")
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    h, w = dist.shape
    m = _import_route(route)
    rss_before = _rss_mib()
    t0 = time.perf_counter()
    t_built = t0
    if route == "floor":
        n_vert = h * (w + 1) + 2
        n_face = 2 * h * w
        bufs = [np.empty((n_vert, 3), np.float32), np.empty((n_vert, 2), np.float32),
                np.empty((n_face, 3), np.uint32)]
        for i, buf in enumerate(bufs):
            buf.fill(i + 1)
        t_built = time.perf_counter()
        with m["atomic_writer"](out) as fh:
            for buf in bufs:
                fh.write(buf)
            fh.write(png)
    elif route in ("panoforge", "panoforge-jpeg"):
        pano = m["RGBDPanorama"](rgb, dist, m["DepthInterpretation"]("distance"),
                                 rgb_encoded=png, rgb_mime="image/png")
        mesh = m["build_depth_mesh"](pano)
        t_built = time.perf_counter()
        m["write_glb"](out, pano, mesh, texture="png" if route == "panoforge" else "jpeg")
    elif route in ("trimesh", "trimesh-pfmesh"):
        trimesh = m["trimesh"]
        image = Image.open(io.BytesIO(png))
        if route == "trimesh":
            verts, faces, uv = _user_mesh(dist)
        else:
            pano = m["RGBDPanorama"](rgb, dist, m["DepthInterpretation"]("distance"))
            pm = m["build_depth_mesh"](pano)
            verts, faces, uv = pm.positions, pm.faces, pm.uvs
        mesh = trimesh.Trimesh(vertices=verts, faces=faces, process=False,
                               visual=trimesh.visual.TextureVisuals(uv=uv, image=image))
        t_built = time.perf_counter()
        mesh.export(out, file_type="glb")
        _fsync(out)
    elif route == "open3d":
        o3d = m["o3d"]
        verts, faces, uv = _user_mesh(dist)
        mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(verts),
                                         o3d.utility.Vector3iVector(faces.astype(np.int32)))
        mesh.triangle_uvs = o3d.utility.Vector2dVector(uv[faces].reshape(-1, 2))
        mesh.triangle_material_ids = o3d.utility.IntVector(np.zeros(len(faces), np.int32))
        mesh.textures = [o3d.geometry.Image(np.ascontiguousarray(rgb))]
        t_built = time.perf_counter()
        o3d.io.write_triangle_mesh(str(out), mesh)
        _fsync(out)
    else:
        raise SystemExit(f"unknown route {route}")
    t1 = time.perf_counter()
    import resource

    return {
        "route": route, "load_s": t0 - t_start, "build_s": t_built - t0, "write_s": t1 - t_built, "op_s": t1 - t0,
        "rss_before_mib": rss_before,
        "peak_in_process_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "file_mib": out.stat().st_size / 2**20,
        "texture": _glb_has_image(out) if route != "floor" else True,
    }


# -- parent side ---------------------------------------------------------------------------

def make_inputs(width: int, folder: Path) -> None:
    from PIL import Image

    from scene.testing.analytic import box_room

    pano = box_room(width).panorama
    Image.fromarray(pano.rgb).save(folder / "rgb.png")
    np.save(folder / "distance.npy", np.asarray(pano.distance, dtype=np.float32))
    millimetres = np.clip(np.rint(np.asarray(pano.distance) * 1000.0), 0, 65535)
    Image.fromarray(millimetres.astype(np.uint16)).save(folder / "depth16.png")


def _cli_command(route: str, inputs: Path, out: Path) -> list[str]:
    """The ``panoforge`` command line of a CLI route (the installed script when there is one)."""
    script = Path(sys.executable).with_name("panoforge")
    exe = [str(script)] if script.exists() else [
        sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())"]
    project = inputs / "scene.panoforge"
    if route == "cli-import":
        project.unlink(missing_ok=True)
        return exe + ["import", str(inputs / "rgb.png"), "--depth", str(inputs / "depth16.png"),
                      "-o", str(project)]
    return exe + ["export", str(project), "--glb", str(out)]


def _child_env() -> dict:
    """The environment of every route's process: this one's, but allowed to write and use
    bytecode caches, as an installed Panoforge (pip compiles it) or the bundle does; with
    ``PYTHONDONTWRITEBYTECODE`` set, every process would recompile each project module it
    imports (0.1-0.3 s here), which no user pays. The first of the ``--repeat`` runs writes
    the caches."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_route(route: str, inputs: Path, out: Path) -> dict:
    """Run one route in a fresh process; whole-process wall time and peak RSS via wait4."""
    with tempfile.TemporaryFile(mode="w+") as log:
        t0 = time.perf_counter()
        if route in CLI_ROUTES:
            cmd = _cli_command(route, inputs, out)
        else:
            cmd = [sys.executable, __file__, "--child", route, "--inputs", str(inputs),
                   "--out", str(out)]
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                cwd=Path(__file__).resolve().parents[1], env=_child_env())
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        text = log.read()
    if proc.returncode != 0:
        raise RuntimeError(f"route {route} failed:\n{text[-3000:]}")
    if route in CLI_ROUTES:
        written = out if route == "cli-export" else inputs / "scene.panoforge"
        nan = float("nan")
        result = {"route": route, "load_s": nan, "build_s": nan, "write_s": nan, "op_s": wall,
                  "rss_before_mib": nan, "file_mib": written.stat().st_size / 2**20,
                  "texture": _glb_has_image(out) if route == "cli-export" else True}
    else:
        result = json.loads(text.strip().splitlines()[-1])
    result["process_s"] = wall
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    result["peak_mib"] = usage.ru_maxrss / 1024.0
    out.unlink(missing_ok=True)
    return result


def best(runs: list[dict]) -> dict:
    """Fastest run's timings and the smallest peak (peaks barely vary between runs)."""
    fastest = min(runs, key=lambda r: r["op_s"])
    out = dict(fastest)
    out["process_s"] = min(r["process_s"] for r in runs)
    out["cpu_s"] = min(r["cpu_s"] for r in runs)
    out["peak_mib"] = min(r["peak_mib"] for r in runs)
    return out


def _default_workdir() -> Path | None:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096],
                    help="panorama widths (height = width / 2)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per route (best is kept)")
    ap.add_argument("--routes", nargs="+", default=list(ROUTES), choices=ROUTES)
    ap.add_argument("--workdir", type=Path, default=_default_workdir(),
                    help="where inputs and outputs go (default: /dev/shm when present, so "
                         "the disk's speed and other processes' I/O stay out of the numbers; "
                         "give a folder on disk to include them)")
    ap.add_argument("--child", choices=ROUTES, help=argparse.SUPPRESS)
    ap.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args.child, args.inputs, args.out)))
        return 0

    print(f"# bench_mesh_export: box room, full-grid mesh -> GLB; best of {args.repeat}; "
          f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}; "
          f"python {sys.version.split()[0]}; files in {args.workdir or tempfile.gettempdir()}")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        tmp = Path(tmp)
        for width in args.sizes:
            inputs = tmp / f"in{width}"
            inputs.mkdir()
            make_inputs(width, inputs)
            results = {}
            routes = list(args.routes)
            if "cli-export" in routes and "cli-import" not in routes:
                routes.insert(routes.index("cli-export"), "cli-import")  # makes its project
            runs = {route: [] for route in routes}
            for _ in range(args.repeat):  # interleaved, so a busy spell hits every route
                for route in routes:
                    runs[route].append(run_route(route, inputs, tmp / f"{route}.glb"))
            results = {route: best(r) for route, r in runs.items()}
            report(width, results)
    return 0


def report(width: int, results: dict) -> None:
    print(f"\n## {width}x{width // 2}")
    print(f"{'route':<16}{'load s':>8}{'build s':>9}{'write s':>9}{'total s':>9}{'process s':>11}"
          f"{'cpu s':>8}{'peak MiB':>10}{'before':>8}{'file MiB':>10}  texture")
    for route, r in results.items():
        print(f"{route:<16}{r['load_s']:>8.3f}{r['build_s']:>9.3f}{r['write_s']:>9.3f}{r['op_s']:>9.3f}"
              f"{r['process_s']:>11.3f}{r['cpu_s']:>8.3f}{r['peak_mib']:>10.0f}"
              f"{r['rss_before_mib']:>8.0f}{r['file_mib']:>10.1f}  "
              f"{'yes' if r['texture'] else 'DROPPED'}")
    _report_cli(width, results)
    pf = results.get("panoforge")
    if pf is None:
        return
    for other in ("trimesh", "open3d", "trimesh-pfmesh", "panoforge-jpeg", "floor"):
        if other in results:
            o = results[other]
            print(f"{other:<15} takes x{o['op_s'] / pf['op_s']:5.2f} panoforge's time "
                  f"(whole process x{o['process_s'] / pf['process_s']:.2f}); "
                  f"panoforge's peak is {pf['peak_mib'] / o['peak_mib']:.2f} of its peak")
    if "trimesh" in results and width >= 4096:
        tm = results["trimesh"]
        speed = tm["op_s"] / pf["op_s"]
        mem = pf["peak_mib"] / tm["peak_mib"]
        print(f"goal at {width}: >= {GOAL_SPEEDUP:g}x faster than trimesh: "
              f"{'met' if speed >= GOAL_SPEEDUP else 'NOT met'} (x{speed:.2f}); "
              f"<= {GOAL_MEMORY:g} of its peak: {'met' if mem <= GOAL_MEMORY else 'NOT met'} "
              f"({mem:.2f})")
    if width <= 1024:
        print(f"goal at {width}: build + write under {GOAL_SMALL_S} s: "
              f"{'met' if pf['op_s'] < GOAL_SMALL_S else 'NOT met'} ({pf['op_s']:.3f} s; "
              f"whole process {pf['process_s']:.3f} s)")


def _report_cli(width: int, results: dict) -> None:
    """The user's route (import + export, two processes) and the export alone vs the floor."""
    fl, imp, exp = (results.get(k) for k in ("floor", "cli-import", "cli-export"))
    if fl is None or imp is None or exp is None:
        return
    route_cpu, route_wall = imp["cpu_s"] + exp["cpu_s"], imp["process_s"] + exp["process_s"]
    print(f"route (cli-import + cli-export): cpu {route_cpu:.3f} s = x{route_cpu / fl['cpu_s']:.2f} "
          f"the floor's {fl['cpu_s']:.3f} s (wall {route_wall:.3f} s = "
          f"x{route_wall / fl['process_s']:.2f} the floor's {fl['process_s']:.3f} s)")
    print(f"cli-export alone: cpu {exp['cpu_s']:.3f} s = x{exp['cpu_s'] / fl['cpu_s']:.2f} the "
          f"floor's (wall x{exp['process_s'] / fl['process_s']:.2f}); peak {exp['peak_mib']:.0f} "
          f"MiB, import's {imp['peak_mib']:.0f} MiB")
    if width >= 4096:
        r, e = route_cpu / fl["cpu_s"], exp["cpu_s"] / fl["cpu_s"]
        print(f"goal at {width}: route <= x{GOAL_ROUTE:g} the floor: "
              f"{'met' if r <= GOAL_ROUTE else 'NOT met'} (x{r:.2f}); export <= x{GOAL_EXPORT:g}: "
              f"{'met' if e <= GOAL_EXPORT else 'NOT met'} (x{e:.2f})")


if __name__ == "__main__":
    sys.exit(main())
