"""`panoforge generate` through the real command line, in a subprocess, at small sizes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scene.conventions import direction_to_lonlat, lonlat_to_pixel
from scene.project import load_project
from tests.gltf_validator import assert_clean

ROOT = Path(__file__).resolve().parents[2]
SMALL = ("--width", "256", "--height", "128")


def _env(**extra) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    env.update(extra)
    return env


def cli(cwd: Path, *args: str, **env) -> subprocess.CompletedProcess:
    """Run ``python -m app generate ARGS`` in ``cwd``."""
    return subprocess.run([sys.executable, "-m", "app", "generate", *args], cwd=cwd,
                          env=_env(**env), capture_output=True, text=True, timeout=300)


def assert_refused(res: subprocess.CompletedProcess, *phrases: str) -> None:
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    for phrase in phrases:
        assert phrase in res.stderr, f"{phrase!r} not in {res.stderr!r}"


def _view_of(pano_rgb: np.ndarray, width: int, height: int, fov_deg: float) -> np.ndarray:
    """What a pinhole camera at the origin facing -Z sees of an equirect image (nearest)."""
    f = (width / 2) / np.tan(np.radians(fov_deg) / 2)
    x = (np.arange(width) + 0.5 - width / 2) / f
    y = (height / 2 - (np.arange(height) + 0.5)) / f
    d = np.stack(np.broadcast_arrays(x[None, :], y[:, None], -np.ones((1, 1))), axis=-1)
    lon, lat = direction_to_lonlat(d)
    h, w = pano_rgb.shape[:2]
    px, py = lonlat_to_pixel(lon, lat, w, h)
    return pano_rgb[np.clip(np.rint(py).astype(int), 0, h - 1), np.rint(px).astype(int) % w]


@pytest.fixture(scope="module")
def forest(tmp_path_factory):
    """One procedural run with every output, shared by the tests that only read it."""
    folder = tmp_path_factory.mktemp("forest")
    res = cli(folder, "a misty pine forest at dawn", "--backend", "procedural", "--seed", "7",
              *SMALL, "-o", "f.panoforge", "--glb", "f.glb", "--ply", "f.ply",
              "--preview", "f.png")
    return folder, res


def test_procedural_run_writes_project_glb_ply_and_preview(forest):
    folder, res = forest
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    out = res.stdout
    assert "wrote f.panoforge (result r1: forest at dawn, 256x128, seed 7" in out
    for name in ("f.glb", "f.ply", "f.png"):
        assert f"wrote {name}" in out
        assert (folder / name).stat().st_size > 1000
    # progress went through the Progress callback: one line per stage when not a terminal
    for stage in ("step 1/5", "sky", "terrain", "props", "step 5/5 shading"):
        assert stage in res.stderr, res.stderr
    project = load_project(folder / "f.panoforge")
    assert [r.id for r in project.results] == ["r1"] and project.active_id == "r1"
    pano = project.active.panorama
    assert (pano.width, pano.height) == (256, 128)
    assert pano.metadata.backend == "procedural" and pano.metadata.seed == 7
    assert pano.metadata.extra["scene"] == "forest"
    assert pano.metadata.extra["time_of_day"] == "dawn"
    assert pano.interpretation.kind == "distance" and np.isfinite(pano.distance).all()


def test_glb_is_validator_clean_and_ply_reads_back(forest):
    folder, _ = forest
    assert_clean(folder / "f.glb")
    import trimesh

    mesh = trimesh.load(folder / "f.ply", process=False)
    pano = load_project(folder / "f.panoforge").active.panorama
    r = np.linalg.norm(mesh.vertices, axis=1)
    lo, hi = pano.depth_range()
    assert len(mesh.faces) > 10_000
    assert r.min() >= lo * 0.999 and r.max() <= hi * 1.001


def test_preview_is_the_view_facing_the_panorama_centre(forest):
    folder, res = forest
    assert "view from inside" in res.stdout, res.stdout + res.stderr  # OpenGL worked (Xvfb)
    img = np.asarray(Image.open(folder / "f.png").convert("RGB"))
    assert img.shape == (640, 1280, 3)
    pano = load_project(folder / "f.panoforge").active.panorama
    expected = _view_of(pano.rgb, 1280, 640, 90.0)
    small = lambda a: a.reshape(32, 20, 64, 20, 3).mean(axis=(1, 3))  # noqa: E731
    diff = np.abs(small(img.astype(float)) - small(expected.astype(float)))
    assert diff.mean() < 6.0, diff.mean()
    # and it is not a view in another direction
    other = _view_of(np.roll(pano.rgb, pano.width // 2, axis=1), 1280, 640, 90.0)
    assert np.abs(small(img.astype(float)) - small(other.astype(float))).mean() > 2 * diff.mean()


def test_same_seed_same_result_and_existing_project_gets_a_new_active_result(forest, tmp_path):
    folder, _ = forest
    first = load_project(folder / "f.panoforge").active.panorama
    target = tmp_path / "again.panoforge"
    target.write_bytes((folder / "f.panoforge").read_bytes())
    res = cli(tmp_path, "a misty pine forest at dawn", "--backend", "procedural", "--seed", "7",
              *SMALL, "-o", "again.panoforge")
    assert res.returncode == 0, res.stderr
    assert "added result r2 to the existing project again.panoforge" in res.stdout
    assert "now 2 results; r2 is active" in res.stdout
    project = load_project(target)
    assert [r.id for r in project.results] == ["r1", "r2"] and project.active_id == "r2"
    again = project.active.panorama
    assert np.array_equal(again.rgb, first.rgb)
    assert np.array_equal(again.raw_depth, first.raw_depth)
    assert np.array_equal(project.results[0].panorama.rgb, first.rgb), "r1 unchanged"


def test_same_seed_gives_byte_identical_files(forest, tmp_path):
    """Same prompt, seed and settings: the project, GLB, PLY and preview are the same bytes."""
    folder, _ = forest
    res = cli(tmp_path, "a misty pine forest at dawn", "--backend", "procedural", "--seed", "7",
              *SMALL, "-o", "f.panoforge", "--glb", "f.glb", "--ply", "f.ply",
              "--preview", "f.png")
    assert res.returncode == 0, res.stderr
    for name in ("f.panoforge", "f.glb", "f.ply", "f.png"):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_another_seed_gives_another_scene(tmp_path):
    res = cli(tmp_path, "desert dunes", "--backend", "procedural", "--seed", "1", *SMALL,
              "-o", "a.panoforge")
    res2 = cli(tmp_path, "desert dunes", "--backend", "procedural", "--seed", "2", *SMALL,
               "-o", "b.panoforge")
    assert res.returncode == res2.returncode == 0, res.stderr + res2.stderr
    a = load_project(tmp_path / "a.panoforge").active.panorama
    b = load_project(tmp_path / "b.panoforge").active.panorama
    assert not np.array_equal(a.rgb, b.rgb)


def test_default_backend_says_why_it_is_procedural(tmp_path):
    res = cli(tmp_path, "a cave", *SMALL, "-o", "c.panoforge", HF_HOME=str(tmp_path / "hf"))
    assert res.returncode == 0, res.stderr
    notices = [ln for ln in res.stderr.splitlines() if ln.startswith("notice:")]
    assert len(notices) == 1 and "procedural" in notices[0], res.stderr
    assert load_project(tmp_path / "c.panoforge").active.panorama.metadata.backend == "procedural"


@pytest.mark.parametrize("args, phrases", [
    (("--width", "300", "--height", "100"), ("2:1", "hint:")),
    (("--width", "100000"), ("out of range",)),
    (("--glb", "x.txt"), ("--glb", ".glb")),
    (("--preview", "x.gif"), ("--preview",)),
    (("--ply", "x.glb"), ("--ply", ".ply")),
    (("--cut-threshold", "0.3"), ("--glb",)),
    (("--seed", "-3"), ("--seed",)),
])
def test_bad_input_exits_2_with_a_message_and_writes_nothing(tmp_path, args, phrases):
    res = cli(tmp_path, "a forest", "--backend", "procedural", "-o", "x.panoforge", *args)
    assert_refused(res, "panoforge: error:", *phrases)
    assert not (tmp_path / "x.panoforge").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_output_must_be_a_panoforge_file(tmp_path):
    assert_refused(cli(tmp_path, "a forest", "-o", "x.zip"), ".panoforge")


def test_unknown_backend_is_refused_by_the_parser(tmp_path):
    res = cli(tmp_path, "a forest", "--backend", "dalle", "-o", "x.panoforge")
    assert res.returncode == 2 and "invalid choice" in res.stderr and "Traceback" not in res.stderr


def test_a_damaged_existing_project_is_refused_before_any_work(tmp_path):
    (tmp_path / "bad.panoforge").write_bytes(b"not a zip")
    res = cli(tmp_path, "a forest", "--backend", "procedural", *SMALL, "-o", "bad.panoforge")
    assert_refused(res, "cannot be added to", "unchanged")
    assert (tmp_path / "bad.panoforge").read_bytes() == b"not a zip"
    assert "step" not in res.stderr, "refused before generating"


def test_missing_ldm3d_weights_say_how_to_get_them(tmp_path):
    res = cli(tmp_path, "a castle", "--backend", "ldm3d-pano", "-o", "l.panoforge",
              HF_HOME=str(tmp_path / "hf"))
    assert_refused(res, "Intel/ldm3d-pano", "download")
    assert not (tmp_path / "l.panoforge").exists()


def test_ctrl_c_cancels_cleanly_and_writes_nothing(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "generate", "a pine forest", "--backend", "procedural",
         "--width", "2048", "-o", "big.panoforge", "--glb", "big.glb"],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()  # the first progress line: the SIGINT handler is set
    assert "step 1/5" in first, first
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    assert "cancelling" in err and "generation cancelled" in err
    assert "Traceback" not in err
    assert "step 5/5" not in err, "stopped before the last stage"
    time.sleep(0.1)
    assert list(tmp_path.iterdir()) == [], "nothing written, not even a temporary file"


def test_perspective_images_keep_their_angular_resolution_in_the_panorama():
    from app.workflows import place
    from scene.depth import DepthInterpretation
    from scene.panorama import PerspectiveRGBD

    rgb = np.zeros((512, 512, 3), np.uint8)
    rgb[:, :, 0] = 200
    depth = np.full((512, 512), 5.0, np.float32)
    p = PerspectiveRGBD(rgb, depth, DepthInterpretation("zdepth"), fov_deg=60.0)
    pano, notice = place(p)
    assert (pano.width, pano.height) == (3072, 1536)  # 512 px over 60 degrees -> 3072 over 360
    assert "placed in a 3072x1536 panorama" in notice
    # the centre pixel looks down the optical axis: z-depth 5 m is 5 m away
    assert pano.distance[768, 1536] == pytest.approx(5.0, rel=1e-3)
    assert np.isnan(pano.distance[768, 0])
    same, notice = place(pano)
    assert same is pano and notice is None


@pytest.mark.slow
def test_a_perspective_model_result_is_stored_as_a_panorama(tmp_path):
    """ldm3d-4c through a tiny random model folder: a 512-wide panorama with the image at its
    centre and unknown depth elsewhere (the pixels are noise; only the plumbing is checked)."""
    from tests.models.tiny_ldm3d import tiny_model

    folder = tiny_model(4)
    res = cli(tmp_path, "a castle", "--backend", "ldm3d-4c", "--model", str(folder),
              "--width", "64", "--height", "64", "--steps", "2", "--seed", "3",
              "-o", "p.panoforge")
    assert res.returncode == 0, res.stderr
    assert "perspective image" in res.stderr and "placed in a 512x256 panorama" in res.stderr
    pano = load_project(tmp_path / "p.panoforge").active.panorama
    assert (pano.width, pano.height) == (512, 256)
    md = pano.metadata
    assert md.backend == "ldm3d-4c" and md.steps == 2 and md.seed == 3
    d = pano.distance
    assert np.isfinite(d[128, 256]) and np.isnan(d[128, 0]) and np.isnan(d[5, 256])


def test_terminal_progress_draws_a_tqdm_bar_from_progress_reports():
    import io

    from app.progress import TerminalProgress
    from models.base import Progress

    out = io.StringIO()
    with TerminalProgress("ldm3d-pano", stream=out, bar=True) as bar:
        for step in range(1, 6):
            bar(Progress(step, 5, elapsed_s=step * 2.0, eta_s=(5 - step) * 2.0,
                         message="denoising"))
    text = out.getvalue()
    assert "ldm3d-pano" in text and "5/5" in text and "3/5" in text
    assert "denoising" in text and "about 4.0 s left" in text
    assert bar.calls == 5 and bar.last.step == 5


def test_terminal_progress_prints_plain_lines_when_not_a_terminal():
    import io

    from app.progress import TerminalProgress
    from models.base import Progress

    out = io.StringIO()
    bar = TerminalProgress("x", stream=out)
    assert not bar.use_bar
    for step in range(0, 51):
        bar(Progress(step, 50, elapsed_s=step * 0.1, eta_s=(50 - step) * 0.1, message="denoising"))
    lines = out.getvalue().splitlines()
    assert 10 <= len(lines) <= 12, lines  # one per tenth of the work, not one per step
    assert lines[-1].startswith("x: step 50/50 denoising")


def test_preview_falls_back_to_the_flat_panorama_without_opengl(tmp_path, monkeypatch):
    import renderers.offscreen
    from app import workflows
    from models.base import GenerationRequest
    from models.procedural import ProceduralBackend
    from renderers.gl_context import GLUnavailableError

    def no_gl(*args, **kwargs):
        raise GLUnavailableError("no OpenGL context could be created", hint="install Mesa")

    monkeypatch.setattr(renderers.offscreen, "write_render", no_gl)
    pano = ProceduralBackend().generate(
        GenerationRequest(prompt="a desert", seed=1, width=64, height=32)).panorama
    done = workflows.export(workflows.ExportPlan().add("preview", tmp_path / "p.png"), pano)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "p.png").convert("RGB")), pano.rgb)
    assert done.flat_previews == [tmp_path / "p.png"]
    assert "the offscreen renderer is unavailable (no OpenGL context" in done.notices[0]
    assert "flat equirect" in done.notices[0]


@pytest.mark.slow
def test_model_without_backend_uses_ldm3d_and_procedural_refuses_a_model(tmp_path):
    """--model alone means an LDM3D model (never silently the procedural generator); a
    6-channel VAE folder picks ldm3d; --model with procedural is refused."""
    from tests.models.tiny_ldm3d import tiny_model

    pano_folder = tiny_model(4)
    res = cli(tmp_path, "a cabin", "--model", str(pano_folder), "--width", "64",
              "--height", "32", "--steps", "2", "-o", "m.panoforge")
    assert res.returncode == 0, res.stderr
    assert "using ldm3d-pano" in res.stderr
    assert load_project(tmp_path / "m.panoforge").active.panorama.metadata.backend == "ldm3d-pano"

    from models.model_folder import backend_for_model as _backend_for_model

    assert _backend_for_model(str(tiny_model(6)))[0] == "ldm3d"
    assert _backend_for_model("Intel/ldm3d-4c")[0] == "ldm3d-4c"
    assert _backend_for_model("Intel/ldm3d")[0] == "ldm3d"
    assert _backend_for_model("Intel/ldm3d-pano")[0] == "ldm3d-pano"

    assert_refused(cli(tmp_path, "x", "--backend", "procedural", "--model", str(pano_folder),
                       "-o", "n.panoforge"), "--model is for the LDM3D backends", "hint:")
    assert not (tmp_path / "n.panoforge").exists()
