"""Loading an OpenLRM checkpoint: safetensors only, nothing from the folder executed.

The network is built from ``config.json``'s numbers by Panoforge's own code
(:class:`models.lrm.network.LRMNetwork`, transformers' DINO/DINOv2 classes for the encoder),
then ``model.safetensors`` is read with ``safetensors.torch.load_file`` and renamed
(:func:`models.lrm.convert.from_openlrm`). A checkpoint whose keys or shapes do not match its
config is refused with the first differences named.
"""

from __future__ import annotations

from pathlib import Path

from scene.errors import InputError

from ..loaded_model import LoadedModel
from .weights import LRMLocation, check_lrm_folder

__all__ = ["load_lrm", "download_lrm", "unload", "select_device"]

#: The one network kept loaded (models.loaded_model: reloaded when the file or device changes).
_NET = LoadedModel()
#: Encoder parameters a published checkpoint does not carry (OpenLRM dropped DINOv2's unused
#: mask token); they keep the value transformers gives them.
_MAY_BE_MISSING = ("encoder.model.embeddings.mask_token",)


def select_device(requested: str = "auto") -> str:
    """``"cuda"`` or ``"cpu"`` for ``--device auto|cpu|cuda`` (float32 on both)."""
    from models.ldm3d.loading import select_device as ldm3d_select

    return ldm3d_select(requested).device


def download_lrm(repo_id: str) -> LRMLocation:
    """Download ``config.json`` and ``model.safetensors`` of ``repo_id`` into the HF cache."""
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(repo_id,
                                        allow_patterns=["config.json", "model.safetensors"]))
    except Exception as exc:  # network, authentication, unknown repository
        raise InputError(f"could not download {repo_id}: {exc}",
                         hint=f"check the id and the network, or download it yourself: hf "
                         f"download {repo_id} --local-dir FOLDER and use --model FOLDER") from None
    return LRMLocation(folder, repo_id, folder.name, check_lrm_folder(folder))


def _mismatch(folder: Path, what: str, keys: list[str]) -> InputError:
    shown = ", ".join(sorted(keys)[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")
    return InputError(f"{folder}/model.safetensors does not match its config.json: {what} "
                      f"{shown}",
                      hint="the folder mixes files of different models, or is not an OpenLRM "
                      "v1.1 checkpoint; download the model again")


def load_lrm(location: LRMLocation, device: str = "cpu"):
    """Build the network of ``location.config`` and load its weights.

    Parameters
    ----------
    location : LRMLocation
        A checked local folder (:func:`models.lrm.weights.resolve_lrm`).
    device : {"cpu", "cuda"}

    Returns
    -------
    models.lrm.network.LRMNetwork
        In eval mode, float32, on ``device``; cached until :func:`unload` or another model.

    Raises
    ------
    InputError
        Keys or shapes that do not match the config; an unreadable weights file.
    """
    if location.folder is None or location.config is None:
        raise ValueError("load_lrm needs a checked local folder")
    folder = Path(location.folder)
    weights = folder / "model.safetensors"
    key = (str(weights.resolve()), weights.stat().st_mtime_ns, device)
    return _NET.get(key, lambda: _build(location, weights, device))


def _build(location: LRMLocation, weights: Path, device: str):
    """Build the network of ``location.config`` and load ``weights`` (see :func:`load_lrm`)."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .convert import from_openlrm
    from .network import LRMNetwork

    folder = Path(location.folder)
    cfg = location.config
    with torch.device("meta"):  # shapes only: no time spent on a random initialisation
        net = LRMNetwork(cfg)
    try:
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(f"cannot read {weights}: {exc}",
                         hint="the file is damaged or incomplete; download the model again") \
            from None
    expected = net.state_dict()
    converted, unknown = from_openlrm(state, expected.keys(), cfg.encoder_type)
    extra = [k for k in converted if k not in expected] + unknown
    missing = [k for k in expected if k not in converted and k not in _MAY_BE_MISSING]
    if missing:
        raise _mismatch(folder, "it lacks", missing)
    if extra:
        raise _mismatch(folder, "it has unexpected", extra)
    wrong = [f"{k} {tuple(v.shape)} (config wants {tuple(expected[k].shape)})"
             for k, v in converted.items() if tuple(v.shape) != tuple(expected[k].shape)]
    if wrong:
        raise _mismatch(folder, "shapes differ for", wrong)
    net.to_empty(device="cpu")
    net.load_state_dict({k: v.float() for k, v in converted.items()}, strict=False)
    with torch.no_grad():  # what the checkpoint does not carry gets transformers' init (zeros)
        params = dict(net.named_parameters())
        for name in _MAY_BE_MISSING:
            if name not in converted and name in params:
                params[name].zero_()
    if any(True for _ in net.buffers()):
        raise RuntimeError("LRMNetwork has buffers the checkpoint does not fill")
    net.eval().requires_grad_(False)
    try:
        net.to(device)
    except torch.OutOfMemoryError:
        from scene.errors import ResourceError

        raise ResourceError("the GPU ran out of memory loading the LRM",
                            hint="use --device cpu, or the base model") from None
    return net


def unload() -> None:
    """Forget the cached network (frees its memory)."""
    _NET.clear()
