"""The wheel: what is in it, and what a fresh venv with no extras can do with it.

Built from this tree with ``python -m build --no-isolation`` (setuptools is in the test venv,
so no network is needed for the build), then installed into a brand-new venv (not
``--system-site-packages``): pip takes the dependencies from its cache or the configured index.
On the development machine that install took about 60 s (1.2 GB unpacked: PySide6, OpenCV,
SciPy, PyAV ...); everything else here takes a few seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    res = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--wheel",
                          "--outdir", str(out), str(ROOT)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    (whl,) = out.glob("panoforge-*.whl")
    return whl


@pytest.fixture(scope="module")
def fresh_venv(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    res = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                          "--disable-pip-version-check", str(wheel)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return venv / "bin"


def _names(whl: Path) -> set[str]:
    with zipfile.ZipFile(whl) as zf:
        return set(zf.namelist())


def test_wheel_ships_presets_icons_and_desktop_files(wheel):
    names = _names(wheel)
    presets = sorted(p.name for p in (ROOT / "resources" / "presets").glob("*.json"))
    assert presets
    for name in presets:
        assert f"resources/presets/{name}" in names, name
    for size in ICON_SIZES:
        assert f"resources/icons/panoforge-{size}.png" in names, size
    for name in ("panoforge.desktop", "panoforge-mime.xml", "panoforge.thumbnailer",
                 "install-desktop.sh"):
        assert f"resources/desktop/{name}" in names, name
    assert "resources/manual/manual.md" in names  # Help ▸ Manual's user guide
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


def test_wheel_metadata_puts_heavy_parts_in_extras(wheel):
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
        entry_points = zf.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    requires = meta.get_all("Requires-Dist")
    core = [r for r in requires if "extra ==" not in r]
    heavy = ("torch", "diffusers", "transformers", "accelerate", "open3d", "trimesh", "ray")
    assert not [r for r in core if r.split(">")[0].split("<")[0].split("=")[0].strip().lower()
                in heavy], core
    assert any(r.startswith("torch") and 'extra == "ldm3d"' in r for r in requires)
    assert {"ldm3d", "ray", "dev"} <= set(meta.get_all("Provides-Extra"))
    assert "panoforge = app.cli:main" in entry_points
    assert "panoforge-thumbnailer = app.thumbnailer:main" in entry_points


def _run(bin_: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HF_HUB_OFFLINE="1", QT_QPA_PLATFORM="offscreen")
    return subprocess.run([str(bin_ / args[0]), *args[1:]], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_fresh_venv_without_extras_generates_exports_and_refuses_models(fresh_venv, tmp_path):
    # the installed copy runs, not this checkout (cwd is elsewhere and nothing is on PYTHONPATH)
    res = _run(fresh_venv, "python", "-c", "import app, resources; print(app.__file__); "
               "print(resources.RESOURCES_DIR)", cwd=tmp_path)
    assert res.returncode == 0 and str(ROOT) not in res.stdout, res.stdout + res.stderr
    assert "site-packages" in res.stdout

    res = _run(fresh_venv, "panoforge", "--version", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "panoforge 0.1.0"
    assert "torch: not installed" in res.stdout and "OpenXR runtime:" in res.stdout

    res = _run(fresh_venv, "panoforge", "generate", "a misty pine forest", "--backend",
               "procedural", "--seed", "3", "--width", "256", "--height", "128",
               "-o", "f.panoforge", "--glb", "f.glb", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    glb = (tmp_path / "f.glb").read_bytes()
    assert glb[:4] == b"glTF" and len(glb) > 10_000

    res = _run(fresh_venv, "panoforge", "export", "f.panoforge", "--ply", "f.ply",
               "--images", "imgs", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "f.ply").read_bytes().startswith(b"ply\n")
    assert (tmp_path / "imgs" / "panorama_depth.png").is_file()

    # a feature whose extra is missing: exit 2, the install line, no traceback
    res = _run(fresh_venv, "panoforge", "generate", "a room", "--backend", "ldm3d-pano",
               "-o", "g.panoforge", cwd=tmp_path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "pip install 'panoforge[ldm3d]'" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "g.panoforge").exists()

    res = _run(fresh_venv, "panoforge-thumbnailer", "-s", "128", "f.panoforge", "t.png",
               cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
