"""``panoforge info``: what is in a project (results, settings, sizes, depth ranges)."""

from __future__ import annotations

import argparse
import json

HELP = "describe a project: its results, their settings, sizes and depth ranges"
DESCRIPTION = """\
List the results of a .panoforge project (the active one is marked with *; a name and a
favourite star given in the window's gallery follow the id), with the settings
that made each (backend, prompt, seed, steps, guidance, model), its size, depth interpretation
and depth range in metres, and the project's mesh settings. --json prints the same as JSON.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT", help="a .panoforge file")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _number(x: float) -> float | None:
    return None if x != x else round(float(x), 6)  # NaN -> null


def describe(path) -> dict:
    """Everything ``info`` prints, as plain JSON types."""
    import zipfile

    import numpy as np

    from scene import licences
    from scene.project import load_project, read_manifest

    project = load_project(path)
    with zipfile.ZipFile(path) as zf:
        manifest = read_manifest(zf, str(path))
    results = []
    for r in project.results:
        pano = r.panorama
        md = pano.metadata
        entry = {
            "id": r.id, "active": r.id == project.active_id, "kind": r.kind, "label": r.label,
            "name": r.name, "favourite": r.favourite,  # the gallery's rename and star
            "parent_id": r.parent_id, "created": r.created,
            "width": pano.width, "height": pano.height,
            "rgb_format": pano.rgb_mime or "image/png",
            "settings": {k: getattr(md, k) for k in (
                "backend", "prompt", "negative_prompt", "seed", "steps", "guidance",
                "scheduler", "model_id", "model_revision", "software_version")},
            "metadata": md.to_dict(),
            "flat_radius": pano.flat_radius,
            "depth": None,
            "licences": licences.collect(r),
            "non_commercial": bool(licences.non_commercial(r)),
            # recorded by ``panoforge layer`` (scene.walkzone); None when never measured
            "walk_zone": md.extra.get("walk_zone"),
        }
        if pano.has_depth:
            raw = np.asarray(pano.raw_depth)
            lo, hi = pano.depth_range()
            entry["depth"] = {
                "width": int(raw.shape[1]), "height": int(raw.shape[0]), "dtype": str(raw.dtype),
                "interpretation": pano.interpretation.to_dict(),
                "min_m": _number(lo), "max_m": _number(hi),
                "unknown_pixels": int(np.count_nonzero(np.isnan(pano.distance))),
            }
        results.append(entry)
    return {
        "path": str(path), "format_version": manifest["format_version"],
        "app_version": manifest.get("app_version", ""), "active_id": project.active_id,
        "mesh_settings": project.mesh_settings.to_dict(), "results": results,
    }


def _settings_line(s: dict) -> str:
    parts = [f"backend {s['backend'] or '?'}"]
    if s["backend"] != "import":
        parts.append(f"seed {s['seed']}")
        if s["steps"]:  # diffusion settings; a result made without any (steps 0) has none
            parts += [f"steps {s['steps']}", f"guidance {s['guidance']:g}"]
        if s["scheduler"]:
            parts.append(f"scheduler {s['scheduler']}")
        if s["model_id"]:
            model = s["model_id"] + (f"@{s['model_revision']}" if s["model_revision"] else "")
            parts.append(f"model {model}")
    return ", ".join(parts)


def format_text(info: dict) -> str:
    ms = info["mesh_settings"]
    n = len(info["results"])
    lines = [
        f"{info['path']}: {n} result{'s' if n != 1 else ''} (project format "
        f"{info['format_version']}, saved by Panoforge {info['app_version'] or '?'})",
        f"mesh settings: {ms['mode']}, max error {100 * ms['max_error']:g} %, "
        f"cut threshold {ms['cut_threshold']:g}",
    ]
    for r in info["results"]:
        mark = "*" if r["active"] else " "
        parent = f", from {r['parent_id']}" if r["parent_id"] else ""
        created = f"  created {r['created']}" if r["created"] else ""
        star = "  [favourite]" if r.get("favourite") else ""  # (ASCII: any console prints it)
        named = f"{r['name']!r} (label {r['label']!r})" if r.get("name") else repr(r["label"])
        lines.append(f"{mark} {r['id']}{star}  {r['kind']}{parent}  {named}  "
                     f"{r['width']}x{r['height']}{created}")
        s = r["settings"]
        lines.append(f"      {_settings_line(s)}")
        if s["prompt"]:
            lines.append(f"      prompt: {s['prompt']!r}")
        if s["negative_prompt"]:
            lines.append(f"      negative prompt: {s['negative_prompt']!r}")
        extra = r["metadata"].get("extra", {})
        if s["backend"] == "import" and extra.get("rgb_file"):
            src = extra["rgb_file"] + (f" + {extra['depth_file']}" if extra.get("depth_file") else "")
            lines.append(f"      imported from {src}")
        for lic in r["licences"]:
            use = {True: "commercial use allowed", False: "NON-COMMERCIAL use only"}.get(
                lic.get("commercial_use"), "licence not known")
            lines.append(f"      licence: {lic.get('model', '?')}: {lic.get('spdx', '?')} ({use})")
        wz = r.get("walk_zone")
        if wz:
            lines.append(f"      walk zone: {wz['layers_m']:g} m with layers, {wz['dome_m']:g} m "
                         f"without (measured: <= {100 * wz['hole_limit']:g} % hole pixels)")
        elif r["depth"] is not None:
            lines.append("      walk zone: not measured (panoforge layer measures it)")
        d = r["depth"]
        if d is None:
            lines.append(f"      depth: none (flat at {r['flat_radius']:g} m)")
        else:
            it = d["interpretation"]
            nf = f", near {it['near']:g} m, far {it['far']:g} m" if it["kind"] == "disparity" else ""
            rng = ("unknown" if d["min_m"] is None
                   else f"{d['min_m']:.3f} m .. {d['max_m']:.3f} m")
            unknown = f", {d['unknown_pixels']} unknown pixels" if d["unknown_pixels"] else ""
            lines.append(f"      depth: {it['kind']}{nf} ({it['source'] or d['dtype']}), "
                         f"{d['width']}x{d['height']} {d['dtype']}; range {rng}{unknown}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    info = describe(args.project)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True, allow_nan=False))
    else:
        print(format_text(info))
    return 0
