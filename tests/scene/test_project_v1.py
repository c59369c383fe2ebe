"""Version-1 project files from the last release that wrote them open, mesh, export and
render exactly as that release did; saving migrates them to the current format.

The fixtures and their expected hashes were made by that release
(tests/fixtures/projects/v1/make_v1_fixtures.py, commit 6429c61).

One change is on purpose: a cut now leaves no crack seen from the centre (scene/backing.py,
issue 17), so meshes with cut faces carry backing triangles, appended after the release's
vertices and faces. The release's mesh is compared with the surface part (the first
``n_vertices`` vertices and the faces before the backing), which must be identical.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scene.backing import surface_faces
from scene.mesh import build_depth_mesh
from scene.meshdata import DepthMesh
from scene.project import PLAIN_FORMAT_VERSION, load_project, project_to_bytes

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "v1"
EXPECTED = json.loads((V1 / "expected.json").read_text())
NAMES = sorted(EXPECTED)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _release_part(mesh: DepthMesh, n_vertices: int) -> DepthMesh:
    """The surface the release built: its vertices come first, the backing's after them."""
    faces = surface_faces(mesh.faces, mesh.stats)
    assert int(faces.max()) < n_vertices  # (the surface never uses a backing vertex)
    return DepthMesh(positions=mesh.positions[:n_vertices], uvs=mesh.uvs[:n_vertices],
                     faces=faces, stats=mesh.stats)


def _manifest(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return json.loads(zf.read("manifest.json"))


def test_the_fixtures_are_the_release_files():
    assert len(NAMES) == 3
    for name in NAMES:
        data = (V1 / name).read_bytes()
        assert _sha(data) == EXPECTED[name]["file_sha256"]
        assert _manifest(data)["format_version"] == 1
        assert len(data) < 300_000


@pytest.mark.parametrize("name", NAMES)
def test_v1_opens_and_meshes_exactly_as_the_release_did(name):
    want = EXPECTED[name]
    project = load_project(V1 / name)
    assert project.mesh_settings.to_dict() == want["mesh_settings"]
    result = project.pick()
    assert result.layers == [] and result.props == []
    built = build_depth_mesh(result.panorama, project.mesh_settings)
    mesh = _release_part(built, want["n_vertices"])
    assert (mesh.n_vertices, mesh.n_faces) == (want["n_vertices"], want["n_faces"])
    # Every cut face is backed, one for one; a file without cuts gains nothing.
    assert built.stats.get("backing_faces", 0) == built.stats.get("cut_faces", 0)
    assert built.n_faces == want["n_faces"] + built.stats.get("backing_faces", 0)
    assert _sha(np.ascontiguousarray(mesh.positions, "<f4").tobytes()) == want["positions_sha256"]
    assert _sha(np.ascontiguousarray(mesh.uvs, "<f4").tobytes()) == want["uvs_sha256"]
    assert _sha(np.ascontiguousarray(mesh.faces, "<u4").tobytes()) == want["faces_sha256"]


@pytest.mark.parametrize("name", NAMES)
def test_v1_exports_the_same_ply(name, tmp_path):
    from scene.export_ply import write_ply

    project = load_project(V1 / name)
    pano = project.pick().panorama
    mesh = _release_part(build_depth_mesh(pano, project.mesh_settings),
                         EXPECTED[name]["n_vertices"])
    write_ply(tmp_path / "x.ply", pano, mesh)
    assert _sha((tmp_path / "x.ply").read_bytes()) == EXPECTED[name]["ply_sha256"]


@pytest.mark.parametrize("name", NAMES)
def test_v1_exports_a_glb_whose_dome_is_the_release_mesh(name, tmp_path):
    """The GLB now has a root node, so its bytes differ; the dome's arrays do not."""
    from scene.exporters import ExportOptions, export

    from .test_export_scene_glb import accessor, read_glb

    want = EXPECTED[name]
    project = load_project(V1 / name)
    export("glb", project.scene(), tmp_path / "x.glb",
           ExportOptions(mesh_settings=project.mesh_settings))
    doc, bin_chunk = read_glb(tmp_path / "x.glb")
    dome = next(n for n in doc["nodes"] if n["name"] == "dome")
    prim = doc["meshes"][dome["mesh"]]["primitives"][0]
    arrays = {k: accessor(doc, bin_chunk, prim["attributes"][a])
              for k, a in (("positions", "POSITION"), ("uvs", "TEXCOORD_0"))}
    faces = accessor(doc, bin_chunk, prim["indices"]).astype("<u4").reshape(-1, 3)
    n = want["n_vertices"]
    arrays = {k: v[:n] for k, v in arrays.items()}
    arrays["faces"] = faces[: want["n_faces"]]  # (the backing faces come after the surface)
    assert int(arrays["faces"].max()) < n
    for key, arr in arrays.items():
        assert _sha(np.ascontiguousarray(arr).tobytes()) == want[f"{key}_sha256"], key
    assert len(doc["nodes"]) == 2


@pytest.mark.parametrize("name", NAMES)
def test_saving_v1_migrates_it_and_keeps_every_image_byte(name):
    old = (V1 / name).read_bytes()
    project = load_project(V1 / name)
    new = project_to_bytes(project)
    assert _manifest(new)["format_version"] == PLAIN_FORMAT_VERSION
    with zipfile.ZipFile(io.BytesIO(old)) as a, zipfile.ZipFile(io.BytesIO(new)) as b:
        for info in a.infolist():
            if info.filename != "manifest.json":
                assert b.read(info.filename) == a.read(info.filename)
    # The migrated file is stable: it loads and saves to the same bytes.
    again = project_to_bytes(_load_bytes(new))
    assert again == new


def _load_bytes(data: bytes):
    import tempfile

    with tempfile.TemporaryDirectory() as t:
        path = Path(t) / "p.panoforge"
        path.write_bytes(data)
        return load_project(path)


@pytest.mark.gl
@pytest.mark.parametrize("name", NAMES)
def test_v1_renders_the_same_pixels(name, tmp_path):
    """``panoforge render`` of a v1 file gives the pixels the release rendered where its mesh
    has no cut; where it has cuts, the cracks the release showed are closed now (issue 17), so
    those renders are pinned to the current pixels (``render_sha256_backed``)."""
    from PIL import Image

    from app.cli import main

    spec = _fixture_script()
    out = tmp_path / "view.png"
    assert main(["render", str(V1 / name), "-o", str(out), *spec.RENDER_ARGS]) == 0
    pixels = np.asarray(Image.open(out).convert("RGB")).tobytes()
    want = EXPECTED[name]
    assert _sha(pixels) == want.get("render_sha256_backed", want["render_sha256"])
    if "render_sha256_backed" in want:
        assert want["render_sha256_backed"] != want["render_sha256"]


def _fixture_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_v1_fixtures", V1 / "make_v1_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
