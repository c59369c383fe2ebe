"""The window and the command line put byte-identical results into a project.

Both front-ends are thin callers of :mod:`app.workflows`; a copy of a rule in either (seed
range, backend defaults, perspective placement, how a result joins a project) shows here as
different bytes. The window side drives the real Generate panel on its worker thread and
reuses the result's settings through "Use these settings" with a seed beyond 32 bits; the
command-line side runs ``panoforge generate`` in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scene.project import load_project
from tests.app.conftest import generate_in_window, result_bytes

ROOT = Path(__file__).resolve().parents[2]
SEED = 2**40 + 3  # >= 2**31: the window once wrapped it on "Use these settings"

CASES = [
    # backend, width, height, steps, tiny LDM3D folder with this VAE
    pytest.param("procedural", 256, 128, None, None, id="procedural"),
    pytest.param("ldm3d-pano", 64, 32, 2, 4, id="ldm3d-pano"),
    pytest.param("ldm3d-4c", 64, 64, 2, 4, id="ldm3d-4c-perspective"),
]


def _cli(tmp_path: Path, backend: str, prompt: str, width: int, height: int, steps, model):
    out = tmp_path / "cli.panoforge"
    cmd = [sys.executable, "-m", "app", "generate", prompt, "--backend", backend,
           "--seed", str(SEED), "--width", str(width), "--height", str(height), "-o", str(out)]
    if model is not None:
        cmd += ["--model", str(model), "--steps", str(steps), "--device", "cpu"]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return load_project(out).get("r1")


@pytest.mark.parametrize("backend, width, height, steps, vae", CASES)
def test_window_and_cli_make_the_same_result(make_window, qtbot, tmp_path, backend, width,
                                             height, steps, vae):
    model = None
    if vae is not None:
        from tests.models.tiny_ldm3d import tiny_model

        model = tiny_model(vae)
    prompt = "a tiny stone room"
    w = make_window()
    res = generate_in_window(w, qtbot, backend, prompt=prompt, seed=SEED, width=width,
                             height=height, steps=steps, model=model, reuse=True)
    assert w.prompter.errors == []
    assert w.save_as(tmp_path / "window.panoforge")
    window_result = load_project(tmp_path / "window.panoforge").get(res.id)
    cli_result = _cli(tmp_path, backend, prompt, width, height, steps, model)

    pano = window_result.panorama
    assert pano.metadata.seed == cli_result.panorama.metadata.seed == SEED
    assert pano.width == 2 * pano.height  # always an equirect panorama in the project
    if backend == "ldm3d-4c":  # a perspective image, placed by the one policy
        assert np.isnan(pano.distance).any() and np.isfinite(pano.distance).any()
    assert result_bytes(window_result) == result_bytes(cli_result)
