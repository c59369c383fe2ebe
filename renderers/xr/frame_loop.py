"""The OpenXR frame loop: session states, frames at the runtime's rate, both eyes drawn.

Each frame: poll events (session state changes), ``xrWaitFrame`` (which paces the loop to the
headset), ``xrBeginFrame``, locate both eyes, apply the controllers, draw the scene (the dome,
its layers and props: :class:`~renderers.xr.gl_mesh.GLScene`) into each eye's swapchain image with that eye's asymmetric projection and tracked view, and submit one
projection layer with ``xrEndFrame``. The loop ends when the session reaches EXITING or
LOSS_PENDING; a stop request (Ctrl+C, SIGTERM, the editor's ``quit``, ``--frames``) asks the
runtime to end the session first, so the headset is handed back cleanly.

For tests, ``frames=N`` requests the exit after N drawn frames and ``dump_dir`` receives the
last drawn frame read back from each eye's swapchain image (``eye0.png``, ``eye1.png``) with
``frame.json``: per eye the field of view, the scene-to-eye view matrix, the runtime's eye pose
and the size, plus the reference space, the tracked head, where the scene was placed in it
(and its scale), the result shown and the session states seen. The editor's control file can
ask for such a dump of the next frame too (:attr:`SceneSource.dump_request`).

With a :class:`~renderers.xr.mirror.Mirror`, the left eye is also written, downscaled, to the
desktop mirror file a few times a second.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import numpy as np

from .controls import SNAP_TURN_DEG, ControllerActions, Rig, start_origin
from .gl_mesh import EyeTarget, GLScene, read_pixels
from .math import projection_from_fov, view_from_pose

__all__ = ["run_session", "NEAR_M"]

#: Near clip plane, metres (the mesh is never closer than the move radius allows).
NEAR_M = 0.05
#: Controller state while the session is not focused (input goes to another application).
_IDLE_CONTROLS = {"move": (0.0, 0.0), "turn": 0, "scale": 0, "recentre": False, "result": 0}


def _log(msg: str) -> None:
    print(f"panoforge xr: {msg}", flush=True)


class _Stop:
    """Set by SIGINT/SIGTERM: the loop then asks the runtime to end the session."""

    def __init__(self) -> None:
        self.requested = False
        self._old = {}

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread
                pass

    def _handle(self, signum, frame) -> None:
        self.requested = True

    def restore(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _faces(state) -> str:
    n = f"{state.mesh.n_faces}"
    parts = state.parts
    if not parts.empty:
        n += f" + {len(parts.layers)} layers, {len(parts.props)} props: {parts.n_faces}"
    return n


def run_session(sess, source, *, frames: int | None = None, dump_dir=None,
                mirror=None) -> dict:
    """Run frames until the session ends.

    Parameters
    ----------
    sess : XRSession
    source : SceneSource
        What to show; polled for the editor's edits.
    frames : int, optional
        Request the session's end after this many drawn frames (tests).
    dump_dir : str or Path, optional
        Where to write the last drawn frame's eye images and ``frame.json``.
    mirror : Mirror, optional
        Receives the left eye now and then (the window's desktop mirror); closed at the end.

    Returns
    -------
    dict
        ``states`` (session states in order), ``frames`` (drawn), ``submitted`` (all
        ``xrEndFrame`` calls), ``space``.
    """
    xr = sess.xr
    state_names = []
    stop = _Stop()
    stop.install()
    dump = Path(dump_dir) if dump_dir else None
    scene_gl = GLScene(srgb=sess.srgb)
    targets: dict[tuple[int, int], EyeTarget] = {}
    actions = ControllerActions(xr, sess.instance, sess.session)
    rig = Rig(start_origin(sess.space_kind))
    placed = False
    start_head = None
    running = focused = False
    exit_requested = False
    drawn = submitted = 0
    last_time = None
    far = 100.0

    def upload(state) -> None:
        nonlocal far
        scene_gl.set_state(state)
        far = scene_gl.far_plane

    upload(source.current)
    _log(f"runtime {sess.runtime_name}, {sess.space_kind.upper()} space, eyes "
         f"{sess.sizes[0][0]}x{sess.sizes[0][1]}, showing result {source.current.result_id} "
         f"({_faces(source.current)} faces)")
    try:
        while True:
            # -- events ----------------------------------------------------------------
            ended = False
            while True:
                try:
                    event = xr.poll_event(sess.instance)
                except xr.exception.EventUnavailable:
                    break
                etype = xr.StructureType(event.type)
                if etype == xr.StructureType.EVENT_DATA_INSTANCE_LOSS_PENDING:
                    _log("the runtime is shutting down")
                    ended = True
                elif etype == xr.StructureType.EVENT_DATA_SESSION_STATE_CHANGED:
                    ev = xr.EventDataSessionStateChanged.from_buffer(event)
                    st = xr.SessionState(ev.state)
                    state_names.append(st.name)
                    focused = st == xr.SessionState.FOCUSED
                    _log(f"session {st.name}")
                    if st == xr.SessionState.READY:
                        xr.begin_session(sess.session, xr.SessionBeginInfo(
                            xr.ViewConfigurationType.PRIMARY_STEREO))
                        running = True
                    elif st == xr.SessionState.STOPPING:
                        xr.end_session(sess.session)
                        running = False
                    elif st in (xr.SessionState.EXITING, xr.SessionState.LOSS_PENDING):
                        ended = True
            if ended:
                break
            want_exit = stop.requested or source.quit_requested or (
                frames is not None and drawn >= frames)
            if want_exit and not exit_requested:
                if running:
                    xr.request_exit_session(sess.session)
                    exit_requested = True
                else:
                    break
            if not running:
                time.sleep(0.02)
                continue

            # -- one frame ---------------------------------------------------------------
            new_state = source.poll()
            frame_state = xr.wait_frame(sess.session)
            xr.begin_frame(sess.session)
            layers = []
            t = frame_state.predicted_display_time
            if new_state is not None:
                sess.context.make_current()
                upload(new_state)
                _log(f"now showing result {new_state.result_id} ({_faces(new_state)} faces)")
            if frame_state.should_render:
                _, views = xr.locate_views(sess.session, xr.ViewLocateInfo(
                    view_configuration_type=xr.ViewConfigurationType.PRIMARY_STEREO,
                    display_time=t, space=sess.space))
                head = sess.head_pose(t)
                now = time.monotonic()
                dt = 0.0 if last_time is None else now - last_time
                last_time = now
                if head is not None:
                    if not placed:
                        if sess.space_kind == "stage":
                            rig.recentre("stage", head[0], head[1])
                        placed = True
                        start_head = head[1]
                    ctl = actions.poll() if focused else _IDLE_CONTROLS
                    if ctl["recentre"]:
                        rig.recentre(sess.space_kind, head[0], head[1])
                        _log("controller: recentred")
                    if ctl["turn"]:
                        rig.turn(np.radians(SNAP_TURN_DEG) * ctl["turn"], head[1])
                    if ctl["scale"] and rig.rescale(ctl["scale"]):
                        _log(f"controller: scale {rig.scale:.3f}")
                    if ctl["result"]:
                        want = source.step_result(ctl["result"])
                        if want is not None:
                            _log(f"controller: {'next' if ctl['result'] > 0 else 'previous'} "
                                 f"result {want}")
                    rig.move(ctl["move"], dt, head[0])
                source.report(rig.scale)
                # 6DoF: the tracked head within the walk radius, the scene carried beyond it.
                clamp = (rig.head_clamp(head[1], source.current.walk_radius)
                         if head is not None else None)
                proj_views = []
                record = []
                request = source.dump_request
                want_dump = request is not None or (
                    dump is not None and frames is not None and drawn + 1 == frames)
                mirror_now = mirror is not None and mirror.due()
                sess.context.make_current()
                for i, view in enumerate(views[:2]):
                    sc = sess.swapchains[i]
                    idx = xr.acquire_swapchain_image(sc, xr.SwapchainImageAcquireInfo())
                    xr.wait_swapchain_image(sc, xr.SwapchainImageWaitInfo(timeout=xr.INFINITE_DURATION))
                    key = (i, idx)
                    if key not in targets:
                        targets[key] = EyeTarget(sess.images[i][idx], sess.sizes[i], sess.srgb)
                    tgt = targets[key]
                    q, p, f = view.pose.orientation, view.pose.position, view.fov
                    eye_view = rig.view(view_from_pose((q.x, q.y, q.z, q.w), (p.x, p.y, p.z)),
                                        clamp)
                    proj = projection_from_fov(f.angle_left, f.angle_right, f.angle_up,
                                               f.angle_down, NEAR_M, far * max(1.0, rig.scale))
                    tgt.begin()
                    scene_gl.draw(proj @ eye_view)
                    if want_dump:
                        record.append((read_pixels(tgt), eye_view, f, tgt.size,
                                       ((q.x, q.y, q.z, q.w), (p.x, p.y, p.z))))
                    if mirror_now and i == 0:
                        mirror.capture(tgt)
                    tgt.end()
                    xr.release_swapchain_image(sc, xr.SwapchainImageReleaseInfo())
                    w, h = sess.sizes[i]
                    proj_views.append(xr.CompositionLayerProjectionView(
                        pose=view.pose, fov=view.fov,
                        sub_image=xr.SwapchainSubImage(
                            swapchain=sc,
                            image_rect=xr.Rect2Di(extent=xr.Extent2Di(w, h)))))
                layers.append(xr.CompositionLayerProjection(space=sess.space, views=proj_views))
                drawn += 1
                if record:
                    folder = request if request is not None else dump
                    source.dump_request = None
                    _dump(folder, record, sess, state_names, drawn,
                          {"origin": rig.origin.tolist(), "yaw": rig.yaw, "scale": rig.scale,
                           "offset": rig.offset.tolist(),
                           "walk_radius": source.current.walk_radius,
                           "head_clamp": None if clamp is None else clamp[:3, 3].tolist(),
                           "start_head": None if start_head is None else start_head.tolist()},
                          source.current.result_id,
                          None if head is None else (head[0].tolist(), head[1].tolist()))
            xr.end_frame(sess.session, xr.FrameEndInfo(
                display_time=t, environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE,
                layers=[ctypes_pointer(xr, layer) for layer in layers]))
            submitted += 1
    finally:
        stop.restore()
        source.wait_idle(5.0)
        if sess.context is not None:
            sess.context.make_current()
            for tgt in targets.values():
                tgt.delete()
            scene_gl.delete()
            if mirror is not None:
                mirror.close()
        actions.destroy()
    _log(f"session ended after {drawn} frames")
    summary = {"states": state_names, "frames": drawn, "submitted": submitted,
               "space": sess.space_kind}
    if dump is not None:
        dump.mkdir(parents=True, exist_ok=True)
        (dump / "session.json").write_text(json.dumps(summary, indent=1))
    return summary


def ctypes_pointer(xr, layer):
    """A ``XrCompositionLayerBaseHeader*`` for a layer structure."""
    import ctypes

    return ctypes.cast(ctypes.pointer(layer), ctypes.POINTER(xr.CompositionLayerBaseHeader))


def _dump(folder: Path, record, sess, states, drawn: int, rig: dict, result_id: str,
          head) -> None:
    """Write the eye images, then ``frame.json`` (atomically: it appears complete, last)."""
    import os

    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    eyes = []
    for i, (img, eye_view, fov, size, (q, p)) in enumerate(record):
        Image.fromarray(img).save(folder / f"eye{i}.png")
        eyes.append({
            "image": f"eye{i}.png", "size": list(size),
            "fov": [fov.angle_left, fov.angle_right, fov.angle_up, fov.angle_down],
            "view": np.asarray(eye_view).tolist(),
            "pose": {"orientation": list(q), "position": list(p)},
        })
    info = {"eyes": eyes, "space": sess.space_kind, "srgb": sess.srgb,
            "format": hex(sess.format), "frame": drawn, "states": list(states), "rig": rig,
            "runtime": sess.runtime_name, "result": result_id,
            "head": None if head is None else {"orientation": head[0], "position": head[1]}}
    tmp = folder / ".frame.json.tmp"
    tmp.write_text(json.dumps(info, indent=1))
    os.replace(tmp, folder / "frame.json")
    print(f"panoforge xr: wrote {folder}", file=sys.stderr, flush=True)
