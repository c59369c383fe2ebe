"""The headset with a tracked head and controllers we move: Monado 25's "remote" driver.

Monado runs in the trixie chroot (tools/xr/chroot.py) with ``P_OVERRIDE_ACTIVE_CONFIG=remote``:
its headset and two Index controllers are driven over TCP by :mod:`.monado_remote`. The XR
process is started as the window starts it (:func:`app.xr_launcher.start_headset`), on a
project of two layered box rooms (the room, and the room behind its pillar as a layer, so an
eye off the capture point sees no hole) whose pillars stand in different places. One session
goes through these steps, and each step's eye images (asked for through the control file) are
checked against an exact ray cast of the room from where the eyes should be:

1. at start: the capture point is at the head;
2. the head moved 0.3 m to the right: each eye sees the room from its moved position (issue
   11), and not from where it was;
3. right grip + right thumbstick up, twice: the scene is twice as large about the capture
   point, so each eye is, in the scene, at half its distance from the capture point;
4. right B: the next result (the other room), 5. left B: the previous one (the first again);
6. the desktop mirror file shows the left eye's image, downscaled.

These tests fail (they never skip) where the chroot cannot be built or run.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.xr_launcher import start_headset
from scene.project import Project, save_project
from scene.testing.analytic import BOX_ROOM_LABELS, box_room
from tests.renderers.composition_fixtures import room_layer
from tests.renderers.xr.monado_remote import Controller, RemoteClient, RemoteState
from tests.renderers.xr.test_monado import (
    _classify,
    _fits,
    _in_chroot,
    _mismatch,
    _reference,
    _tail,
    monado_service,
)

pytestmark = pytest.mark.slow

#: The two results' pillars (cx, cz, half), metres: r1 the box room's own, r2 elsewhere.
PILLARS = {"r1": (1.0, -1.8, 0.3), "r2": (-1.1, -2.2, 0.35)}
#: Where the head goes for step 2, relative to where it started (reference space, metres).
STEP_M = np.array([0.3, 0.0, 0.0])
WIDTH = 1024
WAIT_S = 120
#: Label tolerance, eye pixels: the mesh is the room sampled at the panorama's pixel centres
#: (0.35 degrees apart at 1024 wide), which near the eye image's edges spans two of its pixels.
FIT_PX = 2


def _off(labels: np.ndarray, ref: np.ndarray) -> float:
    """Fraction of the eye image whose label the exact ray cast lacks within FIT_PX pixels."""
    return _mismatch(labels, ref, np.ones(ref.shape, bool), FIT_PX)


def _project(path: Path) -> None:
    project = Project()
    for rid, pillar in PILLARS.items():
        room = box_room(WIDTH, pillar=pillar)
        result = project.add_result(room.panorama, kind="imported", label=f"room {rid}")
        assert result.id == rid
        result.layers.append(room_layer(room, WIDTH))
    project.set_active("r1")
    save_project(path, project)


def _remote_config(host: Path, inside: str) -> tuple[dict[str, str], int]:
    """Monado's config (``$XDG_CONFIG_HOME/monado/config_v0.json``) choosing the remote driver
    on a free port (not its fixed default 4242, which a stale service could hold); the
    service's extra environment and the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = host / "xdg-config" / "monado"
    folder.mkdir(parents=True)
    config = {"active": "remote", "remote": {"version": 0, "port": port, "view_count": 2}}
    (folder / "config_v0.json").write_text(json.dumps(config))
    return {"P_OVERRIDE_ACTIVE_CONFIG": "remote",
            "XDG_CONFIG_HOME": f"{inside}/xdg-config"}, port


class Scenario:
    """The one session: the remote driver's client, the launcher's handle, and the dumps."""

    def __init__(self, host: Path, inside: str, handle, client: RemoteClient) -> None:
        self.host, self.inside, self.handle, self.client = host, inside, handle, client
        self.dumps: dict[str, tuple[dict, list[np.ndarray]]] = {}
        self._n = 0

    def dump(self, name: str, head=None) -> None:
        """Ask the XR process for the next frame; wait for it (until it shows ``head``)."""
        deadline = time.monotonic() + WAIT_S
        while True:
            self._n += 1
            folder = self.host / f"dump-{name}-{self._n}"
            self.handle.request_dump(f"{self.inside}/{folder.name}", self._n)
            while not (folder / "frame.json").exists():
                assert self.handle.running, _tail(self.handle.output())
                assert time.monotonic() < deadline, f"no dump {name}:\n{_tail(self.handle.output())}"
                time.sleep(0.1)
            frame = json.loads((folder / "frame.json").read_text())
            got = np.array(frame["head"]["position"])
            # The remote driver takes the pose at once; the frame after the request shows it.
            if head is None or np.allclose(got, head, atol=1e-5):
                break
            assert time.monotonic() < deadline, (got, head)
        images = [np.asarray(Image.open(folder / e["image"]).convert("RGB"))
                  for e in frame["eyes"]]
        self.dumps[name] = (frame, images)

    def press(self, hand: str, log: str, **inputs) -> None:
        """Hold ``inputs`` on one controller until the XR process logs ``log``; release."""
        before = getattr(self.client.state, hand)
        held = Controller(position=before.position, **inputs)
        self.client.send(_with(self.client.state, hand, held))
        ok = self.handle.wait_for_output(log, WAIT_S)
        self.client.send(_with(self.client.state, hand, before))
        assert ok, f"no {log!r}:\n{_tail(self.handle.output())}"
        # A frame drawn after the request has seen the release (the next press is new).
        self.dump("released", np.array(self.client.state.head_position))


