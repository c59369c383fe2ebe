"""The window and the command line run one use case: the same request gives the same project.

Both go through :mod:`app.workflows` (backend run, perspective placement, add to project), so
the ``.panoforge`` files they save for the same request must be byte-identical. Checked for
the procedural generator with settings typed into the window, and for a tiny random-weight
``ldm3d-4c`` folder (a perspective model, so the placement policy is exercised) whose CLI
result is reused in the window through "Use these settings" with a seed above 2**31 (the
window once wrapped such seeds); and for an import with a disparity depth map (one request
type, one path).
"""

from __future__ import annotations

import pytest

from app.cli import main

BIG_SEED = 2**31 + 12345  # above the old window limit of 2**31 - 1


def _cli(tmp_path, *args: str) -> bytes:
    out = tmp_path / "cli.panoforge"
    assert main(["generate", *args, "-o", str(out)]) == 0
    return out.read_bytes()


def _generate_and_save(w, qtbot, tmp_path) -> bytes:
    with qtbot.waitSignal(w.resultArrived, timeout=120000):
        w.act_generate.trigger()
    out = tmp_path / "window.panoforge"
    assert w.save_as(out), w.prompter.errors
    return out.read_bytes()


def test_procedural_window_and_cli_save_the_same_bytes(make_window, qtbot, tmp_path):
    prompt = "red desert dunes at sunset"
    cli = _cli(tmp_path, prompt, "--backend", "procedural", "--seed", str(BIG_SEED),
               "--width", "128", "--height", "64")
    w = make_window()
    gp = w.generate_panel
    gp.set_backend("procedural")
    gp.set_prompt(prompt)
    gp.seed_spin.setValue(BIG_SEED)
    gp.seed_lock.setChecked(True)
    gp.set_size(128, 64)
    assert _generate_and_save(w, qtbot, tmp_path) == cli


@pytest.mark.slow
def test_perspective_ldm3d_reused_through_use_these_settings_saves_the_same_bytes(
        make_window, qtbot, tmp_path):
    from scene.project import load_project
    from tests.models.tiny_ldm3d import tiny_model

    folder = tiny_model(4)
    cli = _cli(tmp_path, "a small room", "--backend", "ldm3d-4c", "--model", str(folder),
               "--seed", str(BIG_SEED), "--steps", "2", "--width", "64", "--height", "64")
    made = load_project(tmp_path / "cli.panoforge").active.panorama
    assert made.width == 512  # 64 px over 60 degrees, placed by the shared policy (min 512)
    w = make_window()
    gp = w.generate_panel
    gp.apply_metadata(made.metadata)  # what "Use these settings" does with a result
    assert gp.backend_name == "ldm3d-4c" and gp.build_request().seed == BIG_SEED
    assert _generate_and_save(w, qtbot, tmp_path) == cli


def test_an_import_saves_the_same_bytes_from_the_window_and_the_cli(make_window, tmp_path):
    import numpy as np
    from PIL import Image

    from models.import_source import ImportRequest

    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (32, 64, 3), dtype=np.uint8)).save(tmp_path / "p.png")
    disp = rng.integers(1000, 65535, (32, 64), dtype=np.uint16)
    Image.fromarray(disp).save(tmp_path / "d.png")
    out = tmp_path / "cli.panoforge"
    assert main(["import", str(tmp_path / "p.png"), "--depth", str(tmp_path / "d.png"),
                 "--depth-kind", "disparity", "--near", "0.5", "--far", "20",
                 "-o", str(out)]) == 0
    w = make_window()
    assert w.files.import_files(ImportRequest(rgb_path=tmp_path / "p.png",
                                              depth_path=tmp_path / "d.png", kind="disparity",
                                              near=0.5, far=20.0)) is not None
    assert w.save_as(tmp_path / "window.panoforge"), w.prompter.errors
    assert (tmp_path / "window.panoforge").read_bytes() == out.read_bytes()


def test_both_front_ends_take_the_backend_defaults_from_its_spec(make_window, capsys):
    from models.ldm3d.weights import SPECS
    from models.registry import BACKENDS, list_backends

    assert BACKENDS["ldm3d-pano"].defaults.guidance == SPECS["ldm3d-pano"].guidance
    assert BACKENDS["ldm3d-4c"].defaults.perspective and not BACKENDS["ldm3d-pano"].defaults.perspective
    gp = make_window().generate_panel
    for info in list_backends():
        if info.defaults is None:
            continue
        gp.set_backend(info.name)
        d = info.defaults
        assert (gp.steps_spin.value(), gp.guidance_spin.value()) == (d.steps, d.guidance)
        assert gp.size() == (d.width, d.height), info.name
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"default {SPECS['ldm3d-pano'].guidance:g})" in help_text
