"""What this Panoforge is and what it runs on: ``panoforge --version`` and Help ▸ About.

Every probe here is cheap (well under a second together) and imports nothing heavy:

- the version comes from the installed distribution's metadata;
- ``git describe`` runs only when the code sits in a git checkout (an editable install);
  a desktop bundle reports the ``git describe`` it was built from (``BUILD_INFO`` inside it);
- torch is *found*, not imported (importing it takes seconds): its version from the
  distribution's metadata and its CUDA build from ``torch/version.py``, read as text. Whether
  a GPU is present needs torch imported; that is said only when torch is already loaded (the
  About dialog probes it on a thread);
- the OpenGL renderer needs a context, so only the window reports it;
- the OpenXR runtime is the loader's active-runtime manifest (``XR_RUNTIME_JSON``, then the
  XDG config folders on Linux, the Khronos registry key on Windows), read without loading it.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["build_report", "version_text", "git_describe", "torch_summary", "openxr_runtime"]

_SOURCE_ROOT = Path(__file__).resolve().parents[1]


def _version() -> str:
    from scene.metadata import software_version

    return software_version()


def git_describe() -> str | None:
    """``git describe --tags --always --dirty`` of the checkout the code runs from, else None.

    A frozen bundle returns the description recorded when it was built (its ``BUILD_INFO``).
    """
    if getattr(sys, "frozen", False):
        info = Path(getattr(sys, "_MEIPASS", "")) / "BUILD_INFO"
        try:
            return info.read_text("utf-8").strip() or None
        except OSError:
            return None
    if not (_SOURCE_ROOT / ".git").exists() or shutil.which("git") is None:
        return None
    try:
        out = subprocess.run(["git", "-C", str(_SOURCE_ROOT), "describe", "--tags", "--always",
                              "--dirty"], capture_output=True, text=True, timeout=3)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _torch_cuda_build(spec) -> str | None:
    """The ``cuda`` value of ``torch/version.py`` ("12.4", or None for a CPU build)."""
    for folder in spec.submodule_search_locations or ():
        try:
            tree = ast.parse((Path(folder) / "version.py").read_text("utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target",
                                                                                    None)
            if isinstance(target, ast.Name) and target.id == "cuda" and node.value is not None:
                try:
                    value = ast.literal_eval(node.value)
                except ValueError:
                    return None
                return str(value) if value else None
    return None


def torch_summary() -> str:
    """``"2.13.0+cpu, CPU build"``, ``"2.5.1, CUDA 12.4 build"`` or ``"not installed (...)"``."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        from scene.extras import install_line

        return f"not installed (the neural models need it: {install_line('ldm3d')})"
    try:
        from importlib.metadata import version

        ver = version("torch")
    except Exception:
        ver = "unknown version"
    cuda = _torch_cuda_build(spec)
    text = f"{ver}, " + (f"CUDA {cuda} build" if cuda else "CPU build")
    torch = sys.modules.get("torch")  # already paid for: ask it about the GPU too
    if torch is not None and cuda:
        try:
            text += ", GPU found" if torch.cuda.is_available() else ", no GPU found"
        except Exception:
            pass
    return text


def _openxr_manifests() -> list[Path]:
    env = os.environ.get("XR_RUNTIME_JSON")
    if env:
        return [Path(env)]
    if sys.platform.startswith("win"):
        try:
            import winreg

            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Khronos\OpenXR\1") as k:
                return [Path(winreg.QueryValueEx(k, "ActiveRuntime")[0])]
        except OSError:
            return []
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    dirs = [config_home, *(os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":"),
            "/etc"]
    return [Path(d) / "openxr" / "1" / "active_runtime.json" for d in dirs if d]


def openxr_runtime() -> str:
    """The active OpenXR runtime's name and manifest, or ``"none found (...)"``."""
    for manifest in _openxr_manifests():
        if not manifest.is_file():
            continue
        try:
            data = json.loads(manifest.read_text("utf-8"))
            name = data.get("runtime", {}).get("name") or Path(
                data["runtime"]["library_path"]).name
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return f"unreadable manifest {manifest}"
        return f"{name} ({manifest})"
    return "none found (install one, e.g. Monado or SteamVR, to use the headset)"


def build_report(opengl: str | None = None) -> list[tuple[str, str]]:
    """(name, value) rows, in the order ``--version`` prints them.

    Parameters
    ----------
    opengl : str, optional
        The OpenGL renderer, when the caller has a context (the window); the command line
        says where to see it instead.
    """
    rows = [("Panoforge", _version())]
    desc = git_describe()
    rows.append(("Build", desc if desc else ("bundle" if getattr(sys, "frozen", False)
                                             else "installed package (not a git checkout)")))
    if getattr(sys, "frozen", False):
        rows.append(("Bundle", "PyInstaller desktop bundle"))
    rows.append(("Python", f"{platform.python_version()} ({platform.system()} "
                           f"{platform.machine()})"))
    rows.append(("torch", torch_summary()))
    rows.append(("OpenGL", opengl or "shown in the window (Help ▸ About), which has a context"))
    rows.append(("OpenXR runtime", openxr_runtime()))
    return rows


def version_text() -> str:
    """What ``panoforge --version`` prints: one ``name: value`` line per row."""
    rows = build_report()
    head = f"panoforge {rows[0][1]}"
    return "\n".join([head, *(f"{k}: {v}" for k, v in rows[1:])])
