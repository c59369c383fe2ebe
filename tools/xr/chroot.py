#!/usr/bin/env python3
"""A Debian trixie chroot with a real OpenXR runtime (Monado) for testing ``panoforge xr``.

Monado 25 (``monado-service``, ``libopenxr1-monado``) is packaged in Debian trixie, and its
packages do not install on bookworm. This script builds a small trixie chroot with
``debootstrap`` (Debian packages only, plus the pyopenxr and glfw wheels from PyPI), caches it outside
the repository, and runs commands inside it with the runtime's environment set: Monado's null
compositor, Mesa's lavapipe Vulkan driver, and OpenGL through EGL surfaceless.

Usage (as root)::

    python3 tools/xr/chroot.py build            # create or reuse the cached chroot
    python3 tools/xr/chroot.py status           # print whether it is ready (exit 0) or not (1)
    python3 tools/xr/chroot.py mount            # mount /proc, /dev, /sys and this checkout
    python3 tools/xr/chroot.py exec [--env K=V] -- CMD ...  # run CMD inside, env set for Monado
    python3 tools/xr/chroot.py umount           # undo ``mount``
    python3 tools/xr/chroot.py monado-test      # smoke test: start monado-service, list its system

The chroot lives in ``$PANOFORGE_XR_CHROOT`` (default ``/var/cache/panoforge/xr-chroot``). The
Debian mirror is read from this machine's apt configuration at run time (override it with
``$PANOFORGE_XR_MIRROR``). ``build`` makes the tree in a temporary folder and renames it into
place only when complete, so a half-made chroot is never reused; a stamp file records what was
installed, and a changed package list rebuilds it.

Inside, the repository is bind-mounted read-only at ``/opt/panoforge/src-<hash of its path>``
(see :data:`SRC_IN_CHROOT`; ``$PYTHONPATH`` points there) and Python 3.13
runs from ``/opt/panoforge/venv`` (Debian's numpy, Pillow and PyOpenGL, pyopenxr and glfw from
PyPI, no other dependency), so ``python -m app xr ...`` runs the checked-out code. ``xvfb-run``
is there too, for the GLX path (``--gl glfw``).

Only the Python standard library is used: this runs before anything else exists.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DIR = Path("/var/cache/panoforge/xr-chroot")
SUITE = "trixie"
#: Debian packages installed into the chroot (resolved by apt with --no-install-recommends).
PACKAGES = [
    "monado-service", "libopenxr1-monado", "libopenxr-loader1",
    "mesa-vulkan-drivers", "libvulkan1",
    "libegl1", "libegl-mesa0", "libgl1", "libgl1-mesa-dri", "libgles2", "libglx-mesa0",
    "xvfb", "xauth",
    "python3", "python3-venv", "python3-pip", "python3-numpy", "python3-pil", "python3-opengl",
]
#: Wheels installed from PyPI: pyopenxr (pure Python, bundles the OpenXR loader) and glfw
#: (bundles libglfw; for the GLX path that SteamVR on Linux uses, run under Xvfb).
WHEELS = ["pyopenxr==1.1.6501", "glfw==2.11.0"]
STAMP_NAME = ".panoforge-xr-ready"
#: Where this checkout appears inside (one folder per checkout, so CI jobs do not collide).
SRC_IN_CHROOT = "/opt/panoforge/src-" + hashlib.sha256(str(REPO).encode()).hexdigest()[:10]
VENV_IN_CHROOT = "/opt/panoforge/venv"
XDG_IN_CHROOT = "/tmp/panoforge-xdg"
MONADO_JSON = "/usr/share/openxr/1/openxr_monado.json"
LVP_ICD_GLOB = "/usr/share/vulkan/icd.d/lvp_icd*.json"


def say(msg: str) -> None:
    print(f"[xr-chroot] {msg}", file=sys.stderr, flush=True)


def chroot_dir() -> Path:
    return Path(os.environ.get("PANOFORGE_XR_CHROOT", str(DEFAULT_DIR)))


def stamp_text() -> str:
    key = "\n".join([SUITE, *PACKAGES, *WHEELS])
    return hashlib.sha256(key.encode()).hexdigest()


def is_ready(root: Path) -> bool:
    stamp = root / STAMP_NAME
    return stamp.is_file() and stamp.read_text().strip() == stamp_text()


# -- the mirror --------------------------------------------------------------------------------
def _sources_entries() -> list[tuple[str, list[str]]]:
    """(uri, suites) of every enabled ``deb`` entry in this machine's apt sources."""
    entries: list[tuple[str, list[str]]] = []
    files = ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]
    for name in files:
        try:
            lines = Path(name).read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.split("#", 1)[0].split()
            if len(parts) >= 3 and parts[0] == "deb":
                rest = [p for p in parts[1:] if not p.startswith("[")]
                rest = [p for p in rest if not p.endswith("]")]
                if len(rest) >= 2:
                    entries.append((rest[0], [rest[1]]))
    for name in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        try:
            text = Path(name).read_text()
        except OSError:
            continue
        for block in text.split("\n\n"):
            fields: dict[str, str] = {}
            for line in block.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            if fields.get("enabled", "yes").lower() == "no":
                continue
            if "deb" not in fields.get("types", "").split():
                continue
            for uri in fields.get("uris", "").split():
                entries.append((uri, fields.get("suites", "").split()))
    return entries


