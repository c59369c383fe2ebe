"""Messages a user reads when an input is wrong say what is wrong with *their* input (issue 17)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.app.test_cli_import_export import assert_refused, cli


@pytest.fixture
def folder(tmp_path):
    Image.fromarray(np.zeros((64, 128, 3), np.uint8)).save(tmp_path / "ok.png")
    return tmp_path


def test_not_an_image_names_the_file_not_a_buffer(folder):
    (folder / "bad.png").write_text("hello")
    res = cli(folder, "import", "bad.png", "-o", "x.panoforge")
    assert_refused(res, "bad.png is not a readable image")
    assert "BytesIO" not in res.stderr and "0x" not in res.stderr, res.stderr


def test_a_bad_npy_is_not_sent_to_an_image_editor(folder):
    (folder / "junk.npy").write_bytes(b"garbage")
    np.save(folder / "obj.npy", np.array([{}, 1], dtype=object), allow_pickle=True)
    for name, phrase in (("junk.npy", "not a NumPy .npy file"),
                         ("obj.npy", "pickled Python objects, which Panoforge never loads")):
        res = cli(folder, "import", "ok.png", "--depth", name, "-o", "x.panoforge")
        assert_refused(res, phrase, "numpy.save")
        assert "image editor" not in res.stderr and "allow_pickle" not in res.stderr, res.stderr


def _rewrite_manifest(src, dst, edit) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "manifest.json":
                manifest = json.loads(data)
                edit(manifest)
                data = json.dumps(manifest).encode()
            zout.writestr(info, data)


@pytest.mark.parametrize("near", ["abc", [1], None, {"a": 1}])
def test_a_bad_near_in_a_manifest_says_so_in_words(folder, near):
    np.save(folder / "disp.npy", np.full((64, 128), 0.5, np.float32))
    assert cli(folder, "import", "ok.png", "--depth", "disp.npy", "--depth-kind", "disparity",
               "-o", "d.panoforge").returncode == 0

    def edit(m):
        for r in m["results"]:
            r["interpretation"]["near"] = near

    _rewrite_manifest(folder / "d.panoforge", folder / "n.panoforge", edit)
    res = cli(folder, "info", "n.panoforge")
    assert_refused(res, "depth near must be a number of metres")
    for numpy_words in ("ufunc", "isfinite", "casting", "not supported between"):
        assert numpy_words not in res.stderr, res.stderr


def test_a_newer_project_asks_for_an_update(folder):
    assert cli(folder, "import", "ok.png", "-o", "p.panoforge").returncode == 0
    _rewrite_manifest(folder / "p.panoforge", folder / "v9.panoforge",
                      lambda m: m.update(format_version=9))
    res = cli(folder, "info", "v9.panoforge")
    assert_refused(res, "newer Panoforge", "project format 9", "update")
    assert "not made by Panoforge" not in res.stderr


@pytest.mark.parametrize("backend", ["procedural", "ldm3d-pano"])
def test_an_unknown_scheduler_is_refused_by_every_backend(folder, backend):
    res = cli(folder, "generate", "a forest", "--backend", backend, "--width", "128",
              "--height", "64", "--scheduler", "banana", "-o", "s.panoforge")
    assert_refused(res, "unknown scheduler 'banana'", "ddim")
    assert not (folder / "s.panoforge").exists()


def test_a_mistyped_model_folder_is_not_told_to_download(folder):
    (folder / "models" / "ldm3d-pano").mkdir(parents=True)
    for extra in ([], ["--backend", "ldm3d-pano"]):
        res = cli(folder, "generate", "x", *extra, "--model", "./models/ldm3d-pan",
                  "-o", "m.panoforge")
        assert_refused(res, "the model folder ./models/ldm3d-pan does not exist",
                       "did you mean models/ldm3d-pano")
        assert "download" not in res.stderr and "VAE" not in res.stderr, res.stderr


def test_the_model_notice_claims_no_vae_it_did_not_see():
    from models.model_folder import backend_for_model

    name, why = backend_for_model("Intel/ldm3d-pano")  # an id: no folder was looked at
    assert name == "ldm3d-pano" and "VAE" not in why
