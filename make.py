#!/usr/bin/env python3
"""Set up Panoforge and run its jobs, with nothing but ``python3`` on the machine.

Usage::

    python3 make.py demo     # set up .venv, generate a scene with the built-in generator
    python3 make.py test     # set up .venv + test tools, run ruff, lint-imports and pytest
    python3 make.py setup    # only set up .venv

The first run creates ``.venv`` (installing the CPU build of torch when no other is given)
and, when run as root on Debian, the system packages the window and the tests need (Xvfb,
Mesa's OpenGL, the Qt xcb libraries, Node.js for the Khronos glTF validator). Later runs
reuse them; they reinstall only when ``pyproject.toml`` changed.

This file uses only the standard library on purpose: it is what runs before anything else
exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PY = VENV / "bin" / "python"
STAMP = VENV / ".panoforge-installed"
TORCH_PIN = "torch==2.13.0"
DEMO_DIR = ROOT / "out" / "demo"
DEMO_PROMPT = "a misty pine forest at dawn"
VALIDATOR_DIR = ROOT / "tools" / "gltf-validator"

# Debian packages: what the GUI/GL tests and the window need at run time.
APT_RUNTIME = [
    "libgl1", "libegl1", "libgl1-mesa-dri", "libglx-mesa0", "libegl-mesa0",
    "libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1",
    "libxcb-shape0", "libxcb-xinerama0", "libxcb-randr0", "libxcb-render-util0",
    "libxcb-image0", "libdbus-1-3", "libfontconfig1", "libgomp1",
    "libusb-1.0-0",  # open3d links it
]
APT_TEST = [
    "xvfb", "xauth", "nodejs", "npm",
    # tests/interop: Blender's own glTF importer (it needs Debian's numpy) and headless
    # Chromium for three.js.
    "blender", "python3-numpy", "chromium",
    # Debian's Blender lacks the Draco library its builds bundle: the interop tests build one
    # on Debian's libdraco (tools/interop/blender_draco)
    "libdraco-dev",
    # tests/packaging: the .desktop entry's validator, and xdg-mime with the MIME database it
    # reads (libfile-mimeinfo-perl is xdg-mime's lookup outside a GNOME/KDE session)
    "desktop-file-utils", "xdg-utils", "shared-mime-info", "libfile-mimeinfo-perl",
    # meshoptimizer (the [compress] extra, in .[dev]) has only source releases: C++ builds it
    "g++",
]
THREEJS_DIR = ROOT / "tools" / "interop" / "threejs"
KTX2_DIR = ROOT / "tools" / "ktx2"  # Basis Universal (WebAssembly) for KTX2 textures
SPZ_DIR = ROOT / "tools" / "spz"  # Niantic's spz library (WebAssembly) for .spz splats


def say(msg: str) -> None:
    print(f"[make.py] {msg}", flush=True)


def run(cmd: list[str], **kw) -> None:
    say("$ " + " ".join(str(c) for c in cmd))
    subprocess.run(cmd, check=True, **kw)


def missing_debs(names: list[str]) -> list[str]:
    if not shutil.which("dpkg-query"):
        return []
    missing = []
    for name in names:
        res = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name],
            capture_output=True, text=True,
        )
        if "install ok installed" not in res.stdout:
            missing.append(name)
    return missing


def ensure_debs(names: list[str]) -> None:
    missing = missing_debs(names)
    if not missing:
        return
    # nodejs/npm may come from elsewhere (nvm, tarball): a working `npm` is enough.
    if shutil.which("npm") and shutil.which("node"):
        missing = [m for m in missing if m not in ("nodejs", "npm")]
    if not missing:
        return
    if os.geteuid() != 0:
        say("missing system packages: " + " ".join(missing))
        say("install them with: sudo apt-get install -y " + " ".join(missing))
        sys.exit(2)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def pyproject_hash(extra: str) -> str:
    h = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    h.update(extra.encode())
    return h.hexdigest()


def ensure_venv(with_dev: bool) -> None:
    if not VENV_PY.exists():
        try:
            run([sys.executable, "-m", "venv", str(VENV)])
        except subprocess.CalledProcessError:
            # Debian ships venv's ensurepip separately.
            shutil.rmtree(VENV, ignore_errors=True)
            ensure_debs(["python3-venv"])
            run([sys.executable, "-m", "venv", str(VENV)])
    want = pyproject_hash("dev" if with_dev else "run")
    have = STAMP.read_text().split() if STAMP.exists() else []
    if want in have or (not with_dev and pyproject_hash("dev") in have):
        return
    pip = [str(VENV_PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    # torch first, pinned, so the CPU build (or one already in the pip cache) satisfies the
    # plain `torch` requirement and no multi-GB CUDA build is pulled in.
    if subprocess.run([str(VENV_PY), "-c", "import torch"], capture_output=True).returncode:
        run([*pip, TORCH_PIN])
    run([*pip, "-e", ".[dev]" if with_dev else "."], cwd=ROOT)
    STAMP.write_text(" ".join([*have, want]))


def ensure_npm_tools() -> None:
    """Install the npm tools: the Khronos glTF validator, three.js, ktx2-encoder, @adobe/spz."""
    npm = shutil.which("npm")
    for folder, package in ((VALIDATOR_DIR, "gltf-validator"), (THREEJS_DIR, "three"),
                            (KTX2_DIR, "ktx2-encoder"), (SPZ_DIR, "@adobe/spz")):
        if (folder / "node_modules" / package / "package.json").exists():
            continue
        if npm is None:
            say("npm not found: the glTF validator and three.js tests need Node.js "
                "(apt-get install nodejs npm)")
            sys.exit(2)
        verb = "ci" if (folder / "package-lock.json").exists() else "install"
        run([npm, verb, "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder)


def panoforge(*args: str) -> None:
    run([str(VENV / "bin" / "panoforge"), *args], cwd=ROOT)


def cmd_setup() -> int:
    ensure_debs(APT_RUNTIME)
    ensure_venv(with_dev=False)
    return 0


def cmd_demo() -> int:
    cmd_setup()
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    project = DEMO_DIR / "forest.panoforge"
    glb = DEMO_DIR / "forest.glb"
    preview = DEMO_DIR / "forest.png"
    panoforge(
        "generate", DEMO_PROMPT, "--backend", "procedural", "--seed", "7",
        "-o", str(project), "--glb", str(glb), "--preview", str(preview),
    )
    say("done. Your scene:")
    for p in (project, glb, preview):
        say(f"  {p.relative_to(ROOT)}  ({p.stat().st_size / 1e6:.1f} MB)")
    say("open it in the window with: .venv/bin/panoforge gui " + str(project.relative_to(ROOT)))
    return 0


def cmd_test(pytest_args: list[str]) -> int:
    ensure_debs(APT_RUNTIME + APT_TEST)
    ensure_venv(with_dev=True)
    ensure_npm_tools()
    bin_ = VENV / "bin"
    env = dict(os.environ)
    env["PATH"] = f"{bin_}:{VALIDATOR_DIR / 'node_modules' / '.bin'}:{env.get('PATH', '')}"
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    steps = [
        [str(bin_ / "ruff"), "check", "."],
        [str(bin_ / "lint-imports")],
        [str(VENV_PY), "-m", "pytest", *pytest_args],
    ]
    for step in steps:
        say("$ " + " ".join(step))
        rc = subprocess.run(step, cwd=ROOT, env=env).returncode
        if rc != 0:
            say(f"FAILED ({rc}): " + " ".join(step))
            return rc
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    job, rest = argv[0], argv[1:]
    try:
        if job == "demo":
            return cmd_demo()
        if job == "test":
            return cmd_test(rest)
        if job == "setup":
            return cmd_setup()
    except subprocess.CalledProcessError as exc:
        say(f"a step failed with exit code {exc.returncode}; see the output above")
        return exc.returncode or 1
    say(f"unknown job {job!r}; use demo, test or setup")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