def _with(state: RemoteState, hand: str, ctl: Controller) -> RemoteState:
    from dataclasses import replace

    return replace(state, **{hand: ctl})


@pytest.fixture(scope="module")
def scenario(xr_chroot):
    mod, root = xr_chroot
    host = Path(tempfile.mkdtemp(prefix="panoforge-xr-remote-", dir=root / "tmp"))
    inside = "/" + str(host.relative_to(root))
    _project(host / "rooms.panoforge")
    extra_env, port = _remote_config(host, inside)
    try:
        with monado_service(host, inside, "xdg-remote", extra_env) as env:
            client = RemoteClient(port, timeout=60)

            def command(project: Path, control: Path) -> list[str]:
                rel = lambda p: inside + "/" + str(Path(p).relative_to(host))  # noqa: E731
                return _in_chroot(["python3", "-m", "app", "xr", rel(project),
                                   "--control-file", rel(control)], env)

            handle = start_headset(host / "rooms.panoforge", workdir=host / "launch",
                                   command=command)
            sc = Scenario(host, inside, handle, client)
            try:
                assert handle.wait_for_output("session FOCUSED", WAIT_S), _tail(handle.output())
                start = np.array(client.state.head_position)
                sc.dump("start", start)
                moved = start + STEP_M
                client.send(_with(client.state, "head_position", tuple(moved)))
                sc.dump("moved", moved)
                for scale in ("1.414", "2.000"):
                    sc.press("right", f"controller: scale {scale}", squeeze=1.0,
                             thumbstick=(0.0, 1.0))
                sc.dump("scaled", moved)
                sc.press("right", "controller: next result r2", buttons={"active", "b_click"})
                assert handle.wait_for_output("now showing result r2", WAIT_S), \
                    _tail(handle.output())
                sc.dump("next", moved)
                sc.status_next = handle.status()
                sc.press("left", "controller: previous result r1", buttons={"active", "b_click"})
                assert handle.wait_for_output("now showing result r1", WAIT_S), \
                    _tail(handle.output())
                sc.dump("previous", moved)
                sc.status_previous = handle.status()
                # A mirror written after the last dump: the head has not moved since.
                shown = (host / f"dump-previous-{sc._n}" / "frame.json").stat().st_mtime
                deadline = time.monotonic() + WAIT_S
                sc.mirror = None  # test_the_desktop_mirror_shows_the_left_eye says so
                while time.monotonic() < deadline:
                    if (handle.mirror_file.exists()
                            and handle.mirror_file.stat().st_mtime > shown + 0.5):
                        sc.mirror = np.asarray(Image.open(handle.mirror_file).convert("RGB"))
                        break
                    time.sleep(0.1)
            finally:
                sc.returncode = handle.stop(timeout=60)
                client.close()
            sc.output = handle.output()
            yield sc
    finally:
        shutil.rmtree(host, ignore_errors=True)


def _expected(frame: dict, eye: dict, start: np.ndarray, scale: float) -> np.ndarray:
    """Where the eye should be in the scene: its tracked position relative to the head at start
    (where the capture point went), shrunk by the scene's scale (the head never turned)."""
    return (np.array(eye["pose"]["position"]) - start) / scale


def _check(sc: Scenario, name: str, result: str, scale: float, eye_offset=None):
    """Own and other mismatch of both eyes of dump ``name`` against the exact ray cast of
    ``result`` from the expected eye positions (and from ``eye_offset``-moved ones)."""
    frame, images = sc.dumps[name]
    start = np.array(sc.dumps["start"][0]["head"]["position"])
    assert frame["result"] == result
    assert frame["rig"]["scale"] == pytest.approx(scale)
    assert frame["rig"]["yaw"] == pytest.approx(0.0)
    out = []
    for eye, img in zip(frame["eyes"], images, strict=True):
        assert np.allclose(eye["pose"]["orientation"], [0, 0, 0, 1], atol=1e-6)
        origin = _expected(frame, eye, start, scale)
        ref, _ = _reference(eye, pillar=PILLARS[result], origin=origin, rot=np.eye(3))
        drawn = img.max(axis=-1) > 0
        assert drawn.all(), f"{(~drawn).sum()} hole pixels in {name}"
        labels = _classify(img)
        out.append((labels, ref, origin, eye))
    return out


