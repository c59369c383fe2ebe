"""Helpers both mesh builders share (:mod:`scene.mesh` full grid, :mod:`scene.adaptive`).

They live apart from both so that neither builder imports the other's module to get them
(:mod:`scene.mesh` dispatches to :mod:`scene.adaptive`; nothing imports back).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["cut_enabled", "pole_heights", "compress_rows", "drop_unknown_vertices"]


def cut_enabled(threshold: float) -> bool:
    """Whether ``threshold`` removes anything: every value but inf (the one "no cut",
    :attr:`scene.mesh_settings.MeshSettings.cuts`)."""
    return bool(threshold < np.inf)


def pole_heights(positions_row0_y: np.ndarray, positions_rowlast_y: np.ndarray):
    """Y of the top and bottom pole vertices: the mean height of the nearest pixel row.

    A plane perpendicular to Y (ceiling, floor) is met exactly; a sphere around the viewer
    is met to ``1 - cos(pi / (2 H))`` (5e-6 at H = 512). NaN when the row is all unknown.
    """
    with warnings.catch_warnings():  # numpy warns "Mean of empty slice" on all-NaN rows
        warnings.simplefilter("ignore", RuntimeWarning)
        top = np.nanmean(positions_row0_y, dtype=np.float64)
        bottom = np.nanmean(positions_rowlast_y, dtype=np.float64)
    return np.float32(top), np.float32(bottom)


def compress_rows(rows: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``rows[keep]`` for a C-contiguous (N, 3) uint32 array, via a 12-byte record view.

    Numpy selects whole records several times faster than rows of a 2-D array.
    """
    records = rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize))).ravel()
    return records[keep].view(rows.dtype).reshape(-1, rows.shape[1])


def drop_unknown_vertices(positions: np.ndarray, uvs: np.ndarray, faces: np.ndarray):
    """Remove NaN vertices (no kept face uses them) and renumber the faces."""
    valid = np.isfinite(positions).all(axis=1)
    remap = np.cumsum(valid, dtype=np.int64).astype(np.uint32) - np.uint32(1)
    return positions[valid], uvs[valid], remap[faces]
