"""Make the README's window screenshot from the real window (``python -m app.window.screenshot``).

Generates a few procedural scenes in a fresh window (its own temporary settings and sessions
folder), waits until the viewport shows the active one, and saves ``QWidget.grab()`` of the
main window (the vispy viewport is included). Run it on a display; Xvfb is fine::

    xvfb-run -a -s "-screen 0 1920x1200x24" python -m app.window.screenshot docs/images/window.png
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_PROMPTS = (
    "a sunny desert with dunes",
    "a snowy mountain valley at night",
    "a misty pine forest at dawn, a lake",
)


def _pump(app, until=None, seconds: float = 0.0, timeout: float = 300.0) -> None:
    end = time.perf_counter() + (timeout if until else seconds)
    while time.perf_counter() < end:
        app.processEvents()
        if until is not None and until():
            return
        time.sleep(0.005)
    if until is not None:
        raise TimeoutError("the window did not get there in time")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshot of the Panoforge window.")
    parser.add_argument("output", type=Path)
    parser.add_argument("--size", default="1600x960", help="window size WxH")
    parser.add_argument("--width", type=int, default=1024, help="panorama width")
    parser.add_argument("--prompt", action="append", help="prompts (the last one is shown)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--yaw", type=float, default=0.0)
    parser.add_argument("--pitch", type=float, default=0.0)
    parser.add_argument("--fov", type=float, default=90.0)
    parser.add_argument("--tab", choices=("3d", "panorama"), default="3d")
    parser.add_argument("--overlay", type=int, default=0, help="depth overlay %% (panorama tab)")
    args = parser.parse_args(argv)

    from .app import make_application

    app = make_application([])

    from .main_window import MainWindow
    from .preferences_store import WindowSettings, make_settings

    tmp = Path(tempfile.mkdtemp(prefix="panoforge-shot-"))
    w = MainWindow(settings=WindowSettings(make_settings(tmp / "s.ini")),
                   recovery_root=tmp / "sessions")
    width, height = (int(v) for v in args.size.split("x"))
    w.resize(width, height)
    w.show()
    prompts = args.prompt or list(DEFAULT_PROMPTS)
    for i, prompt in enumerate(prompts):
        ended = []
        w.generationEnded.connect(ended.append)
        w.generate_panel.set_prompt(prompt)
        w.generate_panel.set_size(args.width, args.width // 2)
        req = w.generate_panel.build_request()
        req.seed = args.seed + i
        if w.start_generation("procedural", req) is None:
            print("the window refused to start a generation", file=sys.stderr)
            return 1
        _pump(app, until=lambda e=ended: bool(e))
        w.generationEnded.disconnect()
        if ended[0] != "finished":
            print(f"generation failed: {ended[0]}", file=sys.stderr)
            return 1
    w.generate_panel.set_prompt(prompts[-1])
    w.generate_panel.seed_spin.setValue(args.seed + len(prompts) - 1)
    try:
        _pump(app, until=lambda: w.mesh_service.is_idle() and w.current_mesh is not None
              and w.scene_view.applied_seq == w.mesh_service.latest_seq, timeout=60)
    except TimeoutError:
        print(f"mesh not shown: applied {w.scene_view.applied_seq}, latest {w.mesh_service.latest_seq}, "
              f"idle {w.mesh_service.is_idle()}, status {w.statusBar().currentMessage()!r}",
              file=sys.stderr)
        raise
    if w.viewport is not None:
        w.viewport.set_look(yaw_deg=args.yaw, pitch_deg=args.pitch, fov_deg=args.fov)
    if args.tab == "panorama":
        w.tabs.setCurrentWidget(w.panorama_view)
        w.panorama_view.overlay_slider.setValue(args.overlay)
    w.statusBar().clearMessage()
    _pump(app, seconds=1.5)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if not w.grab().save(str(args.output)):
        print(f"could not write {args.output}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    w.doc.mark_saved(tmp / "shot.panoforge")
    w.close()
    w.deleteLater()
    _pump(app, seconds=0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
