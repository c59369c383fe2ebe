"""Panoforge's domain: RGBD panoramas, depth semantics, the DepthFusion mesh, exports, projects.

Pure numpy (plus Pillow for image files). Importing ``scene`` never imports torch, Qt, vispy
or open3d; an import-linter contract in ``pyproject.toml`` checks it.
"""

from .conventions import (
    direction_grid,
    direction_to_lonlat,
    latitudes,
    longitudes,
    lonlat_to_direction,
)
from .depth import DEPTH_KINDS, DepthInterpretation, to_distance
from .errors import CancelledError, InputError, PanoforgeError, ProjectFileError, ResourceError
from .mesh_settings import MeshSettings
from .metadata import GenerationMetadata
from .panorama import PerspectiveRGBD, RGBDPanorama

__all__ = [
    "CancelledError", "DEPTH_KINDS", "DepthInterpretation", "GenerationMetadata", "InputError",
    "MeshSettings", "PanoforgeError", "PerspectiveRGBD", "ProjectFileError", "RGBDPanorama",
    "ResourceError", "direction_grid", "direction_to_lonlat", "latitudes", "lonlat_to_direction",
    "longitudes", "to_distance",
]