def debian_mirror() -> str:
    """The Debian archive mirror that apt on this machine uses (not the security archive)."""
    if os.environ.get("PANOFORGE_XR_MIRROR"):
        return os.environ["PANOFORGE_XR_MIRROR"]
    for uri, suites in _sources_entries():
        main_suites = [s for s in suites if "-" not in s and "/" not in s]
        if main_suites and "security" not in uri:
            return uri
    raise SystemExit(
        "no Debian mirror found in /etc/apt/sources.list(.d); set PANOFORGE_XR_MIRROR to one"
    )


# -- mounts ------------------------------------------------------------------------------------
def _mounted(path: Path) -> bool:
    target = str(path.resolve())
    with open("/proc/mounts") as fh:
        return any(line.split()[1] == target for line in fh if len(line.split()) > 1)


def _mount(args: list[str], target: Path) -> None:
    if not _mounted(target):
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *args, str(target)], check=True)


def mount_all(root: Path, with_src: bool = True) -> None:
    """Mount /proc, /dev (+ /dev/pts, /dev/shm) and, optionally, the repository read-only."""
    _mount(["-t", "proc", "proc"], root / "proc")
    _mount(["--rbind", "/dev"], root / "dev")
    subprocess.run(["mount", "--make-rslave", str(root / "dev")], check=False)
    _mount(["-t", "sysfs", "sysfs"], root / "sys")
    if with_src:
        src = root / SRC_IN_CHROOT.lstrip("/")
        if not _mounted(src):
            src.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "--bind", str(REPO), str(src)], check=True)
            subprocess.run(["mount", "-o", "remount,bind,ro", str(src)], check=False)


def umount_all(root: Path) -> None:
    """Undo every mount made by :func:`mount_all` (of any checkout)."""
    subs = [str(p.relative_to(root)) for p in sorted((root / "opt" / "panoforge").glob("src-*"))]
    for sub in (*subs, "sys", "dev", "proc"):
        target = root / sub
        if target.exists() and _mounted(target):
            subprocess.run(["umount", "-R", "-l", str(target)], check=False)


@contextlib.contextmanager
def using_chroot(root: Path):
    """Mount for the duration of a block; the last user to leave unmounts.

    Every user holds a shared lock on ``<root>.users.lock``; on leaving, whoever can take the
    lock exclusively is the last one and unmounts everything.
    """
    lock = open(root.parent / (root.name + ".users.lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_SH)
    try:
        mount_all(root)
        yield root
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass  # someone else is still using it
        else:
            umount_all(root)
            fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


# -- build -------------------------------------------------------------------------------------
def _run(cmd: list[str], **kw) -> None:
    say("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True, **kw)


def _in_chroot(root: Path, cmd: list[str]) -> None:
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "DEBIAN_FRONTEND": "noninteractive",
        "LANG": "C.UTF-8",
        "HOME": "/root",
    }
    _run(["chroot", str(root), *cmd], env=env)


def _download_wheels(dest: Path) -> list[Path]:
    """Fetch :data:`WHEELS` with this machine's pip (the chroot needs no PyPI access)."""
    dest.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
          "-d", str(dest), *WHEELS])
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) < len(WHEELS):
        raise SystemExit(f"pip download {' '.join(WHEELS)} produced only {wheels} in {dest}")
    return wheels


