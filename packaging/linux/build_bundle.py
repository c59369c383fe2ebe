"""Build Panoforge's Linux desktop bundle: one folder that runs with no Python on the machine.

PyInstaller freezes ``packaging/panoforge.spec`` (one-folder mode) from the Python environment
this script runs in, so that environment decides what goes in: the CPU build of torch by
default (``python3 make.py setup`` then ``.venv/bin/pip install '.[ldm3d,bundle]'``; pass
``--without-models`` for a procedural/import/export-only bundle without torch's 750 MB).

The result, ``dist/linux/panoforge/``::

    panoforge                 the executable (window with no arguments, the whole command line)
    _internal/                Python, Qt, vispy, ... (PyInstaller's support folder)
    share/                    panoforge.desktop, panoforge-mime.xml, panoforge.thumbnailer,
                              icons/, install-desktop.sh (plain sh: needs no Python)

Usage::

    .venv/bin/python packaging/linux/build_bundle.py [--without-models] [--check]
                     [--screenshot docs/images/bundle_window.png] [--archive] [--install-user]

``--check`` runs the built bundle: ``--help``, ``--version`` and a windowless procedural
``generate --glb`` in a scratch folder. ``--screenshot`` opens the bundle's window under Xvfb
(``xvfb-run``) and saves a picture. ``--install-user`` installs the desktop entry, icons, MIME
type and thumbnailer into ``${XDG_DATA_HOME:-~/.local/share}`` (``share/install-desktop.sh``,
which the bundle's users run themselves). ``--archive`` writes
``dist/linux/panoforge-VERSION-linux-ARCH.tar.gz``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "panoforge.spec"


def say(msg: str) -> None:
    print(f"[build_bundle] {msg}", flush=True)


def git_describe() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "describe", "--tags", "--always",
                              "--dirty"], capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def build(dist: Path, work: Path, with_models: bool) -> Path:
    """Run PyInstaller on the spec; return the bundle folder (``dist/panoforge``)."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        sys.exit("PyInstaller is missing: pip install '.[bundle]' (or 'panoforge[bundle]')")
    if with_models:
        try:
            import torch  # noqa: F401
        except ImportError:
            sys.exit("torch is not installed here: install the CPU build first "
                     "(pip install torch==2.13.0 '.[ldm3d]') or pass --without-models")
    from scene.metadata import software_version

    env = dict(os.environ, PANOFORGE_WITH_MODELS="1" if with_models else "0",
               PANOFORGE_BUILD_INFO=f"{git_describe()} (bundle built "
                                    f"{time.strftime('%Y-%m-%d', time.gmtime())}, "
                                    f"{'with' if with_models else 'without'} torch)")
    say(f"PyInstaller: Panoforge {software_version()}, "
        f"{'with' if with_models else 'without'} the neural models -> {dist}")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(dist), "--workpath", str(work), str(SPEC)],
                   check=True, cwd=ROOT, env=env)
    bundle = dist / "panoforge"
    share = bundle / "share"
    shutil.rmtree(share, ignore_errors=True)
    shutil.copytree(ROOT / "resources" / "desktop", share)
    shutil.copytree(ROOT / "resources" / "icons", share / "icons")
    (share / "install-desktop.sh").chmod(0o755)
    size = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file() and not f.is_symlink())
    say(f"built {bundle} in {time.perf_counter() - started:.0f} s, {size / 2**20:.0f} MiB")
    return bundle


def _bundle_env() -> dict:
    # what a machine without this checkout sees: no PYTHONPATH, no venv
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV",
                                                              "PYTHONHOME")}
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if ".venv" not in p)
    env.setdefault("HF_HUB_OFFLINE", "1")
    return env


