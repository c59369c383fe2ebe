"""The scene's Gaussian splats as Niantic's ``.spz``, written by Niantic's reference library.

No maintained Python package writes SPZ here (the PyPI ``spz`` is a Rust source release that
cannot build without downloading crates). Niantic's reference C++ library is on npm compiled
to WebAssembly by Niantic Labs and Adobe (``@adobe/spz``, pinned in ``tools/spz``; PlayCanvas'
splat-transform uses the same package), so the file is packed and read back in **Node.js**
by ``tools/spz/spz.mjs``. Panoforge does not write the format itself. Without Node.js or the
package the export is refused (:func:`require_spz`) before anything is written.

The splats are :func:`scene.splats.scene_splats`' (one per known pixel and prop vertex),
handed over as the 3DGS quantities the library takes: positions (metres, glTF's right-up-back
frame, which is SPZ's own), natural-log scales, unit quaternions (x, y, z, w), opacity as a
logit and colour as the degree-0 spherical-harmonics coefficient, SH degree 0.

What SPZ keeps (its own quantisation, measured by the round-trip test): positions as 24-bit
fixed point with 12 fractional bits (1/4096 m steps, so coordinates must stay within
:data:`SPZ_MAX_COORD` metres; a farther scene is refused), log scales in 1/16 steps, colour
and opacity in 8 bits, rotations in 32 bits ("smallest three").
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .composition import Scene
from .errors import InputError
from .node_tool import NodeTool

__all__ = ["SPZ_MAGIC", "SPZ_MAX_COORD", "spz_folder", "require_spz", "write_splat_spz",
           "read_splat_spz"]

#: The first bytes of an SPZ file as the reference library writes it (``NGSP``).
SPZ_MAGIC = b"NGSP"
#: Largest coordinate SPZ's 24-bit, 12-fractional-bit positions hold (metres).
SPZ_MAX_COORD = 2048.0 - 2.0 ** -12
_ATTRS = {"positions": 3, "scales": 3, "rotations": 4, "alphas": 1, "colors": 3}
_TOOL = NodeTool(
    what=".spz splats", folder_name="spz", script="spz.mjs", package="@adobe/spz",
    env="PANOFORGE_SPZ_TOOL",
    hint="install Node.js (apt-get install nodejs npm) and run `npm ci` in tools/spz "
         "(python3 make.py test does both), or set PANOFORGE_SPZ_TOOL to such a folder; "
         "or write OUT.ply, which needs neither")


def spz_folder() -> Path:
    """The folder holding ``spz.mjs`` and its ``node_modules`` (``$PANOFORGE_SPZ_TOOL``, else
    ``tools/spz`` of this checkout)."""
    return _TOOL.folder()


def require_spz() -> tuple[str, Path]:
    """``(node, spz.mjs)`` when SPZ can be written here; an :class:`InputError` otherwise."""
    return _TOOL.require()


def _run(args: list[str], what: str, timeout: float) -> None:
    _TOOL.run(args, f"the SPZ library failed to {what}", timeout)


def write_splat_spz(path: str | os.PathLike, scene: Scene, timeout: float = 900.0) -> list[str]:
    """Write ``scene``'s splats as ``.spz``, atomically; the notices.

    Raises
    ------
    InputError
        Node.js or ``@adobe/spz`` missing, or a splat farther than :data:`SPZ_MAX_COORD`.
    """
    from .atomic import atomic_writer
    from .splats import OPACITY_LOGIT, SH_C0, scene_splats

    require_spz()
    parts, notices = scene_splats(scene)
    pos = np.concatenate([p.positions for p in parts]).astype(np.float32)
    far = float(np.abs(pos).max()) if pos.size else 0.0
    if far > SPZ_MAX_COORD:
        raise InputError(f"a splat lies {far:.0f} m out along an axis; .spz positions hold at "
                         f"most {SPZ_MAX_COORD:.0f} m", hint="write OUT.ply or OUT.glb instead")
    n = pos.shape[0]
    arrays = {
        "positions": pos,
        "scales": np.log(np.concatenate([p.scales for p in parts])),
        "rotations": np.concatenate([p.rotations for p in parts]),
        "alphas": np.full(n, OPACITY_LOGIT),
        "colors": (np.concatenate([p.colors for p in parts]) - 0.5) / SH_C0,
    }
    with tempfile.TemporaryDirectory(prefix="panoforge-spz-") as tmp:
        folder = Path(tmp)
        (folder / "header.json").write_text(json.dumps({"numPoints": int(n)}))
        for name, arr in arrays.items():
            np.ascontiguousarray(arr, "<f4").tofile(folder / f"{name}.f32")
        _run(["write", str(folder), str(folder / "out.spz")], f"write {n:,} splats", timeout)
        data = (folder / "out.spz").read_bytes()
    with atomic_writer(path) as fh:
        fh.write(data)
    return notices


def read_splat_spz(path: str | os.PathLike, timeout: float = 900.0) -> dict:
    """Read an ``.spz`` with the reference library.

    Returns
    -------
    dict
        ``numPoints``, ``shDegree``, ``antialiased`` and the arrays ``positions`` (N, 3),
        ``scales`` (N, 3, log), ``rotations`` (N, 4, x y z w), ``alphas`` (N,, logit) and
        ``colors`` (N, 3, SH degree-0 coefficients), all float32.
    """
    with tempfile.TemporaryDirectory(prefix="panoforge-spz-") as tmp:
        folder = Path(tmp) / "out"
        _run(["read", os.fspath(path), str(folder)], f"read {path}", timeout)
        out = json.loads((folder / "header.json").read_text())
        n = out["numPoints"]
        for name, width in _ATTRS.items():
            arr = np.fromfile(folder / f"{name}.f32", "<f4")
            out[name] = arr if width == 1 else arr.reshape(n, width)
    return out
