"""Missing extras are refused with the install line; the build report's probes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from scene.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def _hide(monkeypatch, *names):
    real = importlib.util.find_spec

    def find_spec(name, *a, **k):
        return None if name.split(".")[0] in names else real(name, *a, **k)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_require_names_the_extra_and_the_install_line(monkeypatch):
    from scene.extras import require

    require("ldm3d", ("numpy", "json"))  # present: nothing happens
    _hide(monkeypatch, "torch")
    with pytest.raises(InputError) as err:
        require("ldm3d", ("torch", "numpy"), "--backend ldm3d-pano")
    assert err.value.hint == "pip install 'panoforge[ldm3d]'"
    assert "--backend ldm3d-pano" in err.value.message and "missing: torch" in err.value.message


def test_ldm3d_backend_refuses_before_anything_when_torch_is_missing(monkeypatch, tmp_path):
    from models.base import GenerationRequest
    from models.registry import get_backend

    _hide(monkeypatch, "torch")
    backend = get_backend("ldm3d-pano")
    with pytest.raises(InputError) as err:
        backend.generate(GenerationRequest(prompt="a room", seed=1, model=str(tmp_path)))
    assert err.value.hint == "pip install 'panoforge[ldm3d]'"


def test_depth_estimation_refuses_without_transformers(monkeypatch):
    from models.depth_estimation.transformers_estimator import load_transformers_estimator

    _hide(monkeypatch, "transformers")
    with pytest.raises(InputError) as err:
        load_transformers_estimator("/nonexistent")
    assert "panoforge[ldm3d]" in err.value.hint


def test_torch_summary_reads_the_cuda_build_without_importing(monkeypatch, tmp_path):
    from app import build_info

    pkg = tmp_path / "torch"
    pkg.mkdir()
    (pkg / "version.py").write_text("from typing import Optional\n"
                                    "__version__ = '9.9'\ncuda: Optional[str] = '12.4'\n")

    class Spec:
        submodule_search_locations = [str(pkg)]

    assert build_info._torch_cuda_build(Spec) == "12.4"
    (pkg / "version.py").write_text("cuda = None\n")
    assert build_info._torch_cuda_build(Spec) is None
    _hide(monkeypatch, "torch")
    assert build_info.torch_summary().startswith("not installed")
    assert "pip install 'panoforge[ldm3d]'" in build_info.torch_summary()


def test_openxr_runtime_comes_from_the_active_manifest(monkeypatch, tmp_path):
    from app.build_info import openxr_runtime

    monkeypatch.delenv("XR_RUNTIME_JSON", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc"))
    monkeypatch.setattr("app.build_info.Path.is_file",
                        lambda p: str(p).startswith(str(tmp_path)) and p.exists())
    assert openxr_runtime().startswith("none found")
    manifest = tmp_path / "cfg" / "openxr" / "1" / "active_runtime.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"file_format_version": "1.0.0", "runtime": {
        "name": "Monado", "library_path": "libopenxr_monado.so"}}))
    assert openxr_runtime() == f"Monado ({manifest})"


def test_version_prints_the_build_report():
    res = subprocess.run([sys.executable, "-m", "app", "--version"], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("panoforge ")
    keys = [line.split(":")[0] for line in lines[1:]]
    assert keys[:1] == ["Build"] and {"Python", "torch", "OpenGL", "OpenXR runtime"} <= set(keys)
    assert "torch: 2." in res.stdout and ("CPU build" in res.stdout or "CUDA" in res.stdout)
    assert "torch" not in _modules_loaded_by_version()


def _modules_loaded_by_version() -> set[str]:
    code = ("import sys\nfrom app.build_info import version_text\nversion_text()\n"
            "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return set(res.stdout.split())
