"""MeshSettings: one value (inf) means "no cut" everywhere; the mesh modules import one way."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from scene.errors import InputError
from scene.mesh import build_depth_mesh
from scene.mesh_settings import NO_CUT, MeshSettings
from scene.project import Project, load_project, save_project
from scene.testing.analytic import box_room

SCENE = Path(__file__).resolve().parents[2] / "scene"


@pytest.mark.parametrize("off", [0, 0.0, math.inf, None])
def test_every_spelling_of_no_cut_is_the_same_setting(off):
    s = MeshSettings(cut_threshold=off)
    assert s.cut_threshold == NO_CUT and not s.cuts
    assert s == MeshSettings(cut_threshold=math.inf)
    assert s.to_dict()["cut_threshold"] is None
    assert MeshSettings.from_dict(s.to_dict()) == s


def test_a_real_cut_stays_and_bad_values_are_refused():
    s = MeshSettings(cut_threshold=0.3)
    assert s.cuts and s.to_dict()["cut_threshold"] == 0.3
    for bad in (-0.1, "x", math.nan):
        with pytest.raises(InputError):
            MeshSettings(cut_threshold=bad)


@pytest.mark.parametrize("mode", ["full", "adaptive"])
def test_zero_and_inf_build_the_same_mesh_and_cutting_removes_faces(mode):
    pano = box_room(64).panorama
    meshes = [build_depth_mesh(pano, MeshSettings(mode=mode, cut_threshold=c))
              for c in (0, math.inf, 0.01)]
    np.testing.assert_array_equal(meshes[0].faces, meshes[1].faces)
    # The cut is on: the room's corners are cut (and backed, one for one, so no crack shows
    # from the centre); with no cut nothing is.
    assert meshes[1].stats.get("cut_faces", 0) == 0
    assert meshes[2].stats["cut_faces"] > 0
    assert meshes[2].stats["backing_faces"] == meshes[2].stats["cut_faces"]


def test_a_project_without_cut_saves_and_opens(tmp_path):
    """inf is not JSON: before normalising, such a project saved but never opened again."""
    save_project(tmp_path / "p.panoforge", Project(mesh_settings=MeshSettings(cut_threshold=0)))
    assert load_project(tmp_path / "p.panoforge").mesh_settings.cut_threshold == NO_CUT


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_adaptive_does_not_import_the_full_grid_module():
    """scene.mesh dispatches to scene.adaptive; the shared helpers live in scene.mesh_grid."""
    assert not {".mesh", "scene.mesh"} & _imports(SCENE / "adaptive.py")
    assert not {".mesh", ".adaptive", "scene.mesh"} & _imports(SCENE / "mesh_grid.py")


def test_no_module_decides_no_cut_on_its_own():
    """"Is the cut off" is MeshSettings.cuts / mesh_grid.cut_enabled; a new copy comparing a
    cut threshold with 0 (the old second meaning) fails here."""
    import re

    root = SCENE.parent
    pattern = re.compile(r"\bcut\w*\s*(>|==|<=|!=)\s*0(\.0)?\b")
    copies = [f"{path.relative_to(root)}:{n}"
              for folder in ("app", "renderers", "models", "scene")
              for path in sorted((root / folder).rglob("*.py"))
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if pattern.search(line) and path.name not in ("mesh_settings.py", "mesh_grid.py")]
    assert copies == []
