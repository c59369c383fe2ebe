"""The skeleton's promises: fast CLI, light `scene`, enforced architecture, safe layout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "diffusers", "transformers", "PySide6", "vispy", "open3d", "pyqtgraph", "xr")
SUBCOMMANDS = ("gui", "generate", "import", "export", "render", "info", "xr")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout
    return {m.split(".")[0] for m in out.split()}


def test_help_lists_every_subcommand():
    res = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert res.returncode == 0
    for name in SUBCOMMANDS:
        assert f"\n    {name}" in res.stdout, name


def test_version_answers():
    res = subprocess.run(
        [sys.executable, "-m", "app", "--version"], capture_output=True, text=True, cwd=ROOT
    )
    assert res.returncode == 0
    assert res.stdout.startswith("panoforge ")


@pytest.mark.parametrize("code", [
    "import scene",
    "from app.cli import build_parser; build_parser()",
    "import app.workflows, models.registry",  # the use cases load a backend only when run
])
def test_light_imports_stay_light(code):
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY), f"{code!r} imported {sorted(loaded & set(HEAVY))}"


def test_packaging_is_not_a_python_package():
    # An __init__.py there would shadow the `packaging` library that pip and transformers use.
    assert (ROOT / "packaging").is_dir()
    assert not (ROOT / "packaging" / "__init__.py").exists()


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    return subprocess.run([exe, "--no-cache"], cwd=tree, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tree), "PATH": str(Path(sys.executable).parent)})


@pytest.fixture
def tree_copy(tmp_path):
    for name in ("scene", "models", "renderers", "app"):
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_contracts_hold_on_the_real_tree(tree_copy):
    res = _lint_imports(tree_copy)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("package, forbidden", [
    ("scene", "import torch"),
    ("scene", "from PySide6 import QtCore"),
    ("scene", "import open3d"),
    ("scene", "import models"),
    ("models", "import vispy"),
    ("models", "from app import cli"),
    ("renderers", "import diffusers"),
    ("renderers", "import models"),
])
def test_contracts_fail_on_a_forbidden_import(tree_copy, package, forbidden):
    (tree_copy / package / "_forbidden_probe.py").write_text(forbidden + "\n")
    res = _lint_imports(tree_copy)
    assert res.returncode != 0, f"lint-imports accepted {forbidden!r} in {package}"
    assert "BROKEN" in res.stdout


def _contract_name(kind: str, source: str | None = None) -> str:
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    names = [c["name"] for c in contracts["contracts"] if c["type"] == kind
             and (source is None or c.get("source_modules") == [source])]
    assert len(names) == 1, (kind, source, names)
    return names[0]


@pytest.mark.parametrize("kind, source, package, forbidden", [
    ("layers", None, "models", "import app.workflows"),       # models below app
    ("layers", None, "scene", "import renderers.viewport"),   # scene at the bottom
    ("layers", None, "renderers", "import models.registry"),  # siblings in one layer
    ("independence", None, "models", "import renderers.cameras"),
    ("independence", None, "renderers", "from models import base"),
    ("forbidden", "app.window", "app/window", "from app.commands import generate"),
    ("forbidden", "app.window", "app/window", "import app.cli"),
    ("forbidden", "app.window", "app/window", "import ray"),
])
def test_each_new_contract_breaks_on_its_forbidden_import(tree_copy, kind, source, package,
                                                          forbidden):
    name = _contract_name(kind, source)
    clean = " ".join(_lint_imports(tree_copy).stdout.split())
    assert f"{name} KEPT" in clean, clean
    (tree_copy / package / "_forbidden_probe.py").write_text(forbidden + "\n")
    res = _lint_imports(tree_copy)
    assert res.returncode != 0, f"lint-imports accepted {forbidden!r} in {package}"
    assert f"{name} BROKEN" in " ".join(res.stdout.split()), res.stdout


def test_gui_without_a_screen_says_what_to_do_instead_of_aborting():
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    res = subprocess.run([sys.executable, "-m", "app", "gui"], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=60)
    assert res.returncode == 2, res.stderr
    assert "no screen to open the window on" in res.stderr and "xvfb-run -a panoforge" in res.stderr
    assert "Traceback" not in res.stderr


def test_gui_display_check_respects_an_explicit_qt_platform():
    from app.commands.gui import check_display
    from scene.errors import PanoforgeError

    check_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    check_display({"DISPLAY": ":99"}, "linux")
    check_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    check_display({}, "darwin")
    with pytest.raises(PanoforgeError, match="no screen"):
        check_display({}, "linux")
