"""`panoforge render --path/--orbit -o tour.mp4`: a video of the scene, or a clear refusal."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from scene.project import Project, save_project
from scene.testing.analytic import box_room

pytestmark = pytest.mark.gl

ROOT = Path(__file__).resolve().parents[2]


def panoforge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def project_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("tour") / "room.panoforge"
    project = Project()
    project.add_result(box_room(128).panorama, kind="imported", label="box room")
    save_project(path, project)
    return path


def frames(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        imgs = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        return (s.width, s.height), imgs, float(c.duration / av.time_base)


def test_orbit_and_path_videos(tmp_path, project_file):
    out = tmp_path / "orbit.mp4"
    res = panoforge("render", str(project_file), "--orbit", "0.2", "--duration", "1",
                    "--fps", "8", "--size", "64x48", "--supersample", "1", "-o", str(out))
    assert res.returncode == 0, res.stderr
    size, imgs, dur = frames(out)
    assert size == (64, 48) and len(imgs) == 8 and dur == pytest.approx(1.0, abs=1e-3)
    assert "8 frames" in res.stdout
    tour = tmp_path / "tour.json"
    tour.write_text(json.dumps({"keyframes": [{"t": 0, "yaw": 0}, {"t": 0.5, "yaw": 90,
                                                                   "eye": [0.9, 0, 0]}]}))
    out2 = tmp_path / "360.mp4"
    res = panoforge("render", str(project_file), "--path", str(tour), "--equirect",
                    "--size", "128x64", "--fps", "4", "--supersample", "1", "-o", str(out2))
    assert res.returncode == 0, res.stderr
    size, imgs, _ = frames(out2)
    assert size == (128, 64) and len(imgs) == 2
    assert not np.array_equal(imgs[0], imgs[1])
    assert "leaves the walk radius (0.50 m, default)" in res.stdout


@pytest.mark.parametrize("args, message", [
    (["--orbit", "0.2", "-o", "x.png"], "-o must be a .mp4"),
    (["-o", "x.mp4"], "needs a camera path"),
    (["--orbit", "0.2", "--size", "63x48", "-o", "x.mp4"], "even width and height"),
    (["--path", "missing.json", "-o", "x.mp4"], "cannot read the path file"),
])
def test_bad_video_requests_exit_2_with_the_reason(tmp_path, project_file, args, message):
    args = [str(tmp_path / a) if a.startswith(("x.", "missing")) else a for a in args]
    res = panoforge("render", str(project_file), *args)
    assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_stops_the_video_and_leaves_no_file(tmp_path, project_file):
    out = tmp_path / "videos" / "tour.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "app", "render", str(project_file),
                             "--orbit", "0.2", "--duration", "120", "--size", "64x48",
                             "--supersample", "1", "-o", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # wait for the first frame
            if "rendering fly-through" in line and "step 1/" in line:
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "interrupted" in err
    assert list(out.parent.iterdir()) == []
