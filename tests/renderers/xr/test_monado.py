"""`panoforge xr` against a real OpenXR runtime: Monado 25 in a Debian trixie chroot.

The chroot is built (once, cached in /var/cache/panoforge/xr-chroot) by tools/xr/chroot.py;
that needs root, debootstrap and the Debian mirror. Where it cannot be made these tests FAIL
with the reason: they never skip. Monado runs with its null compositor and Mesa's lavapipe;
the XR process renders with OpenGL through EGL surfaceless (XR_MNDX_egl_enable), and again
through a GLX context under Xvfb (XR_KHR_opengl_enable, Xlib: SteamVR's path on Linux).

What is checked, on the analytic box room (exact geometry):
- with no runtime running, one clear message naming the runtimes, exit code 2, no traceback;
- the session goes IDLE -> READY -> ... -> FOCUSED and, after ``--frames``, ends cleanly
  (STOPPING, EXITING, exit code 0);
- each eye's swapchain image, read back, shows the colours an exact ray cast of the room
  from that eye's tracked position and asymmetric field of view shows, and the two eyes
  differ as their views do (each matches its own reference far better than the other's);
- the scene's capture point was placed at the tracked head at start (STAGE: standing eye
  height), so the eyes are at the capture point;
- the window's launcher (app.xr_launcher) starts a session, an edit (another result) reaches
  it, and its stop() ends the session cleanly.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.xr_launcher import start_headset
from scene.project import Project, save_project
from scene.testing.analytic import BOX_ROOM_COLOURS, BOX_ROOM_LABELS, box_room, nested_spheres

REPO = Path(__file__).resolve().parents[3]
CHROOT_PY = REPO / "tools" / "xr" / "chroot.py"
FRAMES = 30
RUNTIMES = ("SteamVR", "Meta Quest Link", "Monado", "Windows Mixed Reality")

pytestmark = pytest.mark.slow


def _tail(text: str, n: int = 40) -> str:
    return "\n".join(text.splitlines()[-n:])


@pytest.fixture(scope="session")
def workdir(xr_chroot):
    """A folder inside the chroot (host path, chroot path) holding the test project."""
    mod, root = xr_chroot
    host = Path(tempfile.mkdtemp(prefix="panoforge-xr-test-", dir=root / "tmp"))
    inside = "/" + str(host.relative_to(root))
    project = Project()
    project.add_result(box_room(1024).panorama, kind="imported", label="box room")
    project.add_result(nested_spheres(512).panorama, kind="imported", label="spheres")
    project.set_active("r1")
    save_project(host / "box.panoforge", project)
    (host / "xdg-empty").mkdir(mode=0o700)
    yield host, inside
    shutil.rmtree(host, ignore_errors=True)


def _in_chroot(args: list[str], env: dict[str, str]) -> list[str]:
    extra = [f"--env={k}={v}" for k, v in env.items()]
    return [sys.executable, str(CHROOT_PY), "exec", *extra, "--", *args]


@contextlib.contextmanager
def monado_service(host: Path, inside: str, xdg: str, extra_env: dict[str, str] | None = None):
    """monado-service running in the chroot with ``XDG_RUNTIME_DIR`` at ``inside/xdg`` (its
    stdin a pipe: it exits on EOF); yields the environment its clients need."""
    env = {"XDG_RUNTIME_DIR": f"{inside}/{xdg}"}
    (host / xdg).mkdir(mode=0o700, exist_ok=True)
    log_path = host / f"monado-{xdg}.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(_in_chroot(["monado-service"], {**env, **(extra_env or {})}),
                            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    socket = host / xdg / "monado_comp_ipc"
    deadline = time.monotonic() + 90
    while not socket.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if not socket.exists():
        proc.kill()
        proc.wait()
        log.close()
        pytest.fail("monado-service did not start:\n"
                    + _tail(log_path.read_text(errors="replace")))
    try:
        yield env
    finally:
        proc.stdin.close()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def monado(workdir):
    """monado-service with its simulated headset (it wobbles, and cannot be moved)."""
    host, inside = workdir
    with monado_service(host, inside, "xdg") as env:
        yield env


def test_no_runtime_gives_one_clear_message(workdir):
    """Monado installed but its service not running: exit 2, the runtimes named, no traceback."""
    host, inside = workdir
    res = subprocess.run(
        _in_chroot(["python3", "-m", "app", "xr", f"{inside}/box.panoforge"],
                   {"XDG_RUNTIME_DIR": f"{inside}/xdg-empty"}),
        capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    ours = [line for line in res.stderr.splitlines() if line.startswith(("panoforge", "  hint"))]
    assert ours[0].startswith("panoforge: error: no OpenXR runtime is running"), res.stderr
    for name in RUNTIMES:
        assert name in ours[1], ours
    assert "Traceback" not in res.stderr + res.stdout


#: How the XR process gets its OpenGL context: EGL surfaceless (XR_MNDX_egl_enable, headless),
#: and a hidden GLFW window's GLX context under Xvfb (XR_KHR_opengl_enable with Xlib, the
#: binding SteamVR on Linux uses).
GL_PATHS = {"egl": [], "glfw": ["xvfb-run", "-a"]}


@pytest.fixture(scope="session", params=sorted(GL_PATHS))
def session_run(request, workdir, monado):
    host, inside = workdir
    gl = request.param
    dump = f"dump-{gl}"
    res = subprocess.run(
        _in_chroot([*GL_PATHS[gl], "python3", "-m", "app", "xr", f"{inside}/box.panoforge",
                    "--gl", gl, "--frames", str(FRAMES), "--dump-eyes", f"{inside}/{dump}"],
                   monado),
        capture_output=True, text=True, timeout=240)
    return res, host / dump


def test_session_reaches_focused_and_ends_cleanly(session_run):
    res, dump = session_run
    assert res.returncode == 0, _tail(res.stdout + res.stderr)
    assert "Traceback" not in res.stderr
    summary = json.loads((dump / "session.json").read_text())
    states = summary["states"]
    assert states[:5] == ["IDLE", "READY", "SYNCHRONIZED", "VISIBLE", "FOCUSED"], states
    assert states.index("STOPPING") > states.index("FOCUSED")
    assert states[-1] == "EXITING"
    assert summary["frames"] >= FRAMES
    assert summary["submitted"] >= summary["frames"]
    frame = json.loads((dump / "frame.json").read_text())
    assert frame["frame"] == FRAMES
    assert frame["runtime"].startswith("Monado")


# -- the exact reference ----------------------------------------------------------------------
def _box_room_geometry():
    p = inspect.signature(box_room).parameters
    lo = np.array([p[k].default[0] for k in "xyz"], dtype=float)
    hi = np.array([p[k].default[1] for k in "xyz"], dtype=float)
    return lo, hi, p["pillar"].default


def _exact_labels(origin: np.ndarray, dirs: np.ndarray, pillar=None) -> np.ndarray:
    """Label (index into BOX_ROOM_LABELS) of the first surface each ray from ``origin`` hits
    (the default box room, its pillar at ``pillar`` = (cx, cz, half) when given)."""
    lo, hi, default_pillar = _box_room_geometry()
    cx, cz, half = pillar or default_pillar
    with np.errstate(divide="ignore", invalid="ignore"):
        t_axis = np.where(dirs > 0, (hi - origin) / dirs, (lo - origin) / dirs)
    t_axis = np.where(dirs == 0, np.inf, t_axis)
    axis = np.argmin(t_axis, axis=-1)
    t_wall = np.take_along_axis(t_axis, axis[..., None], -1)[..., 0]
    positive = np.take_along_axis(dirs, axis[..., None], -1)[..., 0] > 0
    label = axis * 2 + positive  # -x, +x, -y, +y, -z, +z: the order of BOX_ROOM_LABELS
    o2, d2 = origin[[0, 2]], dirs[..., [0, 2]]
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (np.array([cx - half, cz - half]) - o2) / d2
        t2 = (np.array([cx + half, cz + half]) - o2) / d2
    t_near = np.nanmax(np.minimum(t1, t2), axis=-1)
    t_far = np.nanmin(np.maximum(t1, t2), axis=-1)
    pillar = (t_near <= t_far) & (t_far > 0) & (t_near < t_wall)
    return np.where(pillar, BOX_ROOM_LABELS.index("pillar"), label)


def _reference(eye: dict, *, pillar=None, origin=None, rot=None) -> tuple[np.ndarray, np.ndarray]:
    """Exact labels of every pixel of an eye image, and the eye's position in the scene.

    The eye's position and orientation come from its view matrix, unless ``origin`` (scene
    position, metres) and ``rot`` (3, 3 eye -> scene rotation) are given.
    """
    w, h = eye["size"]
    tl, tr, tu, td = np.tan(eye["fov"])
    view = np.array(eye["view"])
    if rot is None:
        rot = view[:3, :3].T  # eye -> scene
    if origin is None:
        origin = -rot @ view[:3, 3]
    x = tl + (np.arange(w) + 0.5) / w * (tr - tl)
    y = tu - (np.arange(h) + 0.5) / h * (tu - td)  # row 0 at the top
    d = np.stack(np.broadcast_arrays(x[None, :], y[:, None], -np.ones((h, w))), axis=-1)
    origin = np.asarray(origin, dtype=float)
    return _exact_labels(origin, d @ np.asarray(rot).T, pillar), origin


def _fits(labels: np.ndarray, ref: np.ndarray, radius: int = 1) -> np.ndarray:
    """Pixels whose label a reference pixel within ``radius`` pixels has."""
    h, w = ref.shape
    padded = np.pad(ref, radius, mode="edge")
    ok = np.zeros(ref.shape, dtype=bool)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            ok |= padded[dy:dy + h, dx:dx + w] == labels
    return ok


def _mismatch(labels: np.ndarray, ref: np.ndarray, where: np.ndarray, radius: int = 1) -> float:
    """Fraction of ``where`` pixels whose label no reference pixel within ``radius`` has."""
    return float(np.mean(~_fits(labels, ref, radius)[where]))


def _near_silhouette(ref: np.ndarray, label: int, radius: int) -> np.ndarray:
    """Pixels within ``radius`` pixels of the boundary of the ``label`` region of ``ref``."""
    inside = ref == label
    edge = np.zeros_like(inside)
    edge[:, 1:] |= inside[:, 1:] != inside[:, :-1]
    edge[1:, :] |= inside[1:, :] != inside[:-1, :]
    near = edge.copy()
    for _ in range(radius):  # a few dilation steps, each one vectorised over the image
        grown = near.copy()
        grown[:, 1:] |= near[:, :-1]
        grown[:, :-1] |= near[:, 1:]
        grown[1:, :] |= near[:-1, :]
        grown[:-1, :] |= near[1:, :]
        near = grown
    return near


def _classify(img: np.ndarray) -> np.ndarray:
    palette = np.array([BOX_ROOM_COLOURS[n] for n in BOX_ROOM_LABELS], dtype=float)
    dist = np.linalg.norm(img[:, :, None, :].astype(float) - palette[None, None], axis=-1)
    return dist.argmin(axis=-1)


#: Half-width of the band along the pillar's silhouette where the cut gap (parallax from an
#: eye beside the capture point) shows the backdrop instead of the wall, pixels.
CRACK_PX = 16


def test_each_eye_shows_the_scene_from_its_tracked_view(session_run):
    res, dump = session_run
    assert res.returncode == 0, _tail(res.stdout + res.stderr)
    frame = json.loads((dump / "frame.json").read_text())
    eyes = frame["eyes"]
    assert len(eyes) == 2
    images = [np.asarray(Image.open(dump / e["image"]).convert("RGB")) for e in eyes]
    refs = [_reference(e) for e in eyes]
    drawn = []
    for img, eye in zip(images, eyes, strict=True):
        assert img.shape == (eye["size"][1], eye["size"][0], 3)
        # No black cracks: where the mesh is cut along the pillar's silhouette (a gap a few
        # pixels wide seen from an eye beside the capture point) the backdrop sphere shows,
        # as in the window and `render` (issue 18: the headset drew those gaps black).
        drawn.append(img.max(axis=-1) > 0)
    bands = []
    for eye_drawn, (ref, _origin) in zip(drawn, refs, strict=True):
        bands.append(_near_silhouette(ref, BOX_ROOM_LABELS.index("pillar"), radius=CRACK_PX))
        assert np.mean(~eye_drawn) < 0.0005, "black pixels: cracks the backdrop should fill"
    labels = [_classify(img) for img in images]
    # The filled cracks are left out: pixels along the pillar's silhouette that do not fit
    # the eye's own view, where the backdrop's panorama colour stands in for what an exact
    # ray cast from the moved eye sees behind the pillar (the rest of the band still counts,
    # so the other eye's view is still told apart there).
    where = [drawn[i] & ~(bands[i] & ~_fits(labels[i], refs[i][0])) for i in range(2)]
    own = [_mismatch(labels[i], refs[i][0], where[i]) for i in range(2)]
    other = [_mismatch(labels[i], refs[1 - i][0], where[i]) for i in range(2)]
    # Same colours where the scene is, give or take a pixel along the room's edges (the
    # mesh is the room sampled at the panorama's pixel centres).
    assert max(own) < 0.005, own
    # Each eye is drawn with its own view: the other eye's reference fits far worse.
    assert min(other) > 3 * max(own), (own, other)
    # The eyes are the runtime's: one IPD apart.
    ipd = np.linalg.norm(refs[0][1] - refs[1][1])
    assert 0.05 < ipd < 0.08


def test_the_viewer_starts_at_the_capture_point(session_run):
    res, dump = session_run
    frame = json.loads((dump / "frame.json").read_text())
    rig = frame["rig"]
    if frame["space"] == "stage":
        # STAGE: the floor is y = 0, the capture point goes to the head at start.
        head = np.array(rig["start_head"])
        assert np.allclose(rig["origin"], head)
        assert 0.9 <= head[1] <= 2.2
    else:
        assert np.allclose(rig["origin"], 0.0)
    # Thirty frames later the eyes are still about the capture point: Monado's simulated head
    # wobbles by some 0.2 m, while a scene left at the stage floor would be 1.6 m off.
    for eye in frame["eyes"]:
        _, origin = _reference(eye)
        assert np.linalg.norm(origin) < 0.5


def test_launcher_edits_reach_the_headset_and_stop_ends_the_session(workdir, monado):
    host, inside = workdir

    def in_chroot(path: Path) -> str:
        return inside + "/" + str(Path(path).relative_to(host))

    def command(project: Path, control: Path) -> list[str]:
        return _in_chroot(["python3", "-m", "app", "xr", in_chroot(project),
                           "--control-file", in_chroot(control)], monado)

    handle = start_headset(host / "box.panoforge", workdir=host / "launch", command=command)
    try:
        assert handle.wait_for_output("session FOCUSED", 120), _tail(handle.output())
        assert "showing result r1" in handle.output()
        handle.update(result_id="r2")
        assert handle.wait_for_output("now showing result r2", 120), _tail(handle.output())
        assert handle.running
    finally:
        rc = handle.stop(timeout=60)
    out = handle.output()
    assert rc == 0, _tail(out)
    assert "session STOPPING" in out and "session EXITING" in out
    assert "Traceback" not in out
