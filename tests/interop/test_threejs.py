"""Our GLB in three.js: GLTFLoader in headless Chromium (WebGL on SwiftShader), seen from inside.

``tools/interop/threejs/render.mjs`` serves a small page, the pinned npm ``three`` and the GLB on
127.0.0.1, and renders it the way a web page would: a ``PerspectiveCamera`` at the origin
(looking down -Z by default), the materials exactly as GLTFLoader makes them (single-sided, so
back faces are culled), sRGB output, no tone mapping.

Known answers: each view from the centre must show the analytic box room's surface colours where
the room puts them (front wall ahead, +X wall after a right turn, ceiling above), which also
proves the winding (a face wound the wrong way would be culled and the view black) and that the
texture is neither mirrored nor flipped. A lossless (PNG-textured) copy of the same GLB must give
the same frames as our own offscreen renderer wherever the picture is not an edge.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from scene.export_glb import write_glb

from .conftest import (
    FOV_DEG,
    RENDER_SIZE,
    THREEJS_DIR,
    VIEWS,
    assert_view_is_right_way_round,
    run_threejs,
)

#: three.js constants (src/constants.js).
FRONT_SIDE = 0
REPEAT_WRAPPING = 1000
CLAMP_TO_EDGE_WRAPPING = 1001


def _image(report: dict, name: str) -> np.ndarray:
    return np.asarray(Image.open(report["images"][name]).convert("RGB"))


@pytest.fixture(scope="module")
def three_room(threejs_tools, room_glb, tmp_path_factory):
    out = tmp_path_factory.mktemp("threejs-room")
    return run_threejs(threejs_tools, room_glb.glb, out), room_glb


def test_webgl_runs_in_headless_chromium_with_the_pinned_three(three_room):
    report, _ = three_room
    pinned = json.loads((THREEJS_DIR / "package.json").read_text())["dependencies"]["three"]
    assert report["threeRevision"] == pinned.split(".")[1]
    assert report["webgl"]["version"].startswith("WebGL")
    assert report["webgl"]["renderer"], report["webgl"]
    assert report["pageLog"] == [], report["pageLog"]
    assert report["outputColorSpace"] == "srgb"


def test_gltfloader_builds_one_unlit_single_sided_mesh(three_room):
    report, room = three_room
    assert len(report["meshes"]) == 1
    mesh = report["meshes"][0]
    assert mesh["vertices"] == room.mesh.n_vertices
    assert mesh["indices"] == 3 * room.mesh.n_faces
    assert mesh["attributes"] == ["position", "uv"]
    mat = mesh["material"]
    assert mat["type"] == "MeshBasicMaterial", "KHR_materials_unlit should give an unlit material"
    assert mat["side"] == FRONT_SIDE
    pano = room.scene.panorama
    assert (mat["map"]["width"], mat["map"]["height"]) == (pano.width, pano.height)
    assert mat["map"]["colorSpace"] == "srgb"
    assert mat["map"]["wrapS"] == REPEAT_WRAPPING
    assert mat["map"]["wrapT"] == CLAMP_TO_EDGE_WRAPPING


def test_scene_extras_arrive_as_userdata(three_room):
    report, room = three_room
    extras = report["sceneUserData"]
    assert extras["generation"] == json.loads(json.dumps(room.scene.panorama.metadata.record()))
    assert extras["units"] == "metres"
    assert extras["mesh"]["vertices"] == room.mesh.n_vertices


@pytest.mark.parametrize("view", list(VIEWS))
def test_view_from_the_centre_is_the_right_way_round(three_room, view):
    """Front wall ahead, +X wall to the right, ceiling above: in their colours, faces not culled."""
    report, room = three_room
    image = _image(report, view)
    assert image.shape == (RENDER_SIZE[1], RENDER_SIZE[0], 3)
    assert_view_is_right_way_round(image, room.scene, view)


# -- three.js against our own renderer ----------------------------------------------------------
#: Largest per-channel difference between the two renderers on a non-edge pixel.
SAME_TOLERANCE = 4
#: Share of non-edge pixels that must agree, and share of the frame that must be non-edge.
MIN_SAME = 0.995
MIN_COMPARED = 0.8


def away_from_edges(image: np.ndarray, tolerance: int = SAME_TOLERANCE) -> np.ndarray:
    """(H, W) bool: the pixel and its 8 neighbours have the same colour (within ``tolerance``)."""
    img = image.astype(np.int16)
    h, w = img.shape[:2]
    padded = np.pad(img, ((1, 1), (1, 1), (0, 0)), mode="edge")
    flat = np.ones((h, w), dtype=bool)
    for dy in range(3):
        for dx in range(3):
            flat &= np.abs(padded[dy:dy + h, dx:dx + w] - img).max(axis=-1) <= tolerance
    return flat


@pytest.mark.gl
def test_frames_match_our_offscreen_render(threejs_tools, room_glb, tmp_path):
    """The same mesh, losslessly textured, gives the same pixels in three.js and in Panoforge."""
    from renderers.offscreen import OffscreenRenderer

    glb = tmp_path / "box_room_png.glb"
    write_glb(glb, room_glb.scene.panorama, room_glb.mesh, texture="png")
    report = run_threejs(threejs_tools, glb, tmp_path / "three")
    failures = []
    with OffscreenRenderer(room_glb.scene.panorama, room_glb.mesh, size=RENDER_SIZE,
                           backdrop=False) as ours:
        for name, (yaw, pitch) in VIEWS.items():
            want = ours.render(yaw_deg=yaw, pitch_deg=pitch, fov_deg=FOV_DEG)
            got = _image(report, name)
            compared = away_from_edges(want)
            same = np.abs(got.astype(np.int16) - want).max(axis=-1) <= SAME_TOLERANCE
            share = float(same[compared].mean())
            if compared.mean() < MIN_COMPARED or share < MIN_SAME:
                failures.append(f"{name}: {share:.2%} of {compared.mean():.0%} of the frame agree")
    assert not failures, "three.js and the offscreen renderer differ:\n" + "\n".join(failures)


def test_a_composition_loads_with_every_part_in_place(threejs_tools, composition_glb, tmp_path):
    """GLTFLoader makes a mesh per part under the named root; props sit where their
    transforms put them (names have spaces turned to underscores by three.js)."""
    scene, glb = composition_glb
    report = run_threejs(threejs_tools, glb, tmp_path, views={"front": (0.0, 0.0)})
    assert report["pageLog"] == [], report["pageLog"]
    meshes = {m["name"]: m for m in report["meshes"]}
    names = ["dome", "layer l1"] + [p.name for p in scene.props]
    assert sorted(meshes) == sorted(n.replace(" ", "_") for n in names)
    assert {m["parent"] for m in meshes.values()} == {"room"}
    for prop in scene.props:
        got = meshes[prop.name.replace(" ", "_")]
        want = prop.world_positions().astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(got["worldMean"], want, atol=1e-5)
    lit = meshes["lit_cube"]["material"]
    assert lit["type"] == "MeshStandardMaterial"
    assert meshes["textured_cube"]["material"]["type"] == "MeshBasicMaterial"
    assert meshes["dome"]["material"]["type"] == "MeshBasicMaterial"
