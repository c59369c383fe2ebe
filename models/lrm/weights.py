"""Where OpenLRM weights live and whether a folder holds a usable LRM checkpoint.

Standard library only (no torch): reading ``config.json`` and listing files is all it does.
An OpenLRM v1.1 checkpoint (``zxhezexin/openlrm-mix-base-1.1``, ``-large-1.1``) is a folder
with ``config.json`` (the arguments of OpenLRM's ``ModelLRM``: ``camera_embed_dim``,
``transformer_dim`` ... ``encoder_model_name``) and ``model.safetensors``. It is found the way
every family finds theirs (:mod:`models.weights_discovery`): a folder
given with ``--model``, ``<models_home>/<backend>``, then the Hugging Face cache.

Refusals, all before a single weight is read:

- a folder without ``config.json``, or one whose ``config.json`` is not an LRM's (a diffusers
  pipeline, a transformers model, anything without the LRM keys);
- an encoder other than DINO / DINOv2 (only those two transformers classes are ever built;
  nothing from the folder is imported or executed);
- pickle weights (``*.bin``, ``*.pt``, ``*.pth``, ``*.ckpt``) without ``model.safetensors``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from scene.errors import InputError

__all__ = [
    "LRMSpec", "SPECS", "DEFAULT_BACKEND", "LRMConfig", "LRMLocation", "spec_for",
    "read_config", "check_lrm_folder", "resolve_lrm", "local_weights_available",
    "download_hint", "REQUIRED_KEYS",
]

#: The keys every OpenLRM ``config.json`` has (``ModelLRM.__init__``'s arguments).
REQUIRED_KEYS = ("camera_embed_dim", "rendering_samples_per_ray", "transformer_dim",
                 "transformer_layers", "transformer_heads", "triplane_low_res",
                 "triplane_high_res", "triplane_dim", "encoder_type", "encoder_model_name",
                 "encoder_feat_dim")
_PICKLES = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl")


@dataclass(frozen=True)
class LRMSpec:
    """A published LRM checkpoint.

    Parameters
    ----------
    name : str
        Backend name; also the folder under the models directory.
    repo_id : str
        Hugging Face id.
    source_size : int
        Input image side in pixels it was trained at (OpenLRM's ``infer-b/l.yaml``).
    licence : str
        SPDX id of the weights' licence.
    commercial_use : bool
        Whether that licence allows commercial use of what is made with them.
    """

    name: str
    repo_id: str
    source_size: int
    licence: str
    commercial_use: bool


#: Input side by transformer width when config.json does not say (small 224, base 336, large 448).
_SOURCE_SIZE_BY_DIM = {512: 224, 768: 336, 1024: 448}
_SOURCE_SIZE_BY_BACKEND = {"lrm-base": 336, "lrm-large": 448}


def _specs() -> dict[str, LRMSpec]:
    """The LRM checkpoints of :mod:`models.catalog` (ids and licences live there)."""
    from models.catalog import entries

    return {e.backend: LRMSpec(e.backend, e.id, _SOURCE_SIZE_BY_BACKEND.get(e.backend, 336),
                               e.licence.spdx, e.licence.commercial_use)
            for e in entries("lrm")}


SPECS: dict[str, LRMSpec] = _specs()
DEFAULT_BACKEND = "lrm-base"


def spec_for(name: str) -> LRMSpec:
    """The :class:`LRMSpec` of ``lrm-base`` / ``lrm-large`` (``lrm`` means the base one)."""
    from models.weights_discovery import spec_lookup

    return spec_lookup(SPECS, DEFAULT_BACKEND if name in ("lrm", "", None) else name,
                       "LRM model")


@dataclass(frozen=True)
class LRMConfig:
    """An OpenLRM ``config.json``, checked.

    Parameters
    ----------
    camera_embed_dim, transformer_dim, transformer_layers, transformer_heads : int
    triplane_low_res, triplane_high_res, triplane_dim : int
        Tokens per plane side, plane side after the ×2 up-sampler, features per plane.
    rendering_samples_per_ray : int
        Kept for the record (meshing samples a grid, not rays).
    encoder_type : {"dinov2", "dino"}
    encoder_model_name : str
        ``dinov2_vitb14_reg`` (v1.1), or a transformers ViT name for ``dino``.
    encoder_feat_dim : int
    encoder_config : dict
        Optional architecture override of the encoder (transformers config fields); only
        tests and converted models carry it, the published ones are known by name.
    source_size : int
        Input image side, pixels (``source_size`` key if present, else by model size).
    """

    camera_embed_dim: int
    rendering_samples_per_ray: int
    transformer_dim: int
    transformer_layers: int
    transformer_heads: int
    triplane_low_res: int
    triplane_high_res: int
    triplane_dim: int
    encoder_type: str
    encoder_model_name: str
    encoder_feat_dim: int
    encoder_config: dict
    source_size: int

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True)
class LRMLocation:
    """A checked LRM folder.

    Parameters
    ----------
    folder : Path or None
        ``None`` when it must be downloaded first (online only).
    model_id : str
        Hugging Face id, or the folder as given.
    revision : str
        Commit of a Hugging Face cache snapshot, else ``""``.
    config : LRMConfig or None
    """

    folder: Path | None
    model_id: str
    revision: str = ""
    config: LRMConfig | None = None


def _not_lrm(folder: Path, why: str) -> InputError:
    return InputError(f"{folder} is not an OpenLRM model folder: {why}",
                      hint="point --model at a folder with OpenLRM's config.json and "
                      "model.safetensors (zxhezexin/openlrm-mix-base-1.1), or use "
                      "--backend procedural")


def read_config(folder: Path) -> LRMConfig:
    """Read and check ``folder/config.json`` (no weights are touched).

    Raises
    ------
    InputError
        Missing, unreadable or not an LRM configuration; an unsupported encoder.
    """
    folder = Path(folder)
    path = folder / "config.json"
    if not path.is_file():
        from models.model_folder import is_diffusers_folder

        if is_diffusers_folder(folder):
            raise _not_lrm(folder, "it holds a diffusers pipeline (model_index.json)")
        raise _not_lrm(folder, "no config.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}",
                         hint="the model folder is damaged; download the model again") from None
    if not isinstance(data, dict):
        raise _not_lrm(folder, "config.json does not hold a JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        what = f" (a transformers {data['model_type']!r} model)" if "model_type" in data else ""
        raise _not_lrm(folder, f"config.json{what} lacks {', '.join(missing)}")
    ints = {}
    for k in REQUIRED_KEYS:
        if k in ("encoder_type", "encoder_model_name"):
            continue
        v = data[k]
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise _not_lrm(folder, f"config.json's {k} must be a positive integer, got {v!r}")
        ints[k] = v
    enc_type = str(data["encoder_type"]).lower()
    if enc_type not in ("dinov2", "dino"):
        raise InputError(
            f"{folder}: encoder_type {data['encoder_type']!r} is not supported",
            hint="Panoforge builds only DINO (ViT) and DINOv2 encoders from transformers; "
            "use an OpenLRM v1.1 model")
    if ints["transformer_dim"] % ints["transformer_heads"]:
        raise _not_lrm(folder, "transformer_dim is not a multiple of transformer_heads")
    if ints["triplane_high_res"] != 2 * ints["triplane_low_res"]:
        raise _not_lrm(folder, "triplane_high_res must be twice triplane_low_res (one ×2 "
                       "up-sampling layer)")
    enc_cfg = data.get("encoder_config") or {}
    if not isinstance(enc_cfg, dict):
        raise _not_lrm(folder, "encoder_config must be a JSON object")
    size = data.get("source_size") or _SOURCE_SIZE_BY_DIM.get(ints["transformer_dim"], 336)
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise _not_lrm(folder, f"source_size must be a positive integer, got {size!r}")
    return LRMConfig(encoder_type=enc_type, encoder_model_name=str(data["encoder_model_name"]),
                     encoder_config=dict(enc_cfg), source_size=int(size), **ints)


def check_lrm_folder(folder: Path) -> LRMConfig:
    """Check that ``folder`` holds a loadable OpenLRM checkpoint (JSON and file names only).

    Returns
    -------
    LRMConfig

    Raises
    ------
    InputError
        Not a folder, not an LRM, pickle-only weights, no weights.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"model folder {folder} does not exist",
                         hint=download_hint(SPECS[DEFAULT_BACKEND]))
    config = read_config(folder)
    if not (folder / "model.safetensors").is_file():
        pickles = sorted({p.name for pat in _PICKLES for p in folder.glob(pat)})
        if pickles:
            raise InputError(
                f"{folder} has only pickle weights ({', '.join(pickles)}); Panoforge loads only "
                "model.safetensors, because pickle files can run code when loaded",
                hint="download the safetensors file of this model (hf download REPO "
                "model.safetensors config.json --local-dir FOLDER), or convert the file with "
                "a trusted tool first")
        raise InputError(f"{folder} has no model.safetensors",
                         hint="the download is incomplete; download the model again")
    return config


