"""Mesh settings shared by the depth panel, the exporters and the project file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .errors import InputError

__all__ = ["MeshSettings", "MESH_MODES", "DEFAULT_CUT_THRESHOLD", "DEFAULT_MAX_ERROR"]

MESH_MODES = ("full", "adaptive")
#: Relative depth jump across a triangle above which it is cut as a "rubber sheet":
#: (max - min) / min of the triangle's vertex distances.
DEFAULT_CUT_THRESHOLD = 0.25
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
        Relative depth jump above which a triangle is cut; ``0`` or ``inf`` disables cutting
        (``inf`` keeps every triangle).
    """

    mode: str = "full"
    max_error: float = DEFAULT_MAX_ERROR
    cut_threshold: float = DEFAULT_CUT_THRESHOLD

    def __post_init__(self) -> None:
        if self.mode not in MESH_MODES:
            raise InputError(f"unknown mesh mode {self.mode!r}", hint="use full or adaptive")
        if not (self.max_error > 0):
            raise InputError(f"--max-error must be positive, got {self.max_error}",
                             hint="for example --max-error 0.005 (0.5 %)")
        if not (self.cut_threshold >= 0):
            raise InputError(f"--cut-threshold must be >= 0, got {self.cut_threshold}",
                             hint="for example --cut-threshold 0.25; inf keeps every triangle")

    def with_(self, **changes) -> MeshSettings:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> MeshSettings:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)
