"""Seamless 360° panoramas: circular padding along the width, and latent rolling.

An equirectangular panorama's left and right edges are the same meridian. A convolution with
zero padding sees a wall there, so the generated image does not join. :func:`seamless_convs`
patches every ``Conv2d`` of the given modules (the UNet and the VAE) so that it pads
*circularly along the width only*: left/right padding wraps around, top/bottom padding stays
zeros (the poles do not wrap). The patch is reversible: it is a context manager, and
:func:`patch_conv2d` also returns an undo function.

With every convolution circular (and attention and GroupNorm indifferent to the order of
columns), the denoiser is equivariant to horizontal rolls: rolling the initial latent by
``k`` columns rolls the decoded image by ``8 * k`` pixels. For the UNet this holds exactly
only when ``k`` is a multiple of its total stride (2 per down-sampling block, 8 for Stable
Diffusion's UNet); the VAE decoder (only up-sampling) is equivariant for every ``k``.

:class:`LatentRoller` optionally rolls the latent by a fixed number of columns after every
step (so the seam never stays at the same place relative to the UNet's stride grid) and
undoes the total roll at the end, so the output is not shifted. With exactly equivariant
convolutions it changes nothing but float rounding when the step is a multiple of the
stride; with other steps it moves the stride grid under the image, which evens out the
small non-equivariance of strided convolutions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

__all__ = ["patch_conv2d", "seamless_convs", "LatentRoller", "unet_stride"]


def _pad_amounts(conv) -> tuple[int, int, int, int] | None:
    """(left, right, top, bottom) padding of ``conv``, or ``None`` if it pads nothing."""
    pad = conv.padding
    if isinstance(pad, str):
        if pad == "valid":
            return None
        # "same" (stride 1): total = dilation * (kernel - 1), torch puts the extra on the right
        totals = [d * (k - 1) for d, k in zip(conv.dilation, conv.kernel_size, strict=True)]
        (th, tw) = totals
        return (tw // 2, tw - tw // 2, th // 2, th - th // 2)
    ph, pw = pad
    if ph == 0 and pw == 0:
        return None
    return (pw, pw, ph, ph)


def _circular_forward(conv, pads: tuple[int, int, int, int]) -> Callable:
    import torch.nn.functional as F

    left, right, top, bottom = pads

    def forward(x):
        if left or right:
            x = F.pad(x, (left, right, 0, 0), mode="circular")
        if top or bottom:
            x = F.pad(x, (0, 0, top, bottom), mode="constant", value=0.0)
        return F.conv2d(x, conv.weight, conv.bias, conv.stride, 0, conv.dilation, conv.groups)

    return forward


def patch_conv2d(modules: Iterable) -> Callable[[], None]:
    """Make every zero-padded ``Conv2d`` inside ``modules`` wrap around horizontally.

    Parameters
    ----------
    modules : iterable of torch.nn.Module
        For example ``(pipe.unet, pipe.vae)``. ``None`` entries are skipped.

    Returns
    -------
    undo : callable
        Restores every patched convolution's original ``forward``. Calling it twice is safe.

    Notes
    -----
    Only convolutions with ``padding_mode="zeros"`` and non-zero padding are patched. The
    patch sets an instance attribute ``forward`` (the class's method stays untouched), so the
    undo deletes it; a convolution that already has an instance ``forward`` (patched by
    someone else) is left alone.
    """
    import torch

    patched = []
    for module in modules:
        if module is None:
            continue
        for conv in module.modules():
            if not isinstance(conv, torch.nn.Conv2d) or conv.padding_mode != "zeros":
                continue
            if "forward" in conv.__dict__:
                continue
            pads = _pad_amounts(conv)
            if pads is None:
                continue
            conv.forward = _circular_forward(conv, pads)
            patched.append(conv)

    def undo() -> None:
        while patched:
            conv = patched.pop()
            conv.__dict__.pop("forward", None)

    return undo


@contextlib.contextmanager
def seamless_convs(*modules, enabled: bool = True) -> Iterator[None]:
    """Context manager form of :func:`patch_conv2d`; restores the convolutions on exit.

    Parameters
    ----------
    *modules : torch.nn.Module
        Modules whose convolutions wrap horizontally inside the ``with`` block.
    enabled : bool
        ``False`` makes it a no-op (convenient for ``--no-seamless``).
    """
    undo = patch_conv2d(modules) if enabled else (lambda: None)
    try:
        yield
    finally:
        undo()


def unet_stride(unet) -> int:
    """Total down-sampling factor of a ``UNet2DConditionModel`` (``2 ** (blocks - 1)``)."""
    return 2 ** (len(unet.config.block_out_channels) - 1)


class LatentRoller:
    """Roll the latent by ``step_columns`` after every denoising step; undo at the end.

    Parameters
    ----------
    step_columns : int
        Columns to roll by per step (positive rolls to the right); ``0`` disables rolling.

    Attributes
    ----------
    total : int
        Columns rolled so far (the current latent equals the unrolled one rolled by
        ``total``).
    """

    def __init__(self, step_columns: int = 0) -> None:
        self.step_columns = int(step_columns)
        self.total = 0

    def step(self, latents):
        """Roll a ``(B, C, h, w)`` latent tensor one more step; returns the new tensor."""
        if not self.step_columns:
            return latents
        import torch

        self.total += self.step_columns
        return torch.roll(latents, shifts=self.step_columns, dims=-1)

    def unroll(self, latents):
        """Undo the total roll so far (a view of the latent as if it had never rolled)."""
        if not self.total:
            return latents
        import torch

        return torch.roll(latents, shifts=-self.total, dims=-1)
