"""Tiny random-weight Depth Anything V2 folders, built by the tests themselves (no hub).

The configuration has the published models' *layout*: a ``DepthAnythingConfig`` with a
DINOv2 backbone (patch 14, four feature stages), the DPT-style neck and head, saved with
``save_pretrained`` as ``model.safetensors`` + ``config.json``, and the DPT image processor
Depth Anything uses (``keep_aspect_ratio``, ``ensure_multiple_of=14``, ImageNet mean/std)
saved as ``preprocessor_config.json``. Everything else is as small as possible: a 56-px tile
takes milliseconds on a CPU.

The head's weights are drawn larger than the default init and its last bias is set to 1 (0
for metric), so the random network's output is positive and varies across a tile (a default
random head gives a constant to 1e-7): it is *not* a depth map of anything.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_tiny_depth_anything", "TINY_SIZE"]

#: Input size of the tiny model (a multiple of the patch size 14).
TINY_SIZE = 56


def build_tiny_depth_anything(folder: Path, *, metric: bool = False, size: int = TINY_SIZE,
                              hidden: int = 32, layers: int = 4, heads: int = 2,
                              neck: tuple[int, ...] = (8, 16, 32, 32), fusion: int = 16,
                              seed: int = 0, amplify_head: bool = True) -> Path:
    """Write a random Depth Anything model folder and return it.

    Parameters
    ----------
    folder : Path
    metric : bool
        ``depth_estimation_type="metric"`` (metres, sigmoid head, ``max_depth=20``).
    size : int
        The processor's resize target (the tile size Panoforge will use).
    hidden, layers, heads, neck, fusion : int
        Backbone width/depth/heads, neck channels, fusion channels (the benchmark passes
        Small- and Base-sized values: 384/12/6/(48,96,192,384)/64 and
        768/12/12/(96,192,384,768)/128).
    seed : int
    amplify_head : bool
        Draw the head's weights larger so the output varies (see the module docstring); the
        benchmark turns it off (cost is the same, and fp16 on a GPU stays finite).
    """
    import torch
    from transformers import (
        DepthAnythingConfig,
        DepthAnythingForDepthEstimation,
        Dinov2Config,
        DPTImageProcessor,
    )

    backbone = Dinov2Config(hidden_size=hidden, num_hidden_layers=layers,
                            num_attention_heads=heads, intermediate_size=4 * hidden,
                            image_size=518, patch_size=14,
                            out_indices=[layers // 4 or 1, layers // 2 or 1,
                                         (3 * layers) // 4 or 1, layers],
                            reshape_hidden_states=False)
    config = DepthAnythingConfig(
        backbone_config=backbone, reassemble_hidden_size=hidden, neck_hidden_sizes=list(neck),
        fusion_hidden_size=fusion, head_hidden_size=max(8, fusion // 2),
        depth_estimation_type="metric" if metric else "relative",
        max_depth=20 if metric else 1)
    torch.manual_seed(seed)
    model = DepthAnythingForDepthEstimation(config).eval()
    with torch.no_grad():
        # Random DPT heads at the default init give a near-constant map (variation ~1e-7);
        # larger head weights make the output vary across a tile, as a real one does.
        for conv in (model.head.conv1, model.head.conv2, model.head.conv3) if amplify_head \
                else ():
            conv.weight.normal_(0.0, 2.0 if conv is not model.head.conv3 else 50.0)
        model.head.conv3.bias.fill_(0.0 if metric else 1.0)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    DPTImageProcessor(do_resize=True, size={"height": size, "width": size},
                      keep_aspect_ratio=True, ensure_multiple_of=14, resample=3,
                      do_rescale=True, do_normalize=True, image_mean=[0.485, 0.456, 0.406],
                      image_std=[0.229, 0.224, 0.225], do_pad=False).save_pretrained(folder)
    return folder
