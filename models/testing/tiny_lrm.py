"""Tiny random-weight OpenLRM checkpoints, written by the tests (no hub, no weights).

The folder has the published layout: ``config.json`` with ``ModelLRM``'s keys and a
``model.safetensors`` whose names are OpenLRM's (DINOv2 in Meta's layout with joined ``qkv``,
no ``mask_token``), written through :func:`models.lrm.convert.to_openlrm`. Only the sizes are
tiny (a 2-layer, 32-wide DINOv2 with 4 registers at 56 pixels, a 2-layer triplane transformer,
8×8 planes), plus ``encoder_config``/``source_size`` to say so.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["TINY_CONFIG", "write_tiny_lrm", "crossing_threshold", "analytic_planes",
           "set_analytic_decoder"]

TINY_CONFIG = dict(
    camera_embed_dim=32, rendering_samples_per_ray=16, transformer_dim=32, transformer_layers=2,
    transformer_heads=4, triplane_low_res=4, triplane_high_res=8, triplane_dim=8,
    encoder_freeze=True, encoder_type="dinov2", encoder_model_name="dinov2_vits14_reg",
    encoder_feat_dim=32, source_size=56,
    encoder_config=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        image_size=28, num_register_tokens=4),
)


def write_tiny_lrm(folder: Path, seed: int = 0, config: dict | None = None):
    """Build a tiny random LRM, save it in OpenLRM's layout, return ``(folder, network)``."""
    import torch
    from safetensors.torch import save_file

    from models.lrm.convert import to_openlrm
    from models.lrm.network import LRMNetwork
    from models.lrm.weights import read_config

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config or TINY_CONFIG), encoding="utf-8")
    torch.manual_seed(seed)
    net = LRMNetwork(read_config(folder)).eval()
    state = to_openlrm(net.state_dict(), net.cfg.encoder_type)
    save_file({k: v.contiguous() for k, v in state.items()}, str(folder / "model.safetensors"))
    return folder, net


def crossing_threshold(net, picture) -> float:
    """A density threshold that the random field of ``net`` surely crosses for the picture
    file ``picture``: the median density at random points of the box (a random network's
    density is no object, so the test picks where its surface is)."""
    import torch

    from models.lrm.preprocess import cut_out, load_rgba, recentre
    from models.lrm.reconstruct import image_tensor, source_camera

    rgba, has_alpha = load_rgba(picture)
    rgb = recentre(cut_out(rgba, has_alpha)[0], net.cfg.source_size)
    with torch.no_grad():
        planes = net.forward_planes(image_tensor(rgb), torch.from_numpy(source_camera())[None])
        pts = torch.rand(1, 4096, 3, generator=torch.Generator().manual_seed(0)) * 1.6 - 0.8
        d, _ = net.query(planes, pts)
    return float(d.median())


def analytic_planes(fn, channels: int, res: int = 64):
    """(1, 3, C, res, res) planes whose texels hold ``fn(plane, u, v) -> (C, res, res)`` at the
    texel centres (``align_corners=False``: u, v = −1 + (2j + 1)/res)."""
    import numpy as np
    import torch

    c = -1.0 + (2.0 * np.arange(res) + 1.0) / res
    u, v = np.meshgrid(c, c, indexing="xy")  # u along the width (columns), v along rows
    planes = np.stack([np.asarray(fn(i, u, v), np.float32).reshape(channels, res, res)
                       for i in range(3)])
    return torch.from_numpy(planes[None])


def set_analytic_decoder(decoder, layers: list[tuple]) -> None:
    """Set a :class:`models.lrm.network.TriplaneDecoder`'s four Linear layers: each entry is
    ``(weight rows {out: {in: w}}, bias {out: b})``; everything else zero."""
    import torch

    linears = [m for m in decoder.net if isinstance(m, torch.nn.Linear)]
    assert len(linears) == len(layers) == 4
    with torch.no_grad():
        for lin, (rows, bias) in zip(linears, layers, strict=True):
            lin.weight.zero_()
            lin.bias.zero_()
            for o, row in rows.items():
                for i, w in row.items():
                    lin.weight[o, i] = w
            for o, b in bias.items():
                lin.bias[o] = b
