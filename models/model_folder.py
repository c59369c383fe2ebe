"""What kind of model a folder holds, read from its JSON files only (no torch, no weights).

The one place that looks at ``model_index.json`` and ``vae/config.json`` to say what a folder
is: the command line picks a backend for ``--model`` with it, the window's model field says
whether a folder is usable, and the LDM3D weight lookup skips folders that are no pipeline.
The thorough checks before loading (components, libraries, safetensors) stay with each family
(:func:`models.ldm3d.weights.check_model_folder`); this module only recognises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from scene.errors import InputError

__all__ = ["ModelFolder", "inspect_model_folder", "is_diffusers_folder", "backend_for_model",
           "looks_like_path", "check_model_path",
           "read_model_json"]


@dataclass(frozen=True)
class ModelFolder:
    """What :func:`inspect_model_folder` read.

    Parameters
    ----------
    path : Path
    layout : {"diffusers", "transformers"} or None
        ``"diffusers"``: a pipeline folder (``model_index.json``); ``"transformers"``: a single
        model (``config.json`` at the top); ``None``: neither, or no such folder.
    class_name : str
        ``_class_name`` of ``model_index.json`` (diffusers), ``""`` otherwise.
    vae_channels : int or None
        ``out_channels`` of ``vae/config.json`` when readable: 4 or 6 for LDM3D, 3 for plain
        Stable Diffusion.
    """

    path: Path
    layout: str | None = None
    class_name: str = ""
    vae_channels: int | None = None


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_model_json(path: Path, incomplete: str) -> dict:
    """A model folder's JSON file as a dict, for the checks that refuse a folder.

    Parameters
    ----------
    path : Path
    incomplete : str
        What a missing file means, for the hint ("X is not a complete diffusers model folder").

    Raises
    ------
    scene.errors.InputError
        Missing (hint: ``incomplete``, download again), unreadable, or not a JSON object.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} is missing",
                         hint=f"{incomplete}; download the model again") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {exc}",
                         hint="the model folder is damaged; download the model again") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} does not hold a JSON object",
                         hint="the model folder is damaged; download the model again")
    return data


def is_diffusers_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder holding ``model_index.json`` (a diffusers pipeline)."""
    return (Path(path).expanduser() / "model_index.json").is_file()


def inspect_model_folder(path: str | Path) -> ModelFolder:
    """Recognise the model in ``path``; never raises (an unreadable file reads as absent).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    ModelFolder
    """
    folder = Path(path).expanduser()
    if is_diffusers_folder(folder):
        channels = _json(folder / "vae" / "config.json").get("out_channels")
        return ModelFolder(folder, "diffusers",
                           str(_json(folder / "model_index.json").get("_class_name", "")),
                           channels if isinstance(channels, int) else None)
    if (folder / "config.json").is_file():
        return ModelFolder(folder, "transformers")
    return ModelFolder(folder)


def backend_for_model(model: str) -> tuple[str, str]:
    """The LDM3D backend a model folder or Hugging Face id is meant for, and why.

    A 6-channel VAE is ``ldm3d``; a name with "4c" is ``ldm3d-4c``; anything else is
    ``ldm3d-pano``, the 360° model (the two 4-channel models share a layout, so the name is
    the only hint; ``--backend`` says it outright).

    Parameters
    ----------
    model : str
        A folder or a Hugging Face id (``Intel/ldm3d-4c``).

    Returns
    -------
    (str, str)
        Backend name and a short reason.
    """
    check_model_path(model)
    folder = Path(model).expanduser()
    channels = inspect_model_folder(folder).vae_channels
    base = folder.name.lower() if folder.exists() else model.rstrip("/").lower()
    if channels == 6:
        return "ldm3d", "its VAE has 6 channels"
    if channels is None and base.endswith("ldm3d"):
        return "ldm3d", "the name says ldm3d"
    if "4c" in base:
        return "ldm3d-4c", "the name says 4c"
    if channels == 4:
        return "ldm3d-pano", "its VAE has 4 channels: the 360° model; --backend ldm3d-4c for " \
            "perspective"
    return "ldm3d-pano", "the 360° model unless the name says otherwise; --backend chooses"


def looks_like_path(model: str) -> bool:
    """Whether ``--model`` names a folder rather than a Hugging Face id (``owner/name``)."""
    import re

    if Path(model).expanduser().exists() or model.startswith((".", "/", "~")):
        return True
    return not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$", model)


def check_model_path(model: str) -> None:
    """Refuse a ``--model`` folder that does not exist, saying so (not how to download).

    The hint names the nearest folder above it that exists and, when one is close, the
    spelling that was probably meant.

    Raises
    ------
    InputError
    """
    import difflib

    path = Path(model).expanduser()
    if not looks_like_path(model) or path.exists():
        return
    probe = path.parent
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    hint = f"check the path: the nearest folder that exists is {probe}"
    try:
        names = [p.name for p in probe.iterdir() if p.is_dir()]
    except OSError:
        names = []
    missing = path.relative_to(probe).parts[0] if path.is_relative_to(probe) else path.name
    close = difflib.get_close_matches(missing, names, n=1)
    if close:
        hint += f"; did you mean {probe / close[0]}?"
    raise InputError(f"the model folder {model} does not exist", hint=hint)
