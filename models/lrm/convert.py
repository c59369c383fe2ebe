"""OpenLRM checkpoint keys ↔ this package's modules.

Everything but the image encoder already has OpenLRM's names (:mod:`models.lrm.network`). The
encoder differs:

- **DINOv2** (v1.1): OpenLRM keeps Meta's original layout under ``encoder.model.``
  (``cls_token``, ``pos_embed``, ``register_tokens``, ``patch_embed.proj``,
  ``blocks.<i>.{norm1, attn.qkv, attn.proj, ls1.gamma, norm2, mlp.fc1, mlp.fc2, ls2.gamma}``,
  ``norm``; no ``mask_token``). transformers splits ``qkv`` into query, key and value and
  names everything differently — and its names changed between releases (``attention.
  attention.query`` in 4.x, ``attention.q_proj`` in 5.x). The target names are therefore read
  from the installed model's own ``state_dict`` (first matching candidate per role), never
  assumed.
- **DINO** (v1.0): the checkpoint holds transformers 4.x ``ViTModel`` names, translated the
  same way when the installed release names them otherwise.

The inverse, :func:`to_openlrm`, writes the published layout; tests and the benchmark use it
to save random-weight checkpoints that the real loading path then reads.
"""

from __future__ import annotations

import re

__all__ = ["from_openlrm", "to_openlrm", "ENCODER_PREFIX"]

ENCODER_PREFIX = "encoder.model."
#: Role -> candidate names relative to a transformers layer (newest naming first).
_ROLES = {
    "q": ("attention.q_proj", "attention.attention.query"),
    "k": ("attention.k_proj", "attention.attention.key"),
    "v": ("attention.v_proj", "attention.attention.value"),
    "o": ("attention.o_proj", "attention.output.dense"),
    "norm1": ("norm1", "layernorm_before"),
    "norm2": ("norm2", "layernorm_after"),
    "fc1": ("mlp.fc1", "intermediate.dense"),
    "fc2": ("mlp.fc2", "output.dense"),
    "ls1": ("layer_scale1.lambda1",),
    "ls2": ("layer_scale2.lambda1",),
}
_LAYER_PREFIXES = ("encoder.layer.{i}.", "layers.{i}.", "encoder.layers.{i}.")
_TOP = {
    "cls": ("embeddings.cls_token",), "pos": ("embeddings.position_embeddings",),
    "reg": ("embeddings.register_tokens",), "mask": ("embeddings.mask_token",),
    "patch": ("embeddings.patch_embeddings.projection",), "norm": ("layernorm",),
}
# Meta's DINOv2 names (OpenLRM v1.1) -> roles
_DINOV2_TOP = {"cls_token": ("cls", ""), "pos_embed": ("pos", ""),
               "register_tokens": ("reg", ""), "mask_token": ("mask", ""),
               "patch_embed.proj.weight": ("patch", ".weight"),
               "patch_embed.proj.bias": ("patch", ".bias"),
               "norm.weight": ("norm", ".weight"), "norm.bias": ("norm", ".bias")}
_DINOV2_LAYER = {"norm1": "norm1", "attn.proj": "o", "norm2": "norm2", "mlp.fc1": "fc1",
                 "mlp.fc2": "fc2", "ls1.gamma": "ls1", "ls2.gamma": "ls2"}
# transformers 4.x ViT names (OpenLRM v1.0's DINO) -> roles
_VIT4_LAYER = {"attention.attention.query": "q", "attention.attention.key": "k",
               "attention.attention.value": "v", "attention.output.dense": "o",
               "layernorm_before": "norm1", "layernorm_after": "norm2",
               "intermediate.dense": "fc1", "output.dense": "fc2"}
_VIT4_TOP = {"embeddings.cls_token": ("cls", ""),
             "embeddings.position_embeddings": ("pos", ""),
             "embeddings.patch_embeddings.projection.weight": ("patch", ".weight"),
             "embeddings.patch_embeddings.projection.bias": ("patch", ".bias"),
             "layernorm.weight": ("norm", ".weight"), "layernorm.bias": ("norm", ".bias")}


class _Names:
    """Resolves roles to the installed transformers model's parameter names."""

    def __init__(self, keys):
        self.keys = set(keys)

    def top(self, role: str, suffix: str) -> str | None:
        return next((c + suffix for c in _TOP[role] if c + suffix in self.keys), None)

    def layer(self, i: int, role: str, suffix: str) -> str | None:
        for pre in _LAYER_PREFIXES:
            for c in _ROLES[role]:
                name = pre.format(i=i) + c + suffix
                if name in self.keys:
                    return name
        return None


