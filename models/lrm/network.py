"""The LRM network in torch: image encoder → camera-modulated transformer → triplane → MLP.

Written for Panoforge after reading OpenLRM (Apache-2.0, ``openlrm/models``); the module and
attribute names are chosen so that an OpenLRM v1.1 ``model.safetensors`` loads key for key
(only the image encoder's keys are translated, see :mod:`models.lrm.convert`):

- ``encoder.model``: transformers' ``Dinov2WithRegistersModel`` / ``Dinov2Model`` (DINOv2,
  v1.1) or ``ViTModel`` (DINO); tokens = CLS + patch tokens (register tokens dropped), each
  ``encoder_feat_dim`` wide;
- ``camera_embedder.mlp``: Linear(16, E) → SiLU → Linear(E, E) on the source camera (its 3×4
  camera-to-world matrix flattened, then fx, fy, cx, cy normalised by the image size);
- ``pos_embed``: ``(1, 3·n², D)`` learnt queries, one per triplane token (``n`` =
  ``triplane_low_res``);
- ``transformer.layers[i]``: cross-attention to the image tokens, self-attention, MLP, each
  after a LayerNorm whose shift and scale come from the camera embedding (adaLN:
  ``norm(x)·(1 + scale) + shift``); ``transformer.norm`` at the end;
- ``upsampler``: ConvTranspose2d(D, C, 2, stride 2): ``n × n`` tokens → ``2n × 2n`` planes;
- ``synthesizer.decoder.net``: the triplane MLP, Linear(3C, 64) → ReLU → (Linear(64, 64) →
  ReLU)×2 → Linear(64, 4): raw density, then RGB.

Triplane layout (EG3D's, as OpenLRM uses it): planes ``(N, 3, C, H, W)`` over the box
[-1, 1]³; plane 0 is indexed by (x, y), plane 1 by (x, z), plane 2 by (z, y) — first
coordinate along the width, second along the height, ``grid_sample`` with
``align_corners=False`` and zeros outside. The three features are concatenated, plane 0
first. Density is ``softplus(raw − 1)``; colour ``sigmoid(rgb)·1.002 − 0.001``.
"""

from __future__ import annotations

import torch
from torch import nn

from .weights import LRMConfig

__all__ = ["LRMNetwork", "build_encoder", "encoder_config", "sample_triplane",
           "TriplaneDecoder", "density_activation", "color_activation", "CAMERA_DIM"]

#: Raw source-camera features: 12 (3×4 extrinsics) + 4 (fx, fy, cx, cy).
CAMERA_DIM = 16
#: DINOv2 architectures by OpenLRM's encoder_model_name: (width, depth, heads, registers).
_DINOV2 = {
    "dinov2_vits14": (384, 12, 6, 0), "dinov2_vitb14": (768, 12, 12, 0),
    "dinov2_vitl14": (1024, 24, 16, 0),
    "dinov2_vits14_reg": (384, 12, 6, 4), "dinov2_vitb14_reg": (768, 12, 12, 4),
    "dinov2_vitl14_reg": (1024, 24, 16, 4),
}
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
#: DINO (v1) ViTs by Hugging Face id: (width, depth, heads, patch).
_DINO = {"facebook/dino-vitb16": (768, 12, 12, 16), "facebook/dino-vits16": (384, 12, 6, 16),
         "facebook/dino-vitb8": (768, 12, 12, 8), "facebook/dino-vits8": (384, 12, 6, 8)}


def encoder_config(cfg: LRMConfig):
    """The transformers config of the image encoder named by ``cfg`` (no download).

    Returns
    -------
    transformers.PretrainedConfig
        ``Dinov2WithRegistersConfig`` / ``Dinov2Config`` (518-pixel position grid, patch 14,
        layer scale) or ``ViTConfig`` (224 pixels); ``cfg.encoder_config`` overrides fields.
    """
    from scene.errors import InputError

    over = dict(cfg.encoder_config)
    if cfg.encoder_type == "dinov2":
        arch = _DINOV2.get(cfg.encoder_model_name)
        if arch is None and "hidden_size" not in over:
            raise InputError(f"unknown DINOv2 encoder {cfg.encoder_model_name!r}",
                             hint="OpenLRM v1.1 uses dinov2_vitb14_reg; known: " +
                             ", ".join(_DINOV2))
        width, depth, heads, regs = arch or (over["hidden_size"], 12, 12, 4)
        base = dict(hidden_size=width, num_hidden_layers=depth, num_attention_heads=heads,
                    intermediate_size=4 * width, mlp_ratio=4, patch_size=14, image_size=518,
                    layerscale_value=1.0, layer_norm_eps=1e-6, qkv_bias=True,
                    use_swiglu_ffn=False, hidden_act="gelu")
        regs = int(over.pop("num_register_tokens", regs))
        base.update(over)
        if "intermediate_size" not in over:
            base["intermediate_size"] = 4 * base["hidden_size"]
        if regs:
            from transformers import Dinov2WithRegistersConfig

            return Dinov2WithRegistersConfig(num_register_tokens=regs, **base)
        from transformers import Dinov2Config

        return Dinov2Config(**base)
    from transformers import ViTConfig

    width, depth, heads, patch = _DINO.get(cfg.encoder_model_name, (768, 12, 12, 16))
    base = dict(hidden_size=width, num_hidden_layers=depth, num_attention_heads=heads,
                intermediate_size=4 * width, patch_size=patch, image_size=224, qkv_bias=True,
                layer_norm_eps=1e-12)
    base.update(over)
    if "intermediate_size" not in over:
        base["intermediate_size"] = 4 * base["hidden_size"]
    return ViTConfig(**base)


