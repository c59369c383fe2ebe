"""Where LDM3D weights live and whether a folder holds a usable LDM3D model.

Standard library only (no torch, no diffusers, no huggingface_hub): the registry asks
:func:`local_weights_available` when it picks the default backend, and ``panoforge --help``
must stay fast. Everything here reads the file system: a diffusers-layout folder, or the
Hugging Face cache's ``models--OWNER--NAME/snapshots/<commit>/`` layout.

Refusals happen here, before any weight is read:

- a folder that is not a diffusers pipeline (no ``model_index.json``);
- a model whose VAE decodes 3 channels (plain Stable Diffusion: RGB only, no depth) or whose
  channel count does not match the chosen backend (4 for ldm3d-pano/ldm3d-4c, 6 for ldm3d);
- a ``model_index.json`` naming classes from a library other than diffusers/transformers
  (nothing but those two libraries' own classes is ever instantiated: no remote code);
- ``.bin`` (pickle) weights without ``.safetensors`` next to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scene.errors import InputError

from ..model_folder import is_diffusers_folder, read_model_json
from ..weights_discovery import download_hint as _download_hint
from ..weights_discovery import (  # noqa: F401 - re-exported: one discovery for every family
    find_in_hf_cache,
    first_usable,
    hf_hub_cache,
    hf_offline,
    is_folder_argument,
    locate,
    models_home,
    spec_lookup,
)

__all__ = [
    "ModelSpec", "SPECS", "FolderCheck", "ModelLocation", "spec_for", "models_home",
    "hf_hub_cache", "hf_offline", "find_in_hf_cache", "check_model_folder", "resolve_model",
    "local_weights_available", "download_hint", "WEIGHT_COMPONENTS", "read_model_index",
    "check_weight_files",
]

#: Components whose weights must be present as safetensors.
WEIGHT_COMPONENTS = ("unet", "vae", "text_encoder")
#: Components the pipeline needs at all (tokenizer and scheduler hold no weights).
REQUIRED_COMPONENTS = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")
#: Components the loader replaces by ``None`` (never loaded, whatever the folder names): the
#: published models list ``safety_checker`` from diffusers' ``stable_diffusion`` module.
NOT_LOADED = ("safety_checker", "feature_extractor", "image_encoder")
#: Libraries whose classes ``model_index.json`` may name for the components that are loaded.
ALLOWED_LIBRARIES = ("diffusers", "transformers")


@dataclass(frozen=True)
class ModelSpec:
    """What a backend name means.

    Parameters
    ----------
    name : str
        Registry name (``--backend``).
    repo_id : str
        Hugging Face id of the published weights.
    layout : {"equirect", "perspective"}
        What the model draws.
    vae_channels : int
        Channels the VAE decodes: 4 (RGB + one depth channel) or 6 (RGB + depth packed
        into three channels, 16-bit as ``G * 256 + B``).
    width, height : int
        Default output size, pixels.
    steps : int
        Default number of denoising steps.
    guidance : float
        Default classifier-free guidance scale.
    scheduler : str
        Default scheduler name.
    prompt_prefix : str
        Added in front of the user's prompt unless it is already there.
    """

    name: str
    repo_id: str
    layout: str
    vae_channels: int
    width: int
    height: int
    steps: int = 50
    guidance: float = 7.0
    scheduler: str = "ddim"
    prompt_prefix: str = ""


# Defaults follow the model cards: ldm3d-pano is 1024x512 with DDIM, 50 steps and guidance
# about 5-7, prompted as "360 view of ..."; the perspective models are 512x512.
SPECS: dict[str, ModelSpec] = {
    s.name: s
    for s in (
        ModelSpec("ldm3d-pano", "Intel/ldm3d-pano", "equirect", 4, 1024, 512, 50, 7.0, "ddim",
                  "360 view of "),
        ModelSpec("ldm3d-4c", "Intel/ldm3d-4c", "perspective", 4, 512, 512, 50, 7.0, "ddim"),
        ModelSpec("ldm3d", "Intel/ldm3d", "perspective", 6, 512, 512, 50, 7.0, "ddim"),
    )
}


def spec_for(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of a backend name (``InputError`` if unknown)."""
    return spec_lookup(SPECS, name, "LDM3D backend")


@dataclass(frozen=True)
class FolderCheck:
    """What :func:`check_model_folder` learnt about a folder.

    Parameters
    ----------
    vae_channels : int
        4 or 6.
    variant : str or None
        ``"fp16"`` when only ``*.fp16.safetensors`` weights are present, else ``None``.
    class_name : str
        ``_class_name`` of ``model_index.json``.
    """

    vae_channels: int
    variant: str | None
    class_name: str


