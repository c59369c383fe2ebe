"""`panoforge generate ... --upscale`: generation then the one upscale workflow, as a child."""

from __future__ import annotations

import numpy as np
import pytest

from app.cli import main
from scene.project import load_project

pytest.importorskip("cv2")


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_generate_upscale_adds_the_x4_child_of_the_generated_result(tmp_path, no_weights,
                                                                     capsys):
    out = tmp_path / "forest.panoforge"
    assert main(["generate", "a pine forest", "--backend", "procedural", "--width", "64",
                 "--height", "32", "--upscale", "-o", str(out)]) == 0
    cap = capsys.readouterr()
    p = load_project(out)
    assert [r.id for r in p.results] == ["r1", "r2"] and p.active_id == "r2"
    gen, up = p.results
    assert gen.kind == "generated" and up.kind == "upscaled" and up.parent_id == "r1"
    assert (up.panorama.width, up.panorama.height) == (256, 128)
    assert up.panorama.metadata.extra["upscale"]["method"] == "classical"
    assert "no LDM3D-SR weights" in cap.err and "added result r2 (x4 classical of r1" in cap.out
    # the generated source is kept as generated (the same pixels a plain generate makes)
    plain = tmp_path / "plain.panoforge"
    assert main(["generate", "a pine forest", "--backend", "procedural", "--width", "64",
                 "--height", "32", "-o", str(plain)]) == 0
    assert np.array_equal(load_project(plain).results[0].panorama.rgb, gen.panorama.rgb)


def test_generate_without_upscale_adds_one_result(tmp_path):
    out = tmp_path / "a.panoforge"
    assert main(["generate", "a desert", "--backend", "procedural", "--width", "64",
                 "--height", "32", "-o", str(out)]) == 0
    assert len(load_project(out).results) == 1


def test_upscale_method_without_upscale_is_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "a.panoforge"
    assert main(["generate", "a desert", "--backend", "procedural", "--upscale-method",
                 "classical", "-o", str(out)]) == 2
    assert "--upscale was not given" in capsys.readouterr().err and not out.exists()