def _split_suffix(rest: str) -> tuple[str, str]:
    for suffix in (".weight", ".bias"):
        if rest.endswith(suffix):
            return rest[: -len(suffix)], suffix
    return rest, ""


def from_openlrm(state: dict, model_keys, encoder_type: str) -> tuple[dict, list[str]]:
    """Rename an OpenLRM state dict to this package's names.

    Parameters
    ----------
    state : dict of str -> tensor
        As read from ``model.safetensors``.
    model_keys : iterable of str
        ``LRMNetwork(cfg).state_dict().keys()``.
    encoder_type : {"dinov2", "dino"}

    Returns
    -------
    converted : dict of str -> tensor
    unknown : list of str
        Encoder keys that could not be placed (reported by the loader as a mismatch).
    """
    import torch

    names = _Names(k[len(ENCODER_PREFIX):] for k in model_keys if k.startswith(ENCODER_PREFIX))
    out, unknown = {}, []
    layer_re = re.compile(r"^blocks\.(\d+)\.(.+)$" if encoder_type == "dinov2"
                          else r"^(?:encoder\.layer|layers)\.(\d+)\.(.+)$")
    for key, value in state.items():
        if not key.startswith(ENCODER_PREFIX):
            out[key] = value
            continue
        rest = key[len(ENCODER_PREFIX):]
        if rest in names.keys:  # already the installed naming
            out[key] = value
            continue
        target = None
        m = layer_re.match(rest)
        if m is not None:
            i, sub = int(m.group(1)), m.group(2)
            base, suffix = _split_suffix(sub)
            if encoder_type == "dinov2" and base == "attn.qkv":
                parts = torch.chunk(value, 3, dim=0)
                targets = [names.layer(i, r, suffix) for r in ("q", "k", "v")]
                if all(targets):
                    for t, part in zip(targets, parts, strict=True):
                        out[ENCODER_PREFIX + t] = part.contiguous()
                    continue
            else:
                table = _DINOV2_LAYER if encoder_type == "dinov2" else _VIT4_LAYER
                if sub in table:  # suffix-less parameters (ls1.gamma)
                    target = names.layer(i, table[sub], "")
                elif base in table:
                    target = names.layer(i, table[base], suffix)
        else:
            table = _DINOV2_TOP if encoder_type == "dinov2" else _VIT4_TOP
            if rest in table:
                target = names.top(*table[rest])
        if target is None:
            unknown.append(key)
        else:
            out[ENCODER_PREFIX + target] = value
    return out, unknown


def to_openlrm(state: dict, encoder_type: str) -> dict:
    """This package's state dict in OpenLRM's published layout (the inverse of
    :func:`from_openlrm`): DINOv2 in Meta's names with ``qkv`` joined and no ``mask_token``,
    DINO in transformers 4.x ViT names."""
    import torch

    keys = {k[len(ENCODER_PREFIX):] for k in state if k.startswith(ENCODER_PREFIX)}
    names = _Names(keys)
    out = {k: v for k, v in state.items() if not k.startswith(ENCODER_PREFIX)}
    top = _DINOV2_TOP if encoder_type == "dinov2" else _VIT4_TOP
    for src, (role, suffix) in top.items():
        t = names.top(role, suffix)
        if t is not None and role != "mask":
            out[ENCODER_PREFIX + src] = state[ENCODER_PREFIX + t]
    layers = sorted({int(m.group(1)) for k in keys
                     for m in [re.match(r"^(?:encoder\.layer|layers|encoder\.layers)\.(\d+)\.", k)]
                     if m})
    for i in layers:
        if encoder_type == "dinov2":
            for suffix in (".weight", ".bias"):
                qkv = [names.layer(i, r, suffix) for r in ("q", "k", "v")]
                if all(qkv):
                    out[f"{ENCODER_PREFIX}blocks.{i}.attn.qkv{suffix}"] = torch.cat(
                        [state[ENCODER_PREFIX + t] for t in qkv], dim=0)
            for src, role in _DINOV2_LAYER.items():
                for suffix in ((".weight", ".bias") if not src.startswith("ls") else ("",)):
                    t = names.layer(i, role, suffix)
                    if t is not None:
                        out[f"{ENCODER_PREFIX}blocks.{i}.{src}{suffix}"] = state[ENCODER_PREFIX + t]
        else:
            for src, role in _VIT4_LAYER.items():
                for suffix in (".weight", ".bias"):
                    t = names.layer(i, role, suffix)
                    if t is not None:
                        out[f"{ENCODER_PREFIX}encoder.layer.{i}.{src}{suffix}"] = \
                            state[ENCODER_PREFIX + t]
    return out