@dataclass(frozen=True)
class ModelLocation:
    """A model resolved to a place.

    Parameters
    ----------
    folder : Path or None
        Checked local folder, or ``None`` when it must first be downloaded (online only).
    model_id : str
        What to record: the Hugging Face id, or the folder path as given.
    revision : str
        Commit hash of a Hugging Face cache snapshot, else ``""``.
    check : FolderCheck or None
        The folder's check (``None`` when not downloaded yet).
    """

    folder: Path | None
    model_id: str
    revision: str = ""
    check: FolderCheck | None = None


# -- places (the one discovery, models.weights_discovery) ---------------------------------
def download_hint(spec: ModelSpec, repo_id: str | None = None) -> str:
    """The exact commands that fetch ``repo_id`` (default ``spec.repo_id``) and use it."""
    folder = models_home() / spec.name
    return _download_hint(
        repo_id or spec.repo_id, folder,
        f"then run with --model {folder} (that folder is also found without --model), "
        f"or unset HF_HUB_OFFLINE to let Panoforge download it into the Hugging Face cache; "
        f"--backend procedural needs no weights")


# -- checks ------------------------------------------------------------------------------
def _read_json(path: Path, folder: Path) -> dict:
    return read_model_json(path, f"{folder} is not a complete diffusers model folder")


def _weight_variant(comp_dir: Path) -> str | None | bool:
    """``None`` for plain safetensors, ``"fp16"`` for fp16-only, ``False`` if none."""
    names = [p.name for p in comp_dir.iterdir() if p.exists()] if comp_dir.is_dir() else []
    plain = [n for n in names if n.endswith(".safetensors") and n.count(".") == 1]
    plain += [n for n in names if n.endswith(".safetensors.index.json") and n.count(".") == 3]
    if plain:
        return None
    if any(n.endswith(".fp16.safetensors") or n.endswith(".safetensors.index.fp16.json")
           for n in names):
        return "fp16"
    return False


