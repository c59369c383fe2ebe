"""Data files shipped with Panoforge: style presets, icons, shaders, sample inputs."""

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent
