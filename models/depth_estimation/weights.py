"""Where a depth-estimation model lives, and whether its folder is safe and complete.

Standard library only (no torch, no transformers): everything here reads small JSON files and
file names, so a refusal comes before a single weight byte is read:

- a folder without ``config.json`` / ``preprocessor_config.json`` (not a transformers model);
- a ``config.json`` whose ``model_type`` is not one Panoforge loads (:data:`MODEL_TYPES`), or a
  config or preprocessor config with ``auto_map`` (code from the model folder: never run);
- ``.bin``/``.pt`` (pickle) weights without ``.safetensors`` next to them.

Models are named by a catalogue backend name (``depth-anything-v2-small``), a Hugging Face id
(``depth-anything/Depth-Anything-V2-Small-hf``) or a local folder. Names are looked up in
:mod:`models.catalog` (the licence recorded with every result comes from there); the places
are those of the rest of Panoforge: ``<models_home>/<backend>``, then the Hugging Face cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scene.errors import InputError

from ..catalog import CatalogEntry, entries, entry, entry_for_model, licence_record
from ..model_folder import read_model_json
from ..weights_discovery import download_hint, locate, models_home

__all__ = ["DEFAULT_DEPTH_MODEL", "MODEL_TYPES", "DepthModelLocation", "check_depth_folder",
           "resolve_depth_model", "depth_download_hint", "depth_model_names"]

#: The model ``--estimate-depth`` uses without ``--depth-model`` (Apache-2.0, 25 M parameters).
DEFAULT_DEPTH_MODEL = "depth-anything-v2-small"
#: ``config.json`` model types whose transformers classes Panoforge instantiates.
MODEL_TYPES = ("depth_anything",)
_PICKLES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


@dataclass(frozen=True)
class DepthModelLocation:
    """A depth model resolved to a place.

    Parameters
    ----------
    folder : Path or None
        Checked local folder; ``None`` when it must be downloaded first (online only).
    model_id : str
        What the result records: the Hugging Face id, or the folder as given.
    revision : str
        Commit hash of the weights when anything records it (a Hugging Face cache snapshot,
        ``hf download --local-dir``'s records, ``panoforge models add``), else ``""``.
    entry : CatalogEntry or None
        The catalogue entry (``None`` for a folder or id the catalogue does not know).
    metric : bool or None
        Whether the model gives metres (``depth_estimation_type == "metric"``); ``None``
        before download.
    """

    folder: Path | None
    model_id: str
    revision: str = ""
    entry: CatalogEntry | None = None
    metric: bool | None = None

    @property
    def licence(self) -> dict:
        """The licence record results carry (:func:`models.catalog.licence_record`)."""
        return licence_record(self.entry, self.model_id)


def depth_model_names() -> list[str]:
    """Backend names of the catalogue's depth-estimation models, in display order."""
    return [e.backend for e in entries("depth_estimation")]


def depth_download_hint(e: CatalogEntry | None, repo_id: str = "") -> str:
    """The exact command that fetches the model and how to use it afterwards."""
    repo_id = e.id if e is not None else repo_id
    folder = models_home() / (e.backend if e is not None else repo_id.split("/")[-1])
    return download_hint(
        repo_id, folder,
        f"then run again (that folder is found by itself), or pass --depth-model {folder}; "
        f"or unset HF_HUB_OFFLINE to let Panoforge download it into the Hugging Face cache.\n"
        f"  There is no classical fallback: depth from a single picture needs a trained model")


def _read_json(path: Path) -> dict:
    return read_model_json(path, f"{path.parent} is not a complete transformers depth model")


def check_depth_folder(folder: Path) -> bool:
    """Check a transformers depth-estimation folder, reading only its JSON files and names.

    Parameters
    ----------
    folder : Path

    Returns
    -------
    bool
        Whether the model is metric (gives metres) rather than relative.

    Raises
    ------
    InputError
        What is wrong and what to do.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"depth model folder {folder} does not exist",
                         hint="give --depth-model a folder with config.json and "
                         "model.safetensors, or a name such as " + DEFAULT_DEPTH_MODEL)
    config = _read_json(folder / "config.json")
    model_type = config.get("model_type")
    if model_type not in MODEL_TYPES:
        raise InputError(f"{folder} holds a {model_type!r} model, not a depth model Panoforge "
                         "loads", hint="use a Depth Anything V2 model: " + ", ".join(
                             depth_model_names()))
    processor = _read_json(folder / "preprocessor_config.json")
    for name, data in (("config.json", config), ("preprocessor_config.json", processor)):
        if "auto_map" in data:
            raise InputError(f"{folder / name} asks to run code from the model folder (auto_map)",
                             hint="Panoforge runs only transformers' own classes; use an "
                             "official Depth Anything V2 folder")
    names = [p.name for p in folder.iterdir()]
    if not any(n.endswith(".safetensors") for n in names):
        pickles = sorted(n for n in names if n.lower().endswith(_PICKLES))
        if pickles:
            raise InputError(
                f"{folder} has only pickle weights ({', '.join(pickles)}); Panoforge loads only "
                ".safetensors, because pickle files can run code when they are loaded",
                hint="download the safetensors files (hf download REPO --include "
                "'*.safetensors' '*.json' --local-dir FOLDER)")
        raise InputError(f"{folder} has no weights (model.safetensors)",
                         hint="the download is incomplete; download the model again")
    return config.get("depth_estimation_type", "relative") == "metric"


def resolve_depth_model(model: str | None = None) -> DepthModelLocation:
    """Turn ``--depth-model`` (a name, a Hugging Face id, a folder or nothing) into a place.

    Order: an existing folder as given; else the catalogue name or id (default
    :data:`DEFAULT_DEPTH_MODEL`) in ``<models_home>/<backend>``, then in the Hugging Face
    cache. Not found: offline, an :class:`InputError` with the ``hf download`` command;
    online, a location with ``folder=None`` that the loader downloads.

    Raises
    ------
    InputError
    """
    model = model or DEFAULT_DEPTH_MODEL
    e = entry(model)
    if e is not None and e.family != "depth_estimation":
        raise InputError(f"{model} is not a depth-estimation model",
                         hint="use one of: " + ", ".join(depth_model_names()))
    repo_id = e.id if e is not None else model
    found = locate(None if e is not None else model, repo_id,
                   models_home() / e.backend if e is not None else None,
                   lambda folder: (folder / "config.json").is_file(),
                   missing=f"the depth model {repo_id} is", hint=depth_download_hint(e, repo_id),
                   flag="--depth-model",
                   folder_hint="use one of: " + ", ".join(depth_model_names())
                   + ", a Hugging Face id, or a folder with config.json")
    if found.folder is None:
        return DepthModelLocation(None, repo_id, "", e)
    if found.source == "folder":
        path = found.folder
        return DepthModelLocation(path, str(path), found.revision,
                                  entry_for_model(str(path), path.name), check_depth_folder(path))
    return DepthModelLocation(found.folder, repo_id, found.revision, e,
                              check_depth_folder(found.folder))
