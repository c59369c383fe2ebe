"""Mesh settings shared by the depth panel, the exporters and the project file."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from .errors import InputError

__all__ = ["MeshSettings", "MESH_MODES", "DEFAULT_CUT_THRESHOLD", "DEFAULT_MAX_ERROR", "NO_CUT"]

MESH_MODES = ("full", "adaptive")
#: Relative depth jump across a triangle above which it is cut as a "rubber sheet":
#: (max - min) / min of the triangle's vertex distances.
DEFAULT_CUT_THRESHOLD = 0.25
#: The one value that means "no discontinuity cut" (keep every triangle).
NO_CUT = math.inf
#: Requested maximum relative radial error of the adaptive mesh (0.005 = 0.5 %).
DEFAULT_MAX_ERROR = 0.005


@dataclass(frozen=True)
class MeshSettings:
    """How a panorama becomes a DepthFusion mesh.

    Parameters
    ----------
    mode : {"full", "adaptive"}
        Every pixel a vertex, or an error-bounded adaptive mesh.
    max_error : float
        Relative radial error bound for ``adaptive`` (0.005 = 0.5 %).
    cut_threshold : float
        Relative depth jump above which a triangle is cut. :data:`NO_CUT` (inf) keeps every
        triangle; ``0`` (what v1 project files and ``--cut-threshold 0`` use for "off") and
        ``None`` (how JSON stores inf) are turned into it here, so inf is the only "no cut"
        anywhere past this point (:attr:`cuts`).
    """

    mode: str = "full"
    max_error: float = DEFAULT_MAX_ERROR
    cut_threshold: float = DEFAULT_CUT_THRESHOLD

    def __post_init__(self) -> None:
        cut = NO_CUT if self.cut_threshold is None else self.cut_threshold
        try:
            cut = float(cut)
        except (TypeError, ValueError):
            raise InputError(f"--cut-threshold must be a number, got {self.cut_threshold!r}",
                             hint="for example --cut-threshold 0.25; inf keeps every triangle"
                             ) from None
        object.__setattr__(self, "cut_threshold", NO_CUT if cut == 0 else cut)
        if self.mode not in MESH_MODES:
            raise InputError(f"unknown mesh mode {self.mode!r}", hint="use full or adaptive")
        if not (self.max_error > 0):
            raise InputError(f"--max-error must be positive, got {self.max_error}",
                             hint="for example --max-error 0.005 (0.5 %)")
        if not (self.cut_threshold >= 0):
            raise InputError(f"--cut-threshold must be >= 0, got {self.cut_threshold}",
                             hint="for example --cut-threshold 0.25; inf keeps every triangle")

    @property
    def cuts(self) -> bool:
        """Whether the discontinuity cut removes anything (``cut_threshold`` is finite)."""
        return self.cut_threshold < NO_CUT

    def with_(self, **changes) -> MeshSettings:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain JSON: ``cut_threshold`` is ``None`` for :data:`NO_CUT` (JSON has no inf)."""
        d = asdict(self)
        if not self.cuts:
            d["cut_threshold"] = None
        return d

    @classmethod
    def from_dict(cls, data: dict) -> MeshSettings:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)