def test_the_session_ran_and_ended_cleanly(scenario):
    assert scenario.returncode == 0, _tail(scenario.output)
    assert "Traceback" not in scenario.output
    assert "session STOPPING" in scenario.output and "session EXITING" in scenario.output
    frame = scenario.dumps["start"][0]
    assert frame["runtime"].startswith("Monado")
    assert frame["space"] == "stage"


def test_at_start_the_eyes_are_at_the_capture_point(scenario):
    for labels, ref, origin, _eye in _check(scenario, "start", "r1", 1.0):
        assert np.linalg.norm(origin) < 0.05  # half the IPD
        assert _off(labels, ref) < 0.005


def test_a_head_moved_0_3_m_sees_the_layered_room_from_there(scenario):
    for labels, ref, origin, eye in _check(scenario, "moved", "r1", 1.0):
        assert abs(origin[0] - 0.3) < 0.05 and abs(origin[1]) < 1e-4 and abs(origin[2]) < 1e-4
        assert (ref == BOX_ROOM_LABELS.index("pillar")).mean() > 0.03  # the pillar is in view
        own = _off(labels, ref)
        assert own < 0.005, own
        # The same eye had the head not moved: a clearly different image.
        unmoved, _ = _reference(eye, pillar=PILLARS["r1"], origin=origin - STEP_M, rot=np.eye(3))
        assert _off(labels, unmoved) > 5 * max(own, 0.002)
        # The renderer's own view matrix says the same.
        ref_view, from_view = _reference(eye, pillar=PILLARS["r1"])
        np.testing.assert_allclose(from_view, origin, atol=1e-4)


def test_grip_and_thumbstick_scale_the_scene_about_the_capture_point(scenario):
    eyes = _check(scenario, "scaled", "r1", 2.0)
    for labels, ref, origin, _eye in eyes:
        own = _off(labels, ref)
        assert own < 0.005, own
        assert abs(origin[0] - 0.15) < 0.03  # half as far from the capture point
        life_size, _ = _reference(_eye, pillar=PILLARS["r1"], origin=origin * 2.0, rot=np.eye(3))
        assert _off(labels, life_size) > 5 * max(own, 0.002)
    # In the scene the eyes are half an IPD apart.
    ipd_scene = np.linalg.norm(eyes[0][2] - eyes[1][2])
    ipd_space = np.linalg.norm(np.subtract(eyes[0][3]["pose"]["position"],
                                           eyes[1][3]["pose"]["position"]))
    assert ipd_scene == pytest.approx(ipd_space / 2.0, rel=1e-4)


def test_b_shows_the_next_result_and_left_b_the_previous(scenario):
    for name, result, other in (("next", "r2", "r1"), ("previous", "r1", "r2")):
        for labels, ref, origin, eye in _check(scenario, name, result, 2.0):
            own = _off(labels, ref)
            assert own < 0.005, (name, own)
            wrong, _ = _reference(eye, pillar=PILLARS[other], origin=origin, rot=np.eye(3))
            assert _off(labels, wrong) > 5 * max(own, 0.002), name


def test_the_headset_reports_what_it_shows_to_the_window(scenario):
    """The status file the window follows (app/window/headset.py): result and scale."""
    assert scenario.status_next == {"result": "r2", "scale": 2.0}
    assert scenario.status_previous == {"result": "r1", "scale": 2.0}


def test_the_desktop_mirror_shows_the_left_eye(scenario):
    frame, images = scenario.dumps["previous"]
    assert scenario.mirror is not None, "the XR process did not (re)write the mirror file"
    mirror = scenario.mirror.astype(float)
    h, w = mirror.shape[:2]
    eye = images[0]
    assert w == min(480, eye.shape[1]) and abs(h - eye.shape[0] * w / eye.shape[1]) <= 1
    small = np.asarray(Image.fromarray(eye).resize((w, h), Image.BILINEAR), dtype=float)
    right = np.asarray(Image.fromarray(images[1]).resize((w, h), Image.BILINEAR), dtype=float)
    same = np.abs(mirror - small).mean()
    assert same < 4.0, same
    # It is the left eye, not the right one (they differ by the IPD's parallax).
    assert np.abs(mirror - right).mean() > 2 * same
    # And it shows the room: its labels are the left eye's.
    labels = _classify(scenario.mirror)
    ref = _classify(small.astype(np.uint8))
    assert np.mean(~_fits(labels, ref)) < 0.01