class ImageEncoder(nn.Module):
    """A transformers ViT as LRM's image encoder: ``(N, 3, S, S)`` in [0, 1] → tokens.

    DINOv2 (OpenLRM v1.1) takes the [0, 1] image as it is; DINO (v1.0) normalises with the
    ImageNet mean and standard deviation first, like its image processor.
    """

    def __init__(self, cfg: LRMConfig):
        super().__init__()
        tcfg = encoder_config(cfg)
        self.kind = cfg.encoder_type
        self.registers = int(getattr(tcfg, "num_register_tokens", 0) or 0)
        if cfg.encoder_type == "dinov2":
            if self.registers:
                from transformers import Dinov2WithRegistersModel as Model
            else:
                from transformers import Dinov2Model as Model
            self.model = Model(tcfg)
        else:
            from transformers import ViTModel

            self.model = ViTModel(tcfg, add_pooling_layer=False)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """``(N, 3, S, S)`` float in [0, 1] → ``(N, 1 + P, F)`` CLS and patch tokens."""
        if self.kind == "dino":
            mean = torch.tensor(_IMAGENET_MEAN, device=image.device, dtype=image.dtype)
            std = torch.tensor(_IMAGENET_STD, device=image.device, dtype=image.dtype)
            image = (image - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
            out = self.model(pixel_values=image, interpolate_pos_encoding=True)
        else:  # DINOv2 always interpolates its 37x37 position grid to the input
            out = self.model(pixel_values=image)
        tokens = out.last_hidden_state
        if self.registers:
            tokens = torch.cat([tokens[:, :1], tokens[:, 1 + self.registers:]], dim=1)
        return tokens


def build_encoder(cfg: LRMConfig) -> ImageEncoder:
    """The image encoder with random weights (the loader fills them)."""
    return ImageEncoder(cfg)


class CameraEmbedder(nn.Module):
    def __init__(self, embed_dim: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(CAMERA_DIM, embed_dim), nn.SiLU(),
                                 nn.Linear(embed_dim, embed_dim))

    def forward(self, camera: torch.Tensor) -> torch.Tensor:
        return self.mlp(camera)


class ModLN(nn.Module):
    """LayerNorm whose shift and scale are predicted from the camera embedding (adaLN)."""

    def __init__(self, dim: int, mod_dim: int, eps: float = 1e-6):
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=eps)
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(mod_dim, 2 * dim))

    def forward(self, x: torch.Tensor, mod: torch.Tensor) -> torch.Tensor:
        shift, scale = self.mlp(mod).chunk(2, dim=-1)
        return self.norm(x) * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class CondModBlock(nn.Module):
    """Cross-attention to the image, self-attention, MLP; each after a camera-modulated norm."""

    def __init__(self, dim: int, cond_dim: int, mod_dim: int, heads: int, eps: float = 1e-6):
        super().__init__()
        self.norm1 = ModLN(dim, mod_dim, eps)
        self.cross_attn = nn.MultiheadAttention(dim, heads, kdim=cond_dim, vdim=cond_dim,
                                                bias=False, batch_first=True)
        self.norm2 = ModLN(dim, mod_dim, eps)
        self.self_attn = nn.MultiheadAttention(dim, heads, bias=False, batch_first=True)
        self.norm3 = ModLN(dim, mod_dim, eps)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Dropout(0.0),
                                 nn.Linear(4 * dim, dim), nn.Dropout(0.0))

    def forward(self, x, cond, mod):
        x = x + self.cross_attn(self.norm1(x, mod), cond, cond, need_weights=False)[0]
        h = self.norm2(x, mod)
        x = x + self.self_attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm3(x, mod))


class TriplaneTransformer(nn.Module):
    def __init__(self, cfg: LRMConfig):
        super().__init__()
        self.layers = nn.ModuleList([
            CondModBlock(cfg.transformer_dim, cfg.encoder_feat_dim, cfg.camera_embed_dim,
                         cfg.transformer_heads) for _ in range(cfg.transformer_layers)])
        self.norm = nn.LayerNorm(cfg.transformer_dim, eps=1e-6)

    def forward(self, x, cond, mod, cancel=None, on_layer=None):
        from models.base import raise_if_cancelled

        for i, layer in enumerate(self.layers):
            raise_if_cancelled(cancel)
            x = layer(x, cond, mod)
            if on_layer is not None:
                on_layer(i + 1, len(self.layers))
        return self.norm(x)


