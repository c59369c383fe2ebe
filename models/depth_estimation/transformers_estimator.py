"""Depth Anything V2 (and any transformers depth-estimation model of a loaded type) as a
:class:`~models.depth_estimation.base.DepthEstimator`.

Loading goes through :func:`models.depth_estimation.weights.resolve_depth_model` first, which
refuses unsafe or incomplete folders from their JSON files and names alone. Then
``AutoModelForDepthEstimation.from_pretrained`` loads safetensors only
(``use_safetensors=True``), from the local folder only (``local_files_only=True``), with
transformers' own classes only (no ``trust_remote_code``), and ``AutoImageProcessor`` reads the
folder's ``preprocessor_config.json``. Tiles are rendered at the processor's size, so its
resize is the identity and the network sees each tile pixel as drawn.

torch and transformers are imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from scene.errors import InputError
from scene.extras import require

from ..base import raise_if_cancelled
from .weights import (
    DepthModelLocation,
    check_depth_folder,
    depth_download_hint,
    resolve_depth_model,
)

__all__ = ["TransformersDepthEstimator", "load_transformers_estimator", "download_depth_model"]

_ALLOW = ["config.json", "preprocessor_config.json", "*.safetensors", "*.safetensors.index.json"]


@contextlib.contextmanager
def _quiet():
    """Silence transformers' loading bars and notices (the app shows its own progress)."""
    from transformers.utils import logging as tlog

    level = tlog.get_verbosity()
    bar = tlog.is_progress_bar_enabled()
    tlog.set_verbosity(tlog.ERROR)
    tlog.disable_progress_bar()
    try:
        yield
    finally:
        tlog.set_verbosity(level)
        if bar:
            tlog.enable_progress_bar()


def download_depth_model(location: DepthModelLocation) -> DepthModelLocation:
    """Download a model into the Hugging Face cache (configs and safetensors only; online)."""
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(location.model_id, allow_patterns=_ALLOW))
    except Exception as exc:  # network, authentication, unknown repository
        raise InputError(f"could not download {location.model_id}: {exc}",
                         hint=depth_download_hint(location.entry, location.model_id)) from None
    return DepthModelLocation(folder, location.model_id, folder.name, location.entry,
                              check_depth_folder(folder))


class TransformersDepthEstimator:
    """A loaded transformers depth model and its image processor.

    Parameters
    ----------
    model, processor
        ``AutoModelForDepthEstimation`` (in eval mode, on its device) and its
        ``AutoImageProcessor``.
    location : DepthModelLocation
    device : str
    batch_size : int
        Tiles per forward pass.
    """

    name = "transformers"

    def __init__(self, model, processor, location: DepthModelLocation, device: str,
                 batch_size: int) -> None:
        self._model = model
        self._processor = processor
        self.model_id = location.model_id
        self.revision = location.revision
        self.licence = location.licence
        self.metric = bool(location.metric)
        self.device = device
        self.batch_size = int(batch_size)
        import transformers

        self.library = f"transformers {transformers.__version__}"
        size = getattr(processor, "size", None) or {}
        edge = int(size.get("height") or size.get("shortest_edge") or 518)
        patch = int(getattr(model.config, "patch_size", 14) or 14)
        self.input_size = max(patch, edge - edge % patch)

    @property
    def n_parameters(self) -> int:
        """How many weights the loaded network has (benchmarks report the model's size)."""
        return sum(p.numel() for p in self._model.parameters())

    def estimate(self, tiles: np.ndarray, cancel=None) -> np.ndarray:
        """Depth of each tile (see :meth:`DepthEstimator.estimate`)."""
        import torch

        tiles = np.asarray(tiles, dtype=np.uint8)
        n, s = tiles.shape[0], tiles.shape[1]
        out = np.empty((n, s, s), dtype=np.float32)
        dtype = next(self._model.parameters()).dtype
        for start in range(0, n, self.batch_size):
            raise_if_cancelled(cancel)
            batch = list(tiles[start:start + self.batch_size])
            inputs = self._processor(images=batch, return_tensors="pt")
            pixels = inputs["pixel_values"].to(self.device, dtype=dtype)
            with torch.inference_mode():
                pred = self._model(pixel_values=pixels).predicted_depth
            pred = pred.float()
            if pred.ndim == 4:
                pred = pred[:, 0]
            if pred.shape[-2:] != (s, s):
                pred = torch.nn.functional.interpolate(pred[:, None], size=(s, s),
                                                       mode="bilinear", align_corners=False)[:, 0]
            out[start:start + len(batch)] = pred.cpu().numpy()
        out[~np.isfinite(out)] = np.nan
        return out


def load_transformers_estimator(model: str | None = None, device: str = "auto",
                                batch_size: int | None = None) -> TransformersDepthEstimator:
    """Resolve, check and load a depth model.

    Parameters
    ----------
    model : str, optional
        Catalogue name, Hugging Face id or folder (default
        :data:`~models.depth_estimation.weights.DEFAULT_DEPTH_MODEL`).
    device : {"auto", "cpu", "cuda"}
    batch_size : int, optional
        Tiles per forward pass (default 2 on the CPU, 8 on a GPU).

    Returns
    -------
    TransformersDepthEstimator

    Raises
    ------
    InputError
        Missing weights (with the ``hf download`` command), unsafe or damaged folders.
    """
    require("ldm3d", ("torch", "transformers"), "depth estimation")
    import torch

    from ..ldm3d.loading import select_device

    location = resolve_depth_model(model)
    if location.folder is None:
        location = download_depth_model(location)
    choice = select_device(device)
    with _quiet():
        from transformers import AutoImageProcessor, AutoModelForDepthEstimation

        try:
            net = AutoModelForDepthEstimation.from_pretrained(
                str(location.folder), use_safetensors=True, local_files_only=True,
                trust_remote_code=False, dtype=choice.dtype)
            processor = AutoImageProcessor.from_pretrained(
                str(location.folder), local_files_only=True, trust_remote_code=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"could not load the depth model in {location.folder}: {exc}",
                             hint="the folder is incomplete or damaged; download the model "
                             "again") from None
    net.eval()
    try:
        net.to(choice.device)
    except torch.OutOfMemoryError:
        from scene.errors import ResourceError

        raise ResourceError("the GPU ran out of memory loading the depth model",
                            hint="use --device cpu, or a smaller --depth-model") from None
    if batch_size is None:
        batch_size = 8 if choice.device == "cuda" else 2
    return TransformersDepthEstimator(net, processor, location, choice.device, batch_size)