def build(root: Path) -> Path:
    """Create the chroot at ``root`` unless a complete one with the same packages is there."""
    if os.geteuid() != 0:
        raise SystemExit("building the XR chroot needs root (debootstrap, chroot, mount)")
    root.parent.mkdir(parents=True, exist_ok=True)
    lock = open(root.parent / (root.name + ".lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; others wait, then reuse
    try:
        if is_ready(root):
            say(f"reusing {root}")
            return root
        if shutil.which("debootstrap") is None:
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            _run(["apt-get", "install", "-y", "-q", "debootstrap"], env=env)
        t0 = time.monotonic()
        tmp = root.with_name(root.name + ".building")
        if tmp.exists():
            umount_all(tmp)
            shutil.rmtree(tmp)
        mirror = debian_mirror()
        _run(["debootstrap", "--variant=minbase", "--include=ca-certificates", SUITE,
              str(tmp), mirror])
        mount_all(tmp, with_src=False)
        try:
            shutil.copy2("/etc/resolv.conf", tmp / "etc" / "resolv.conf")
            _in_chroot(tmp, ["apt-get", "update", "-q"])
            _in_chroot(tmp, ["apt-get", "install", "-y", "-q", "--no-install-recommends",
                             *PACKAGES])
            _in_chroot(tmp, ["apt-get", "clean"])
            wheels = _download_wheels(tmp / "opt" / "panoforge" / "wheels")
            _in_chroot(tmp, ["python3", "-m", "venv", "--system-site-packages", VENV_IN_CHROOT])
            _in_chroot(tmp, [f"{VENV_IN_CHROOT}/bin/pip", "install", "--no-deps", "--no-index",
                             "-q", *[f"/opt/panoforge/wheels/{w.name}" for w in wheels]])
        finally:
            umount_all(tmp)
        (tmp / STAMP_NAME).write_text(stamp_text() + "\n")
        if root.exists():
            umount_all(root)
            shutil.rmtree(root)
        tmp.rename(root)
        say(f"built {root} in {time.monotonic() - t0:.0f} s")
        return root
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


# -- running inside ----------------------------------------------------------------------------
def runtime_env(root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Monado and its clients inside the chroot."""
    icds = sorted(glob.glob(str(root) + LVP_ICD_GLOB))
    icd = icds[0][len(str(root)):] if icds else ""
    env = {
        "PATH": f"{VENV_IN_CHROOT}/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "PYTHONPATH": SRC_IN_CHROOT,
        "PYTHONDONTWRITEBYTECODE": "1",
        "XDG_RUNTIME_DIR": XDG_IN_CHROOT,
        "XR_RUNTIME_JSON": MONADO_JSON,
        "XRT_COMPOSITOR_NULL": "1",
        "VK_DRIVER_FILES": icd,
        "VK_ICD_FILENAMES": icd,
        "EGL_PLATFORM": "surfaceless",
        "LIBGL_ALWAYS_SOFTWARE": "1",
    }
    if extra:
        env.update(extra)
    return env


def exec_in(root: Path, cmd: list[str], extra_env: dict[str, str] | None = None) -> None:
    """Replace this process with ``cmd`` run inside the chroot (stdin/stdout inherited)."""
    if not is_ready(root):
        raise SystemExit(f"the XR chroot at {root} is not built; run: {sys.argv[0]} build")
    mount_all(root)
    xdg = root / XDG_IN_CHROOT.lstrip("/")
    xdg.mkdir(parents=True, exist_ok=True)
    os.chmod(xdg, 0o700)
    env = runtime_env(root, extra_env)
    argv = ["/usr/sbin/chroot", str(root), "/usr/bin/env", *cmd]
    setpriv = shutil.which("setpriv")
    if setpriv:
        # Monado raises its compositor thread to SCHED_FIFO 99 when it may; on a shared
        # machine (CI) keep it at normal priority by dropping CAP_SYS_NICE.
        argv = [setpriv, "--inh-caps=-sys_nice", "--bounding-set=-sys_nice", *argv]
    os.execve(argv[0], argv, env)


def monado_smoke_test(root: Path) -> int:
    """Start monado-service, list the OpenXR system through pyopenxr, stop it."""
    me = [sys.executable, str(Path(__file__).resolve())]
    svc = subprocess.Popen([*me, "exec", "--", "monado-service"], stdin=subprocess.PIPE)
    try:
        time.sleep(3)
        probe = ("import xr; i = xr.create_instance(xr.InstanceCreateInfo()); "
                 "print(xr.get_instance_properties(i).runtime_name.decode()); "
                 "s = xr.get_system(i, xr.SystemGetInfo(xr.FormFactor.HEAD_MOUNTED_DISPLAY)); "
                 "print(xr.get_system_properties(i, s).system_name.decode())")
        return subprocess.run([*me, "exec", "--", "python3", "-c", probe]).returncode
    finally:
        svc.stdin.close()
        svc.terminate()
        svc.wait(timeout=20)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("job", choices=["build", "status", "mount", "umount", "exec",
                                        "monado-test", "mirror"])
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for exec (repeatable)")
    # Everything after "--" is the command to exec (argparse would swallow its options).
    cmd = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    root = chroot_dir()
    if args.job == "mirror":
        print(debian_mirror())
        return 0
    if args.job == "status":
        print(f"{root}: {'ready' if is_ready(root) else 'not built'}")
        return 0 if is_ready(root) else 1
    if args.job == "build":
        build(root)
        return 0
    if args.job == "mount":
        mount_all(root)
        return 0
    if args.job == "umount":
        umount_all(root)
        return 0
    if args.job == "monado-test":
        return monado_smoke_test(root)
    if not cmd:
        parser.error("exec needs a command after --")
    extra = dict(item.split("=", 1) for item in args.env)
    exec_in(root, cmd, extra)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