def _without_python(cmd: list[str], empty: Path) -> list[str] | None:
    """``cmd`` run with every Python on this machine hidden (a private mount namespace with
    empty folders over the interpreters' prefixes and /dev/null over ``python3*``), or None
    where that needs root or ``unshare`` and neither is there."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return None
    prefixes = {sys.prefix, sys.base_prefix, str(Path.home() / ".pyenv"),
                *(str(p) for p in Path("/usr/lib").glob("python3*")),
                *(str(p) for p in Path("/usr/local/lib").glob("python3*"))}
    dirs = sorted(p for p in prefixes if Path(p).is_dir())
    outer = [p for p in dirs if not any(p != q and p.startswith(q + "/") for q in dirs)]
    hide = " && ".join(f"mount --bind {shlex.quote(str(empty))} {shlex.quote(p)}"
                       for p in outer)
    bins = ("for b in /usr/bin/python3* /usr/local/bin/python3*; do "
            '[ -e "$b" ] && mount --bind /dev/null "$b"; done')
    probe = "! command -v python3 >/dev/null || ! python3 -c 1 2>/dev/null"
    run = " ".join(shlex.quote(c) for c in cmd)
    return ["unshare", "-m", "sh", "-c", f"{hide} && {bins}; {probe} && exec {run}"]


def check(bundle: Path) -> None:
    """``--help``, ``--version`` and a windowless procedural generate, run from the bundle."""
    exe = str(bundle / "panoforge")
    env = _bundle_env()
    with tempfile.TemporaryDirectory() as tmp:
        for args in (["--help"], ["--version"],
                     ["generate", "a misty pine forest at dawn", "--backend", "procedural",
                      "--seed", "7", "--width", "512", "--height", "256", "-o", "f.panoforge",
                      "--glb", "f.glb"],
                     ["export", "f.panoforge", "--images", "imgs"]):
            t = time.perf_counter()
            res = subprocess.run([exe, *args], cwd=tmp, env=env, capture_output=True,
                                 text=True, timeout=600)
            say(f"$ panoforge {' '.join(args)}  -> exit {res.returncode} "
                f"({time.perf_counter() - t:.1f} s)")
            print(res.stdout[-1500:] + res.stderr[-1500:], flush=True)
            if res.returncode != 0:
                sys.exit(f"the bundle failed: panoforge {' '.join(args)}")
        glb = Path(tmp, "f.glb").read_bytes()
        assert glb[:4] == b"glTF", "not a GLB"
        empty = Path(tmp, "empty")
        empty.mkdir()
        hidden = _without_python([exe, "generate", "a desert", "--backend", "procedural",
                                  "--width", "256", "--height", "128", "-o", "d.panoforge",
                                  "--glb", "d.glb"], empty)
        if hidden is None:
            say("not root or no unshare: skipped the run with every Python hidden")
        else:
            res = subprocess.run(hidden, cwd=tmp, env=env, capture_output=True, text=True,
                                 timeout=600)
            if res.returncode != 0 or not Path(tmp, "d.glb").is_file():
                sys.exit("the bundle failed with Python hidden: " + res.stderr[-2000:])
            say("a procedural generate --glb ran with every Python on the machine hidden")
        res = subprocess.run([exe, "--thumbnail", "-s", "128", "f.panoforge", "t.png"],
                             cwd=tmp, env=env, capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            sys.exit("the bundle's thumbnailer failed: " + res.stderr)
        say(f"bundle checks passed (GLB {len(glb) / 1e6:.1f} MB, thumbnail written)")


def screenshot(bundle: Path, out: Path) -> None:
    """Open the bundle's window under Xvfb, generate procedural scenes, save a picture."""
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        sys.exit("xvfb-run not found (apt-get install xvfb xauth)")
    out = out.resolve()
    cmd = [xvfb, "-a", "-s", "-screen 0 1920x1200x24", str(bundle / "panoforge"),
           "--window-screenshot", str(out), "--size", "1600x960", "--width", "1024"]
    say("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True, env=_bundle_env(), timeout=900)
    say(f"wrote {out}")


def archive(bundle: Path) -> Path:
    from scene.metadata import software_version

    name = f"panoforge-{software_version()}-linux-{platform.machine()}.tar.gz"
    path = bundle.parent / name
    with tarfile.open(path, "w:gz") as tar:
        tar.add(bundle, arcname="panoforge")
    say(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB)")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist" / "linux")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--without-models", action="store_true",
                        help="leave torch and the Hugging Face libraries out")
    parser.add_argument("--skip-build", action="store_true", help="use the bundle in --dist")
    parser.add_argument("--check", action="store_true", help="run the built bundle's checks")
    parser.add_argument("--screenshot", type=Path, help="save the bundle's window (Xvfb)")
    parser.add_argument("--archive", action="store_true", help="also write a .tar.gz")
    parser.add_argument("--install-user", action="store_true",
                        help="install the desktop entry, icons, MIME type and thumbnailer")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    bundle = args.dist / "panoforge"
    if not args.skip_build:
        bundle = build(args.dist, args.work, not args.without_models)
    elif not (bundle / "panoforge").is_file():
        sys.exit(f"no bundle at {bundle}: build it first")
    if args.check:
        check(bundle)
    if args.screenshot:
        screenshot(bundle, args.screenshot)
    if args.archive:
        archive(bundle)
    if args.install_user:
        subprocess.run(["sh", str(bundle / "share" / "install-desktop.sh")], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