class TriplaneDecoder(nn.Module):
    """The triplane MLP: concatenated plane features ``(M, 3C)`` → ``(M, 4)`` raw density, RGB."""

    def __init__(self, triplane_dim: int, hidden: int = 64, layers: int = 4):
        super().__init__()
        mods: list[nn.Module] = [nn.Linear(3 * triplane_dim, hidden), nn.ReLU()]
        for _ in range(layers - 2):
            mods += [nn.Linear(hidden, hidden), nn.ReLU()]
        mods.append(nn.Linear(hidden, 4))
        self.net = nn.Sequential(*mods)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class Synthesizer(nn.Module):
    """Holds the triplane MLP under OpenLRM's name (``synthesizer.decoder``)."""

    def __init__(self, triplane_dim: int):
        super().__init__()
        self.decoder = TriplaneDecoder(triplane_dim)


def density_activation(raw: torch.Tensor) -> torch.Tensor:
    """OpenLRM's density: ``softplus(raw − 1)`` (≥ 0)."""
    return torch.nn.functional.softplus(raw - 1.0)


def color_activation(raw: torch.Tensor) -> torch.Tensor:
    """OpenLRM's colour: ``sigmoid(raw)·(1 + 0.002) − 0.001`` (MipNeRF's widened sigmoid)."""
    return torch.sigmoid(raw) * 1.002 - 0.001


def sample_triplane(planes: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Plane features at points in the box [-1, 1]³.

    Parameters
    ----------
    planes : (N, 3, C, H, W) tensor
    points : (N, M, 3) tensor
        LRM frame (Z up), box [-1, 1]³.

    Returns
    -------
    (N, M, 3C) tensor
        Plane 0 sampled at (x, y), plane 1 at (x, z), plane 2 at (z, y), concatenated.
    """
    n, _, c, h, w = planes.shape
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    uv = torch.stack([torch.stack([x, y], -1), torch.stack([x, z], -1),
                      torch.stack([z, y], -1)], dim=1)  # (N, 3, M, 2)
    feats = nn.functional.grid_sample(planes.reshape(n * 3, c, h, w),
                                      uv.reshape(n * 3, 1, -1, 2).to(planes.dtype),
                                      mode="bilinear", padding_mode="zeros", align_corners=False)
    # (N*3, C, 1, M) -> (N, 3, C, M) -> (N, M, 3, C) -> (N, M, 3C)
    return feats.reshape(n, 3, c, -1).permute(0, 3, 1, 2).reshape(n, -1, 3 * c)


class LRMNetwork(nn.Module):
    """The whole single-view LRM (OpenLRM v1.1 layout). See the module docstring."""

    def __init__(self, cfg: LRMConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = build_encoder(cfg)
        self.camera_embedder = CameraEmbedder(cfg.camera_embed_dim)
        n = cfg.triplane_low_res
        self.pos_embed = nn.Parameter(
            torch.randn(1, 3 * n * n, cfg.transformer_dim) * cfg.transformer_dim ** -0.5)
        self.transformer = TriplaneTransformer(cfg)
        self.upsampler = nn.ConvTranspose2d(cfg.transformer_dim, cfg.triplane_dim, kernel_size=2,
                                            stride=2, padding=0)
        self.synthesizer = Synthesizer(cfg.triplane_dim)

    def forward_planes(self, image: torch.Tensor, camera: torch.Tensor,
                       cancel=None, on_layer=None) -> torch.Tensor:
        """Image and source camera → triplane.

        Parameters
        ----------
        image : (N, 3, S, S) float tensor in [0, 1]
        camera : (N, 16) float tensor
        cancel : Event-like, optional
            Checked between transformer layers.
        on_layer : callable, optional
            ``on_layer(done, total)`` after each transformer layer.

        Returns
        -------
        (N, 3, C, 2n, 2n) tensor
        """
        feats = self.encoder(image)
        if feats.shape[-1] != self.cfg.encoder_feat_dim:
            raise ValueError(f"encoder gives {feats.shape[-1]} features, config says "
                             f"{self.cfg.encoder_feat_dim}")
        mod = self.camera_embedder(camera)
        n_img = image.shape[0]
        x = self.transformer(self.pos_embed.expand(n_img, -1, -1), feats, mod, cancel, on_layer)
        n = self.cfg.triplane_low_res
        x = x.reshape(n_img, 3, n, n, -1).permute(1, 0, 4, 2, 3).reshape(3 * n_img, -1, n, n)
        x = self.upsampler(x)  # (3N, C, 2n, 2n)
        x = x.reshape(3, n_img, *x.shape[-3:]).permute(1, 0, 2, 3, 4)
        return x.contiguous()

    def query(self, planes: torch.Tensor, points: torch.Tensor) -> tuple[torch.Tensor,
                                                                          torch.Tensor]:
        """Density ``(N, M)`` and colour ``(N, M, 3)`` at ``(N, M, 3)`` points (LRM frame)."""
        out = self.synthesizer.decoder(sample_triplane(planes, points))
        return density_activation(out[..., 0]), color_activation(out[..., 1:])