def download_hint(spec: LRMSpec, repo_id: str | None = None) -> str:
    """The commands that fetch ``repo_id`` (default ``spec.repo_id``) and use it."""
    from models.weights_discovery import download_hint as hint
    from models.weights_discovery import models_home

    folder = models_home() / spec.name
    return hint(repo_id or spec.repo_id, folder,
                f"then run with --model {folder} (that folder is also found without --model), "
                f"or unset HF_HUB_OFFLINE to let Panoforge download it; the weights are "
                f"licensed {spec.licence}"
                f"{'' if spec.commercial_use else ' (non-commercial use only)'}; "
                f"--backend procedural needs no weights",
                files=("config.json", "model.safetensors"))


def _is_lrm_folder(folder: Path) -> bool:
    return (folder / "config.json").is_file()


def resolve_lrm(spec: LRMSpec, model: str | None = None) -> LRMLocation:
    """Turn ``--model`` (a folder, a Hugging Face id or nothing) into a checked location.

    Order (:func:`models.weights_discovery.locate`): an existing folder as given; for an id
    (or nothing: ``spec.repo_id``), ``<models_home>/<spec.name>`` (only when nothing was
    given), then the Hugging Face cache. Offline and not found: an :class:`InputError` with
    the download command; online: a location with ``folder=None`` for
    :func:`models.lrm.loading.download_lrm`.
    """
    from models.weights_discovery import is_folder_argument, locate, models_home

    repo_id = model if model and not is_folder_argument(model) else spec.repo_id
    found = locate(model, spec.repo_id, models_home() / spec.name, _is_lrm_folder,
                   missing=f"the weights of {repo_id} are", hint=download_hint(spec, repo_id),
                   folder_hint=download_hint(spec))
    if found.folder is None:
        return LRMLocation(None, found.repo_id, "")
    model_id = found.repo_id if found.source == "cache" else str(found.folder)
    return LRMLocation(found.folder, model_id, found.revision, check_lrm_folder(found.folder))


def local_weights_available(name: str = DEFAULT_BACKEND) -> tuple[bool, str]:
    """Whether ``name``'s weights are on disk (JSON reads only, no torch, no network)."""
    from models.weights_discovery import first_usable, models_home

    spec = spec_for(name)
    return first_usable(spec.repo_id, models_home() / spec.name, _is_lrm_folder,
                        check_lrm_folder)
