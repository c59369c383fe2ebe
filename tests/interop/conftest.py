"""Shared pieces of the interoperability tests: the GLB under test, the tools, the expected views.

The scene is the analytic box room (:func:`scene.testing.analytic.box_room`): one flat colour per wall,
floor, ceiling and pillar, and the exact surface along every ray. Its GLB is made the way the
export command makes it (:func:`scene.mesh.build_depth_mesh` then
:func:`scene.export_glb.write_glb`) and must be clean for the Khronos validator before any other
tool sees it.

What a camera at the origin must see is computed here independently of every renderer: the
pixel's ray (a pinhole camera with Panoforge's yaw/pitch convention) is cast into the analytic
room, which names the surface and so its colour. Pixels within a few pixels of a boundary
between surfaces are left out (texture filtering, mesh creases and the holes cut along the
pillar's silhouette live there).

The external tools are installed once per machine when missing and the tests run as root
(Debian packages ``blender``, ``python3-numpy`` for Blender's glTF importer, ``chromium``; the
pinned npm ``three`` in ``tools/interop/threejs``); otherwise the tests fail with the command
to run. They are never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from scene.export_glb import write_glb
from scene.mesh import build_depth_mesh
from scene.testing.analytic import box_room
from tests.gltf_validator import assert_clean

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "interop"
BLENDER_SCRIPT = TOOLS / "blender_check.py"
THREEJS_DIR = TOOLS / "threejs"
THREEJS_SCRIPT = THREEJS_DIR / "render.mjs"

#: Panorama width of the test scene (height is half): one texel is two render pixels.
PANO_WIDTH = 512
#: Render size (width, height) and horizontal field of view, degrees, of every view.
RENDER_SIZE = (256, 128)
FOV_DEG = 90.0
#: Views from the centre: name -> (yaw, pitch) in degrees (yaw right towards +X, pitch up).
VIEWS = {
    "front": (0.0, 0.0),
    "right": (90.0, 0.0),
    "back": (180.0, 0.0),
    "left": (-90.0, 0.0),
    "up": (0.0, 90.0),
    "down": (30.0, -90.0),
}
#: The surface each view's centre pixel must show (the room's walls by axis: right = +X ...).
CENTRE_LABEL = {"front": "wall_front", "right": "wall_right", "back": "wall_back",
                "left": "wall_left", "up": "ceiling", "down": "floor"}
#: Pixels closer than this to a boundary between two surfaces are not compared.
EDGE_MARGIN_PX = 4
#: Largest per-channel difference from the flat colour that still counts as a match (JPEG).
COLOUR_TOLERANCE = 12

APT_BLENDER = ["blender", "python3-numpy"]
APT_CHROMIUM = ["chromium"]
#: The reference Draco decoder and a compiler, for Blender's missing libextern_draco.
APT_DRACO = ["libdraco-dev", "g++"]
DRACO_SOURCE = TOOLS / "blender_draco" / "extern_draco.cpp"


# -- tools ------------------------------------------------------------------------------------
def _missing_debs(names: list[str]) -> list[str]:
    if shutil.which("dpkg-query") is None:
        return []
    missing = []
    for name in names:
        res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name],
                             capture_output=True, text=True)
        if "install ok installed" not in res.stdout:
            missing.append(name)
    return missing


def ensure_debs(names: list[str]) -> None:
    """Install missing Debian packages (as root), or fail with the command that would."""
    missing = _missing_debs(names)
    if not missing:
        return
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail("the interoperability tests need " + ", ".join(missing)
                    + "; install them with: sudo " + " ".join(cmd))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    if res.returncode != 0:  # stale package lists: refresh once
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    if res.returncode != 0:
        pytest.fail(f"could not install {missing}:\n{res.stdout[-2000:]}{res.stderr[-2000:]}")


@pytest.fixture(scope="session")
def blender_exe() -> str:
    """Path of Blender (Debian's ``blender``, with numpy for its glTF importer)."""
    if shutil.which("blender") is None or not _missing_debs(["blender"]):
        ensure_debs(APT_BLENDER)  # Debian's Blender runs the system Python: it needs numpy
    exe = shutil.which("blender")
    if exe is None:
        pytest.fail("blender is not on PATH; install it with: apt-get install blender python3-numpy")
    return exe


@pytest.fixture(scope="session")
def blender_draco(tmp_path_factory) -> Path:
    """``libextern_draco.so`` for Debian's Blender, built from ``tools/interop/blender_draco``.

    Blender's glTF importer decodes Draco through that library, which Blender's own builds
    bundle and Debian's package lacks; this one calls Debian's ``libdraco`` (Google's
    reference decoder). Give it to :func:`run_blender` as ``draco_library``.
    """
    ensure_debs(APT_DRACO)
    out = tmp_path_factory.mktemp("blender_draco") / "libextern_draco.so"
    cmd = ["g++", "-std=c++17", "-O2", "-shared", "-fPIC", "-o", str(out), str(DRACO_SOURCE),
           "-ldraco"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        pytest.fail(f"could not build {out.name} ({' '.join(cmd)}):\n{res.stderr[-3000:]}")
    return out


@pytest.fixture(scope="session")
def threejs_tools() -> dict[str, str]:
    """node, chromium and the pinned ``three`` package, ready for ``render.mjs``."""
    if not os.environ.get("CHROMIUM"):
        ensure_debs(APT_CHROMIUM)
    node = shutil.which("node")
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if node is None or chromium is None:
        pytest.fail("the three.js test needs node and chromium on PATH "
                    "(apt-get install nodejs chromium)")
    if not (THREEJS_DIR / "node_modules" / "three" / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"npm is missing: install three.js with `npm ci` in {THREEJS_DIR}")
        res = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                             cwd=THREEJS_DIR, capture_output=True, text=True, timeout=600)
        if res.returncode != 0:
            pytest.fail(f"`npm ci` in {THREEJS_DIR} failed:\n{res.stderr[-3000:]}")
    return {"node": node, "chromium": chromium}


def view_args(views: dict[str, tuple[float, float]] = VIEWS) -> list[str]:
    """``--size --fov --view NAME:YAW:PITCH...`` for both tools."""
    args = ["--size", f"{RENDER_SIZE[0]}x{RENDER_SIZE[1]}", "--fov", f"{FOV_DEG:g}"]
    for name, (yaw, pitch) in views.items():
        args += ["--view", f"{name}:{yaw:g}:{pitch:g}"]
    return args


def run_blender(blender: str, glb: Path, out_dir: Path, *, render: bool = True,
                views: dict[str, tuple[float, float]] = VIEWS,
                draco_library: Path | None = None) -> dict:
    """Run ``tools/interop/blender_check.py`` on ``glb``; return its JSON report.

    ``draco_library`` (the :func:`blender_draco` fixture) lets Debian's Blender import Draco.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    report_path = out_dir / "blender.json"
    cmd = [blender, "-b", "--factory-startup", "--python-exit-code", "1",
           "--python", str(BLENDER_SCRIPT), "--", str(glb), str(report_path)]
    if render:
        cmd += [str(out_dir / "blender.png"), *view_args(views)]
    env = dict(os.environ)
    if draco_library is not None:
        env["BLENDER_EXTERN_DRACO_LIBRARY_PATH"] = str(draco_library)
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    tail = (res.stdout + res.stderr)[-4000:]
    assert res.returncode == 0 and report_path.is_file(), f"Blender failed ({res.returncode}):\n{tail}"
    report = json.loads(report_path.read_text())
    assert "error" not in report, report["error"]
    return report


def run_threejs(tools: dict[str, str], glb: Path, out_dir: Path,
                views: dict[str, tuple[float, float]] = VIEWS) -> dict:
    """Run ``tools/interop/threejs/render.mjs`` on ``glb``; return its JSON report."""
    env = dict(os.environ, CHROMIUM=tools["chromium"])
    cmd = [tools["node"], str(THREEJS_SCRIPT), str(glb), str(out_dir), *view_args(views)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, f"three.js render failed ({res.returncode}):\n{res.stderr[-4000:]}"
    return json.loads((out_dir / "report.json").read_text())


# -- the scene --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportedRoom:
    """The box room, its mesh and its GLB on disk."""

    scene: object  # scene.testing.analytic.AnalyticScene
    mesh: object  # scene.meshdata.DepthMesh
    glb: Path


@pytest.fixture(scope="session")
def room_glb(tmp_path_factory) -> ExportedRoom:
    room = box_room(PANO_WIDTH)
    mesh = build_depth_mesh(room.panorama)
    path = tmp_path_factory.mktemp("interop") / "box_room.glb"
    write_glb(path, room.panorama, mesh)
    assert_clean(path)
    return ExportedRoom(scene=room, mesh=mesh, glb=path)


# -- what a camera at the origin must see -----------------------------------------------------
def view_directions(yaw_deg: float, pitch_deg: float, size=RENDER_SIZE,
                    fov_deg: float = FOV_DEG) -> np.ndarray:
    """World ray direction through every pixel centre of a pinhole view from the origin.

    Parameters
    ----------
    yaw_deg, pitch_deg : float
        Degrees; yaw 0 looks along -Z, positive yaw turns right (towards +X), positive
        pitch looks up.
    size : (int, int)
        Image ``(width, height)``.
    fov_deg : float
        Horizontal field of view, degrees.

    Returns
    -------
    (H, W, 3) float64 ndarray
        Unnormalised directions, row 0 at the top of the image.
    """
    w, h = size
    half_w = np.tan(np.radians(fov_deg) / 2)
    half_h = half_w * h / w
    x = ((np.arange(w) + 0.5) / w * 2 - 1) * half_w
    y = (1 - (np.arange(h) + 0.5) / h * 2) * half_h
    cam = np.stack(np.broadcast_arrays(x[None, :], y[:, None], -np.ones((h, w))), axis=-1)
    p, yaw = np.radians(pitch_deg), np.radians(yaw_deg)
    pitch_m = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    # A right turn by yaw is a rotation by -yaw about +Y.
    yaw_m = np.array([[np.cos(yaw), 0, -np.sin(yaw)], [0, 1, 0], [np.sin(yaw), 0, np.cos(yaw)]])
    return cam @ (yaw_m @ pitch_m).T


def expected_view(scene, yaw_deg: float, pitch_deg: float, size=RENDER_SIZE,
                  fov_deg: float = FOV_DEG, margin: int = EDGE_MARGIN_PX):
    """Surface label, flat colour and "away from edges" mask of every pixel of a view.

    Returns
    -------
    labels : (H, W) int16 ndarray
        Index into ``scene.labels`` (-1: nothing hit).
    colours : (H, W, 3) int16 ndarray
        The surface's flat sRGB colour.
    interior : (H, W) bool ndarray
        True where every pixel within ``margin`` shows the same surface.
    """
    labels = scene.label_of(view_directions(yaw_deg, pitch_deg, size, fov_deg))
    palette = np.array([scene.colours[n] for n in scene.labels] + [scene.colours["sky"]],
                       dtype=np.int16)
    colours = palette[labels]
    h, w = labels.shape
    padded = np.pad(labels, margin, mode="edge")
    interior = np.ones((h, w), dtype=bool)
    for dy in range(2 * margin + 1):
        for dx in range(2 * margin + 1):
            interior &= padded[dy:dy + h, dx:dx + w] == labels
    return labels, colours, interior


def nearest_label(scene, rgb) -> str:
    """Name of the surface whose flat colour is closest to ``rgb``."""
    names = list(scene.labels)
    palette = np.array([scene.colours[n] for n in names], dtype=np.float64)
    return names[int(np.argmin(np.abs(palette - np.asarray(rgb, np.float64)).sum(axis=1)))]


def match_fraction(image: np.ndarray, colours: np.ndarray, interior: np.ndarray,
                   tolerance: int = COLOUR_TOLERANCE) -> float:
    """Share of interior pixels whose colour is within ``tolerance`` of the expected one."""
    diff = np.abs(image.astype(np.int16) - colours).max(axis=-1)
    return float(np.mean(diff[interior] <= tolerance))


#: Share of the non-edge pixels of a view that must show the expected surface's colour.
MIN_MATCH = 0.98


def assert_view_is_right_way_round(image: np.ndarray, scene, view: str) -> None:
    """A render from the centre shows the room's surfaces where they are, in their colours.

    The centre pixel must be the surface that view faces, and at least :data:`MIN_MATCH` of
    the pixels away from edges must have the colour the analytic room puts there.
    """
    _, colours, interior = expected_view(scene, *VIEWS[view])
    h, w = image.shape[:2]
    centre = np.median(image[h // 2 - 2:h // 2 + 3, w // 2 - 2:w // 2 + 3].reshape(-1, 3), axis=0)
    assert nearest_label(scene, centre) == CENTRE_LABEL[view], centre
    share = match_fraction(image, colours, interior)
    assert share >= MIN_MATCH, f"only {share:.1%} of the {view} view shows the expected surfaces"


@pytest.fixture(scope="session")
def composition_glb(tmp_path_factory):
    """(the Scene, its GLB): the box room dome, a layer and two props
    (tests/scene/composition_cases.py), written through the exporter registry and clean for
    the validator."""
    from scene.exporters import ExportOptions, export
    from tests.scene.composition_cases import composition

    scene = composition(128)
    path = tmp_path_factory.mktemp("composition") / "composition.glb"
    export("glb", scene, path, ExportOptions(texture="png"))
    assert_clean(path)
    return scene, path
