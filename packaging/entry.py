"""The frozen bundle's entry point (PyInstaller runs this file as ``panoforge``).

``panoforge --thumbnail -s SIZE IN OUT`` is the file-manager thumbnailer (one executable serves
both, so the bundle ships one copy of its libraries); everything else is the ordinary command
line, which with no arguments opens the window. ``--window-screenshot OUT.png`` opens the
window, generates procedural scenes and saves a picture of it (the bundle's self-check).
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # batch workers re-enter the executable
    if len(sys.argv) > 1 and sys.argv[1] == "--thumbnail":
        from app.thumbnailer import main as thumbnail

        sys.exit(thumbnail(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "--window-screenshot":
        # the bundle's self-check: open the real window, generate, save QWidget.grab()
        from app.window.screenshot import main as screenshot

        sys.exit(screenshot(sys.argv[2:]))
    from app.cli import main

    sys.exit(main())
