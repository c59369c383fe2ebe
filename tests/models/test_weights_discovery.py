"""One weight discovery for every family (models.weights_discovery): a new copy would not see
a change made here, and every offline refusal names the catalogue's download command form."""

from __future__ import annotations

import importlib

import pytest

import models.weights_discovery as wd
from scene.errors import InputError


def _resolvers():
    from models.depth_estimation.weights import resolve_depth_model
    from models.ldm3d.weights import SPECS, resolve_model
    from models.ldm3d_sr.weights import resolve_sr_model
    from models.lrm.weights import SPECS as LRM_SPECS
    from models.lrm.weights import resolve_lrm

    return {
        "ldm3d": lambda: resolve_model(SPECS["ldm3d-pano"]),
        "ldm3d-sr": lambda: resolve_sr_model(),
        "lrm": lambda: resolve_lrm(LRM_SPECS["lrm-base"]),
        "depth": lambda: resolve_depth_model(),
    }


@pytest.fixture
def empty_places(tmp_path, monkeypatch):
    monkeypatch.setenv("PANOFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path


@pytest.mark.parametrize("family", ["ldm3d", "ldm3d-sr", "lrm", "depth"])
def test_every_family_asks_the_one_discovery(family, empty_places, monkeypatch):
    calls = []

    def fake_locate(model, repo_id, own, is_model_folder, **kw):
        calls.append((repo_id, own))
        return wd.Found(None, "download", repo_id, "")

    resolvers = _resolvers()  # (imported first: they bind the real names)
    monkeypatch.setattr(wd, "locate", fake_locate)
    for name in ("models.ldm3d.weights", "models.depth_estimation.weights"):
        monkeypatch.setattr(importlib.import_module(name), "locate", fake_locate)  # (by name)
    location = resolvers[family]()
    assert location.folder is None and len(calls) == 1
    repo_id, own = calls[0]
    assert location.model_id == repo_id
    assert own is not None and own.parent == empty_places / "models"


@pytest.mark.parametrize("family", ["ldm3d", "ldm3d-sr", "lrm", "depth"])
def test_offline_refusals_name_the_one_download_command(family, empty_places):
    with pytest.raises(InputError) as exc:
        _resolvers()[family]()
    assert "HF_HUB_OFFLINE is set" in exc.value.message
    assert str(empty_places / "hub") in exc.value.message
    line = next(ln.strip() for ln in exc.value.hint.splitlines() if "hf download" in ln)
    assert line.startswith("hf download ") and f"--local-dir {empty_places / 'models'}" in line


def test_a_snapshot_in_the_cache_is_found_with_its_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    snap = tmp_path / "models--owner--name" / "snapshots" / ("a" * 40)
    snap.mkdir(parents=True)
    (tmp_path / "models--owner--name" / "refs").mkdir()
    (tmp_path / "models--owner--name" / "refs" / "main").write_text("a" * 40)
    assert wd.find_in_hf_cache("owner/name") == (snap, "a" * 40)
    found = wd.locate("owner/name", "x/y", None, lambda f: True, missing="m", hint="h")
    assert (found.folder, found.source, found.repo_id, found.revision) == (
        snap, "cache", "owner/name", "a" * 40)