def read_model_index(folder: Path) -> dict:
    """``model_index.json`` of a diffusers folder, checked: the pipeline's required components
    are named, and every loaded component comes from diffusers or transformers.

    Raises
    ------
    InputError
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"model folder {folder} does not exist",
                         hint="give --model a folder in the diffusers layout, or a Hugging Face id "
                         "such as Intel/ldm3d-pano")
    index_path = folder / "model_index.json"
    if not index_path.is_file():
        raise InputError(f"{folder} is not a diffusers model folder (no model_index.json)",
                         hint="point --model at the folder that contains model_index.json, "
                         "unet/, vae/ and text_encoder/")
    index = _read_json(index_path, folder)
    for comp in REQUIRED_COMPONENTS:
        entry = index.get(comp)
        if not (isinstance(entry, list) and len(entry) == 2 and entry[0] is not None):
            raise InputError(f"{folder} has no {comp!r} component in model_index.json",
                             hint="this is not a Stable Diffusion / LDM3D pipeline folder")
    for comp, entry in index.items():
        if comp.startswith("_") or comp in NOT_LOADED or not isinstance(entry, list) \
                or len(entry) != 2:
            continue
        if entry[0] is not None and entry[0] not in ALLOWED_LIBRARIES:
            raise InputError(
                f"{index_path} asks for {comp} from {entry[0]!r}",
                hint="Panoforge only loads diffusers and transformers classes (no remote code); "
                "use an official LDM3D model folder")
    return index


def check_weight_files(folder: Path) -> str | None:
    """The weights variant of ``folder``'s ``unet``, ``vae`` and ``text_encoder``, from file
    names only: ``None`` (full precision safetensors) or ``"fp16"``.

    Raises
    ------
    InputError
        A component without safetensors (``.bin`` pickles are refused with their names), or
        a mix of fp16-only and full weights.
    """
    variants = {}
    for comp in WEIGHT_COMPONENTS:
        comp_dir = folder / comp
        variant = _weight_variant(comp_dir)
        if variant is False:
            pickles = sorted(p.name for p in comp_dir.glob("*.bin")) if comp_dir.is_dir() else []
            if pickles:
                raise InputError(
                    f"{comp_dir} has only .bin (pickle) weights ({', '.join(pickles)}); Panoforge "
                    "loads only .safetensors, because pickle files can run code when loaded",
                    hint="download the safetensors files of this model (hf download REPO "
                    "--include '*.safetensors' '*.json' '*.txt' --local-dir FOLDER), or convert "
                    "the .bin files with a trusted tool first")
            raise InputError(f"{comp_dir} has no weights (*.safetensors)",
                             hint="the download is incomplete; download the model again")
        variants[comp] = variant
    variant = "fp16" if all(v == "fp16" for v in variants.values()) else None
    if variant is None and any(v == "fp16" for v in variants.values()):
        partial = [c for c, v in variants.items() if v == "fp16"]
        raise InputError(f"{folder}: {', '.join(partial)} have only fp16 weights, the rest full",
                         hint="download the model again with one kind of weights")
    return variant


def check_model_folder(folder: Path, spec: ModelSpec | None = None) -> FolderCheck:
    """Check that ``folder`` holds a loadable LDM3D pipeline, reading only small JSON files.

    Parameters
    ----------
    folder : Path
        A diffusers-layout folder (``model_index.json``, ``unet/``, ``vae/``, ...).
    spec : ModelSpec, optional
        When given, the VAE's channel count must match ``spec.vae_channels``.

    Returns
    -------
    FolderCheck

    Raises
    ------
    InputError
        With a message saying what is wrong and a hint saying what to do.
    """
    folder = Path(folder)
    index = read_model_index(folder)
    vae_cfg = _read_json(folder / "vae" / "config.json", folder)
    out_ch = vae_cfg.get("out_channels")
    if out_ch == 3:
        raise InputError(
            f"{folder} is not an LDM3D model: its VAE decodes 3 channels (RGB only, no depth), "
            "like a plain Stable Diffusion model",
            hint="LDM3D models decode 4 channels (ldm3d-pano, ldm3d-4c) or 6 (ldm3d); use one of "
            "Intel/ldm3d-pano, Intel/ldm3d-4c, Intel/ldm3d, or --backend procedural")
    if out_ch not in (4, 6):
        raise InputError(f"{folder}: the VAE decodes {out_ch} channels, not 4 or 6",
                         hint="this is not an LDM3D model; use Intel/ldm3d-pano or --backend "
                         "procedural")
    if spec is not None and out_ch != spec.vae_channels:
        fits = [s.name for s in SPECS.values() if s.vae_channels == out_ch]
        raise InputError(
            f"{folder} holds a {out_ch}-channel LDM3D model but --backend {spec.name} "
            f"expects {spec.vae_channels} channels",
            hint="use --backend " + " or --backend ".join(fits))
    unet_cfg = _read_json(folder / "unet" / "config.json", folder)
    if unet_cfg.get("in_channels") == 2 * vae_cfg.get("latent_channels", 4):
        raise InputError(
            f"{folder} holds an LDM3D-SR upscaling model (its UNet takes the latent and a "
            "low-resolution condition), not a text-to-RGBD model",
            hint="upscale with it: panoforge upscale PROJECT --method sr --model FOLDER")
    if unet_cfg.get("in_channels") != vae_cfg.get("latent_channels", 4):
        raise InputError(
            f"{folder}: the UNet takes {unet_cfg.get('in_channels')} channels but the VAE's "
            f"latents have {vae_cfg.get('latent_channels', 4)}",
            hint="the folder mixes parts of different models; download the model again")

    variant = check_weight_files(folder)
    return FolderCheck(vae_channels=int(out_ch), variant=variant,
                       class_name=str(index.get("_class_name", "")))


def resolve_model(spec: ModelSpec, model: str | None = None, check=None) -> ModelLocation:
    """Turn ``--model`` (a folder, a Hugging Face id or nothing) into a checked location.

    Order: an existing folder as given; for an id (or nothing: ``spec.repo_id``),
    ``<models_home>/<spec.name>`` (only when nothing was given), then the Hugging Face cache.
    When none is found: offline, an :class:`InputError` with the download command; online,
    a location with ``folder=None`` that the loader downloads into the cache.

    ``check(folder, spec) -> FolderCheck`` replaces :func:`check_model_folder` for model
    families with another layout (``models.ldm3d_sr``'s super-resolution folders).

    Raises
    ------
    InputError
    """
    check = check or check_model_folder
    repo_id = model if model and not is_folder_argument(model) else spec.repo_id
    found = locate(model, spec.repo_id, models_home() / spec.name, is_diffusers_folder,
                   missing=f"the weights of {repo_id} are", hint=download_hint(spec, repo_id),
                   folder_hint="check the path")
    if found.folder is None:
        return ModelLocation(None, found.repo_id, "")
    model_id = found.repo_id if found.source == "cache" else str(found.folder)
    return ModelLocation(found.folder, model_id, found.revision, check(found.folder, spec))


def local_weights_available(name: str, spec: ModelSpec | None = None,
                            check=None) -> tuple[bool, str]:
    """Whether ``name``'s weights are on disk (no torch import, no network, JSON reads only).

    Parameters
    ----------
    name : str
        ``"ldm3d-pano"``, ``"ldm3d-4c"`` or ``"ldm3d"``.
    spec, check : optional
        Another family's spec and folder check (see :func:`resolve_model`).

    Returns
    -------
    (bool, str)
        ``(True, "found in FOLDER")`` or ``(False, reason)``.
    """
    spec = spec or SPECS.get(name)
    check = check or check_model_folder
    if spec is None:
        return False, f"unknown LDM3D backend {name!r}"
    return first_usable(spec.repo_id, models_home() / spec.name, is_diffusers_folder,
                        lambda folder: check(folder, spec))
