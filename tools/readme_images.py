"""Regenerate every README image from the current code: the one place they are made.

Each image in ``docs/images/`` that the README shows is an entry of :data:`IMAGES`: its file
name and how it is made, from the demo project (``make.py demo``'s scene: the procedural
"a misty pine forest at dawn", seed 7) through ``panoforge`` itself or the window's
screenshot script. To add an image, add an entry (and reference it from README.md);
``tests/tools/test_readme_images.py`` checks that each committed image is what this script
makes now and that the README shows each one.

Usage (on a display; Xvfb is fine)::

    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python tools/readme_images.py
    .venv/bin/python tools/readme_images.py --only render_forest_yaw90.png --out /tmp/imgs

Images made elsewhere are listed in :data:`EXTERNAL` with the command that makes them (the
Linux bundle's screenshot needs a bundle build of many minutes; it is not remade here).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES_DIR = ROOT / "docs" / "images"
DEMO_PROMPT = "a misty pine forest at dawn"  # make.py's demo scene
DEMO_SEED = 7


@dataclass(frozen=True)
class Image:
    """One README image.

    Parameters
    ----------
    name : str
        File name in ``docs/images/``.
    kind : {"preview", "render", "window", "upscale", "poles"}
        ``preview``: ``panoforge generate --preview`` of the demo; ``render``: ``panoforge
        render DEMO <args> -o NAME``; ``window``: ``python -m app.window.screenshot NAME <args>``;
        ``upscale``/``poles``: before/after renders of ``panoforge upscale``/``repair-poles``
        side by side (see :data:`UPSCALE_PROMPT`, :data:`POLE_SMEAR_LAT`).
    args : tuple of str
        The command's options.
    tolerance : float
        Largest fraction of pixels allowed to differ by more than :data:`LEVELS` levels
        from the committed image. Measured between two runs on one machine (llvmpipe):
        textured renders 2-3 % (texture sampling at the trees' edges varies from run to run;
        the depth mode and the generated panorama are bit-identical), the window 0.8-3 %
        (live text: "Done in 19.9 s", creation time, frame time). Stale images differ in
        45-70 % of their pixels.
    """

    name: str
    kind: str
    args: tuple[str, ...] = field(default_factory=tuple)
    tolerance: float = 0.06


#: A pixel "differs" when a channel is off by more than this many levels (0..255).
LEVELS = 16
#: And the mean absolute difference (levels, all channels) may not exceed this
#: (between runs: 0.02-1.9; stale images: 15-63).
MEAN_LEVELS = 4.0

IMAGES: tuple[Image, ...] = (
    Image("demo_forest_preview.png", "preview"),
    Image("render_forest_yaw0.png", "render", ("--yaw", "0", "--size", "960x540")),
    Image("render_forest_yaw90.png", "render", ("--yaw", "90", "--size", "960x540")),
    Image("render_forest_yaw180.png", "render", ("--yaw", "180", "--size", "960x540")),
    Image("render_forest_depth.png", "render", ("--mode", "depth", "--size", "960x540"),
          tolerance=0.002),
    Image("window.png", "window", ("--size", "1600x960")),
    Image("window_panorama.png", "window",
          ("--size", "1600x960", "--tab", "panorama", "--overlay", "50")),
    # Before/after crops of the stages that make new results (the real renderer, side by side).
    Image("upscale_before_after.png", "upscale"),
    Image("poles_before_after.png", "poles"),
)

#: The upscale crops: a 512x256 procedural hall, upscaled x4 by the classical method, both
#: rendered through the same narrow view (textured above, depth below).
UPSCALE_PROMPT = "a stone hall with pillars"
#: The pole crops: a procedural hall at 1024x512 with its zenith cap smeared on purpose (every
#: row above 70 deg latitude replaced by its row mean, the smudge LDM3D-pano leaves), then
#: ``repair-poles`` (classical); both rendered looking straight up.
POLE_SMEAR_LAT = 70.0
POLE_PROMPT = "a stone hall with pillars"

#: Images the README shows that another tool makes: name -> the command.
EXTERNAL: dict[str, str] = {
    "bundle_window.png": "python packaging/linux/build_bundle.py --screenshot "
                         "docs/images/bundle_window.png",
}


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(*args: str) -> None:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-3000:]}")


def make_demo(work: Path) -> tuple[Path, Path]:
    """The demo project and its preview, as ``make.py demo`` writes them."""
    project, preview = work / "forest.panoforge", work / "forest.png"
    if not project.is_file():
        _run("-m", "app", "generate", DEMO_PROMPT, "--backend", "procedural", "--seed",
             str(DEMO_SEED), "-o", str(project), "--preview", str(preview))
    return project, preview


def make_image(image: Image, out: Path, work: Path) -> Path:
    """Make ``image`` into ``out/<name>``; ``work`` holds the demo project between calls."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / image.name
    if image.kind == "preview":
        _, preview = make_demo(work)
        shutil.copyfile(preview, target)
    elif image.kind == "render":
        project, _ = make_demo(work)
        _run("-m", "app", "render", str(project), *image.args, "-o", str(target))
    elif image.kind == "window":
        _run("-m", "app.window.screenshot", str(target), *image.args)
    elif image.kind == "upscale":
        _before_after_upscale(target, work)
    elif image.kind == "poles":
        _before_after_poles(target, work)
    else:
        raise ValueError(f"unknown image kind {image.kind!r}")
    return target


