"""The command line against hostile surroundings: closed pipes, odd output paths (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.test_cli_import_export import assert_refused, cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hardening")
    res = cli(folder, "generate", "a forest", "--width", "128", "--height", "64",
              "-o", "p.panoforge")
    assert res.returncode == 0, res.stderr
    return folder / "p.panoforge"


def _piped(cwd: Path, args: list[str], lines: int):
    """Run panoforge ARGS with stdout into a pipe that is closed after ``lines`` lines."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "app", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for _ in range(lines):
        proc.stdout.readline()
    proc.stdout.close()  # like `| head -N` exiting
    err = proc.stderr.read().decode()
    return proc.wait(timeout=300), err


def test_export_into_a_closed_pipe_still_writes_the_file(project, tmp_path):
    out = tmp_path / "piped.glb"
    code, err = _piped(tmp_path, ["export", str(project), "--glb", str(out), "--images",
                                  str(tmp_path / "img")], 1)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 0, err
    assert out.is_file() and (tmp_path / "img" / "panorama_distance.exr").is_file()


def test_info_into_a_closed_pipe(project, tmp_path):
    for lines in (0, 1, 3):
        code, err = _piped(tmp_path, ["info", str(project)], lines)
        assert "Traceback" not in err and "BrokenPipe" not in err, err
        assert code == 0, err


def test_output_paths_that_cannot_be_files_or_folders(project, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "adir").mkdir()
    assert_refused(cli(tmp_path, "export", str(project), "--images", "notes.txt"),
                   "notes.txt is a file, not a folder")
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert_refused(cli(tmp_path, "export", str(project), "--images", "/dev/full/sub"),
                   "/dev/full is a device, not a folder")
    assert_refused(cli(tmp_path, "export", str(project), "--glb", "adir"),
                   "adir is a folder", "adir/scene")
    assert_refused(cli(tmp_path, "export", str(project), "--cubemap", "notes.txt/faces"),
                   "notes.txt is a file, not a folder")


def test_import_into_a_device_says_one_thing(project, tmp_path):
    res = cli(tmp_path, "import", str(project.parent / "none.png"), "-o", "/dev/full")
    assert_refused(res, "/dev/full is a device")
    assert "already exists" not in res.stderr and "does not exist" not in res.stderr


def test_missing_output_folders_are_named(project, tmp_path):
    res = cli(tmp_path, "export", str(project), "--ply", "new/deep/a.ply")
    assert res.returncode == 0, res.stderr
    assert "created folder new\n" in res.stdout and "created folder new/deep\n" in res.stdout
