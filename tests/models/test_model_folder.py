"""The one model-folder recogniser: what a folder holds, from its JSON files only."""

from __future__ import annotations

import json

from models.model_folder import backend_for_model, inspect_model_folder, is_diffusers_folder
from tests.models.tiny_ldm3d import tiny_model


def test_a_diffusers_ldm3d_folder_is_recognised_with_its_vae_channels():
    for channels in (4, 6):
        found = inspect_model_folder(tiny_model(channels))
        assert found.layout == "diffusers" and found.vae_channels == channels
        assert found.class_name == "StableDiffusionLDM3DPipeline"
    assert backend_for_model(str(tiny_model(6)))[0] == "ldm3d"


def test_other_folders_are_told_apart_without_raising(tmp_path):
    assert inspect_model_folder(tmp_path).layout is None and not is_diffusers_folder(tmp_path)
    assert inspect_model_folder(tmp_path / "missing").layout is None
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "dpt"}))
    assert inspect_model_folder(tmp_path).layout == "transformers"
    (tmp_path / "model_index.json").write_text("{not json")
    (tmp_path / "vae").mkdir()
    (tmp_path / "vae" / "config.json").write_text("[]")
    found = inspect_model_folder(tmp_path)
    assert (found.layout, found.class_name, found.vae_channels) == ("diffusers", "", None)