def _side_by_side(rows: list[tuple[Path, Path]], target: Path) -> None:
    """Write the (before, after) render pairs as one picture: before left, after right."""
    from PIL import Image as PILImage

    pairs = [(PILImage.open(a).convert("RGB"), PILImage.open(b).convert("RGB")) for a, b in rows]
    w, h = pairs[0][0].size
    gap = 8
    sheet = PILImage.new("RGB", (2 * w + gap, len(pairs) * h + (len(pairs) - 1) * gap),
                         (255, 255, 255))
    for i, (a, b) in enumerate(pairs):
        sheet.paste(a, (0, i * (h + gap)))
        sheet.paste(b, (w + gap, i * (h + gap)))
    sheet.save(target)


def _render(project: Path, result: str, out: Path, *args: str) -> Path:
    _run("-m", "app", "render", str(project), "--result", result, *args, "-o", str(out))
    return out


def _before_after_upscale(target: Path, work: Path) -> None:
    """Low-res result (left) and its classical x4 upscale (right), textured and depth."""
    project = work / "hall_upscale.panoforge"
    _run("-m", "app", "generate", UPSCALE_PROMPT, "--backend", "procedural", "--seed", "3",
         "--width", "512", "--height", "256", "-o", str(project))
    _run("-m", "app", "upscale", str(project), "--method", "classical")
    view = ("--yaw", "20", "--pitch", "-5", "--fov", "28", "--size", "480x300")
    rows = []
    for mode in ("textured", "depth"):
        rows.append(tuple(_render(project, rid, work / f"up_{rid}_{mode}.png", *view,
                                  "--mode", mode) for rid in ("r1", "r2")))
    _side_by_side(rows, target)


def _before_after_poles(target: Path, work: Path) -> None:
    """A zenith cap smeared on purpose (left) and after ``repair-poles`` (right)."""
    import numpy as np
    from PIL import Image as PILImage

    project = work / "hall_poles.panoforge"
    _run("-m", "app", "generate", POLE_PROMPT, "--backend", "procedural", "--seed", "3",
         "--width", "1024", "--height", "512", "-o", str(project))
    _run("-m", "app", "export", str(project), "--images", str(work / "fp"))
    rgb_file = work / "fp" / "panorama.png"
    depth_file = work / "fp" / "panorama_distance.exr"  # (the 16-bit PNG clamps the sky)
    rgb = np.asarray(PILImage.open(rgb_file).convert("RGB")).copy()
    rows = int(round((90.0 - POLE_SMEAR_LAT) / 180.0 * rgb.shape[0]))
    rgb[:rows] = rgb[:rows].mean(axis=1, keepdims=True).astype(np.uint8)
    smeared = work / "hall_smeared.png"
    PILImage.fromarray(rgb).save(smeared)
    damaged = work / "hall_damaged.panoforge"
    _run("-m", "app", "import", str(smeared), "--depth", str(depth_file), "-o", str(damaged))
    _run("-m", "app", "repair-poles", str(damaged), "--caps", "top")
    view = ("--pitch", "90", "--fov", "100", "--size", "400x400")
    rows_ = [tuple(_render(damaged, rid, work / f"pole_{rid}.png", *view) for rid in ("r1", "r2"))]
    _side_by_side(rows_, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=IMAGES_DIR,
                        help="where to write them (default docs/images)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="make only this image (repeatable)")
    args = parser.parse_args(argv)
    chosen = [i for i in IMAGES if not args.only or i.name in args.only]
    if args.only and len(chosen) != len(args.only):
        known = ", ".join(i.name for i in IMAGES)
        parser.error(f"unknown image in {args.only}; known: {known}")
    with tempfile.TemporaryDirectory(prefix="panoforge-readme-") as tmp:
        for image in chosen:
            print(f"wrote {make_image(image, args.out, Path(tmp))}", flush=True)
    for name, how in EXTERNAL.items():
        print(f"not remade here: {name} ({how})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
